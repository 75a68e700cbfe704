"""The Shopify client's retries, error types, pacing and call records, against a scripted Shopify served over
real HTTP (503s, slow answers, dropped connections, THROTTLED): no httpx mocking. The budget and the call
log are the in-memory adapters, on a clock the test moves (sleeps advance it instead of waiting)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from crossdock.connectors.shopify.budget import InMemoryBudget
from crossdock.connectors.shopify.call_log import InMemoryCallRecorder
from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.errors import (
    ShopifyAuthError,
    ShopifyOutcomeUnknown,
    ShopifyQueryError,
    ShopifyUnavailable,
    ShopifyUserErrors,
    UserError,
)
from crossdock.domain.leaky_bucket import SAFETY_SECONDS, LeakyBucket
from crossdock.jobs.errors import FatalJobError
from tests.support.servers import free_port, serving

TOKEN = "shpat_unit"
LEVEL = "gid://shopify/InventoryLevel/1?inventory_item_id=2"
QUANTITIES = {"inventoryLevel": {"id": LEVEL, "quantities": [{"name": "available", "quantity": 5}]}}

Send = Callable[[dict[str, Any]], Awaitable[None]]
Step = Callable[[Send], Awaitable[None]]


def cost(requested: int = 2, actual: int | None = 2, available: float = 1998) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": available,
                "restoreRate": 100.0,
            },
        }
    }


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Step:
    async def step(send: Send) -> None:
        encoded = json.dumps(body).encode()
        listed = [(b"content-type", b"application/json"), (b"content-length", str(len(encoded)).encode())]
        listed += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": listed})
        await send({"type": "http.response.body", "body": encoded})

    return step


def ok(data: dict[str, Any] | None = None, **costs: Any) -> Step:
    return answer(200, {"data": data or QUANTITIES, "extensions": cost(**costs)})


def slow(seconds: float) -> Step:
    async def step(send: Send) -> None:
        await asyncio.sleep(seconds)
        await answer(200, {"data": QUANTITIES, "extensions": cost()})(send)

    return step


async def dropped(send: Send) -> None:
    """Headers promise a body that never comes: the server closes the connection mid-answer."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    await send({"type": "http.response.body", "body": b'{"data":', "more_body": True})


THROTTLED = answer(
    200,
    {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": cost(requested=2, actual=None, available=0),
    },
)


@dataclass
class ScriptedShopify:
    """An ASGI app answering each request with the next step of its script (then plain successes)."""

    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        self.requests.append({"path": scope["path"], "headers": headers, "body": json.loads(body)})
        step = self.script.pop(0) if self.script else ok()
        await step(send)


@pytest.fixture
def shopify() -> Iterator[tuple[str, ScriptedShopify]]:
    app = ScriptedShopify()
    with serving(app) as url:
        yield url, app


