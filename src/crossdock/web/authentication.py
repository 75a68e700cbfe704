"""Who is calling: FastAPI dependencies that turn a request into a Principal, or refuse it.

The API (/api/*) takes a bearer token (`crossdock tokens create`), or the dashboard's session cookie — then
a request that changes something must also carry the session's CSRF token in X-CSRF-Token, so that another
site cannot make a logged-in browser act. Dashboard pages take the session only and send anyone else to the
login page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from crossdock.access.api_tokens import token_principal
from crossdock.access.principal import OutOfScopeError, Principal
from crossdock.access.users import active_user
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.sessions import COOKIE_NAME, Session, SessionCookies

CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(
    auto_error=False,
    description="A token made by `crossdock tokens create NAME [--account ID]`; it sees its account only, "
    "or every account when made without one.",
)


class LoginRequired(Exception):
    """A dashboard page was asked for without a valid session: answered by a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_redirect_target(error: LoginRequired) -> str:
    return f"/login?next={quote(error.next_path, safe='/')}"


def request_session(request: Request) -> Session | None:
    cookies: SessionCookies = request.app.state.session_cookies
    return cookies.load(request.cookies.get(COOKIE_NAME))


def _session_user(request: Request, session: Session | None) -> Principal | None:
    if session is None or session.user_id is None:
        return None
    with UnitOfWork(request.app.state.hub.engine) as uow:
        return active_user(uow, session.user_id)


async def dashboard_principal(request: Request) -> Principal:
    session = request_session(request)
    principal = await run_in_threadpool(_session_user, request, session)
    if principal is None or session is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    request.state.session = session
    return principal


def _token_user(request: Request, token: str) -> Principal | None:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        principal = token_principal(uow, token)
        uow.commit()
    return principal


async def api_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is not None:
        principal = await run_in_threadpool(_token_user, request, credentials.credentials)
        if principal is None:
            raise HTTPException(
                status_code=401,
                detail="the bearer token is unknown or revoked",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return principal
    session = request_session(request)
    principal = await run_in_threadpool(_session_user, request, session)
    if principal is None or session is None:
        raise HTTPException(
            status_code=401,
            detail="authentication required: send Authorization: Bearer <token> (crossdock tokens create)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.method not in _SAFE_METHODS and not session.accepts(request.headers.get(CSRF_HEADER)):
        raise HTTPException(status_code=403, detail=f"the {CSRF_HEADER} header is missing or wrong")
    return principal


def require_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a dashboard form whose CSRF token is not the session's."""
    session: Session | None = getattr(request.state, "session", None) or request_session(request)
    if session is None or not session.accepts(submitted or request.headers.get(CSRF_HEADER)):
        raise HTTPException(status_code=403, detail="the form is stale or did not come from this dashboard")


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
DashboardPrincipal = Annotated[Principal, Depends(dashboard_principal)]


def visible_account(principal: Principal, requested: str | None) -> str | None:
    """The account a query is limited to (see Principal.narrowed); 403 for an account the caller cannot
    see."""
    try:
        return principal.narrowed(requested)
    except OutOfScopeError as error:
        raise HTTPException(status_code=403, detail=str(error)) from None
