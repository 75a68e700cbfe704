"""Taking an order from Shopify to its warehouse: validate, route, record the warehouse orders, dispatch;
then follow what Shopify says of it later (an edit, a cancellation, a payment).

Advancing an order runs after every new version of it, in the transaction of the input that brought it
(``flows.order_intake``), and as an ``orders.advance`` job when an operator fixed what stopped it, on the
orders queue partitioned by order. Either way the order's row is locked first, so that two versions of one
order are never handled at once. It decides and records; it never calls a warehouse. Each call to a
warehouse is an ``orders.dispatch`` job on the warehouse-calls queue, keyed by what it sends, carrying the
warehouse order's id: the document itself was recorded before the job was enqueued, so a retried or
repeated dispatch sends the same document under the same key, which the connector makes idempotent (one 940
per order, whatever crashes).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from typing import Any

from crossdock.config import AccountSettings, Settings
from crossdock.connectors.base import OrderSink, Sent, WarehouseUnavailable
from crossdock.domain import order_status as status
from crossdock.domain.order_validation import LineResolution, address_problems, resolve_lines
from crossdock.domain.orders import Order
from crossdock.domain.routing import RoutedLine, RoutingDecision, RoutingFailure, WarehouseRoute, route
from crossdock.domain.warehouse import WarehouseOrder, WarehouseOrderLine
from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.exception_actions import ActionRequest, retries
from crossdock.flows.order_progress import apply_status_event, record
from crossdock.flows.stock_updates import enqueue_recompute, reserve
from crossdock.flows.stock_view import reported_stock
from crossdock.flows.warehouse_connectors import warehouse_connector
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import ORDERS, WAREHOUSE_CALLS
from crossdock.jobs.registry import job
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.orders import StoredOrder
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.store.warehouse_orders import CANCELLED, PENDING, StoredWarehouseOrder
from crossdock.store.warehouses import sending

ADVANCE = "orders.advance"
DISPATCH = "orders.dispatch"
SEND_PENDING = "orders.send_pending"

UNPAID = "unpaid"
# Statuses in which the warehouse has not started preparing: a change can still be sent.
_CHANGEABLE = frozenset({"sent", "accepted"})


def enqueue_advance(uow: UnitOfWork, order_id: int, reason: str) -> None:
    """Have the order looked at again, after the caller's transaction commits."""
    uow.enqueue(
        JobRequest(
            job=ADVANCE,
            key=f"order-{order_id}-advance-{reason}-{utc_now().timestamp():.6f}",
            args={"order_id": order_id},
            partition=str(order_id),
        )
    )


@retries("unknown_sku")
@retries("address_incomplete")
@retries("routing_failed")
def _retry_order(uow: UnitOfWork, record: ExceptionRecord, request: ActionRequest) -> str:
    """Look at the order again: its exception closes if the problem is gone, or counts once more."""
    stored = uow.orders.by_id(int(record.subject_id))
    if stored is None:
        raise CommandRefused(f"the order of exception {record.id} is gone")
    enqueue_advance(uow, stored.id, f"retry-{record.id}")
    return f"order {stored.order.name} is looked at again (the exception closes once the problem is gone)"


@job(ADVANCE, queue=ORDERS)
def advance_order(ctx: JobContext, order_id: int) -> str:
    with ctx.unit_of_work() as uow:
        outcome = advance_now(uow, ctx.settings(), order_id)
        uow.commit()
    return outcome


def advance_now(uow: UnitOfWork, settings: Settings, order_id: int) -> str:
    """What ``orders.advance`` does, in the caller's transaction (the caller commits). The order's row is
    locked first (PostgreSQL; SQLite runs one writing transaction at a time), which serialises this with any
    other transaction on the order as the orders queue's partition does for the job."""
    stored = uow.orders.by_id(order_id, for_update=True)
    if stored is None:
        raise FatalJobError(f"no order {order_id}")
    return _advance(uow, settings, stored)


