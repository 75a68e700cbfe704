"""The sandbox's webhooks over real HTTP: subscriptions managed through the Admin GraphQL endpoint, and
deliveries to a local receiver — signature, headers, the retry schedule, giving up, and the faults Shopify is
allowed to produce (duplicates, reordering, delays, drops). Signatures are checked here with the standard
library alone, never with the sandbox's own code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.sandbox.shopify.webhooks.delivery import RETRY_DELAYS_SECONDS, DeliveryFaults, WebhookService
from tests.support.servers import serving
from tests.support.waiting import wait_until

SECRET = "test-app-secret"
SHOP_DOMAIN = "acme.myshopify.com"
TOKEN = "shpat_test_token"
ENDPOINT = "/admin/api/2026-07/graphql.json"


@dataclass(frozen=True)
class Received:
    arrived: float  # time.monotonic() when the request line was read
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["X-Shopify-Webhook-Id"]

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """An app's webhook endpoint: records every request; answers 500 to the first ``failures`` requests and
    holds the first ``slow_requests`` for ``slow_seconds`` before answering."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.failures = 0
        self.slow_requests = 0
        self.slow_seconds = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    number = len(receiver.requests)
                    receiver.requests.append(Received(arrived, dict(self.headers.items()), body))
                if number < receiver.slow_requests:
                    time.sleep(receiver.slow_seconds)
                status = 500 if number < receiver.failures else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting (a timeout test)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        wait_until(lambda: len(self.received()) >= count, timeout=timeout, interval=0.005, what=f"{count}")
        return self.received()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def service() -> Iterator[WebhookService]:
    started = WebhookService(SECRET)
    try:
        yield started
    finally:
        started.stop()


def subscribe(service: WebhookService, uri: str, topic: str = "ORDERS_CREATE") -> None:
    created = service.subscriptions.create(topic, uri, datetime(2026, 11, 1, tzinfo=UTC))
    assert not hasattr(created, "message"), created


def outcomes(service: WebhookService) -> list[tuple[int, str]]:
    return [(record.attempt, record.outcome) for record in service.attempts()]


def expected_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def test_a_delivery_is_signed_and_carries_shopifys_headers(
    service: WebhookService, receiver: Receiver
) -> None:
    subscribe(service, receiver.url)
    before = datetime.now(UTC)
    [delivery] = service.emit("orders/create", {"id": 450789469, "name": "#1001"}, SHOP_DOMAIN)
    [request] = receiver.wait_for(1)

    assert request.json() == {"id": 450789469, "name": "#1001"}
    assert hmac.compare_digest(request.headers["X-Shopify-Hmac-Sha256"], expected_signature(request.body))
    triggered_at = request.headers["X-Shopify-Triggered-At"]
    assert triggered_at.endswith("Z")
    assert before <= datetime.fromisoformat(triggered_at) <= datetime.now(UTC)
    assert {name: request.headers[name] for name in SHOPIFY_HEADERS} == {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": delivery.webhook_id,
        "X-Shopify-Event-Id": delivery.event_id,
    }
    wait_until(lambda: service.attempts(), what="the attempt to be logged")
    assert outcomes(service) == [(1, "delivered")]
    assert service.attempts()[0].status_code == 200


SHOPIFY_HEADERS = (
    "Content-Type",
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-API-Version",
    "X-Shopify-Webhook-Id",
    "X-Shopify-Event-Id",
)


def test_one_event_reaches_every_subscriber_under_one_event_id_and_distinct_webhook_ids(
    service: WebhookService, receiver: Receiver
) -> None:
    subscribe(service, receiver.url + "/first")
    subscribe(service, receiver.url + "/second")
    subscribe(service, receiver.url + "/other-topic", topic="ORDERS_PAID")
    service.emit("orders/create", {"id": 1}, SHOP_DOMAIN)
    requests = receiver.wait_for(2)
    time.sleep(0.1)  # time for a wrongly addressed third delivery to show up

    assert len(receiver.received()) == 2
    assert len({request.headers["X-Shopify-Event-Id"] for request in requests}) == 1
    assert len({request.webhook_id for request in requests}) == 2


