"""The sandbox's webhook bodies against Shopify's own JSON Schemas for API 2026-07 (npm package
``shopify-webhook-schemas``, which ``make test`` installs into ``.cache/npm``): a small shop goes through
orders, fulfillment requests, holds, cancellations, edits and returns, every payload is kept as it would be
sent at that moment, and each one is validated against its topic's schema — plus a few values, so that a
payload of the right shape but the wrong content fails too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from crossdock.sandbox.shopify import order_edits, orders, returns
from crossdock.sandbox.shopify.catalog import FulfillmentService
from crossdock.sandbox.shopify.orders import MailingAddress, TrackingInfo
from crossdock.sandbox.shopify.returns import ReturnLineRequest
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.sandbox.shopify.webhooks import payloads
from crossdock.sandbox.shopify.webhooks.delivery import API_VERSION

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / ".cache" / "npm" / "node_modules" / "shopify-webhook-schemas" / "schemas" / API_VERSION
needs_schemas = pytest.mark.skipif(
    not SCHEMAS.is_dir(),
    reason=f"{SCHEMAS} is missing: run make test (npm installs shopify-webhook-schemas)",
)

# 09:00 UTC on 1 November 2026 is 04:00 in New York, daylight saving time just over: offset -05:00.
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ADDRESS = MailingAddress(
    first_name="Ada",
    last_name="Lovelace",
    address1="12 Analytical Row",
    city="Albany",
    province_code="NY",
    zip="12207",
    country_code="US",
    phone="+15185550100",
)


class ManualClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        # Each reading a minute later: every change gets its own time, as it would in a real shop.
        self.now += timedelta(minutes=1)
        return self.now


@dataclass
class Recorded:
    """The shop after the story, and every payload built at the moment its event happened."""

    state: ShopState
    warehouse: int
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def send(self, topic: str, payload: dict[str, Any]) -> dict[str, Any]:
        # Through JSON and back, as a receiver gets it: a value json cannot carry fails here.
        self.sent.setdefault(topic, []).append(json.loads(json.dumps(payload)))
        return payload


@cache
def schema(topic: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{topic}.json").read_text())
    return loaded


def schema_errors(topic: str, payload: dict[str, Any]) -> list[str]:
    # No format checker: the schemas mark formats (uri, email, date-time) that the validator would only
    # check when asked; the times are checked below by parsing them.
    validator = Draft202012Validator(schema(topic))
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(payload)
    ]


def story() -> Recorded:
    state = ShopState(
        ShopInfo(
            548380009,
            "Crossdock Outfitters",
            "crossdock-outfitters.myshopify.com",
            iana_timezone="America/New_York",
        ),
        clock=ManualClock(),
    )
    warehouse = state.add_location("Warehouse", address1="1 Dock St", city="Newark", zip="07102").id
    service_location = state.add_location("Acme 3PL").id
    service = FulfillmentService(state.next_id(), "Acme 3PL", "acme-3pl", service_location)
    state.fulfillment_services[service.id] = service
    state.locations[service_location].fulfillment_service_id = service.id
    state.add_product("Tent", [("TENT-2P", "199.00", {warehouse: 10, service_location: 4})])
    state.add_product("Stove", [("STOVE-S", "49.50", {warehouse: 6}), ("STOVE-L", "59.50", {warehouse: 6})])
    shop = Recorded(state, warehouse)
    send = shop.send

    # A paid order at the warehouse: created, paid, sent to the warehouse, shipped in two parts.
    order = orders.place_order(
        state,
        [("TENT-2P", 3), ("STOVE-L", 1)],
        shipping_address=ADDRESS,
        email="ada@example.com",
        location_id=warehouse,
        tags=["vip", "wholesale"],
        note="Leave at the door",
    )
    send("orders/create", payloads.order_payload(state, order))
    send("orders/paid", payloads.order_payload(state, order))
    tent = state.variant_by_sku("TENT-2P")
    assert tent is not None
    send(
        "inventory_levels/update", payloads.inventory_level_payload(state, tent.inventory_item_id, warehouse)
    )
    (fo_id,) = order.fulfillment_order_ids
    topic = "fulfillment_orders/fulfillment_request_submitted"
    fulfillment_order = orders.request_fulfillment(state, fo_id, "Fragile")
    send(topic, payloads.fulfillment_order_payload(state, fulfillment_order, topic))
    topic = "fulfillment_orders/fulfillment_request_accepted"
    fulfillment_order = orders.accept_fulfillment_request(state, fo_id)
    send(topic, payloads.fulfillment_order_payload(state, fulfillment_order, topic, message="Ships tomorrow"))
    tent_line = next(
        line for line in fulfillment_order.line_items if line.line_item_id == order.line_items[0].id
    )
    tracking = [TrackingInfo("UPS", "1Z999", "https://www.ups.com/track?tracknum=1Z999")]
    orders.create_fulfillment(state, [(fo_id, [(tent_line.id, 1)])], tracking)
    send("orders/partially_fulfilled", payloads.order_payload(state, order))
    send("orders/updated", payloads.order_payload(state, order))
    topic = "fulfillment_orders/cancellation_request_submitted"
    fulfillment_order = orders.request_cancellation(state, fo_id, "Customer changed their mind")
    send(topic, payloads.fulfillment_order_payload(state, fulfillment_order, topic))
    topic = "fulfillment_orders/cancellation_request_rejected"
    fulfillment_order = orders.reject_cancellation_request(state, fo_id)
    send(topic, payloads.fulfillment_order_payload(state, fulfillment_order, topic, message="Already packed"))
    orders.create_fulfillment(state, [(fo_id, None)])
    send("orders/fulfilled", payloads.order_payload(state, order))

    # Returns of the shipped order: one requested and approved, closed, reopened, cancelled; one declined.
    shipped = [line for fid in order.fulfillment_ids for line in state.fulfillments[fid].line_items]
    returned = returns.request_return(state, order.id, [ReturnLineRequest(shipped[0].id, 1, "DEFECTIVE")])
    send("returns/request", payloads.return_payload(state, returned, "returns/request"))
    for topic, move in (
        ("returns/approve", returns.approve_return_request),
        ("returns/close", returns.close_return),
        ("returns/reopen", returns.reopen_return),
        ("returns/cancel", returns.cancel_return),
    ):
        send(topic, payloads.return_payload(state, move(state, returned.id), topic))
    declined = returns.request_return(state, order.id, [ReturnLineRequest(shipped[-1].id, 1)])
    returns.decline_return_request(state, declined.id, "FINAL_SALE")
    send("returns/decline", payloads.return_payload(state, declined, "returns/decline"))

    # An order held, released, then cancelled: its fulfillment order is cancelled with it.
    held = orders.place_order(state, [("STOVE-S", 2)], shipping_address=ADDRESS, email="ada@example.com")
    (held_fo_id,) = held.fulfillment_order_ids
    orders.hold(state, held_fo_id, "AWAITING_PAYMENT", "Bank transfer pending", handle="payment")
    topic = "fulfillment_orders/placed_on_hold"
    send(topic, payloads.fulfillment_order_payload(state, state.fulfillment_orders[held_fo_id], topic))
    topic = "fulfillment_orders/hold_released"
    fulfillment_order = orders.release_hold(state, held_fo_id)
    send(topic, payloads.fulfillment_order_payload(state, fulfillment_order, topic))
    orders.cancel_order(state, held.id, "CUSTOMER", restock=True)
    send("orders/cancelled", payloads.order_payload(state, held))
    topic = "fulfillment_orders/cancelled"
    send(topic, payloads.fulfillment_order_payload(state, state.fulfillment_orders[held_fo_id], topic))

    # An order at the 3PL: rejected once, submitted again, accepted, then cancelled by agreement.
    third = orders.place_order(state, [("TENT-2P", 1)], email="ada@example.com", location_id=service_location)
    send("orders/create", payloads.order_payload(state, third))  # no address: the schema still needs one
    (third_fo_id,) = third.fulfillment_order_ids
    orders.request_fulfillment(state, third_fo_id)
    topic = "fulfillment_orders/fulfillment_request_rejected"
    fulfillment_order = orders.reject_fulfillment_request(state, third_fo_id)
    send(topic, payloads.fulfillment_order_payload(state, fulfillment_order, topic, message="No stock"))
    orders.request_fulfillment(state, third_fo_id)
    orders.accept_fulfillment_request(state, third_fo_id)
    orders.request_cancellation(state, third_fo_id)
    topic = "fulfillment_orders/cancellation_request_accepted"
    fulfillment_order = orders.accept_cancellation_request(state, third_fo_id)
    send(topic, payloads.fulfillment_order_payload(state, fulfillment_order, topic))

    # An edit: one more tent on the first order is not possible (fulfilled), so edit a fresh one.
    edited = orders.place_order(state, [("STOVE-S", 2)], email="", location_id=warehouse)
    edit = order_edits.edit_order(
        state, edited.id, set_quantities={edited.line_items[0].id: 1}, add_lines=[("STOVE-L", 1)]
    )
    send(
        "orders/edited",
        payloads.order_edited_payload(
            state,
            edited,
            [{"id": delta.line_item_id, "delta": delta.delta} for delta in edit.additions],
            [{"id": delta.line_item_id, "delta": -delta.delta} for delta in edit.removals],
            [],
        ),
    )
    send("orders/updated", payloads.order_payload(state, edited))
    return shop


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    return story()


def every_sent(recorded: Recorded) -> Iterator[tuple[str, dict[str, Any]]]:
    for topic, sent in recorded.sent.items():
        for payload in sent:
            yield topic, payload


# -- shape ------------------------------------------------------------------------------------------------


@needs_schemas
@pytest.mark.parametrize("topic", sorted(payloads.TOPIC_PAYLOAD_BUILDERS))
def test_every_payload_of_every_topic_is_valid_against_shopifys_schema(
    recorded: Recorded, topic: str
) -> None:
    sent = recorded.sent.get(topic, [])
    assert sent, f"the story sends no {topic}: add the event that makes it"
    for payload in sent:
        errors = schema_errors(topic, payload)
        assert not errors, f"{topic} payload is not valid:\n" + "\n".join(errors)


def test_every_topic_builder_is_documented_and_the_topics_exist_in_the_schemas() -> None:
    # Each builder serves the topics its tuple names; the schemas folder must hold each of them.
    assert set(payloads.TOPIC_PAYLOAD_BUILDERS) == {
        *payloads.ORDER_TOPICS,
        "orders/edited",
        "inventory_levels/update",
        *payloads.FULFILLMENT_ORDER_TOPICS,
        *payloads.RETURN_TOPICS,
    }
    if SCHEMAS.is_dir():
        missing = [
            topic for topic in payloads.TOPIC_PAYLOAD_BUILDERS if not (SCHEMAS / f"{topic}.json").exists()
        ]
        assert not missing


@needs_schemas
def test_a_missing_required_key_or_a_wrong_type_fails_validation(recorded: Recorded) -> None:
    order = dict(recorded.sent["orders/create"][0])
    assert not schema_errors("orders/create", order)
    del order["name"]
    assert any("'name' is a required property" in error for error in schema_errors("orders/create", order))
    level = dict(recorded.sent["inventory_levels/update"][0], available="7")
    assert any(error.startswith("available:") for error in schema_errors("inventory_levels/update", level))
    hold = recorded.sent["fulfillment_orders/placed_on_hold"][0]
    broken = {key: value for key, value in hold.items() if key != "created_fulfillment_hold"}
    assert schema_errors("fulfillment_orders/placed_on_hold", broken)


# -- content ----------------------------------------------------------------------------------------------


def test_the_order_carries_the_sandboxs_values(recorded: Recorded) -> None:
    created = recorded.sent["orders/create"][0]
    assert created["name"] == "#1001"
    assert created["order_number"] == 1001 and created["number"] == 1
    assert created["admin_graphql_api_id"] == f"gid://shopify/Order/{created['id']}"
    assert created["email"] == created["contact_email"] == "ada@example.com"
    assert created["tags"] == "vip, wholesale"
    assert created["note"] == "Leave at the door"
    assert created["financial_status"] == "paid" and created["fulfillment_status"] is None
    assert created["currency"] == "USD"
    assert created["total_price"] == "656.50"  # 3 x 199.00 + 59.50
    assert created["total_price_set"]["shop_money"] == {"amount": "656.50", "currency_code": "USD"}
    # The shop is in New York: 09:xx UTC is 04:xx there, five hours behind.
    assert created["created_at"].startswith("2026-11-01T04:") and created["created_at"].endswith("-05:00")
    tent, stove = created["line_items"]
    assert (tent["sku"], tent["quantity"], tent["price"], tent["fulfillable_quantity"]) == (
        "TENT-2P",
        3,
        "199.00",
        3,
    )
    assert tent["variant_id"] is not None and tent["product_exists"] is True
    assert stove["name"] == "Stove - Option 2" and stove["variant_title"] == "Option 2"
    assert created["shipping_address"]["name"] == "Ada Lovelace"
    assert created["shipping_address"]["country"] == "United States"
    assert created["customer"]["email"] == "ada@example.com"


def test_fulfillments_and_cancellation_show_in_the_order(recorded: Recorded) -> None:
    partial = recorded.sent["orders/partially_fulfilled"][0]
    assert partial["fulfillment_status"] == "partial"
    (fulfillment,) = partial["fulfillments"]
    assert fulfillment["name"] == "#1001.1" and fulfillment["status"] == "success"
    assert fulfillment["tracking_number"] == "1Z999" and fulfillment["tracking_company"] == "UPS"
    assert [(line["sku"], line["quantity"]) for line in fulfillment["line_items"]] == [("TENT-2P", 1)]
    assert partial["line_items"][0]["fulfillment_status"] == "partial"
    assert partial["line_items"][0]["fulfillable_quantity"] == 2
    fulfilled = recorded.sent["orders/fulfilled"][0]
    assert fulfilled["fulfillment_status"] == "fulfilled" and len(fulfilled["fulfillments"]) == 2
    cancelled = recorded.sent["orders/cancelled"][0]
    assert cancelled["cancel_reason"] == "customer" and cancelled["cancelled_at"] is not None
    assert cancelled["current_total_price"] == "0.00" and cancelled["total_price"] == "99.00"
    assert cancelled["line_items"][0]["current_quantity"] == 0
    assert recorded.sent["orders/create"][1]["line_items"][0]["fulfillment_service"] == "acme-3pl"


def test_the_inventory_level_reports_what_is_available(recorded: Recorded) -> None:
    (level,) = recorded.sent["inventory_levels/update"]
    # 10 tents at the warehouse, 3 committed to the first order.
    assert level["available"] == 7 and level["location_id"] == recorded.warehouse
    assert level["admin_graphql_api_id"].startswith(f"gid://shopify/InventoryLevel/{recorded.warehouse}?")
    assert level["updated_at"].endswith("-05:00")


def test_fulfillment_order_topics_report_the_status_and_the_request(recorded: Recorded) -> None:
    sent = {topic.removeprefix("fulfillment_orders/"): items[0] for topic, items in recorded.sent.items()}
    submitted = sent["fulfillment_request_submitted"]
    assert submitted["submitted_fulfillment_order"]["status"] == "open"
    assert submitted["submitted_fulfillment_order"]["request_status"] == "submitted"
    assert submitted["fulfillment_order_merchant_request"]["message"] == "Fragile"
    accepted = sent["fulfillment_request_accepted"]
    assert accepted["fulfillment_order"] == {
        "id": submitted["submitted_fulfillment_order"]["id"],
        "status": "in_progress",
        "request_status": "accepted",
    }
    assert accepted["message"] == "Ships tomorrow"
    assert sent["fulfillment_request_rejected"]["fulfillment_order"]["request_status"] == "rejected"
    assert (
        sent["cancellation_request_submitted"]["fulfillment_order"]["request_status"]
        == "cancellation_requested"
    )
    assert sent["cancellation_request_rejected"]["message"] == "Already packed"
    assert sent["cancellation_request_accepted"]["fulfillment_order"]["status"] == "cancelled"
    on_hold = sent["placed_on_hold"]
    assert on_hold["fulfillment_order"]["status"] == "on_hold"
    assert on_hold["created_fulfillment_hold"]["reason"] == "awaiting_payment"
    assert on_hold["created_fulfillment_hold"]["handle"] == "payment"
    assert [line["quantity"] for line in on_hold["held_fulfillment_order_line_items"]] == [2]
    assert sent["hold_released"]["fulfillment_order"]["status"] == "open"
    assert sent["cancelled"]["fulfillment_order"]["status"] == "cancelled"


def test_returns_and_edits_report_what_changed(recorded: Recorded) -> None:
    statuses = [recorded.sent[f"returns/{event}"][0]["status"] for event in ("request", "approve", "close")]
    assert statuses == ["requested", "open", "closed"]
    assert recorded.sent["returns/reopen"][0]["status"] == "open"
    assert recorded.sent["returns/cancel"][0]["status"] == "canceled"
    assert recorded.sent["returns/request"][0]["total_return_line_items"] == 1
    assert recorded.sent["returns/decline"][0]["decline"] == {"reason": "final_sale", "note": ""}
    edit = recorded.sent["orders/edited"][0]["order_edit"]
    updated = recorded.sent["orders/updated"][-1]
    assert edit["order_id"] == updated["id"]
    stove_s, stove_l = updated["line_items"]
    assert edit["line_items"]["removals"] == [{"id": stove_s["id"], "delta": 1}]
    assert edit["line_items"]["additions"] == [{"id": stove_l["id"], "delta": 1}]
    assert stove_s["current_quantity"] == 1 and stove_l["quantity"] == 1


def test_changed_quantities_are_reported_as_additions_or_removals(recorded: Recorded) -> None:
    state = recorded.state
    order = next(iter(state.orders.values()))
    edit = payloads.order_edited_payload(
        state, order, [], [], [{"id": 1, "delta": 2}, {"id": 2, "delta": -3}]
    )
    assert edit["order_edit"]["line_items"] == {
        "additions": [{"id": 1, "delta": 2}],
        "removals": [{"id": 2, "delta": 3}],
    }


def test_times_carry_the_shops_offset_and_building_changes_nothing(recorded: Recorded) -> None:
    for topic, payload in every_sent(recorded):
        for key in ("created_at", "updated_at", "processed_at", "cancelled_at", "closed_at"):
            value = payload.get(key)
            if value is not None:
                assert datetime.fromisoformat(value).utcoffset() == timedelta(hours=-5), (topic, key, value)
    state = recorded.state
    order = next(iter(state.orders.values()))
    before = (state.next_id(), order.updated_at)
    assert payloads.order_payload(state, order) == payloads.order_payload(state, order)
    assert (state.next_id() - 1, order.updated_at) == before


def test_an_unknown_topic_is_refused(recorded: Recorded) -> None:
    state = recorded.state
    fulfillment_order = next(iter(state.fulfillment_orders.values()))
    with pytest.raises(ValueError, match="fulfillment_orders/moved"):
        payloads.fulfillment_order_payload(state, fulfillment_order, "fulfillment_orders/moved")
    with pytest.raises(ValueError, match="returns/process"):
        payloads.return_payload(state, next(iter(state.returns.values())), "returns/process")
