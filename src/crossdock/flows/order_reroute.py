"""Re-routing by hand: an operator sends an order the router could not place (``routing_failed``), or one a
warehouse rejected (``warehouse_rejected``), to a warehouse of their choice — the exception's ``reroute``
action, from the dashboard, the API or `crossdock exceptions reroute ID --warehouse CODE`.

The operator's transaction checks what it can (the order is waiting for a warehouse, the warehouse serves the
order's account) and enqueues ``orders.reroute`` on the order's partition, so that it never runs beside the
order's own ``orders.advance``; the job places the order as routing would have, with the operator's choice
as the decision, and closes the exceptions that asked for it.
"""

from __future__ import annotations

from crossdock.domain import order_status as status
from crossdock.domain.routing import Assignment, RoutedLine, RoutingDecision
from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.exception_actions import ActionRequest, handles
from crossdock.flows.order_dispatch import place, resolve_order_lines
from crossdock.flows.order_progress import record
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import ORDERS
from crossdock.jobs.registry import job
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.orders import StoredOrder
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.store.warehouse_orders import CANCELLED, StoredWarehouseOrder

REROUTE = "orders.reroute"
# The exception types whose order waits for a warehouse, closed once the order is placed by hand.
_WAITING_FOR_A_WAREHOUSE = ("routing_failed", "warehouse_rejected")
# Order statuses in which the order is at no warehouse: the router failed, or the warehouse said no.
_REROUTABLE = frozenset({"validated", "rejected"})


def _live(placed: list[StoredWarehouseOrder]) -> list[StoredWarehouseOrder]:
    return [order for order in placed if order.status not in (CANCELLED, "rejected")]


def _check(uow: UnitOfWork, stored: StoredOrder, warehouse: str) -> None:
    if stored.state.status not in _REROUTABLE:
        held = " (release its holds first)" if stored.state.status == "on_hold" else ""
        raise CommandRefused(
            f"order {stored.order.name} is {stored.state.status.replace('_', ' ')}{held}: only an order the "
            "router could not place or a warehouse rejected is re-routed"
        )
    placed = uow.warehouse_orders.of_order(stored.id)
    live = _live(placed)
    if live:
        raise CommandRefused(f"order {stored.order.name} is at {live[0].warehouse_code} already")
    # One warehouse order per order and warehouse: a warehouse that rejected the order gets it no more.
    if any(order.warehouse_code == warehouse for order in placed):
        raise CommandRefused(f"{warehouse} had order {stored.order.name} already: choose another warehouse")
    record_ = uow.warehouses.by_code(warehouse)
    if record_ is None or stored.account_id not in record_.account_ids:
        raise CommandRefused(f"no warehouse {warehouse!r} serves account {stored.account_id}")


@handles("reroute", "routing_failed")
@handles("reroute", "warehouse_rejected")
def _reroute(uow: UnitOfWork, exception: ExceptionRecord, request: ActionRequest) -> str:
    if not request.warehouse:
        raise CommandRefused("name the warehouse the order goes to (--warehouse CODE)")
    stored = uow.orders.by_id(int(exception.subject_id), for_update=True)
    if stored is None:
        raise CommandRefused(f"the order of exception {exception.id} is gone")
    _check(uow, stored, request.warehouse)
    record(
        uow,
        stored,
        "reroute_requested",
        f"{request.by} sends the order to {request.warehouse}",
        {"warehouse": request.warehouse, "by": request.by, "exception_id": exception.id},
    )
    uow.enqueue(
        JobRequest(
            job=REROUTE,
            key=f"order-{stored.id}-reroute-{request.warehouse}-{utc_now().timestamp():.6f}",
            args={"order_id": stored.id, "warehouse": request.warehouse, "by": request.by},
            partition=str(stored.id),
        )
    )
    return (
        f"order {stored.order.name} goes to {request.warehouse}; the exception closes once it is placed there"
    )


@job(REROUTE, queue=ORDERS)
def reroute_order(ctx: JobContext, order_id: int, warehouse: str, by: str) -> str:
    with ctx.unit_of_work() as uow:
        stored = uow.orders.by_id(order_id, for_update=True)
        if stored is None:
            raise FatalJobError(f"no order {order_id}")
        try:
            # Checked again: the order may have moved since the operator asked (a cancellation, a retry).
            _check(uow, stored, warehouse)
        except CommandRefused as refused:
            record(uow, stored, "reroute_refused", str(refused), {"warehouse": warehouse, "by": by})
            uow.commit()
            return f"not re-routed: {refused}"
        lines = resolve_order_lines(uow, stored)
        if not lines.complete:
            record(uow, stored, "reroute_refused", "the order has unknown SKUs", {"warehouse": warehouse})
            uow.commit()
            return "not re-routed: unknown SKUs"
        decision = RoutingDecision(
            assignments=(
                Assignment(
                    warehouse, tuple(RoutedLine(sku, units) for sku, units in lines.units_by_sku().items())
                ),
            ),
            rule="operator",
            reason=f"{by} chose {warehouse}",
        )
        outcome = place(uow, stored, decision, lines, status.Rerouted(warehouse))
        for kind in _WAITING_FOR_A_WAREHOUSE:
            uow.exceptions.resolve_subject(type=kind, subject_type="order", subject_id=str(stored.id), by=by)
        uow.commit()
    return outcome
