"""Return intake: Shopify says a customer asked for a return (``returns/request``) or the merchant approved
one (``returns/approve``); the hub records it on the order, reads its lines from Shopify, and once it is both
approved and read, has the warehouse that shipped the goods told to expect them (``returns.authorise``).

Webhooks arrive in any order and more than once. The return's status only moves forward (see
``domain.returns``): a notice that would move it back, or repeat it, is written on the timeline and skipped.
The lines are read once per return (one ``shop.read_return`` job, keyed by the return) and expressed in the
SKUs the warehouse shipped: an alias as its SKU, a bundle as its components.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from crossdock.domain.order_validation import LineResolution, resolve_lines
from crossdock.domain.orders import OrderLine
from crossdock.domain.returns import (
    RequestedLine,
    ReturnItem,
    ReturnNotice,
    authorised_items,
    is_newer,
    rma_key_for,
    shipping_warehouse_order,
)
from crossdock.flows.order_progress import record
from crossdock.flows.return_jobs import AUTHORISE_RETURN, READ_RETURN
from crossdock.store.orders import StoredOrder
from crossdock.store.returns import StoredReturn
from crossdock.store.shops import ShopRecord
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

RETURN_REQUESTED = "return_requested"
RETURN_APPROVED = "return_approved"
RETURN_INPUT_SKIPPED = "return_input_skipped"
RETURN_LINES_READ = "return_lines_read"
RETURN_UNPLACEABLE = "return_unplaceable"

_KIND = {"requested": RETURN_REQUESTED, "approved": RETURN_APPROVED}
_WORDS = {"requested": "the customer asked to return goods", "approved": "the merchant approved the return"}


class UnknownReturnOrder(LookupError):
    """The notice names an order the hub never received: nothing here can say where its goods came from."""


def receive_return_notice(
    uow: UnitOfWork, shop: ShopRecord, notice: ReturnNotice, *, inbox_id: int | None, origin: str
) -> str:
    """Apply one notice of ``shop`` in the caller's transaction (the caller commits); what it did."""
    stored_order = uow.orders.get(shop.id, notice.shopify_order_id, for_update=True)
    if stored_order is None:
        raise UnknownReturnOrder(
            f"return {notice.shopify_return_id} is for order {notice.shopify_order_id}, which the hub never "
            "received"
        )
    created = uow.returns.open(
        account_id=shop.account_id, shop_id=shop.id, order_id=stored_order.id, notice=notice
    )
    returned = uow.returns.by_shopify_id(shop.id, notice.shopify_return_id, for_update=True)
    assert returned is not None, "the row was just created, or the insert conflicted with it"
    data = {"return_id": notice.shopify_return_id, "origin": origin, "notice": notice.status}
    if created is None:
        if not is_newer(returned.status, notice.status):
            record(
                uow,
                stored_order,
                RETURN_INPUT_SKIPPED,
                f"{origin}: return {notice.shopify_return_id} is {returned.status} already; "
                f"this {notice.status} notice is older news and changes nothing",
                data | {"stored_status": returned.status},
                inbox_id=inbox_id,
            )
            return "stale"
        uow.returns.set_status(returned.id, notice.status)
        returned = replace(returned, value=replace(returned.value, status=notice.status))
    record(
        uow,
        stored_order,
        _KIND[notice.status],
        f"{origin}: {_WORDS[notice.status]} (return {notice.shopify_return_id})",
        data,
        inbox_id=inbox_id,
    )
    if not returned.lines_read:
        uow.enqueue(
            JobRequest(
                job=READ_RETURN,
                key=f"return-{returned.id}-read",
                args={"return_id": returned.id},
                partition=shop.domain,
            )
        )
    else:
        _authorise_when_due(uow, returned)
    return "created" if created is not None else notice.status


