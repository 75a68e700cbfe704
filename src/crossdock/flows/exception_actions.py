"""What an operator does with an exception — resolve, ignore, retry — the same from ``crossdock exceptions``,
the API and the dashboard: one function, each action checked against the actions the exception offers.

Resolving or ignoring closes the exception and changes nothing else. Retrying depends on the exception's type:
the flow that raises a type registers how it is retried (``@retries("unknown_sku")``), inside the operator's
transaction, so a retry is recorded and enqueued together or not at all. A retry does not close the
exception by itself where the flow closes it once the problem is gone (an order looked at again resolves its
``unknown_sku`` when every SKU now resolves, or counts one more occurrence when not).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from crossdock.access.principal import Principal
from crossdock.flows.command_errors import CommandRefused
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.unit_of_work import UnitOfWork

Action = Literal["resolve", "ignore", "retry"]
ACTIONS: tuple[Action, ...] = ("resolve", "ignore", "retry")

# A retry handler runs in the operator's unit of work (the caller commits) and says what it did.
RetryHandler = Callable[[UnitOfWork, ExceptionRecord, str], str]
_RETRY_HANDLERS: dict[str, RetryHandler] = {}


def retries(exception_type: str) -> Callable[[RetryHandler], RetryHandler]:
    """Register how exceptions of ``exception_type`` are retried."""

    def register(handler: RetryHandler) -> RetryHandler:
        if exception_type in _RETRY_HANDLERS:
            raise ValueError(f"exceptions of type {exception_type!r} already have a retry handler")
        _RETRY_HANDLERS[exception_type] = handler
        return handler

    return register


@dataclass(frozen=True)
class ActionOutcome:
    exception_id: int
    action: Action
    message: str


def act(
    unit_of_work: Callable[[], UnitOfWork],
    exception_id: int,
    action: Action,
    *,
    by: str,
    scope: Principal | None = None,
) -> ActionOutcome:
    """Apply ``action`` to the open exception ``exception_id``; raises CommandRefused, changing nothing, when
    the exception does not exist (or is outside ``scope``, the accounts the caller sees), is closed, or does
    not offer the action."""
    if action not in ACTIONS:
        raise CommandRefused(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    with unit_of_work() as uow:
        record = uow.exceptions.get(exception_id)
        if record is None or (scope is not None and not scope.sees(record.account_id)):
            raise CommandRefused(f"no exception {exception_id}", exit_code=1)
        if record.status != "open":
            closed = f" by {record.closed_by}" if record.closed_by else ""
            raise CommandRefused(f"exception {exception_id} is {record.status}{closed}: nothing to do")
        if action not in record.actions:
            raise CommandRefused(
                f"exception {exception_id} ({record.type}) cannot be {_past(action)}: "
                f"its actions are {', '.join(record.actions) or 'none'}"
            )
        if action == "retry":
            handler = _RETRY_HANDLERS.get(record.type)
            if handler is None:
                raise CommandRefused(f"exceptions of type {record.type} cannot be retried by the hub")
            message = handler(uow, record, by)
        else:
            uow.exceptions.close(exception_id, status="resolved" if action == "resolve" else "ignored", by=by)
            message = f"{_past(action)} by {by}"
        uow.commit()
    return ActionOutcome(exception_id, action, message)


@dataclass(frozen=True)
class BulkOutcome:
    exception_id: int
    done: bool
    message: str


def act_on_each(
    unit_of_work: Callable[[], UnitOfWork],
    exception_ids: Sequence[int],
    action: Action,
    *,
    by: str,
    scope: Principal | None = None,
) -> list[BulkOutcome]:
    """Apply ``action`` to each exception in its own transaction: one refused does not stop the others."""
    outcomes = []
    for exception_id in exception_ids:
        try:
            outcome = act(unit_of_work, exception_id, action, by=by, scope=scope)
        except CommandRefused as refused:
            outcomes.append(BulkOutcome(exception_id, False, str(refused)))
        else:
            outcomes.append(BulkOutcome(exception_id, True, outcome.message))
    return outcomes


def _past(action: str) -> str:
    return {"resolve": "resolved", "ignore": "ignored", "retry": "retried"}.get(action, action)


# --- retries of the hub's own exception types -------------------------------------------------------------


@retries("dead_letter")
def _retry_dead_letter(uow: UnitOfWork, record: ExceptionRecord, by: str) -> str:
    from crossdock.jobs.admin import NotRetriableError, retry_dead_letter_in

    try:
        new_job = retry_dead_letter_in(uow, record, by)
    except NotRetriableError as error:
        raise CommandRefused(str(error)) from None
    return f"the job runs again as {new_job}; the exception closes when it succeeds"