def _advance(uow: UnitOfWork, settings: Settings, stored: StoredOrder) -> str:
    order = stored.order
    state = stored.state
    if state.status in status.TERMINAL:
        return f"nothing to do: the order is {state.status}"
    if order.cancelled_at is not None:
        return _cancel(uow, stored)
    if state.status in ("received", "validated", "routed", "on_hold"):
        return _validate_route_and_dispatch(uow, settings, stored)
    return _follow_edit(uow, stored)


# --- before the warehouse ---------------------------------------------------------------------------------


def _validate_route_and_dispatch(uow: UnitOfWork, settings: Settings, stored: StoredOrder) -> str:
    order = stored.order
    account = _account(settings, stored.account_id)
    resolution = resolve_order_lines(uow, stored)
    problems = address_problems(order.shipping_address)
    if not resolution.complete:
        missing = [
            *resolution.unknown_skus,
            *(f"line {line} without SKU" for line in resolution.lines_without_sku),
        ]
        uow.exceptions.raise_(
            type="unknown_sku",
            severity="error",
            subject_type="order",
            subject_id=str(stored.id),
            message=f"order {order.name} has SKUs no warehouse knows: {', '.join(missing)}; map each to a "
            "registered SKU (crossdock skus alias ALIAS SKU) and the order is dispatched",
            details={
                "unknown_skus": list(resolution.unknown_skus),
                "lines": list(resolution.lines_without_sku),
            },
            actions=["retry", "ignore"],
            account_id=stored.account_id,
        )
        record(uow, stored, "validation_failed", f"unknown SKUs: {', '.join(missing)}")
        return "waiting: unknown SKUs"
    if problems:
        uow.exceptions.raise_(
            type="address_incomplete",
            severity="error",
            subject_type="order",
            subject_id=str(stored.id),
            message=f"order {order.name}: {'; '.join(problems)}; correct it in Shopify",
            details={"problems": problems},
            actions=["retry", "ignore"],
            account_id=stored.account_id,
        )
        record(uow, stored, "validation_failed", "; ".join(problems))
        return "waiting: address incomplete"
    for kind in ("unknown_sku", "address_incomplete"):
        uow.exceptions.resolve_subject(type=kind, subject_type="order", subject_id=str(stored.id), by="hub")
    current = stored
    paid = order.financial_status in account.release_payment_statuses
    payment_event = status.HoldReleased(UNPAID) if paid else status.HoldPlaced(UNPAID)
    for event, cause in (
        (payment_event, f"payment {order.financial_status or 'unknown'}"),
        (status.Validated(), f"{len(resolution.lines)} line(s) to ship, address complete"),
    ):
        new = apply_status_event(uow, current, event, cause=cause)
        if new is None:
            return "refused"
        current = _with_state(current, new)
    if current.state.status == "on_hold":
        return f"on hold: {', '.join(sorted(current.state.holds))}"
    if uow.warehouse_orders.of_order(stored.id):
        return "routed already"
    return _route(uow, settings, account, current, resolution)


def _route(
    uow: UnitOfWork, settings: Settings, account: AccountSettings, stored: StoredOrder, lines: LineResolution
) -> str:
    routes = [
        WarehouseRoute(
            code=key,
            countries=frozenset(warehouse.countries),
            priority=warehouse.priority,
            shopify_locations=frozenset(warehouse.shopify_locations),
        )
        for key, warehouse in sorted(settings.warehouses.items())
        if account.id in warehouse.accounts
    ]
    units = lines.units_by_sku()
    country = stored.order.shipping_address.country_code if stored.order.shipping_address else None
    decision = route(
        [RoutedLine(sku, quantity) for sku, quantity in units.items()],
        country=country,
        warehouses=routes,
        stock=reported_stock(uow, [warehouse.code for warehouse in routes]),
        split_allowed=account.split_orders,
    )
    if isinstance(decision, RoutingFailure):
        uow.exceptions.raise_(
            type="routing_failed",
            severity="error",
            subject_type="order",
            subject_id=str(stored.id),
            message=f"order {stored.order.name} cannot be routed: {decision.reason}",
            details={"country": country},
            actions=["retry", "reroute", "ignore"],
            account_id=stored.account_id,
        )
        record(uow, stored, "routing_failed", decision.reason)
        return "waiting: no warehouse"
    return place(uow, stored, decision, lines, status.Routed(decision.assignments[0].warehouse))


