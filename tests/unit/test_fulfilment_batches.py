"""The shop's fulfilling job calls Shopify for several shipments at once: the shipments of one order one after
the other (each sees what the previous one fulfilled), a failure stopping only its own order's later
shipments, and never more calls in flight than the bound."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest

from crossdock.connectors.shopify import order_feedback
from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.order_feedback import PreparedFulfilment


def shipment(order_id: int, shipment_id: str, *, needs_call: bool = True) -> PreparedFulfilment:
    request = SimpleNamespace(shipment_id=shipment_id) if needs_call else None
    return cast(PreparedFulfilment, SimpleNamespace(stored=SimpleNamespace(id=order_id), request=request))


class RecordingShopify:
    """Stands in for ``fulfil_shipment``: remembers the order of calls and how many were in flight."""

    def __init__(self, failing: set[str]) -> None:
        self.failing = failing
        self.started: list[str] = []
        self.finished: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def fulfil(self, _client: Any, request: Any) -> str:
        self.started.append(request.shipment_id)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        self.finished.append(request.shipment_id)
        if request.shipment_id in self.failing:
            raise RuntimeError(f"Shopify refused {request.shipment_id}")
        return f"fulfillment of {request.shipment_id}"


def run(
    prepared: list[PreparedFulfilment], shopify: RecordingShopify, monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    monkeypatch.setattr(order_feedback, "fulfil_shipment", shopify.fulfil)
    return asyncio.run(order_feedback._fulfil_concurrently(cast(ShopifyClient, None), prepared))


def test_a_failed_shipment_stops_the_later_ones_of_its_order_only(monkeypatch: pytest.MonkeyPatch) -> None:
    shopify = RecordingShopify(failing={"A-1"})
    prepared = [
        shipment(1, "A-1"),
        shipment(2, "B-1"),
        shipment(1, "A-2"),
        shipment(3, "C-1", needs_call=False),
    ]

    results = run(prepared, shopify, monkeypatch)

    assert isinstance(results[0], RuntimeError) and "A-1" in str(results[0])
    assert results[1] == "fulfillment of B-1"
    assert isinstance(results[2], RuntimeError) and "earlier shipment" in str(results[2])
    assert results[3] is None
    assert sorted(shopify.started) == ["A-1", "B-1"]  # A-2 never called, C-1 needs no call


def test_shipments_of_one_order_go_one_after_the_other_and_calls_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shopify = RecordingShopify(failing=set())
    prepared = [shipment(order, f"{order}-{number}") for number in (1, 2) for order in range(20)]

    results = run(prepared, shopify, monkeypatch)

    assert results == [f"fulfillment of {one.request.shipment_id}" for one in prepared if one.request]
    for order in range(20):
        assert shopify.finished.index(f"{order}-1") < shopify.started.index(f"{order}-2")
    assert 1 < shopify.most_in_flight <= order_feedback._FULFIL_CONCURRENCY
