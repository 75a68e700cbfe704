"""Announcing an approved return to the warehouse that shipped its goods: a return authorisation (RMA) under
the return's RMA number, through the warehouse connector's ``ReturnSink`` (an X12 180 for an X12 partner).

The job reads everything from the database and the connector keeps one document per RMA number, recorded
before it is uploaded: a job retried after a crash, or enqueued twice, sends no second 180. The return is
marked authorised, and the order's timeline names the document, once the warehouse has it.
"""

from __future__ import annotations

import asyncio

from crossdock.connectors.base import ReturnSink
from crossdock.domain.warehouse import ReturnLine, WarehouseReturn
from crossdock.flows.order_progress import record
from crossdock.flows.return_jobs import AUTHORISE_RETURN
from crossdock.flows.warehouse_connectors import warehouse_connector
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import WAREHOUSE_CALLS
from crossdock.jobs.registry import job
from crossdock.store.orders import StoredOrder
from crossdock.store.returns import StoredReturn
from crossdock.store.unit_of_work import UnitOfWork

RETURN_AUTHORISED = "return_authorised"


@job(AUTHORISE_RETURN, queue=WAREHOUSE_CALLS)
def authorise_return(ctx: JobContext, return_id: int) -> str:
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        returned = uow.returns.get(return_id)
        if returned is None:
            raise FatalJobError(f"no return {return_id}")
        if returned.status != "approved":
            return f"nothing to do: return {returned.value.shopify_return_id} is {returned.status}"
        stored_order = uow.orders.by_id(returned.order_id)
        assert stored_order is not None, "a return's order is never removed"
        authorisation = _authorisation(uow, returned, stored_order)
    assert returned.warehouse_code is not None, "an approved return with lines has its warehouse"
    try:
        connector = warehouse_connector(settings, returned.warehouse_code, ctx.unit_of_work)
    except LookupError as error:
        raise FatalJobError(str(error)) from None
    if not isinstance(connector, ReturnSink) or not connector.capabilities.accepts_returns:
        raise FatalJobError(f"warehouse {returned.warehouse_code} takes no return authorisations")
    sent = asyncio.run(connector.create_return(authorisation))
    with ctx.unit_of_work() as uow:
        stored_order = uow.orders.by_id(returned.order_id, for_update=True)
        assert stored_order is not None
        current = uow.returns.get(return_id, for_update=True)
        assert current is not None
        if current.status == "approved":
            uow.returns.set_status(return_id, "authorised")
        text = ", ".join(f"{line.quantity} x {line.sku}" for line in authorisation.lines)
        record(
            uow,
            stored_order,
            RETURN_AUTHORISED,
            f"{returned.warehouse_code} told to expect return {returned.value.shopify_return_id} "
            f"(RMA {authorisation.key}: {text}): {sent.summary}"
            + (" (already sent)" if sent.repeated else ""),
            {
                "return_id": returned.value.shopify_return_id,
                "rma_key": authorisation.key,
                "warehouse": returned.warehouse_code,
                "reference": sent.reference,
            },
        )
        uow.commit()
    return sent.summary


def _authorisation(uow: UnitOfWork, returned: StoredReturn, stored_order: StoredOrder) -> WarehouseReturn:
    """The RMA as the warehouse receives it: the warehouse order that shipped the goods, the customer's
    address the parcel comes from, the units by SKU. Built from stored values only, so that a repeat sends the
    same authorisation."""
    placed = next(
        (
            part
            for part in uow.warehouse_orders.of_order(stored_order.id)
            if part.warehouse_id == returned.warehouse_id
        ),
        None,
    )
    if placed is None or returned.value.rma_key is None:
        raise FatalJobError(f"return {returned.id} names no warehouse order of its order to return to")
    address = stored_order.order.shipping_address or placed.order.ship_to
    name = (
        " ".join(part for part in (address.first_name, address.last_name) if part)
        or placed.order.ship_to_name
    )
    approved_at = returned.value.approved_at
    assert approved_at is not None, "an approved return has its moment of approval"
    return WarehouseReturn(
        key=returned.value.rma_key,
        warehouse=placed.warehouse_code,
        order_key=placed.order_key,
        shopify_return_id=returned.value.shopify_return_id,
        authorised_at=approved_at,
        customer_name=name,
        ship_from=address,
        lines=tuple(
            ReturnLine(line_number=number, sku=item.sku, quantity=item.quantity)
            for number, item in enumerate(returned.value.items, 1)
        ),
    )