def place(
    uow: UnitOfWork,
    stored: StoredOrder,
    decision: RoutingDecision,
    lines: LineResolution,
    event: status.Routed | status.Rerouted,
) -> str:
    """Record the routing decision and the warehouse orders it makes, reserve their units and have them sent.
    Warehouse order keys go on from those the order already has (a re-routed order keeps its rejected one)."""
    record(
        uow,
        stored,
        "routed",
        f"routed ({decision.rule}): {decision.reason}",
        {
            "rule": decision.rule,
            "assignments": {
                a.warehouse: {line.sku: line.quantity for line in a.lines} for a in decision.assignments
            },
        },
    )
    new = apply_status_event(uow, stored, event, cause=f"routed ({decision.rule})")
    if new is None:
        return "refused"
    first = len(uow.warehouse_orders.of_order(stored.id)) + 1
    for number, assignment in enumerate(decision.assignments, start=first):
        warehouse = uow.warehouses.by_code(assignment.warehouse)
        if warehouse is None:
            raise FatalJobError(f"warehouse {assignment.warehouse!r} is not in the database")
        wanted = {line.sku for line in assignment.lines}
        warehouse_order = _warehouse_order(
            stored,
            f"CD{stored.id}-{number}",
            assignment.warehouse,
            [line for line in lines.lines if line.sku in wanted],
        )
        row_id = uow.warehouse_orders.add(
            account_id=stored.account_id, order_id=stored.id, warehouse_id=warehouse.id, order=warehouse_order
        )
        # The units are promised from the moment the order is placed at a warehouse: off sale (as Shopify
        # already counts them) until the warehouse ships or cancels them.
        reserved = reserve(uow, row_id, utc_now())
        enqueue_recompute(uow, stored.account_id, reserved, f"routed-{row_id}")
        request_sending(uow, warehouse.id, assignment.warehouse)
    return f"routed to {', '.join(a.warehouse for a in decision.assignments)}"


def _warehouse_order(stored: StoredOrder, key: str, warehouse: str, lines: list[Any]) -> WarehouseOrder:
    order = stored.order
    address = order.shipping_address
    assert address is not None, "validation requires a shipping address"
    units: dict[str, int] = {}
    titles: dict[str, str] = {}
    for line in lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
        titles.setdefault(line.sku, _title(order, line.line_id, line.bundle_sku))
    name = " ".join(part for part in (address.first_name, address.last_name) if part) or address.company or ""
    return WarehouseOrder(
        key=key,
        warehouse=warehouse,
        shopify_order_id=order.shopify_order_id,
        order_name=order.name,
        ordered_at=order.created_at,
        ship_to_name=name,
        ship_to=address,
        lines=tuple(
            WarehouseOrderLine(line_number=number, sku=sku, quantity=quantity, description=titles[sku][:80])
            for number, (sku, quantity) in enumerate(sorted(units.items()), start=1)
        ),
        service_level=order.shipping_method.code if order.shipping_method else None,
        email=order.email,
        note=order.note,
    )


def _title(order: Order, line_id: str, bundle_sku: str | None) -> str:
    line = next((line for line in order.lines if line.line_id == line_id), None)
    title = line.title if line is not None else ""
    return f"{title} (part of {bundle_sku})" if bundle_sku else title


# --- after dispatch: edits and cancellations ----------------------------------------------------------------


def _follow_edit(uow: UnitOfWork, stored: StoredOrder) -> str:
    """A new version of an order already at a warehouse: send the change while the warehouse has not
    started preparing it; after that, an operator must act (``late_modification``)."""
    placed = uow.warehouse_orders.of_order(stored.id)
    if not placed:
        return "nothing at a warehouse"
    resolution = resolve_order_lines(uow, stored)
    if len(placed) > 1:
        changed = resolution.units_by_sku() != {
            line.sku: line.quantity for wo in placed for line in wo.order.lines
        }
        if changed:
            _late_modification(uow, stored, "the order is split across warehouses; change each part there")
        return "split order: not changed automatically"
    (current,) = placed
    wanted = _warehouse_order(stored, current.order_key, current.warehouse_code, list(resolution.lines))
    if _same_contents(wanted, current.order):
        return "no change for the warehouse"
    if stored.state.status not in _CHANGEABLE or not resolution.complete:
        _late_modification(uow, stored, f"the order is {stored.state.status.replace('_', ' ')}")
        return "late modification"
    uow.warehouse_orders.replace_document(current.id, wanted)
    record(uow, stored, "change_sent", f"change sent to {current.warehouse_code}", {"key": current.order_key})
    _enqueue_dispatch(uow, current.id, current.warehouse_code, "update", wanted)
    return "change dispatched"


