"""Rendering a dashboard page: the template, the caller, the session's CSRF token, and times shown in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from crossdock.access.principal import Principal
from crossdock.web.sessions import COOKIE_NAME, MAX_AGE_SECONDS, Session, SessionCookies


def _when(moment: datetime | str | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min"


_environment = Environment(
    loader=PackageLoader("crossdock.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_environment.filters["when"] = _when
_environment.filters["seconds"] = _seconds
templates = Jinja2Templates(env=_environment)


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None,
    current: str,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page, with a session cookie set when the visitor had none (the login form needs its CSRF token)."""
    cookies: SessionCookies = request.app.state.session_cookies
    session: Session | None = getattr(request.state, "session", None)
    issue_cookie = session is None
    if session is None:
        session = cookies.load(request.cookies.get(COOKIE_NAME)) or Session.anonymous()
    response = templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "csrf_token": session.csrf_token,
            "current": current,
            "page_title": title,
            **context,
        },
        status_code=status_code,
    )
    if issue_cookie:
        set_session_cookie(response, cookies, session)
    return response


def set_session_cookie(response: Any, cookies: SessionCookies, session: Session) -> None:
    response.set_cookie(
        COOKIE_NAME,
        cookies.dump(session),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=cookies.secure,
        path="/",
    )
