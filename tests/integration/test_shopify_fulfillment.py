"""Shipments become Shopify fulfillments, over real HTTP against the Shopify sandbox: orders are placed
through the sandbox's control API as a merchant's checkout would, fulfilled through crossdock's client, and
the outcome is read back from the shop with plain GraphQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest

from crossdock.connectors.shopify.budget import InMemoryBudget
from crossdock.connectors.shopify.call_log import InMemoryCallRecorder
from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.errors import ShopifyUserErrors
from crossdock.connectors.shopify.fulfillment import (
    FulfillmentOutcome,
    ShipmentToFulfil,
    Tracking,
    UnknownOrder,
    accept_cancellation_request,
    accept_fulfillment_request,
    fulfil_shipment,
    publish_status,
    reject_cancellation_request,
    reject_fulfillment_request,
    update_tracking,
)
from crossdock.connectors.shopify.tracking_companies import tracking_company
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from tests.support.servers import graphql_data, serving

TOKEN = "shpat_fulfillment_test"
DOMAIN = "acme.myshopify.com"
T = TypeVar("T")

ORDER_QUERY = """query($id: ID!) {
  order(id: $id) {
    displayFulfillmentStatus
    fulfillmentOrders(first: 10) { nodes { status lineItems(first: 10) { nodes { sku remainingQuantity } } } }
    fulfillments(first: 10) {
      id
      trackingInfo { company number url }
      fulfillmentLineItems(first: 10) { nodes { quantity lineItem { sku } } }
    }
  }
}"""


@dataclass
class Shop:
    url: str
    state: ShopState
    east_gid: str
    west_gid: str

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return graphql_data(self.url, TOKEN, query, variables)

    def control(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/_sandbox/{path}", json=body, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10
        )
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    def place_order(self, lines: Mapping[str, int], location_gid: str | None = None) -> str:
        body: dict[str, Any] = {"lines": [{"sku": sku, "quantity": units} for sku, units in lines.items()]}
        if location_gid is not None:
            body["location_id"] = location_gid
        order_gid: str = self.control("orders", body)["id"]
        return order_gid

    def order(self, order_gid: str) -> dict[str, Any]:
        order: dict[str, Any] = self.query(ORDER_QUERY, {"id": order_gid})["order"]
        return order

    def fulfillment_order_gids(self, order_gid: str) -> list[str]:
        order = self.state.orders[int(order_gid.rsplit("/", 1)[1])]
        return [gid("FulfillmentOrder", number) for number in order.fulfillment_order_ids]

    def run(self, action: Callable[[ShopifyClient], Awaitable[T]]) -> tuple[T, list[str]]:
        """``action``'s result with a fresh client, and the operations it sent (in order)."""
        recorder = InMemoryCallRecorder()

        async def call() -> T:
            async with httpx.AsyncClient() as http:
                client = ShopifyClient(
                    http,
                    shop_domain=DOMAIN,
                    base_url=self.url,
                    access_token=TOKEN,
                    budget=InMemoryBudget(),
                    recorder=recorder,
                    timeout_seconds=10,
                    max_attempts=3,
                )
                return await action(client)

        result = asyncio.run(call())
        return result, [attempt.operation for attempt in recorder.attempts]

    def fulfil(self, shipment: ShipmentToFulfil) -> tuple[FulfillmentOutcome, list[str]]:
        return self.run(lambda client: fulfil_shipment(client, shipment))


@pytest.fixture
def shop() -> Iterator[Shop]:
    state = ShopState(ShopInfo(1, "Acme Outdoor", DOMAIN))
    east = state.add_location("East warehouse")
    west = state.add_location("West warehouse")
    state.add_product("Trail tent", [("TENT-2P", "199.00", {east.id: 20, west.id: 20})])
    state.add_product("Camp stove", [("STOVE-1", "49.00", {east.id: 20, west.id: 20})])
    state.add_product("Headlamp", [("LAMP-1", "19.00", {west.id: 20})])
    sandbox = ShopifySandbox(state, PLANS["standard"])
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
        yield Shop(url, state, gid("Location", east.id), gid("Location", west.id))