def _late_modification(uow: UnitOfWork, stored: StoredOrder, why: str) -> None:
    uow.exceptions.raise_(
        type="late_modification",
        severity="warning",
        subject_type="order",
        subject_id=str(stored.id),
        message=f"order {stored.order.name} was changed in Shopify but the warehouse cannot take the change: "
        f"{why}",
        details={"status": stored.state.status},
        actions=["resolve", "ignore"],
        account_id=stored.account_id,
    )
    record(uow, stored, "late_modification", f"change not sent: {why}")


def _cancel(uow: UnitOfWork, stored: StoredOrder) -> str:
    new = apply_status_event(uow, stored, status.CancelRequested(), cause="cancelled in Shopify")
    if new is None:
        shipments = [
            shipment.shipment_id
            for wo in uow.warehouse_orders.of_order(stored.id)
            for shipment in uow.shipments.of_warehouse_order(wo.id)
        ]
        uow.exceptions.raise_(
            type="cancel_refused",
            severity="error",
            subject_type="order",
            subject_id=str(stored.id),
            message=f"order {stored.order.name} was cancelled in Shopify after it shipped "
            f"(shipment {', '.join(shipments) or 'unknown'}); it is a return candidate",
            details={"shipments": shipments},
            actions=["resolve", "ignore"],
            account_id=stored.account_id,
        )
        return "cancel refused: shipped"
    if new.status == "cancelled":
        # The warehouse's sending job leaves cancelled orders alone (or, if it was already uploading this
        # one, follows its upload with the cancellation).
        for placed in uow.warehouse_orders.of_order(stored.id):
            if placed.status == PENDING:
                uow.warehouse_orders.set_status(placed.id, CANCELLED)
                record(
                    uow,
                    stored,
                    "dispatch_skipped",
                    f"{placed.warehouse_code}: not sent, the order was cancelled before it was dispatched",
                    {"warehouse": placed.warehouse_code},
                )
        return "cancelled before dispatch"
    for placed in uow.warehouse_orders.of_order(stored.id):
        if placed.status in ("cancelled", "rejected"):
            continue
        _enqueue_dispatch(uow, placed.id, placed.warehouse_code, "cancel", placed.order)
    return "cancellation requested"


# --- dispatch ---------------------------------------------------------------------------------------------


def _enqueue_dispatch(
    uow: UnitOfWork, warehouse_order_id: int, warehouse: str, action: str, order: WarehouseOrder
) -> None:
    digest = hashlib.sha256(repr((order.lines, order.ship_to)).encode()).hexdigest()[:12]
    uow.enqueue(
        JobRequest(
            job=DISPATCH,
            key=f"wo-{warehouse_order_id}-{action}-{digest}",
            args={"warehouse_order_id": warehouse_order_id, "action": action},
            partition=warehouse,
        )
    )


