"""The table of what to do with each kind of stored input: (source, kind) -> handler.

Connectors register their handlers here (``shopify``/``orders/create``, an X12 partner's ``945``, ...); the
intake job looks them up. An input nobody handles is marked ignored, with the reason, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crossdock.jobs.context import JobContext
from crossdock.store.inbox import InboxEntry

InputHandler = Callable[[JobContext, InboxEntry], Any]

_HANDLERS: dict[tuple[str, str], InputHandler] = {}


def handles(source: str, kind: str) -> Callable[[InputHandler], InputHandler]:
    def register(handler: InputHandler) -> InputHandler:
        _HANDLERS[(source, kind)] = handler
        return handler

    return register


def handler_for(source: str, kind: str) -> InputHandler | None:
    return _HANDLERS.get((source, kind))