def shipment(
    order_gid: str,
    lines: Mapping[str, int],
    numbers: tuple[str, ...] = ("1Z999AA10123456784",),
    *,
    shipment_id: str = "SHP-1",
    urls: tuple[str, ...] = (),
    carrier_code: str | None = "UPSN",
    location_gid: str | None = None,
) -> ShipmentToFulfil:
    return ShipmentToFulfil(
        order_gid=order_gid,
        shipment_id=shipment_id,
        lines=lines,
        tracking_numbers=numbers,
        tracking_urls=urls,
        company=tracking_company(carrier_code, None),
        notify_customer=False,
        location_gid=location_gid,
    )


def fulfilled_units(order: Mapping[str, Any]) -> list[dict[str, int]]:
    """Units per SKU of each fulfillment of the order, in creation order."""
    listed = []
    for fulfillment in order["fulfillments"]:
        units: dict[str, int] = {}
        for line in fulfillment["fulfillmentLineItems"]["nodes"]:
            units[line["lineItem"]["sku"]] = units.get(line["lineItem"]["sku"], 0) + line["quantity"]
        listed.append(units)
    return listed


def test_a_full_shipment_is_one_fulfillment_with_its_tracking_and_ups_as_company(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 2, "STOVE-1": 1}, shop.east_gid)

    outcome, sent = shop.fulfil(shipment(order_gid, {"TENT-2P": 2, "STOVE-1": 1}))

    assert sent == ["OrderFulfillmentOrders", "FulfillmentCreate"]
    assert outcome.created is True
    assert dict(outcome.fulfilled) == {"TENT-2P": 2, "STOVE-1": 1}
    assert dict(outcome.unplaced) == {}
    assert outcome.tracking == (Tracking("1Z999AA10123456784", "UPS", None),)
    order = shop.order(order_gid)
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    (fulfillment,) = order["fulfillments"]
    assert fulfillment["id"] == outcome.fulfillment_id
    assert fulfillment["trackingInfo"] == [{"company": "UPS", "number": "1Z999AA10123456784", "url": None}]
    assert fulfilled_units(order) == [{"TENT-2P": 2, "STOVE-1": 1}]


def test_the_same_shipment_again_finds_its_fulfillment_and_creates_none(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 3}, shop.east_gid)
    # A partial shipment: units remain, so only the tracking number can tell that it was applied.
    first, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 1}))

    again, sent = shop.fulfil(shipment(order_gid, {"TENT-2P": 1}))

    assert sent == ["OrderFulfillmentOrders"]
    assert again == FulfillmentOutcome(
        first.fulfillment_id,
        created=False,
        fulfilled={"TENT-2P": 1},
        unplaced={},
        tracking=(Tracking("1Z999AA10123456784", "UPS", None),),
    )
    order = shop.order(order_gid)
    assert fulfilled_units(order) == [{"TENT-2P": 1}]
    assert order["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"


def test_an_untracked_shipment_again_creates_nothing_once_its_skus_are_fulfilled(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 2}, shop.east_gid)
    first, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 2}, numbers=(), carrier_code=None))

    again, sent = shop.fulfil(shipment(order_gid, {"TENT-2P": 2}, numbers=(), carrier_code=None))

    assert first.created is True and first.tracking == ()
    assert sent == ["OrderFulfillmentOrders"]
    assert (again.fulfillment_id, again.created, dict(again.fulfilled)) == (
        first.fulfillment_id,
        False,
        {"TENT-2P": 2},
    )
    assert len(shop.order(order_gid)["fulfillments"]) == 1