@job(DISPATCH, queue=WAREHOUSE_CALLS)
def dispatch(ctx: JobContext, warehouse_order_id: int, action: str) -> str:
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        placed = uow.warehouse_orders.get(warehouse_order_id)
    if placed is None:
        raise FatalJobError(f"no warehouse order {warehouse_order_id}")
    try:
        connector = warehouse_connector(settings, placed.warehouse_code, ctx.unit_of_work)
    except LookupError as error:
        raise FatalJobError(str(error)) from None
    call = {
        "send": connector.send_order,
        "update": connector.update_order,
        "cancel": connector.cancel_order,
    }.get(action)
    if call is None:
        raise FatalJobError(f"unknown dispatch action {action!r}")
    if action == "send" and placed.status == CANCELLED:
        text = f"{placed.warehouse_code}: not sent, the order was cancelled before it was dispatched"
        with ctx.unit_of_work() as uow:
            stored = uow.orders.by_id(placed.order_id)
            assert stored is not None
            record(uow, stored, "dispatch_skipped", text, {"warehouse": placed.warehouse_code})
            uow.commit()
        return text
    if action == "send" and placed.status == PENDING:
        count = _send_pending(ctx, connector, placed.warehouse_id, first=placed)
        return f"{count} order(s) sent to {placed.warehouse_code} over one connection"
    sent = asyncio.run(call(placed.order))
    _after(ctx, placed, action, sent)
    return sent.summary


def request_sending(uow: UnitOfWork, warehouse_id: int, warehouse: str) -> None:
    """A new order waits to be sent: one sending job per warehouse at a time takes every order routed
    meanwhile."""

    def request() -> JobRequest:
        return JobRequest(
            job=SEND_PENDING,
            key=f"send-pending-{warehouse_id}-{utc_now().timestamp():.6f}",
            args={"warehouse": warehouse},
            partition=warehouse,
        )

    uow.wake(sending(warehouse_id, request))


@job(SEND_PENDING, queue=WAREHOUSE_CALLS)
def send_pending_orders(ctx: JobContext, warehouse: str) -> str:
    """Send every order waiting for this warehouse, over one connection a round.

    One job per warehouse rather than one per order: the warehouse's queue runs one job at a time, shared with
    its collections, and at 10 orders a second the per-order jobs (each finding its order sent already by an
    earlier one's batch) kept orders waiting tens of seconds (benchmarks/order_latency.py)."""
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        found = uow.warehouses.by_code(warehouse)
        if found is None:
            raise FatalJobError(f"warehouse {warehouse!r} is not in the database")
        uow.warehouses.clear_dispatch_request(found.id)
        uow.commit()
    try:
        connector = warehouse_connector(settings, warehouse, ctx.unit_of_work)
    except LookupError as error:
        raise FatalJobError(str(error)) from None
    count = _send_pending(ctx, connector, found.id)
    return f"{count} order(s) sent to {warehouse}"


# Orders sent over one connection by one round of a sending job.
SEND_BATCH = 100
# Sent orders recorded by one transaction.
_RECORDS_PER_TRANSACTION = 20
_MAX_SEND_ROUNDS = 20


def _send_pending(
    ctx: JobContext, connector: OrderSink, warehouse_id: int, *, first: StoredWarehouseOrder | None = None
) -> int:
    """Send the warehouse's pending orders (``first`` first), then record each; how many were sent. When the
    warehouse cannot be reached, what was sent is recorded and the error raised (the job retries)."""
    count = 0
    for _ in range(_MAX_SEND_ROUNDS):
        with ctx.unit_of_work() as uow:
            batch = uow.warehouse_orders.pending(warehouse_id, limit=SEND_BATCH)
        if first is not None:
            batch = [first, *[other for other in batch if other.id != first.id]]
            first = None
        if not batch:
            break
        done, failure = asyncio.run(_send_all(connector, batch))
        _record_dispatches(ctx, done, "send")
        count += len(done)
        if failure is not None:
            raise failure
    return count


async def _send_all(
    connector: OrderSink, batch: list[StoredWarehouseOrder]
) -> tuple[list[tuple[StoredWarehouseOrder, Sent]], WarehouseUnavailable | None]:
    """Send the batch over one connection; what was sent, and the first failure to reach the warehouse (the
    others of the batch then wait for the job's next attempt)."""
    try:
        async with connector.connection():
            results = await connector.send_orders([each.order for each in batch])
    except WarehouseUnavailable as error:
        return [], error
    done = [(each, result) for each, result in zip(batch, results, strict=True) if isinstance(result, Sent)]
    failures = [result for result in results if isinstance(result, WarehouseUnavailable)]
    return done, failures[0] if failures else None


