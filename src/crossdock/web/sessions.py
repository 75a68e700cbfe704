"""The dashboard's session: a cookie signed with web.session_secret that names the logged-in user and carries
the CSRF token every form must echo. Nothing secret is in it (it is signed, not encrypted); a disabled user's
session stops working at the next request because the user is looked up each time."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace

import structlog
from itsdangerous import BadSignature, URLSafeTimedSerializer

from crossdock.config import Settings

COOKIE_NAME = "crossdock_session"
# A session lasts a working day; then the user logs in again.
MAX_AGE_SECONDS = 12 * 3600

log = structlog.get_logger("crossdock.web")


@dataclass(frozen=True)
class Session:
    csrf_token: str
    user_id: int | None = None

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf_token=secrets.token_urlsafe(32))

    def logged_in(self, user_id: int) -> Session:
        # A new CSRF token at login: one seen before logging in (e.g. on a shared computer) is worth nothing.
        return replace(self, user_id=user_id, csrf_token=secrets.token_urlsafe(32))

    def accepts(self, csrf_token: str | None) -> bool:
        return csrf_token is not None and hmac.compare_digest(csrf_token.encode(), self.csrf_token.encode())


class SessionCookies:
    def __init__(self, secret: str, *, secure: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="crossdock.session")
        self.secure = secure

    def load(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        user_id = data.get("uid")
        return Session(csrf_token=data["csrf"], user_id=user_id if isinstance(user_id, int) else None)

    def dump(self, session: Session) -> str:
        return self._serializer.dumps({"csrf": session.csrf_token, "uid": session.user_id})


def session_cookies(settings: Settings) -> SessionCookies:
    """Cookies signed with web.session_secret; without one, with a key made up at start, which logs everyone
    out when the process restarts and fails when several processes serve the dashboard — hence the warning."""
    configured = settings.web.session_secret
    if configured is None:
        log.warning(
            "web.session_secret is not set: dashboard sessions end when this process stops; set "
            "CROSSDOCK_WEB__SESSION_SECRET"
        )
        secret = secrets.token_urlsafe(48)
    else:
        secret = configured.get_secret_value()
    public_url = settings.web.public_url or ""
    return SessionCookies(secret, secure=public_url.startswith("https://"))