def test_two_partial_shipments_make_two_fulfillments_and_the_order_fulfilled(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 3, "STOVE-1": 2}, shop.east_gid)

    first, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 1, "STOVE-1": 2}, ("1ZFIRST",), shipment_id="A"))
    between = shop.order(order_gid)
    second, _ = shop.fulfil(
        shipment(
            order_gid,
            {"TENT-2P": 2},
            ("9400111899223197428490",),
            shipment_id="B",
            urls=("https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490",),
            carrier_code="USPS",
        )
    )

    assert between["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert between["fulfillmentOrders"]["nodes"][0]["status"] == "IN_PROGRESS"
    assert (first.created, second.created) == (True, True)
    assert first.fulfillment_id != second.fulfillment_id
    order = shop.order(order_gid)
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    assert [fo["status"] for fo in order["fulfillmentOrders"]["nodes"]] == ["CLOSED"]
    assert fulfilled_units(order) == [{"TENT-2P": 1, "STOVE-1": 2}, {"TENT-2P": 2}]
    assert order["fulfillments"][1]["trackingInfo"] == [
        {
            "company": "USPS",
            "number": "9400111899223197428490",
            "url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490",
        }
    ]


def test_a_shipment_of_several_parcels_carries_every_tracking_number(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 2}, shop.east_gid)

    outcome, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 2}, ("1ZPARCEL1", "1ZPARCEL2")))

    assert [info.number for info in outcome.tracking] == ["1ZPARCEL1", "1ZPARCEL2"]
    assert [info["number"] for info in shop.order(order_gid)["fulfillments"][0]["trackingInfo"]] == [
        "1ZPARCEL1",
        "1ZPARCEL2",
    ]
    # Recognised by its first number on a replay.
    again, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 2}, ("1ZPARCEL1", "1ZPARCEL2")))
    assert (again.fulfillment_id, again.created) == (outcome.fulfillment_id, False)


def test_units_beyond_the_order_are_reported_not_dropped(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1, "STOVE-1": 1}, shop.east_gid)

    outcome, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 3, "MYSTERY-9": 1}))

    assert outcome.created is True
    assert dict(outcome.fulfilled) == {"TENT-2P": 1}
    assert dict(outcome.unplaced) == {"TENT-2P": 2, "MYSTERY-9": 1}
    assert fulfilled_units(shop.order(order_gid)) == [{"TENT-2P": 1}]
    # Applied again, the outcome still says what could not be placed.
    again, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 3, "MYSTERY-9": 1}))
    assert (again.created, dict(again.fulfilled), dict(again.unplaced)) == (
        False,
        {"TENT-2P": 1},
        {"TENT-2P": 2, "MYSTERY-9": 1},
    )


def test_a_shipment_nothing_can_take_creates_nothing(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1}, shop.east_gid)
    shop.fulfil(shipment(order_gid, {"TENT-2P": 1}, ("1ZDONE",)))

    outcome, sent = shop.fulfil(shipment(order_gid, {"TENT-2P": 1, "STOVE-1": 2}, ("1ZEXTRA",)))

    assert sent == ["OrderFulfillmentOrders"]
    assert outcome == FulfillmentOutcome(None, False, {}, {"TENT-2P": 1, "STOVE-1": 2})
    assert len(shop.order(order_gid)["fulfillments"]) == 1


def test_a_shipment_is_fulfilled_from_one_location(shop: Shop) -> None:
    # The headlamp is stocked in the west only: the order has a fulfillment order per warehouse.
    order_gid = shop.place_order({"TENT-2P": 1, "STOVE-1": 1, "LAMP-1": 2})
    assert len(shop.fulfillment_order_gids(order_gid)) == 2

    # The west's fulfillment order can take 2 units of this shipment, the east's 2 as well: the first wins.
    guessed, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 1, "STOVE-1": 1, "LAMP-1": 2}, ("1ZA",)))
    named, _ = shop.fulfil(shipment(order_gid, {"LAMP-1": 2}, ("1ZB",), location_gid=shop.west_gid))

    assert (dict(guessed.fulfilled), dict(guessed.unplaced)) == ({"TENT-2P": 1, "STOVE-1": 1}, {"LAMP-1": 2})
    assert (dict(named.fulfilled), dict(named.unplaced)) == ({"LAMP-1": 2}, {})
    assert shop.order(order_gid)["displayFulfillmentStatus"] == "FULFILLED"


def test_a_location_that_can_take_more_of_the_shipment_is_preferred(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1, "LAMP-1": 3})

    outcome, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 1, "LAMP-1": 3}))

    assert (dict(outcome.fulfilled), dict(outcome.unplaced)) == ({"LAMP-1": 3}, {"TENT-2P": 1})


