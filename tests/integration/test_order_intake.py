"""Order intake end to end: the two shapes of one Shopify order, then orders arriving through the inbox as the
webhook route and the reconciliation poll store them, processed by the hub's own jobs on a real database.

The sandbox shop makes the orders and their changes (its clock moved by hand, so each version has its own
``updated_at``); its webhook bodies come from the sandbox's payload builder, its GraphQL nodes from the query
files the hub sends, over HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from crossdock.config import Settings
from crossdock.connectors.shopify.order_mapping import order_from_graphql, order_from_webhook
from crossdock.domain.orders import Order
from crossdock.flows.intake import Input, record_input
from crossdock.flows.order_intake import receive_order
from crossdock.hub import Hub, prepare_database
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.orders import Order as SandboxOrder
from crossdock.sandbox.shopify.server import DEFAULT_ACCESS_TOKEN, SandboxSettings, build_sandbox
from crossdock.sandbox.shopify.shop_state import ShopState
from crossdock.sandbox.shopify.webhooks.payloads import order_payload
from crossdock.store.inbox import InboxEntry
from crossdock.store.shops import ShopRecord
from crossdock.store.unit_of_work import UnitOfWork
from tests.conftest import write_config
from tests.support.clocks import ManualClock
from tests.support.enqueuers import RecordingEnqueuer
from tests.support.servers import graphql_data, serving
from tests.support.waiting import wait_until

DOMAIN = "acme-outdoor.myshopify.com"
QUERIES = Path(__file__).resolve().parents[2] / "src" / "crossdock" / "connectors" / "shopify" / "queries"
ORDER_BY_ID = (QUERIES / "OrderById.graphql").read_text()
ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "company": "Analytical Engines Ltd",
    "address1": "12 Analytical Row",
    "address2": "Unit 4",
    "city": "Albany",
    "province_code": "NY",
    "zip": "12207",
    "country_code": "US",
    "phone": "+15185550100",
}


@dataclass
class SandboxShop:
    url: str
    clock: ManualClock
    state: ShopState

    def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/_sandbox/{path}", json=body, headers={"X-Shopify-Access-Token": DEFAULT_ACCESS_TOKEN}
        )
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    def place_order(self) -> str:
        placed = self.control(
            "orders",
            {
                "lines": [
                    {"sku": "SKU-000001", "quantity": 2},
                    {"sku": "SKU-000002", "quantity": 1},
                    {"sku": "SKU-000003", "quantity": 4},
                ],
                "email": "ada@example.com",
                "shipping_address": ADDRESS,
                "tags": ["wholesale", " VIP "],
                "note": "Leave at the door",
            },
        )
        order_gid: str = placed["id"]
        return order_gid

    def edit(self, order_gid: str, set_quantities: dict[str, int]) -> None:
        self.clock.advance()
        self.control(f"orders/{order_gid}/edit", {"set_quantities": set_quantities})

    def line_gids(self, order_gid: str) -> list[str]:
        return [gid("LineItem", line.id) for line in self.sandbox_order(order_gid).line_items]

    def sandbox_order(self, order_gid: str) -> SandboxOrder:
        return self.state.orders[int(order_gid.rsplit("/", 1)[1])]

    def webhook_body(self, order_gid: str) -> dict[str, Any]:
        # Through JSON and back, as the hub stores and reads it.
        body: dict[str, Any] = json.loads(
            json.dumps(order_payload(self.state, self.sandbox_order(order_gid)))
        )
        return body

    def graphql_node(self, order_gid: str) -> dict[str, Any]:
        node: dict[str, Any] = graphql_data(self.url, DEFAULT_ACCESS_TOKEN, ORDER_BY_ID, {"id": order_gid})[
            "order"
        ]
        return node


@pytest.fixture
def sandbox_shop() -> Iterator[SandboxShop]:
    sandbox = build_sandbox(SandboxSettings(skus=3, locations=1))
    clock = ManualClock()
    sandbox.state.clock = clock
    # Webhook times carry the shop's offset, GraphQL's are UTC: both must give the same instant.
    sandbox.state.shop.iana_timezone = "America/New_York"
    with serving(create_sandbox_app(sandbox, access_token=DEFAULT_ACCESS_TOKEN)) as url:
        yield SandboxShop(url=url, clock=clock, state=sandbox.state)


# -- the two shapes of one order ----------------------------------------------------------------------------


def test_the_webhook_body_and_the_graphql_node_of_one_order_map_to_equal_orders(
    sandbox_shop: SandboxShop,
) -> None:
    shop = sandbox_shop
    order_gid = shop.place_order()

    from_webhook = order_from_webhook(shop.webhook_body(order_gid))
    from_graphql = order_from_graphql(shop.graphql_node(order_gid))
    assert from_webhook == from_graphql
    assert [(line.sku, line.quantity) for line in from_graphql.lines] == [
        ("SKU-000001", 2),
        ("SKU-000002", 1),
        ("SKU-000003", 4),
    ]
    assert from_graphql.tags == ("VIP", "wholesale")
    assert from_graphql.shipping_address is not None
    assert (from_graphql.shipping_address.country_code, from_graphql.shipping_address.company) == (
        "US",
        "Analytical Engines Ltd",
    )
    assert (from_graphql.email, from_graphql.financial_status) == ("ada@example.com", "paid")
    # The sandbox keeps no shipping lines (its webhook sends none, its GraphQL answers null): both say so.
    assert from_graphql.shipping_method is None

    # An edit: one quantity changed, one line removed. Both shapes show the current quantities.
    first, _unchanged, third = shop.line_gids(order_gid)
    shop.edit(order_gid, {first: 5, third: 0})
    edited_webhook = order_from_webhook(shop.webhook_body(order_gid))
    edited_graphql = order_from_graphql(shop.graphql_node(order_gid))
    assert edited_webhook == edited_graphql
    assert [(line.sku, line.quantity) for line in edited_graphql.lines] == [
        ("SKU-000001", 5),
        ("SKU-000002", 1),
        ("SKU-000003", 0),
    ]
    assert edited_graphql.source_version > from_graphql.source_version


# -- the same store under concurrent transactions -----------------------------------------------------------


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    with path.open("a") as config:
        config.write(f'\n[shops.acme-outdoor]\ndomain = "{DOMAIN}"\naccount = "acme"\n')
    return path


def _versions(sandbox_shop: SandboxShop) -> tuple[Order, Order]:
    """Two versions of one order, the second one edit newer."""
    shop = sandbox_shop
    order_gid = shop.place_order()
    older = order_from_webhook(shop.webhook_body(order_gid))
    shop.edit(order_gid, {shop.line_gids(order_gid)[0]: 3})
    newer = order_from_webhook(shop.webhook_body(order_gid))
    return older, newer


@pytest.mark.parametrize("first_in", ["newer", "older"])
def test_two_transactions_receiving_one_order_at_once_keep_the_newer_version(
    settings: Settings, sandbox_shop: SandboxShop, first_in: str
) -> None:
    older, newer = _versions(sandbox_shop)
    first, second = (newer, older) if first_in == "newer" else (older, newer)
    engine = prepare_database(settings)
    try:
        shop = _shop_record(engine)
        first_written = threading.Event()
        outcomes: dict[str, str] = {}

        def receive_first() -> None:
            with UnitOfWork(engine, RecordingEnqueuer()) as uow:
                outcomes["first"] = receive_order(uow, shop, first, inbox_id=None, origin="test")
                first_written.set()
                # Held open while the second transaction tries: it must wait for this one, then see it.
                time.sleep(0.3)
                uow.commit()

        thread = threading.Thread(target=receive_first)
        thread.start()
        assert first_written.wait(10)
        with UnitOfWork(engine, RecordingEnqueuer()) as uow:
            outcomes["second"] = receive_order(uow, shop, second, inbox_id=None, origin="test")
            uow.commit()
        thread.join(10)

        assert outcomes == {"first": "created", "second": "stale" if first_in == "newer" else "updated"}
        with UnitOfWork(engine) as uow:
            stored = uow.orders.get(shop.id, newer.shopify_order_id)
            (count,) = uow.connection.execute(sa.text("SELECT count(*) FROM orders")).one()
        assert stored is not None and stored.order == newer and count == 1
    finally:
        engine.dispose()


def test_an_input_handled_again_after_its_commit_is_not_written_twice_on_the_timeline(
    settings: Settings, sandbox_shop: SandboxShop
) -> None:
    older, newer = _versions(sandbox_shop)
    engine = prepare_database(settings)
    try:
        shop = _shop_record(engine)
        enqueuer = RecordingEnqueuer()
        with UnitOfWork(engine, enqueuer) as uow:
            inbox_id = uow.inbox.record(
                source="shopify", kind="orders/updated", dedupe_key="wh-1", payload=b"{}"
            ).inbox_id
            outcomes = [receive_order(uow, shop, older, inbox_id=None, origin="test")]
            # Its job runs twice: the second run comes after the first one's commit.
            outcomes += [receive_order(uow, shop, newer, inbox_id=inbox_id, origin="test") for _ in "12"]
            events = uow.order_events.timeline(shop.account_id, newer.shopify_global_id)
        assert outcomes == ["created", "updated", "stale"]
        # A new order and a newer version are each looked at by the order flow; a stale one is not.
        assert [request.job for _, request in enqueuer.calls] == ["orders.advance", "orders.advance"]
        assert [(event.kind, event.inbox_id) for event in events] == [
            ("order_created", None),
            ("order_updated", inbox_id),
        ]
    finally:
        engine.dispose()


# -- inputs through the inbox, processed by the hub's jobs --------------------------------------------------


def _record(hub: Hub, kind: str, dedupe_key: str, body: dict[str, Any] | bytes, **headers: str) -> int:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        inbox_id = record_input(
            uow,
            Input(
                source="shopify",
                kind=kind,
                dedupe_key=dedupe_key,
                payload=payload,
                headers={"X-Shopify-Shop-Domain": DOMAIN, **headers},
                account_id="acme",
            ),
        ).inbox_id
        uow.commit()
    return inbox_id


def _settled(hub: Hub, inbox_id: int) -> InboxEntry:
    def done() -> InboxEntry | None:
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            entry = uow.inbox.get(inbox_id)
        return entry if entry is not None and entry.state in ("processed", "failed") else None

    return wait_until(done, what=f"inbox row {inbox_id} to be processed")


def _webhook(hub: Hub, topic: str, webhook_id: str, body: dict[str, Any]) -> InboxEntry:
    inbox_id = _record(hub, topic, webhook_id, body, **{"X-Shopify-Topic": topic})
    return _settled(hub, inbox_id)


@pytest.mark.slow
def test_orders_are_created_replaced_by_newer_versions_and_never_by_older_ones(
    hub: Hub, sandbox_shop: SandboxShop
) -> None:
    shop = sandbox_shop
    order_gid = shop.place_order()
    created_body = shop.webhook_body(order_gid)
    uow_of = hub.jobs.unit_of_work  # type: ignore[union-attr]

    def stored_order() -> tuple[str, Order]:
        with uow_of() as uow:
            record = uow.shops.by_domain(DOMAIN)
            assert record is not None
            stored = uow.orders.get(record.id, order_gid.rsplit("/", 1)[1])
        assert stored is not None
        return stored.status, stored.order

    def timeline() -> list[tuple[str, str, int | None]]:
        """The order's timeline as intake wrote it (the order flow adds its own entries, asynchronously)."""
        with uow_of() as uow:
            events = uow.order_events.timeline("acme", order_gid)
        intake = ("order_created", "order_updated", "order_input_skipped")
        return [(event.kind, event.message, event.inbox_id) for event in events if event.kind in intake]

    # orders/create: the order is created, received.
    created = _webhook(hub, "orders/create", "wh-1", created_body)
    assert created.state == "processed"
    assert stored_order() == ("received", order_from_webhook(created_body))
    assert timeline() == [
        (
            "order_created",
            "orders/create webhook: order #1001 received, version 2026-11-01T09:00:00Z",
            created.id,
        )
    ]

    # orders/updated with a newer version (a quantity edited): replaced.
    shop.edit(order_gid, {shop.line_gids(order_gid)[0]: 7})
    updated_body = shop.webhook_body(order_gid)
    updated = _webhook(hub, "orders/updated", "wh-2", updated_body)
    assert updated.state == "processed"
    status, order = stored_order()
    assert (status, order) == ("received", order_from_webhook(updated_body))
    assert order.lines[0].quantity == 7
    assert timeline()[-1] == (
        "order_updated",
        "orders/updated webhook: version 2026-11-01T09:01:00Z replaces 09:00:00Z",
        updated.id,
    )

    # A late delivery of the first version: recorded on the timeline, the order unchanged.
    late = _webhook(hub, "orders/updated", "wh-3", created_body)
    assert late.state == "processed"
    assert stored_order() == ("received", order)
    assert timeline()[-1] == (
        "order_input_skipped",
        "orders/updated webhook: version 2026-11-01T09:00:00Z is older than the stored 09:01:00Z; skipped",
        late.id,
    )

    # The reconciliation poll reads back the version the webhook already brought: seen, skipped.
    node = shop.graphql_node(order_gid)
    polled_id = _record(
        hub,
        "order.graphql",
        f"{node['id']}@{node['updatedAt']}",
        node,
        **{"X-Crossdock-Origin": "reconciliation poll"},
    )
    polled = _settled(hub, polled_id)
    assert polled.state == "processed"
    assert stored_order() == ("received", order)
    assert timeline()[-1] == (
        "order_input_skipped",
        "reconciliation poll: version 2026-11-01T09:01:00Z is the one stored; skipped as already seen",
        polled.id,
    )
    with uow_of() as uow:
        (event,) = [e for e in uow.order_events.timeline("acme", order_gid) if e.inbox_id == polled.id]
    assert event.data["origin"] == "reconciliation poll"
    assert (event.data["version"], event.data["stored_version"]) == (
        "2026-11-01T09:01:00+00:00",
        "2026-11-01T09:01:00+00:00",
    )

    # A newer version whose lines lost their quantities: rejected, kept, shown; nothing else changes.
    events_before = timeline()
    shop.edit(order_gid, {shop.line_gids(order_gid)[1]: 9})
    broken_body = shop.webhook_body(order_gid)
    for line in broken_body["line_items"]:
        del line["current_quantity"]
    rejected = _webhook(hub, "orders/updated", "wh-4", broken_body)
    assert rejected.state == "failed"
    assert rejected.error == (
        "order payload unusable: missing line_items[0].current_quantity, line_items[1].current_quantity, "
        "line_items[2].current_quantity"
    )
    with uow_of() as uow:
        (problem,) = uow.exceptions.list(type="input_rejected")
    assert (problem.type, problem.status, problem.subject_type, problem.subject_id) == (
        "input_rejected",
        "open",
        "inbox",
        str(rejected.id),
    )
    assert problem.details["missing"] == [f"line_items[{index}].current_quantity" for index in range(3)]
    assert problem.details["invalid"] == []
    assert stored_order() == ("received", order)
    assert timeline() == events_before


@pytest.mark.slow
def test_an_input_for_a_shop_the_hub_does_not_know_is_rejected(hub: Hub, sandbox_shop: SandboxShop) -> None:
    shop = sandbox_shop
    body = shop.webhook_body(shop.place_order())
    inbox_id = _record(
        hub, "orders/create", "wh-elsewhere", body, **{"X-Shopify-Shop-Domain": "other.myshopify.com"}
    )
    entry = _settled(hub, inbox_id)
    assert (entry.state, entry.error) == (
        "failed",
        "no shop with domain 'other.myshopify.com' is known to the hub",
    )
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        assert uow.connection.execute(sa.text("SELECT count(*) FROM orders")).scalar_one() == 0
        (problem,) = uow.exceptions.list()
    assert problem.details["shop_domain"] == "other.myshopify.com"


def _shop_record(engine: sa.Engine) -> ShopRecord:
    with UnitOfWork(engine) as uow:
        record = uow.shops.by_domain(DOMAIN)
    assert record is not None
    return record
