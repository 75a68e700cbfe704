"""A real SMTP server (aiosmtpd) on 127.0.0.1, in a thread, that keeps every message it accepts, can require
a login, and refuses the recipients it is told to with the reply it is told to."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.servers import free_port


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        content = self.message.get_content()
        assert isinstance(content, str)
        return content


@dataclass
class SmtpRecorder:
    host: str
    port: int
    mails: list[ReceivedMail] = field(default_factory=list)
    # Address → the reply that refuses it, e.g. "550 5.1.1 no such user".
    refusals: dict[str, str] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(*, username: str | None = None, password: str | None = None) -> Iterator[SmtpRecorder]:
    """With ``username`` and ``password``, the server refuses mail until the client has logged in with
    them (over plain text: this server is the test's own, on the loopback)."""
    recorder = SmtpRecorder(host="127.0.0.1", port=free_port())

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        given = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode())
        if given == (username, password):
            recorder.logins.append(str(username))
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    login: dict[str, Any] = (
        {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
        if username is not None
        else {}
    )
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port, **login)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()