def test_a_failing_receiver_is_retried_on_schedule_under_one_webhook_id_until_it_succeeds(
    service: WebhookService, receiver: Receiver
) -> None:
    service.faults = DeliveryFaults(time_scale=0.001)  # 60 ms, 120 ms, 300 ms, ...
    receiver.failures = 3
    subscribe(service, receiver.url)
    [delivery] = service.emit("orders/create", {"id": 7}, SHOP_DOMAIN)
    requests = receiver.wait_for(4)
    wait_until(lambda: service.pending() == 0, what="the delivery to settle")
    time.sleep(0.7)  # longer than the next scheduled retry (600 ms): a wrong retry would arrive

    assert len(receiver.received()) == 4
    assert {request.webhook_id for request in requests} == {delivery.webhook_id}
    gaps = [later.arrived - earlier.arrived for earlier, later in itertools.pairwise(requests)]
    scheduled = [delay * 0.001 for delay in RETRY_DELAYS_SECONDS[:3]]
    assert all(gap >= wanted for gap, wanted in zip(gaps, scheduled, strict=True)), (gaps, scheduled)
    assert gaps == sorted(gaps)
    assert outcomes(service) == [
        (1, "retry_scheduled"),
        (2, "retry_scheduled"),
        (3, "retry_scheduled"),
        (4, "delivered"),
    ]
    assert [record.status_code for record in service.attempts()] == [500, 500, 500, 200]


def test_nine_failures_give_the_delivery_up_and_consecutive_give_ups_remove_the_subscription(
    receiver: Receiver,
) -> None:
    service = WebhookService(SECRET, faults=DeliveryFaults(time_scale=0.0001), remove_after_given_up=2)
    try:
        receiver.failures = 10_000
        subscribe(service, receiver.url)
        service.emit("orders/create", {"id": 1}, SHOP_DOMAIN)
        receiver.wait_for(9)
        wait_until(lambda: service.pending() == 0, what="the first delivery to be given up")
        first_run = service.attempts()
        assert [(r.attempt, r.outcome) for r in first_run] == [
            *((attempt, "retry_scheduled") for attempt in range(1, 9)),
            (9, "given_up"),
        ]
        assert first_run[-1].note == "subscription would be removed"
        assert len(service.subscriptions.all()) == 1

        service.emit("orders/create", {"id": 2}, SHOP_DOMAIN)
        receiver.wait_for(18)
        wait_until(lambda: service.pending() == 0, what="the second delivery to be given up")
        assert len(receiver.received()) == 18
        assert service.attempts()[-1].outcome == "given_up"
        assert service.attempts()[-1].note == "subscription removed"
        assert service.subscriptions.all() == []
    finally:
        service.stop()


def test_a_receiver_slower_than_the_timeout_fails_the_attempt(
    service: WebhookService, receiver: Receiver
) -> None:
    service.faults = DeliveryFaults(time_scale=0.001, timeout_seconds=0.2)
    receiver.slow_requests, receiver.slow_seconds = 1, 0.6
    subscribe(service, receiver.url)
    service.emit("orders/create", {"id": 3}, SHOP_DOMAIN)
    receiver.wait_for(2)
    wait_until(lambda: len(service.attempts()) == 2, what="both attempts to be logged")

    first, second = service.attempts()
    assert (first.outcome, first.error, first.status_code) == ("retry_scheduled", "timeout", None)
    assert (second.outcome, second.status_code) == ("delivered", 200)


def test_with_several_workers_a_slow_answer_holds_back_only_the_delivery_it_answers(
    receiver: Receiver,
) -> None:
    receiver.slow_requests, receiver.slow_seconds = 1, 1.0
    parallel = WebhookService(SECRET, workers=4)
    try:
        subscribe(parallel, receiver.url)
        for number in range(6):
            parallel.emit("orders/create", {"id": number}, SHOP_DOMAIN)
        arrived = receiver.wait_for(6)
        # Another delivery finished while the slow one was still being answered: one worker would have
        # logged the slow one first, then sent the others after it.
        wait_until(lambda: len(parallel.attempts()) == 6, what="all six deliveries to be logged")
        first_logged = parallel.attempts()[0]
        assert first_logged.outcome == "delivered"
        assert first_logged.webhook_id != arrived[0].webhook_id
        assert sorted(request.json()["id"] for request in arrived) == list(range(6))
    finally:
        parallel.stop()


