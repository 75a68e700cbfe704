"""Recording that an order was sent to its warehouse, on the suite's database, including when the warehouse
answered before the sending was recorded (a batch is recorded after all its uploads)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from crossdock.connectors.base import Sent
from crossdock.domain.order_status import OrderState
from crossdock.domain.orders import Address
from crossdock.domain.warehouse import WarehouseOrder, WarehouseOrderLine
from crossdock.flows.order_dispatch import _record_dispatch
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.store.warehouse_orders import StoredWarehouseOrder
from crossdock.store.warehouses import DeclaredWarehouse
from tests.integration.test_shopify_fulfillment import Shop
from tests.integration.test_shopify_fulfillment_service import engine, shop, stored_order
from tests.support.enqueuers import RecordingEnqueuer

__all__ = ["engine", "shop"]  # fixtures

MOMENT = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def placed_order(engine: sa.Engine, shop: Shop, status: str) -> StoredWarehouseOrder:
    """An order routed to east, its warehouse order in ``status``."""
    order_id = stored_order(engine, shop.place_order({"TENT-2P": 1}, shop.east_gid), "routed")
    with UnitOfWork(engine) as uow:
        uow.warehouses.ensure([DeclaredWarehouse("east", "East 3PL", "x12", ("acme",))])
        warehouse = uow.warehouses.by_code("east")
        assert warehouse is not None
        placed_id = uow.warehouse_orders.add(
            account_id="acme",
            order_id=order_id,
            warehouse_id=warehouse.id,
            order=WarehouseOrder(
                key=f"CD{order_id}-1",
                warehouse="east",
                shopify_order_id=str(order_id),
                order_name="#1001",
                ordered_at=MOMENT,
                ship_to_name="Ada",
                ship_to=Address(city="Albany", country_code="US"),
                lines=(WarehouseOrderLine(1, "TENT-2P", 1),),
            ),
        )
        if status != "pending":
            uow.warehouse_orders.set_status(placed_id, status)
        placed = uow.warehouse_orders.get(placed_id)
        uow.commit()
    assert placed is not None
    return placed


def record_sent(engine: sa.Engine, placed: StoredWarehouseOrder) -> StoredWarehouseOrder:
    with UnitOfWork(engine, RecordingEnqueuer()) as uow:
        _record_dispatch(
            uow, placed, "send", Sent(key=placed.order.key, reference="7", summary="940 uploaded")
        )
        uow.commit()
        recorded = uow.warehouse_orders.get(placed.id)
    assert recorded is not None
    return recorded


def test_a_pending_order_becomes_sent_with_the_time_it_was_sent(engine: sa.Engine, shop: Shop) -> None:
    recorded = record_sent(engine, placed_order(engine, shop, "pending"))
    assert (recorded.status, recorded.sent_at is not None) == ("sent", True)


def test_an_order_the_warehouse_accepted_before_the_record_keeps_its_status_and_gets_its_sending_time(
    engine: sa.Engine, shop: Shop
) -> None:
    recorded = record_sent(engine, placed_order(engine, shop, "accepted"))
    assert (recorded.status, recorded.sent_at is not None) == ("accepted", True)
    with UnitOfWork(engine) as uow:
        order = uow.orders.by_id(recorded.order_id)
    assert order is not None and order.state == OrderState(status="sent")