def record_return_lines(uow: UnitOfWork, return_id: int, lines: Sequence[RequestedLine]) -> str:
    """Keep the lines read from Shopify as the SKUs the warehouse shipped, with the warehouse order they left
    with; a return whose units cannot be placed (an unknown SKU, units from several warehouses or never
    shipped) opens a ``return_unplaceable`` exception instead and waits."""
    found = uow.returns.get(return_id)
    if found is None:
        raise LookupError(f"no return {return_id}")
    stored_order = uow.orders.by_id(found.order_id, for_update=True)
    assert stored_order is not None, "a return's order is never removed"
    returned = uow.returns.get(return_id, for_update=True)
    assert returned is not None
    if returned.lines_read:
        return f"the lines of return {returned.value.shopify_return_id} were read already"
    resolution = _resolve(uow, stored_order, lines)
    problem: str | None = None
    placed_id: int | None = None
    items = authorised_items((line.sku, line.quantity) for line in resolution.lines)
    if not resolution.complete:
        unknown = [*resolution.unknown_skus, *(f"line {line}" for line in resolution.lines_without_sku)]
        problem = f"its lines name {', '.join(unknown)}, which resolve to no registered SKU"
    elif not items:
        problem = "none of its lines names goods a warehouse shipped"
    else:
        placed_id = shipping_warehouse_order(items, _shipped_by_warehouse_order(uow, stored_order.id))
        if placed_id is None:
            problem = "no single warehouse shipped all of its units"
    name = returned.value.shopify_return_id
    if problem is not None or placed_id is None:
        message = (
            f"return {name} of order {stored_order.order.name} cannot be announced to a warehouse: {problem}"
        )
        uow.exceptions.raise_(
            type=RETURN_UNPLACEABLE,
            severity="error",
            subject_type="return",
            subject_id=str(returned.id),
            message=message,
            details={"return_id": name, "lines": [_line_document(line) for line in lines]},
            actions=["resolve", "ignore"],
            account_id=returned.account_id,
        )
        record(uow, stored_order, RETURN_UNPLACEABLE, message, {"return_id": name})
        return message
    placed = uow.warehouse_orders.get(placed_id)
    assert placed is not None
    rma_key = rma_key_for(name)
    uow.returns.set_lines(returned.id, items, warehouse_id=placed.warehouse_id, rma_key=rma_key)
    text = ", ".join(f"{item.quantity} x {item.sku}" for item in items)
    record(
        uow,
        stored_order,
        RETURN_LINES_READ,
        f"return {name} brings back {text}, shipped by {placed.warehouse_code} (RMA {rma_key})",
        {"return_id": name, "warehouse": placed.warehouse_code, "rma_key": rma_key, "items": _items(items)},
    )
    reread = uow.returns.get(returned.id)
    assert reread is not None
    _authorise_when_due(uow, reread)
    return text


def _authorise_when_due(uow: UnitOfWork, returned: StoredReturn) -> None:
    """An approved return whose lines are known is announced to its warehouse (one job per return)."""
    if returned.status != "approved" or not returned.lines_read or returned.warehouse_code is None:
        return
    uow.enqueue(
        JobRequest(
            job=AUTHORISE_RETURN,
            key=f"return-{returned.id}-authorise",
            args={"return_id": returned.id},
            partition=returned.warehouse_code,
        )
    )


def _resolve(uow: UnitOfWork, stored_order: StoredOrder, lines: Sequence[RequestedLine]) -> LineResolution:
    """The returned units as the SKUs the warehouse shipped, resolved the way the order's lines were."""
    by_id = {line.line_id: line for line in stored_order.order.lines}
    order_lines = []
    for line in lines:
        sold = by_id.get(line.order_line_id)
        if sold is None:
            # A line the hub's version of the order lacks (added by an edit not received yet): the SKU
            # Shopify shows on it is resolved like any order line's.
            sold = OrderLine(line.order_line_id, line.sku, line.quantity, None, "", None, True)
        order_lines.append(replace(sold, quantity=line.quantity, requires_shipping=True))
    mappings = uow.sku_mappings
    account = stored_order.account_id
    aliases = mappings.aliases(account)
    bundles = mappings.bundles(account)
    candidates = {line.sku.strip() for line in order_lines if line.sku and line.sku.strip()}
    components = {sku for parts in bundles.values() for sku in parts}
    known = mappings.known(account, candidates | set(aliases.values()) | components)
    return resolve_lines(order_lines, known=known, aliases=aliases, bundles=bundles)


def _shipped_by_warehouse_order(uow: UnitOfWork, order_id: int) -> dict[int, dict[str, int]]:
    shipped: dict[int, dict[str, int]] = {}
    for placed in uow.warehouse_orders.of_order(order_id):
        units = shipped.setdefault(placed.id, {})
        for shipment in uow.shipments.of_warehouse_order(placed.id):
            for line in shipment.shipped.lines:
                units[line.sku] = units.get(line.sku, 0) + line.quantity_shipped
    return shipped


def _line_document(line: RequestedLine) -> dict[str, object]:
    return {"order_line_id": line.order_line_id, "sku": line.sku, "quantity": line.quantity}


def _items(items: Sequence[ReturnItem]) -> list[dict[str, object]]:
    return [{"sku": item.sku, "quantity": item.quantity} for item in items]
