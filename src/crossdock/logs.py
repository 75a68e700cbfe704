"""JSON logs (structlog) for the hub and the libraries it runs (DBOS, uvicorn), with the request, job,
account and order ids bound in context, and every known secret masked before a line is written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

from crossdock.redaction import MASK, mask_url_passwords

_SECRET_KEY_NAMES = re.compile(r"(password|passwd|secret|token|authorization|api_key|cookie)", re.I)
_known_secrets: set[str] = set()


def register_secrets(values: Iterable[str | None]) -> None:
    """Values that must never be written in a log line, wherever they appear (DB passwords, app secrets)."""
    _known_secrets.update(value for value in values if value and len(value) >= 4)


def mask_text(text: str) -> str:
    text = mask_url_passwords(text)
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _mask_value(key: str, value: Any) -> Any:
    if _SECRET_KEY_NAMES.search(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {inner_key: _mask_value(str(inner_key), inner) for inner_key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, item) for item in value]
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        event_dict[key] = _mask_value(key, value) if key != "event" else mask_text(str(value))
    return event_dict


def configure_logging(level: str = "info", log_format: str = "json", stream: Any = None) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    renderer: Any = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer()
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # DBOS installs its own console handler unless its logger already has one; give it a silent one so
    # its records travel up to ours and come out as JSON like the rest.
    dbos_logger = logging.getLogger("dbos")
    dbos_logger.handlers = [logging.NullHandler()]
    dbos_logger.propagate = True
    dbos_logger.setLevel(logging.NOTSET)  # the root level decides, until DBOS applies its configured level
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # asyncssh logs every SFTP channel and request at INFO; the mailbox logs what an operator needs
    # (connections, uploads, moves), so only asyncssh's warnings and errors come through.
    logging.getLogger("asyncssh").setLevel(max(logging.WARNING, root.level))
