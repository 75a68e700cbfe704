"""Manual holds: an operator stops an order before it reaches a warehouse (a fraud check, an address to
confirm with the buyer) and releases it later. A hold only exists before dispatch: once the warehouse has
the order, holding it is the warehouse's business (or a cancellation). Each manual hold is an ``order_held``
exception while it lasts, so that held orders are in the operators' one list, released from there with the
exception's ``release`` action as with `crossdock orders release`."""

from __future__ import annotations

from crossdock.domain import order_status as status
from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.exception_actions import ActionRequest, handles
from crossdock.flows.order_dispatch import enqueue_advance
from crossdock.flows.order_progress import apply_status_event
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.orders import StoredOrder
from crossdock.store.unit_of_work import UnitOfWork

MANUAL = "manual"
ORDER_HELD = "order_held"


def _one_order(uow: UnitOfWork, name: str, account: str | None) -> int:
    found = uow.orders.by_name(name, account)
    if not found:
        raise CommandRefused(f"no order named {name if name.startswith('#') else '#' + name}", exit_code=1)
    if len(found) > 1:
        shops = ", ".join(f"{order.account_id}/{order.shop_id}" for order in found)
        raise CommandRefused(f"several orders are named {name} ({shops}): give --account", exit_code=2)
    return found[0].id


def hold_order(uow: UnitOfWork, name: str, account: str | None, note: str, by: str) -> list[str]:
    stored = uow.orders.by_id(_one_order(uow, name, account), for_update=True)
    assert stored is not None
    try:
        status.transition(stored.state, status.HoldPlaced(MANUAL))
    except status.TransitionRefused as refusal:
        raise CommandRefused(
            f"order {stored.order.name} cannot be held: {refusal.reason}", exit_code=1
        ) from None
    apply_status_event(
        uow, stored, status.HoldPlaced(MANUAL), cause=f"held by {by}: {note}", data={"note": note}
    )
    uow.exceptions.raise_(
        type=ORDER_HELD,
        severity="warning",
        subject_type="order",
        subject_id=str(stored.id),
        message=f"order {stored.order.name} is held by {by}: {note}",
        details={"note": note, "held_by": by},
        actions=["release"],
        account_id=stored.account_id,
    )
    return [f"order {stored.order.name} is on hold ({note}); `crossdock orders release` lets it go on"]


def release_order(uow: UnitOfWork, name: str, account: str | None, by: str) -> list[str]:
    stored = uow.orders.by_id(_one_order(uow, name, account), for_update=True)
    assert stored is not None
    return [_release(uow, stored, by)]


def _release(uow: UnitOfWork, stored: StoredOrder, by: str) -> str:
    if MANUAL not in stored.state.holds:
        raise CommandRefused(
            f"order {stored.order.name} has no manual hold (it is {stored.state.status})", exit_code=1
        )
    new = apply_status_event(uow, stored, status.HoldReleased(MANUAL), cause=f"released by {by}")
    assert new is not None
    enqueue_advance(uow, stored.id, "released")
    uow.exceptions.resolve_subject(type=ORDER_HELD, subject_type="order", subject_id=str(stored.id), by=by)
    still = f"; still held: {', '.join(sorted(new.holds))}" if new.holds else ""
    return f"order {stored.order.name} released{still}"


@handles("release", ORDER_HELD)
def _release_held_order(uow: UnitOfWork, record: ExceptionRecord, request: ActionRequest) -> str:
    stored = uow.orders.by_id(int(record.subject_id), for_update=True)
    if stored is None:
        raise CommandRefused(f"the order of exception {record.id} is gone")
    return _release(uow, stored, request.by)
