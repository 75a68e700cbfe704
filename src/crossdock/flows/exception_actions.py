"""What an operator does with an exception — resolve, ignore, retry, release a hold, re-route to another
warehouse — the same from ``crossdock exceptions``, the API and the dashboard: one function, each action
checked against the actions the exception offers.

Resolving or ignoring closes the exception and changes nothing else. The other actions belong to the flow
that raises the exception type: it registers how it takes them (``@retries("unknown_sku")``,
``@handles("release", "order_held")``), inside the operator's transaction, so an action is recorded and
enqueued together or not at all. A retry does not close the exception by itself where the flow closes it once
the problem is gone (an order looked at again resolves its ``unknown_sku`` when every SKU now resolves, or
counts one more occurrence when not).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from crossdock.access.principal import Principal
from crossdock.flows.command_errors import CommandRefused
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.unit_of_work import UnitOfWork

Action = Literal["resolve", "ignore", "retry", "release", "reroute"]
ACTIONS: tuple[Action, ...] = ("resolve", "ignore", "retry", "release", "reroute")


@dataclass(frozen=True)
class ActionRequest:
    """Who acts, and what the action needs besides the exception: the warehouse a re-route goes to."""

    by: str
    warehouse: str | None = None


# A handler runs in the operator's unit of work (the caller commits) and says what it did.
ActionHandler = Callable[[UnitOfWork, ExceptionRecord, ActionRequest], str]
_HANDLERS: dict[tuple[str, str], ActionHandler] = {}


def handles(action: Action, exception_type: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register how ``action`` is taken on exceptions of ``exception_type``."""

    def register(handler: ActionHandler) -> ActionHandler:
        if (action, exception_type) in _HANDLERS:
            raise ValueError(f"exceptions of type {exception_type!r} already have a {action} handler")
        _HANDLERS[action, exception_type] = handler
        return handler

    return register


def retries(exception_type: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register how exceptions of ``exception_type`` are retried."""
    return handles("retry", exception_type)


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
    warehouse: str | None = None,
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
        if action in ("resolve", "ignore"):
            uow.exceptions.close(exception_id, status="resolved" if action == "resolve" else "ignored", by=by)
            message = f"{_past(action)} by {by}"
        else:
            handler = _HANDLERS.get((action, record.type))
            if handler is None:
                raise CommandRefused(f"exceptions of type {record.type} cannot be {_past(action)} by the hub")
            message = handler(uow, record, ActionRequest(by=by, warehouse=warehouse))
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
    warehouse: str | None = None,
) -> list[BulkOutcome]:
    """Apply ``action`` to each exception in its own transaction: one refused does not stop the others."""
    outcomes = []
    for exception_id in exception_ids:
        try:
            outcome = act(unit_of_work, exception_id, action, by=by, scope=scope, warehouse=warehouse)
        except CommandRefused as refused:
            outcomes.append(BulkOutcome(exception_id, False, str(refused)))
        else:
            outcomes.append(BulkOutcome(exception_id, True, outcome.message))
    return outcomes


def _past(action: str) -> str:
    return {
        "resolve": "resolved",
        "ignore": "ignored",
        "retry": "retried",
        "release": "released",
        "reroute": "re-routed",
    }.get(action, action)


# --- retries of the hub's own exception types -------------------------------------------------------------


@retries("dead_letter")
def _retry_dead_letter(uow: UnitOfWork, record: ExceptionRecord, request: ActionRequest) -> str:
    from crossdock.jobs.admin import NotRetriableError, retry_dead_letter_in

    try:
        new_job = retry_dead_letter_in(uow, record, request.by)
    except NotRetriableError as error:
        raise CommandRefused(str(error)) from None
    return f"the job runs again as {new_job}; the exception closes when it succeeds"