def _after(ctx: JobContext, placed: StoredWarehouseOrder, action: str, sent: Sent) -> None:
    """Record what a dispatch did, in the order's transaction."""
    _record_dispatches(ctx, [(placed, sent)], action)


def _record_dispatches(
    ctx: JobContext, dispatched: list[tuple[StoredWarehouseOrder, Sent]], action: str
) -> None:
    """Record what dispatches did, a few orders a transaction, each transaction locking its orders in the
    order of their ids (so two of them never wait for each other). A few, not the whole batch: on SQLite a
    transaction holds the one write lock, which webhook intake waits for."""
    in_order = sorted(dispatched, key=lambda each: each[0].order_id)
    for start in range(0, len(in_order), _RECORDS_PER_TRANSACTION):
        with ctx.unit_of_work() as uow:
            for placed, sent in in_order[start : start + _RECORDS_PER_TRANSACTION]:
                _record_dispatch(uow, placed, action, sent)
            uow.commit()


def _record_dispatch(uow: UnitOfWork, placed: StoredWarehouseOrder, action: str, sent: Sent) -> None:
    warehouse_order_id = placed.id
    stored = uow.orders.by_id(placed.order_id, for_update=True)
    assert stored is not None
    current = uow.warehouse_orders.get(warehouse_order_id)
    assert current is not None
    if action == "send" and current.status == CANCELLED:
        # Cancelled in Shopify while this upload ran: the warehouse has the order, so it is asked to
        # cancel it like any order already sent.
        uow.warehouse_orders.set_status(warehouse_order_id, "cancel_requested", sent=True)
        record(
            uow,
            stored,
            "dispatched_send",
            f"{placed.warehouse_code}: {sent.summary}, while it was being cancelled; "
            "the cancellation follows",
        )
        _enqueue_dispatch(uow, warehouse_order_id, placed.warehouse_code, "cancel", placed.order)
        return
    if action == "send" and current.status == PENDING:
        uow.warehouse_orders.set_status(warehouse_order_id, "sent", sent=True)
    elif action == "send" and current.sent_at is None:
        # The warehouse answered before this sending was recorded (its status moved on already): the
        # order keeps that status and gets the time it was sent.
        uow.warehouse_orders.set_status(warehouse_order_id, current.status, sent=True)
    if action == "cancel" and current.status not in ("cancelled", "rejected", "shipped"):
        uow.warehouse_orders.set_status(warehouse_order_id, "cancel_requested")
    record(
        uow,
        stored,
        f"dispatched_{action}",
        f"{placed.warehouse_code}: {sent.summary}" + (" (already sent)" if sent.repeated else ""),
        {"warehouse": placed.warehouse_code, "key": sent.key, "reference": sent.reference},
    )
    if action == "send":
        apply_status_event(uow, stored, status.Dispatched(), cause=f"sent to {placed.warehouse_code}")


# --- helpers ----------------------------------------------------------------------------------------------


def resolve_order_lines(uow: UnitOfWork, stored: StoredOrder) -> LineResolution:
    mappings = uow.sku_mappings
    account = stored.account_id
    candidates = {line.sku.strip() for line in stored.order.lines if line.sku and line.sku.strip()}
    aliases = mappings.aliases(account)
    bundles = mappings.bundles(account)
    components = {sku for parts in bundles.values() for sku in parts}
    known = mappings.known(account, candidates | set(aliases.values()) | components)
    return resolve_lines(stored.order.lines, known=known, aliases=aliases, bundles=bundles)


def _same_contents(one: WarehouseOrder, other: WarehouseOrder) -> bool:
    def contents(order: WarehouseOrder) -> tuple[object, ...]:
        return (
            tuple((line.sku, line.quantity) for line in order.lines),
            order.ship_to,
            order.ship_to_name,
            order.service_level,
        )

    return contents(one) == contents(other)


def _with_state(stored: StoredOrder, state: status.OrderState) -> StoredOrder:
    return replace(stored, status=state.status, state=state)


def _account(settings: Settings, account_id: str) -> AccountSettings:
    for account in settings.accounts:
        if account.id == account_id:
            return account
    raise FatalJobError(f"account {account_id!r} is not in the configuration")
