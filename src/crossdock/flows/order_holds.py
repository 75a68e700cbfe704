"""Manual holds: an operator stops an order before it reaches a warehouse (a fraud check, an address to
confirm with the buyer) and releases it later. A hold only exists before dispatch: once the warehouse has
the order, holding it is the warehouse's business (or a cancellation)."""

from __future__ import annotations

from crossdock.domain import order_status as status
from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.order_dispatch import enqueue_advance
from crossdock.flows.order_progress import apply_status_event
from crossdock.store.unit_of_work import UnitOfWork

MANUAL = "manual"


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
    return [f"order {stored.order.name} is on hold ({note}); `crossdock orders release` lets it go on"]


def release_order(uow: UnitOfWork, name: str, account: str | None, by: str) -> list[str]:
    stored = uow.orders.by_id(_one_order(uow, name, account), for_update=True)
    assert stored is not None
    if MANUAL not in stored.state.holds:
        raise CommandRefused(
            f"order {stored.order.name} has no manual hold (it is {stored.state.status})", exit_code=1
        )
    new = apply_status_event(uow, stored, status.HoldReleased(MANUAL), cause=f"released by {by}")
    assert new is not None
    enqueue_advance(uow, stored.id, "released")
    still = f"; still held: {', '.join(sorted(new.holds))}" if new.holds else ""
    return [f"order {stored.order.name} released{still}"]