class ManualTime:
    """The budget's clock and the client's sleeps: sleeping moves the clock, and is remembered."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Harness:
    url: str
    time: ManualTime = field(default_factory=ManualTime)
    recorder: InMemoryCallRecorder = field(default_factory=InMemoryCallRecorder)
    budget: InMemoryBudget = field(init=False)

    def __post_init__(self) -> None:
        self.budget = InMemoryBudget(LeakyBucket.full(self.time.now), clock=self.time, sleep=self.time.sleep)

    def run(self, call: Callable[[ShopifyClient], Awaitable[Any]], *, attempts: int = 3) -> Any:
        async def go() -> Any:
            async with httpx.AsyncClient() as http:
                client = ShopifyClient(
                    http,
                    shop_domain="unit.myshopify.com",
                    base_url=self.url,
                    access_token=TOKEN,
                    budget=self.budget,
                    recorder=self.recorder,
                    timeout_seconds=0.3,
                    max_attempts=attempts,
                    backoff_base_seconds=0.01,
                    sleep=self.time.sleep,
                )
                return await call(client)

        return asyncio.run(go())

    def statuses(self) -> list[tuple[str, str | None]]:
        return [(attempt.status, attempt.error) for attempt in self.recorder.attempts]


def quantities(client: ShopifyClient) -> Awaitable[dict[str, Any]]:
    return client.execute("InventoryLevelQuantities", {"id": LEVEL, "names": ["available"]}, job_id="job-1")


def test_a_query_answered_503_is_retried_and_both_attempts_are_recorded(
    shopify: tuple[str, ScriptedShopify],
) -> None:
    url, app = shopify
    app.script = [answer(503, {"errors": "Service Unavailable"}), ok()]
    harness = Harness(url)

    assert harness.run(quantities) == QUANTITIES

    assert harness.statuses() == [("retriable_error", "HTTP 503"), ("succeeded", None)]
    first, second = harness.recorder.attempts
    assert (first.attempt, second.attempt) == (1, 2)
    assert first.idempotency_key == second.idempotency_key
    assert second.job_id == "job-1"
    assert second.request_summary["variables"] == {"id": LEVEL, "names": ["available"]}
    assert second.response_summary == {
        "http_status": 200,
        "requested_cost": 2,
        "actual_cost": 2,
        "throttle_status": cost()["cost"]["throttleStatus"],
    }
    assert second.duration_ms is not None and second.duration_ms > 0
    request = app.requests[1]
    assert request["path"] == "/admin/api/2026-07/graphql.json"
    assert request["headers"]["x-shopify-access-token"] == TOKEN
    assert request["body"]["operationName"] == "InventoryLevelQuantities"
    assert request["body"]["query"].lstrip().startswith("#")  # the file's text, comments included


def test_a_query_whose_answer_is_too_slow_times_out_and_is_retried(
    shopify: tuple[str, ScriptedShopify],
) -> None:
    url, app = shopify
    app.script = [slow(1.0), ok()]
    harness = Harness(url)

    assert harness.run(quantities) == QUANTITIES

    (first_status, first_error), second = harness.statuses()
    assert first_status == "retriable_error" and first_error is not None
    assert first_error.startswith("timeout: ReadTimeout")
    assert second == ("succeeded", None)


def test_a_query_whose_connection_drops_is_retried(shopify: tuple[str, ScriptedShopify]) -> None:
    url, app = shopify
    app.script = [dropped, ok()]
    harness = Harness(url)

    assert harness.run(quantities) == QUANTITIES

    (first_status, first_error), second = harness.statuses()
    assert first_status == "retriable_error" and first_error is not None
    assert first_error.startswith("connection lost:")
    assert second == ("succeeded", None)


def create_webhook(client: ShopifyClient, key: str | None = None) -> Awaitable[dict[str, Any]]:
    return client.execute(
        "WebhookSubscriptionCreate",
        {"topic": "ORDERS_CREATE", "uri": "https://hub.example.com/webhooks/shopify"},
        idempotency_key=key,
    )


@pytest.mark.parametrize("failure", [answer(502, {"errors": "Bad Gateway"}), dropped, slow(1.0)])
def test_a_mutation_without_key_that_may_have_run_is_not_sent_again(
    shopify: tuple[str, ScriptedShopify], failure: Step
) -> None:
    url, app = shopify
    app.script = [failure]
    harness = Harness(url)

    with pytest.raises(ShopifyOutcomeUnknown, match="check the state in Shopify first"):
        harness.run(create_webhook)

    assert len(app.requests) == 1
    assert [status for status, _ in harness.statuses()] == ["retriable_error"]
    # The reservation stays spent: Shopify may have charged it.
    assert harness.budget.bucket.available < 2000


def test_a_mutation_with_a_key_is_retried_after_a_5xx(shopify: tuple[str, ScriptedShopify]) -> None:
    url, app = shopify
    created = {"webhookSubscriptionCreate": {"webhookSubscription": {"id": "gid://x/1"}, "userErrors": []}}
    app.script = [answer(503, {"errors": "Service Unavailable"}), ok(created, requested=10, actual=10)]
    harness = Harness(url)

    assert harness.run(lambda client: create_webhook(client, "subscribe-orders-create")) == created

    assert [attempt.idempotency_key for attempt in harness.recorder.attempts] == [
        "subscribe-orders-create"
    ] * 2


def test_an_idempotent_mutation_gets_the_calls_key_in_every_attempt(
    shopify: tuple[str, ScriptedShopify],
) -> None:
    url, app = shopify
    applied = {"inventorySetQuantities": {"inventoryAdjustmentGroup": {"id": "gid://x/9"}, "userErrors": []}}
    app.script = [dropped, ok(applied, requested=11, actual=11)]
    harness = Harness(url)
    variables = {
        "input": {
            "reason": "correction",
            "name": "available",
            "quantities": [{"inventoryItemId": "gid://x/2", "locationId": "gid://x/1", "quantity": 3}],
        }
    }

    assert harness.run(lambda client: client.execute("InventorySetQuantities", variables)) == applied

    sent_keys = [request["body"]["variables"]["idempotencyKey"] for request in app.requests]
    recorded_keys = [attempt.idempotency_key for attempt in harness.recorder.attempts]
    assert sent_keys == recorded_keys and len(set(sent_keys)) == 1


def test_a_mutation_whose_connection_is_refused_is_retried_then_reported_unavailable() -> None:
    harness = Harness(f"http://127.0.0.1:{free_port()}")  # nothing listens there

    with pytest.raises(ShopifyUnavailable, match="after 3 attempt") as raised:
        harness.run(create_webhook)

    assert not isinstance(raised.value, FatalJobError)
    assert [status for status, _ in harness.statuses()] == ["retriable_error"] * 3
    assert all(error and error.startswith("not sent: ConnectError") for _, error in harness.statuses())
    # Nothing reached Shopify: every reservation was given back.
    assert harness.budget.bucket.available == 2000


def test_throttled_waits_what_the_throttle_status_says_then_succeeds(
    shopify: tuple[str, ScriptedShopify],
) -> None:
    url, app = shopify
    app.script = [THROTTLED, ok()]
    harness = Harness(url)

    assert harness.run(quantities) == QUANTITIES

    assert harness.statuses() == [("retriable_error", "THROTTLED"), ("succeeded", None)]
    # Shopify had 0 points: the retry waited for the 2 it requests, plus the safety margin, at 100 points/s.
    assert harness.time.sleeps == [pytest.approx((2 + 100 * SAFETY_SECONDS) / 100)]


def test_a_429_is_retried_after_its_retry_after(shopify: tuple[str, ScriptedShopify]) -> None:
    url, app = shopify
    app.script = [answer(429, {"errors": "Too many requests"}, {"Retry-After": "1.5"}), ok()]
    harness = Harness(url)

    assert harness.run(create_webhook) == QUANTITIES  # a 429 never ran: even a keyless mutation is resent

    assert harness.time.sleeps == [1.5]


def test_shopify_still_unavailable_after_the_last_attempt(shopify: tuple[str, ScriptedShopify]) -> None:
    url, app = shopify
    app.script = [answer(503, {"errors": "Service Unavailable"})] * 4
    harness = Harness(url)

    with pytest.raises(ShopifyUnavailable, match=r"after 4 attempt.*HTTP 503"):
        harness.run(quantities, attempts=4)

    assert len(app.requests) == 4
    backoffs = harness.time.sleeps
    assert len(backoffs) == 3
    assert all(0.005 * 2**n <= delay <= 0.01 * 2**n for n, delay in enumerate(backoffs))


def test_bad_credentials_fail_at_once(shopify: tuple[str, ScriptedShopify]) -> None:
    url, app = shopify
    app.script = [answer(401, {"errors": "[API] Invalid API key or access token"})]
    harness = Harness(url)

    with pytest.raises(ShopifyAuthError, match=r"HTTP 401.*Invalid API key") as raised:
        harness.run(quantities)

    assert isinstance(raised.value, FatalJobError)
    assert len(app.requests) == 1
    assert harness.statuses() == [("fatal_error", "HTTP 401")]


def test_user_errors_are_raised_typed(shopify: tuple[str, ScriptedShopify]) -> None:
    url, app = shopify
    refused = {
        "inventorySetQuantities": {
            "inventoryAdjustmentGroup": None,
            "userErrors": [
                {"field": ["input", "reason"], "message": "The reason is invalid.", "code": "INVALID_REASON"}
            ],
        }
    }
    app.script = [ok(refused, requested=11, actual=11)]
    harness = Harness(url)

    with pytest.raises(ShopifyUserErrors) as raised:
        harness.run(
            lambda client: client.execute("InventorySetQuantities", {"input": {}}, idempotency_key="k1")
        )

    assert raised.value.errors == [UserError(["input", "reason"], "The reason is invalid.", "INVALID_REASON")]
    assert isinstance(raised.value, FatalJobError)
    (attempt,) = harness.recorder.attempts
    assert attempt.status == "fatal_error"
    assert attempt.response_summary is not None
    assert attempt.response_summary["user_errors"] == [
        {"field": ["input", "reason"], "message": "The reason is invalid.", "code": "INVALID_REASON"}
    ]


def test_graphql_errors_other_than_throttled_are_fatal(shopify: tuple[str, ScriptedShopify]) -> None:
    url, app = shopify
    app.script = [
        answer(
            200,
            {"errors": [{"message": "Field 'nope' doesn't exist", "extensions": {"code": "undefinedField"}}]},
        )
    ]
    harness = Harness(url)

    with pytest.raises(ShopifyQueryError, match="doesn't exist") as raised:
        harness.run(quantities)

    assert raised.value.codes == ["undefinedField"]
    assert len(app.requests) == 1


def test_the_next_call_reserves_the_cost_shopify_requested_for_the_last(
    shopify: tuple[str, ScriptedShopify],
) -> None:
    url, app = shopify
    app.script = [ok(requested=7, actual=3), ok(requested=7, actual=3)]
    harness = Harness(url)

    async def twice(client: ShopifyClient) -> None:
        await quantities(client)
        await quantities(client)

    harness.run(twice)

    # The first was priced by Shopify's published rule (2 for this query), the second by the first's answer.
    assert harness.budget.reservations == [2, 7]
    assert harness.budget.bucket.available == pytest.approx(2000 - 3 - 3)
