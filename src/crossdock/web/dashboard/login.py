"""GET/POST /login and POST /logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from crossdock.access.principal import Principal
from crossdock.access.users import authenticated_user
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import request_session, require_csrf
from crossdock.web.dashboard.templating import render, set_session_cookie
from crossdock.web.sessions import COOKIE_NAME, Session

router = APIRouter()


def _safe_next(next_path: str | None) -> str:
    # Only a path of this site: a crafted ?next=https://elsewhere must not send a user away after login.
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return "/"
    return next_path


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(
        request,
        "login.html",
        principal=None,
        current="",
        title="Log in",
        next_path=_safe_next(next),
        email="",
    )


def _login(request: Request, email: str, password: str) -> Principal | None:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        principal = authenticated_user(uow, email, password)
        uow.commit()
    return principal


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    require_csrf(request, csrf_token)
    principal = await run_in_threadpool(_login, request, email, password)
    if principal is None:
        return render(
            request,
            "login.html",
            principal=None,
            current="",
            title="Log in",
            status_code=401,
            error="Wrong email or password, or the user is disabled.",
            next_path=_safe_next(next),
            email=email,
        )
    session = (request_session(request) or Session.anonymous()).logged_in(principal.id)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, request.app.state.session_cookies, session)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    require_csrf(request, csrf_token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
