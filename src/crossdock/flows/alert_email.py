"""Alerts by e-mail: one plain-text message sent through the configured SMTP server (smtplib).

SMTP says itself which failures are worth another attempt: a 4xx reply is temporary, a 5xx one permanent.
A connection that fails or times out is tried again too; a server that cannot do what the settings ask
(STARTTLS, a login) or whose certificate does not verify is not.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate

from crossdock.config import SmtpSettings
from crossdock.flows.alert_outcomes import DeliveryFailed, DeliveryReceipt


def compose(smtp: SmtpSettings, to: Sequence[str], subject: str, body: str, message_id: str) -> EmailMessage:
    """The message; ``message_id`` is derived from what it covers, so a message sent again after an
    interruption carries the same Message-ID, by which mail systems recognise a copy."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


def _is_temporary(code: int) -> bool:
    return 400 <= code < 500


def _reply(code: int, text: bytes | str) -> str:
    shown = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {shown}".strip()


def send_email(smtp: SmtpSettings, message: EmailMessage, recipients: Sequence[str]) -> DeliveryReceipt:
    """Send ``message`` to ``recipients``; raises DeliveryFailed unless the server took it for at least one
    of them (those it refused are in the receipt)."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username is not None and smtp.password is not None:
                client.login(smtp.username, smtp.password.get_secret_value())
            refused = client.send_message(message, to_addrs=list(recipients))
    except smtplib.SMTPRecipientsRefused as error:  # every recipient refused
        replies = {address: _reply(code, text) for address, (code, text) in error.recipients.items()}
        temporary = all(_is_temporary(code) for code, _ in error.recipients.values())
        raise DeliveryFailed(
            f"every recipient was refused: {replies}",
            retriable=temporary,
            response_summary={"refused": replies},
        ) from None
    except smtplib.SMTPResponseException as error:  # a reply to the connection, login, sender or data
        reply = _reply(error.smtp_code, error.smtp_error)
        raise DeliveryFailed(
            f"{smtp.host} replied {reply}",
            retriable=_is_temporary(error.smtp_code),
            response_summary={"reply": reply},
        ) from None
    except smtplib.SMTPServerDisconnected as error:
        raise DeliveryFailed(f"{smtp.host} closed the connection: {error}", retriable=True) from None
    except smtplib.SMTPException as error:  # the server lacks STARTTLS or AUTH that the settings ask for
        raise DeliveryFailed(f"{smtp.host}: {error}", retriable=False) from None
    except ssl.SSLError as error:  # a certificate that does not verify, or no TLS at all on that port
        raise DeliveryFailed(f"TLS with {smtp.host} failed: {error}", retriable=False) from None
    except OSError as error:  # refused, unreachable, timed out
        raise DeliveryFailed(
            f"cannot reach {smtp.host}:{smtp.port}: {type(error).__name__}: {error}", retriable=True
        ) from None
    refused_replies = {address: _reply(code, text) for address, (code, text) in refused.items()}
    summary: dict[str, object] = {"accepted": len(recipients) - len(refused_replies)}
    if refused_replies:
        summary["refused"] = refused_replies
    return DeliveryReceipt(response_summary=summary, refused=tuple(sorted(refused_replies)))
