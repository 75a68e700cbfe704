"""The table of what to do with each kind of stored input: (source, kind) -> handler.

Connectors register their handlers here (``shopify``/``orders/create``, an X12 partner's ``945``, ...); the
intake job looks them up. An input nobody handles is marked ignored, with the reason, and changes nothing.

A handler registered with ``handles_in_transaction`` does its work in a transaction it is given and does not
commit: ``inbox.process_batch`` then handles many rows of a batch in one transaction (each commit waits for
the disk, and one a row was most of what an X12 file cost under load). It must do nothing outside that
transaction, and raise when the row cannot be handled as it is: the batch then rolls back and handles those
rows one by one with the row's plain handler, which is derived (one transaction of its own) unless one was
registered with ``handles``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crossdock.jobs.context import JobContext
from crossdock.store.inbox import InboxEntry
from crossdock.store.unit_of_work import UnitOfWork

InputHandler = Callable[[JobContext, InboxEntry], Any]
InTransactionHandler = Callable[[JobContext, UnitOfWork, InboxEntry], Any]

_HANDLERS: dict[tuple[str, str], InputHandler] = {}
_IN_TRANSACTION: dict[tuple[str, str], InTransactionHandler] = {}


def handles(source: str, kind: str) -> Callable[[InputHandler], InputHandler]:
    def register(handler: InputHandler) -> InputHandler:
        _HANDLERS[(source, kind)] = handler
        return handler

    return register


def handles_in_transaction(source: str, kind: str) -> Callable[[InTransactionHandler], InTransactionHandler]:
    def register(handler: InTransactionHandler) -> InTransactionHandler:
        _IN_TRANSACTION[(source, kind)] = handler
        _HANDLERS.setdefault((source, kind), _alone(handler))
        return handler

    return register


def _alone(handler: InTransactionHandler) -> InputHandler:
    def in_its_own_transaction(ctx: JobContext, entry: InboxEntry) -> Any:
        with ctx.unit_of_work() as uow:
            result = handler(ctx, uow, entry)
            uow.commit()
        return result

    return in_its_own_transaction


def handler_for(source: str, kind: str) -> InputHandler | None:
    return _HANDLERS.get((source, kind))


def in_transaction_handler_for(source: str, kind: str) -> InTransactionHandler | None:
    return _IN_TRANSACTION.get((source, kind))
