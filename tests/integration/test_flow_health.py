"""Flow health from the database: lags ranked per flow over the last hour, backlogs, call error rates, the
last contact per shop and warehouse, orders per minute — each limited to the accounts asked for — and the
same figures on /metrics and GET /api/health/flows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from crossdock.domain.orders import Address
from crossdock.domain.warehouse import WarehouseOrder, WarehouseOrderLine
from crossdock.flows.flow_health import FlowHealth, flow_health_overview
from crossdock.store.schema import orders, warehouse_orders
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.app import create_app
from tests.support.api_tokens import bearer
from tests.support.dashboard_world import World, an_order, populate, two_account_settings


@dataclass
class Measured:
    client: TestClient
    world: World
    now: datetime


def sent_order(uow: UnitOfWork, account: str, number: int, received: datetime, lag: float) -> None:
    """An order received at ``received`` whose warehouse order was sent ``lag`` seconds later."""
    shop = uow.shops.of_account(account)[0]
    order_id = uow.orders.insert(
        account_id=account, shop_id=shop.id, order=an_order(str(number), f"#{number}", ("MUG",))
    )
    assert order_id is not None
    east = uow.warehouses.by_code("east")
    assert east is not None
    placed = uow.warehouse_orders.add(
        account_id=account,
        order_id=order_id,
        warehouse_id=east.id,
        order=WarehouseOrder(
            key=f"CD{order_id}-1",
            warehouse="east",
            shopify_order_id=str(number),
            order_name=f"#{number}",
            ordered_at=received,
            ship_to_name="Ada",
            ship_to=Address(city="Lyon", country_code="FR"),
            lines=(WarehouseOrderLine(1, "MUG", 1),),
        ),
    )
    uow.connection.execute(
        sa.update(orders).where(orders.c.id == order_id).values(created_at=received, status="sent")
    )
    uow.connection.execute(
        sa.update(warehouse_orders)
        .where(warehouse_orders.c.id == placed)
        .values(sent_at=received + timedelta(seconds=lag), status="sent")
    )


def call(uow: UnitOfWork, account: str, operation: str, status: str, at: datetime, key: str) -> None:
    call_id = uow.outbound_calls.start(
        target=f"shopify:{account}.myshopify.com",
        operation=operation,
        idempotency_key=key,
        request_summary={},
        account_id=account,
    )
    uow.outbound_calls.finish(
        call_id,
        status=status,
        duration_ms=80.0,
        error=None if status == "succeeded" else "HTTP 502",  # type: ignore[arg-type]
    )
    uow.connection.execute(
        sa.text("UPDATE outbound_calls SET started_at = :at, finished_at = :at WHERE id = :id").bindparams(
            sa.bindparam("at", type_=orders.c.created_at.type), id=call_id, at=at
        )
    )


@pytest.fixture
def measured(tmp_path: Path, database_url: str) -> Iterator[Measured]:
    settings = two_account_settings(tmp_path, database_url)
    # globex may send to east too: its orders must still not count for acme.
    settings.warehouses["east"].accounts.append("globex")
    with TestClient(create_app(settings, role=None)) as client:
        engine = client.app.state.hub.engine  # type: ignore[attr-defined]
        world = populate(engine, settings)
        now = utc_now()
        with UnitOfWork(engine) as uow:
            uow.warehouses.ensure([])
            # At the start of a minute, so the lags of 2 and 4 s land in that minute and 100 s in the next.
            start_of_a_minute = (now - timedelta(minutes=10)).replace(second=0, microsecond=0)
            for number, lag in ((3001, 2.0), (3002, 4.0), (3003, 100.0)):
                sent_order(uow, "acme", number, start_of_a_minute, lag)
            sent_order(uow, "acme", 3004, now - timedelta(hours=3), 1.0)  # outside the hour
            sent_order(uow, "globex", 4001, now - timedelta(minutes=20), 1000.0)
            call(uow, "acme", "InventorySetQuantities", "succeeded", now - timedelta(minutes=5), "c1")
            call(uow, "acme", "InventorySetQuantities", "succeeded", now - timedelta(minutes=4), "c2")
            call(uow, "acme", "InventorySetQuantities", "fatal_error", now, "c3")  # after the world's success
            call(uow, "globex", "InventorySetQuantities", "retriable_error", now - timedelta(minutes=2), "c4")
            uow.commit()
        yield Measured(client, world, now)


def flows_of(measured: Measured, accounts: frozenset[str] | None) -> dict[str, FlowHealth]:
    with UnitOfWork(measured.client.app.state.hub.engine) as uow:  # type: ignore[attr-defined]
        overview = flow_health_overview(uow, now=measured.now, account_ids=accounts)
    return {flow.name: flow for flow in overview.flows}


def test_lags_are_ranked_per_flow_over_the_last_hour_and_per_account(measured: Measured) -> None:
    acme = flows_of(measured, frozenset({"acme"}))
    assert (acme["orders"].completed_last_hour, acme["orders"].lag_p50_seconds) == (
        3,
        pytest.approx(4.0, abs=0.01),
    )
    assert acme["orders"].lag_p95_seconds == pytest.approx(100.0, abs=0.01)
    everyone = flows_of(measured, None)
    assert everyone["orders"].completed_last_hour == 4
    assert everyone["orders"].lag_p95_seconds == pytest.approx(1000.0, abs=0.01)
    globex = flows_of(measured, frozenset({"globex"}))
    assert (globex["orders"].completed_last_hour, globex["orders"].lag_p50_seconds) == (
        1,
        pytest.approx(1000.0, abs=0.01),
    )
    assert not acme["returns"].measured and acme["returns"].lag_p50_seconds is None


def test_error_rates_and_backlogs_count_the_account_s_own(measured: Measured) -> None:
    acme = flows_of(measured, frozenset({"acme"}))
    assert (acme["inventory"].calls_last_hour, acme["inventory"].errors_last_hour) == (3, 1)
    assert acme["inventory"].error_rate == pytest.approx(1 / 3)
    assert flows_of(measured, None)["inventory"].errors_last_hour == 2
    # The world's two received orders wait for the orders flow: one each.
    assert acme["orders"].backlog == 1 and flows_of(measured, None)["orders"].backlog == 2


def test_contacts_say_which_connector_fails_and_throughput_is_per_minute(measured: Measured) -> None:
    with UnitOfWork(measured.client.app.state.hub.engine) as uow:  # type: ignore[attr-defined]
        acme = flow_health_overview(uow, now=measured.now, account_ids=frozenset({"acme"}))
        everyone = flow_health_overview(uow, now=measured.now, account_ids=None)
    states = {item.contact.name: item.state for item in acme.contacts}
    assert states == {"acme.myshopify.com": "failing", "east": "ok"}
    (east,) = [item.contact for item in acme.contacts if item.contact.name == "east"]
    assert east.account_ids == ("acme",)  # globex is served too, but not named to acme
    assert {item.contact.name: item.state for item in everyone.contacts}["globex.myshopify.com"] == "failing"

    assert len(acme.throughput) == 60
    assert sum(minute.orders_out for minute in acme.throughput) == 3
    assert sum(minute.orders_out for minute in everyone.throughput) == 4
    sending_minutes = [minute.orders_out for minute in acme.throughput if minute.orders_out]
    assert sending_minutes == [2, 1]  # lags of 2 and 4 s in the minute received, 100 s in the next


def test_the_api_and_the_metrics_say_the_same(measured: Measured) -> None:
    client = measured.client
    engine = client.app.state.hub.engine  # type: ignore[attr-defined]
    answer = client.get("/api/health/flows", headers=bearer(engine, account="acme"))
    assert answer.status_code == 200
    flows = {flow["name"]: flow for flow in answer.json()["flows"]}
    assert flows["orders"]["completed_last_hour"] == 3
    assert {contact["name"] for contact in answer.json()["contacts"]} == {"acme.myshopify.com", "east"}
    assert (
        client.get(
            "/api/health/flows", params={"account": "globex"}, headers=bearer(engine, account="acme")
        ).status_code
        == 403
    )

    metrics = client.get("/metrics").text.splitlines()
    assert 'crossdock_flow_lag_seconds_bucket{flow="orders",le="5.0"} 2.0' in metrics
    assert 'crossdock_flow_lag_seconds_bucket{flow="orders",le="+Inf"} 4.0' in metrics
    assert 'crossdock_flow_lag_seconds_gcount{flow="orders"} 4.0' in metrics
    assert 'crossdock_flow_backlog{flow="orders"} 2.0' in metrics