def test_a_webhook_service_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one delivery worker"):
        WebhookService(SECRET, workers=0)


def test_with_duplicate_rate_one_every_event_arrives_twice_under_the_same_webhook_id(
    service: WebhookService, receiver: Receiver
) -> None:
    service.faults = DeliveryFaults(duplicate_rate=1.0)
    subscribe(service, receiver.url)
    deliveries = [service.emit("orders/create", {"id": n}, SHOP_DOMAIN)[0] for n in range(3)]
    receiver.wait_for(6)
    wait_until(lambda: len(service.attempts()) == 6, what="all six sends to be logged")

    ids = [request.webhook_id for request in receiver.received()]
    assert sorted(ids) == sorted(delivery.webhook_id for delivery in deliveries for _ in range(2))
    assert sorted(outcome for _, outcome in outcomes(service)) == ["delivered"] * 3 + ["duplicate"] * 3


def test_with_drop_rate_one_nothing_arrives_and_the_log_says_dropped(
    service: WebhookService, receiver: Receiver
) -> None:
    service.faults = DeliveryFaults(drop_rate=1.0)
    subscribe(service, receiver.url)
    deliveries = [service.emit("orders/create", {"id": n}, SHOP_DOMAIN)[0] for n in range(3)]
    time.sleep(0.3)

    assert receiver.received() == []
    assert service.pending() == 0
    assert [(r.webhook_id, r.attempt, r.outcome) for r in service.attempts()] == [
        (delivery.webhook_id, 0, "dropped") for delivery in deliveries
    ]


def test_reordering_shuffles_arrivals_but_delivers_everything(
    service: WebhookService, receiver: Receiver
) -> None:
    subscribe(service, receiver.url)
    emitted = list(range(8))

    service.faults = DeliveryFaults(reorder=False)
    for number in emitted:
        service.emit("orders/create", {"id": number}, SHOP_DOMAIN)
    in_order = [request.json()["id"] for request in receiver.wait_for(8)]
    assert in_order == emitted  # without the fault, one worker keeps the emitted order

    service.faults = DeliveryFaults(reorder=True, reorder_window_seconds=0.3, seed=7)
    for number in emitted:
        service.emit("orders/create", {"id": number}, SHOP_DOMAIN)
    reordered = [request.json()["id"] for request in receiver.wait_for(16)[8:]]
    assert reordered != emitted
    assert sorted(reordered) == emitted


def test_a_delay_holds_the_first_attempt_and_emit_never_waits(
    service: WebhookService, receiver: Receiver
) -> None:
    service.faults = DeliveryFaults(delay_seconds=0.3)
    subscribe(service, receiver.url)
    emitted_at = time.monotonic()
    service.emit("orders/create", {"id": 1}, SHOP_DOMAIN)
    returned_after = time.monotonic() - emitted_at
    [request] = receiver.wait_for(1)

    assert returned_after < 0.05
    assert request.arrived - emitted_at >= 0.3


def test_include_fields_and_filter_shape_what_a_subscriber_receives(
    service: WebhookService, receiver: Receiver
) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    service.subscriptions.create(
        "ORDERS_CREATE", receiver.url, now, filter="financial_status:paid", include_fields=["id", "name"]
    )
    service.emit("orders/create", {"id": 1, "name": "#1", "financial_status": "pending"}, SHOP_DOMAIN)
    service.emit("orders/create", {"id": 2, "name": "#2", "financial_status": "paid"}, SHOP_DOMAIN)
    [request] = receiver.wait_for(1)
    time.sleep(0.1)

    assert len(receiver.received()) == 1
    assert request.json() == {"id": 2, "name": "#2"}


# -- the GraphQL face -------------------------------------------------------------------------------------