def test_tracking_is_corrected_on_the_fulfillment(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1}, shop.east_gid)
    outcome, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 1}, ("1ZWRONG",)))
    assert outcome.fulfillment_id is not None
    fulfillment_id = outcome.fulfillment_id
    url = "https://www.fedex.com/fedextrack/?trknbr=794698740000"

    updated, sent = shop.run(
        lambda client: update_tracking(
            client, fulfillment_id, ["794698740000"], [url], tracking_company("FDEG", None), False
        )
    )

    assert sent == ["FulfillmentTrackingInfoUpdate"]
    assert updated == (Tracking("794698740000", "FedEx", url),)
    assert shop.order(order_gid)["fulfillments"][0]["trackingInfo"] == [
        {"company": "FedEx", "number": "794698740000", "url": url}
    ]
    # The corrected shipment is recognised by its new number.
    again, _ = shop.fulfil(shipment(order_gid, {"TENT-2P": 1}, ("794698740000",)))
    assert (again.fulfillment_id, again.created) == (fulfillment_id, False)


STATUS_QUERY = """query($id: ID!) {
  order(id: $id) {
    status: metafield(namespace: "crossdock", key: "status") { type value }
    detail: metafield(namespace: "crossdock", key: "status_detail") { type value }
  }
}"""


def test_the_status_is_published_to_the_orders_metafield_and_rewritten(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1}, shop.east_gid)

    shop.run(lambda client: publish_status(client, order_gid, "accepted", "East warehouse has the order"))
    first = shop.query(STATUS_QUERY, {"id": order_gid})["order"]
    shop.run(lambda client: publish_status(client, order_gid, "shipped", "1 parcel:\nUPS 1Z999"))
    second = shop.query(STATUS_QUERY, {"id": order_gid})["order"]

    text = "single_line_text_field"
    assert first == {
        "status": {"type": text, "value": "accepted"},
        "detail": {"type": text, "value": "East warehouse has the order"},
    }
    assert second == {
        "status": {"type": text, "value": "shipped"},
        "detail": {"type": text, "value": "1 parcel: UPS 1Z999"},
    }
    assert len(shop.state.metafields) == 2  # rewritten in place, not added


def test_an_unknown_order_is_refused(shop: Shop) -> None:
    with pytest.raises(UnknownOrder):
        shop.fulfil(shipment(gid("Order", 999999), {"TENT-2P": 1}))


# -- fulfillment-service mode -------------------------------------------------------------------------------


def request(shop: Shop, fulfillment_order_gid: str, kind: str) -> None:
    shop.control(f"fulfillment-orders/{fulfillment_order_gid}/request-{kind}", {"message": "please"})


def test_a_fulfillment_request_is_accepted_then_a_cancellation_refused_then_accepted(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1}, shop.east_gid)
    (fulfillment_order_gid,) = shop.fulfillment_order_gids(order_gid)
    request(shop, fulfillment_order_gid, "fulfillment")

    accepted, sent = shop.run(
        lambda client: accept_fulfillment_request(client, fulfillment_order_gid, "On it")
    )
    request(shop, fulfillment_order_gid, "cancellation")
    kept, _ = shop.run(lambda client: reject_cancellation_request(client, fulfillment_order_gid, "Packed"))
    request(shop, fulfillment_order_gid, "cancellation")
    cancelled, _ = shop.run(lambda client: accept_cancellation_request(client, fulfillment_order_gid))

    assert sent == ["FulfillmentOrderAcceptFulfillmentRequest"]
    assert (accepted.id, accepted.status, accepted.request_status) == (
        fulfillment_order_gid,
        "IN_PROGRESS",
        "ACCEPTED",
    )
    assert (kept.status, kept.request_status) == ("IN_PROGRESS", "CANCELLATION_REJECTED")
    assert (cancelled.status, cancelled.request_status) == ("CANCELLED", "CANCELLATION_ACCEPTED")


def test_a_fulfillment_request_is_rejected_with_a_reason(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1}, shop.east_gid)
    (fulfillment_order_gid,) = shop.fulfillment_order_gids(order_gid)
    request(shop, fulfillment_order_gid, "fulfillment")

    rejected, _ = shop.run(
        lambda client: reject_fulfillment_request(
            client, fulfillment_order_gid, "No stock", "INVENTORY_OUT_OF_STOCK"
        )
    )

    assert (rejected.status, rejected.request_status) == ("OPEN", "REJECTED")


def test_answering_a_request_that_was_never_made_raises_shopifys_user_errors(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1}, shop.east_gid)
    (fulfillment_order_gid,) = shop.fulfillment_order_gids(order_gid)

    with pytest.raises(ShopifyUserErrors, match="request status is UNSUBMITTED"):
        shop.run(lambda client: accept_fulfillment_request(client, fulfillment_order_gid))