CREATE = """mutation($topic: WebhookSubscriptionTopic!, $input: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $input) {
    webhookSubscription { id topic uri format includeFields filter createdAt updatedAt }
    userErrors { field message }
  }
}"""
DELETE = """mutation($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""
LIST = """query($topics: [WebhookSubscriptionTopic!]) {
  webhookSubscriptions(first: 10, topics: $topics) { nodes { id topic uri } pageInfo { hasNextPage } }
}"""
ONE = "query($id: ID!) { webhookSubscription(id: $id) { id topic uri } }"


@dataclass
class SandboxShop:
    url: str
    sandbox: ShopifySandbox

    def post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(
            self.url + ENDPOINT,
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=10,
        )
        assert answer.status_code == 200
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def shop() -> Iterator[SandboxShop]:
    state = ShopState(
        ShopInfo(1, "Acme Outdoor", SHOP_DOMAIN), clock=lambda: datetime(2026, 11, 1, tzinfo=UTC)
    )
    sandbox = ShopifySandbox(state, PLANS["standard"])
    sandbox.webhooks.app_secret = SECRET
    try:
        with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
            yield SandboxShop(url, sandbox)
    finally:
        sandbox.webhooks.stop()


def test_subscriptions_are_created_listed_refused_when_repeated_and_deleted_over_graphql(
    shop: SandboxShop, receiver: Receiver
) -> None:
    created = shop.post(CREATE, {"topic": "ORDERS_CREATE", "input": {"uri": receiver.url}})
    subscription = created["webhookSubscriptionCreate"]["webhookSubscription"]
    assert created["webhookSubscriptionCreate"]["userErrors"] == []
    assert subscription == {
        "id": subscription["id"],
        "topic": "ORDERS_CREATE",
        "uri": receiver.url,
        "format": "JSON",
        "includeFields": [],
        "filter": None,
        "createdAt": "2026-11-01T00:00:00Z",
        "updatedAt": "2026-11-01T00:00:00Z",
    }
    assert subscription["id"].startswith("gid://shopify/WebhookSubscription/")
    shop.post(CREATE, {"topic": "ORDERS_PAID", "input": {"uri": receiver.url}})

    repeated = shop.post(CREATE, {"topic": "ORDERS_CREATE", "input": {"uri": receiver.url}})
    assert repeated["webhookSubscriptionCreate"] == {
        "webhookSubscription": None,
        "userErrors": [
            {
                "field": ["webhookSubscription", "uri"],
                "message": "Address for this topic has already been taken",
            }
        ],
    }
    invalid = shop.post(CREATE, {"topic": "ORDERS_CREATE", "input": {"uri": "not a url"}})
    assert invalid["webhookSubscriptionCreate"]["userErrors"] == [
        {"field": ["webhookSubscription", "uri"], "message": "Address is invalid"}
    ]

    listed = shop.post(LIST, {"topics": ["ORDERS_CREATE"]})["webhookSubscriptions"]
    assert listed == {
        "nodes": [{"id": subscription["id"], "topic": "ORDERS_CREATE", "uri": receiver.url}],
        "pageInfo": {"hasNextPage": False},
    }
    assert len(shop.post(LIST, {})["webhookSubscriptions"]["nodes"]) == 2
    assert shop.post(ONE, {"id": subscription["id"]})["webhookSubscription"] == listed["nodes"][0]

    # The subscription made over GraphQL receives the shop's events.
    shop.sandbox.webhooks.emit("orders/create", {"id": 5}, SHOP_DOMAIN)
    [request] = receiver.wait_for(1)
    assert request.headers["X-Shopify-Hmac-Sha256"] == expected_signature(request.body)

    deleted = shop.post(DELETE, {"id": subscription["id"]})["webhookSubscriptionDelete"]
    assert deleted == {"deletedWebhookSubscriptionId": subscription["id"], "userErrors": []}
    again = shop.post(DELETE, {"id": subscription["id"]})["webhookSubscriptionDelete"]
    assert again == {
        "deletedWebhookSubscriptionId": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
    }
    assert shop.post(LIST, {"topics": ["ORDERS_CREATE"]})["webhookSubscriptions"]["nodes"] == []
    assert shop.post(ONE, {"id": subscription["id"]})["webhookSubscription"] is None


def test_the_retry_schedule_adds_up_to_about_four_hours() -> None:
    assert len(RETRY_DELAYS_SECONDS) == 8
    assert list(RETRY_DELAYS_SECONDS) == sorted(RETRY_DELAYS_SECONDS)
    assert (
        timedelta(hours=4) <= timedelta(seconds=sum(RETRY_DELAYS_SECONDS)) <= timedelta(hours=4, minutes=15)
    )
