"""Fulfillment-service mode over real HTTP against the Shopify sandbox: the merchant sends fulfillment and
cancellation requests through the sandbox's control API, crossdock answers them as the warehouse answered
the order, and the fulfillment orders' states are read back from the shop with plain GraphQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from crossdock.config import Settings, ShopSettings
from crossdock.connectors.shopify.budget import InMemoryBudget
from crossdock.connectors.shopify.call_log import InMemoryCallRecorder, RecordedAttempt
from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.fulfillment_service import answer_requests
from crossdock.connectors.shopify.order_feedback import publish_order_status
from crossdock.domain.order_status import OrderState, Status
from crossdock.domain.orders import Address, Order, OrderLine
from crossdock.jobs.context import JobContext
from crossdock.jobs.retry import RetryPolicy
from crossdock.jobs.runtime import JobRuntime
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.ids import gid
from crossdock.sandbox.shopify.plans import PLANS
from crossdock.sandbox.shopify.shop_state import ShopInfo, ShopState
from crossdock.store.engine import create_engine
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.schema import outbound_calls
from crossdock.store.shops import DeclaredShop
from crossdock.store.unit_of_work import UnitOfWork
from tests.integration.test_shopify_fulfillment import DOMAIN, TOKEN, Shop, request
from tests.support.enqueuers import RecordingEnqueuer
from tests.support.servers import serving

FULFILLMENT_ORDERS_QUERY = """query($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 10) { nodes { id status requestStatus } } }
}"""


@pytest.fixture
def shop() -> Iterator[Shop]:
    state = ShopState(ShopInfo(1, "Acme Outdoor", DOMAIN))
    warehouse = state.add_location("Crossdock warehouse")
    other = state.add_location("Merchant's back room")
    state.add_product("Trail tent", [("TENT-2P", "199.00", {warehouse.id: 20, other.id: 20})])
    state.add_product("Headlamp", [("LAMP-1", "19.00", {other.id: 20})])
    sandbox = ShopifySandbox(state, PLANS["standard"])
    with serving(create_sandbox_app(sandbox, access_token=TOKEN)) as url:
        yield Shop(url, state, gid("Location", warehouse.id), gid("Location", other.id))


def answer(
    shop: Shop, order_gid: str, status: str, reason: str | None = None
) -> tuple[list[str], list[RecordedAttempt]]:
    """What ``answer_requests`` did, and the calls it sent to Shopify (in order)."""
    recorder = InMemoryCallRecorder()

    async def call() -> list[str]:
        async with httpx.AsyncClient() as http:
            client = ShopifyClient(
                http,
                shop_domain=DOMAIN,
                base_url=shop.url,
                access_token=TOKEN,
                budget=InMemoryBudget(),
                recorder=recorder,
                timeout_seconds=10,
                max_attempts=3,
            )
            return await answer_requests(client, order_gid, status, reason)

    return asyncio.run(call()), list(recorder.attempts)


def operations(attempts: list[RecordedAttempt]) -> list[str]:
    return [attempt.operation for attempt in attempts]


def states(shop: Shop, order_gid: str) -> dict[str, tuple[str, str]]:
    """Each fulfillment order of the order, as Shopify shows it: (status, request status)."""
    nodes = shop.query(FULFILLMENT_ORDERS_QUERY, {"id": order_gid})["order"]["fulfillmentOrders"]["nodes"]
    return {node["id"]: (node["status"], node["requestStatus"]) for node in nodes}


def submitted_order(shop: Shop) -> tuple[str, str]:
    """An order at the warehouse's location whose fulfillment order the merchant sent to crossdock."""
    order_gid = shop.place_order({"TENT-2P": 1}, shop.east_gid)
    (fulfillment_order_gid,) = shop.fulfillment_order_gids(order_gid)
    request(shop, fulfillment_order_gid, "fulfillment")
    return order_gid, fulfillment_order_gid


def cancellation_requested_order(shop: Shop) -> tuple[str, str]:
    """An order crossdock accepted, on which the merchant then asked for a cancellation."""
    order_gid, fulfillment_order_gid = submitted_order(shop)
    answer(shop, order_gid, "accepted")
    request(shop, fulfillment_order_gid, "cancellation")
    assert states(shop, order_gid)[fulfillment_order_gid] == ("IN_PROGRESS", "CANCELLATION_REQUESTED")
    return order_gid, fulfillment_order_gid


def variables(attempt: RecordedAttempt) -> dict[str, Any]:
    sent: dict[str, Any] = attempt.request_summary["variables"]
    return sent


def test_an_accepted_order_accepts_the_submitted_fulfillment_request(shop: Shop) -> None:
    order_gid, fulfillment_order_gid = submitted_order(shop)

    done, attempts = answer(shop, order_gid, "accepted")

    assert operations(attempts) == ["OrderFulfillmentOrders", "FulfillmentOrderAcceptFulfillmentRequest"]
    assert variables(attempts[1])["id"] == fulfillment_order_gid
    assert states(shop, order_gid) == {fulfillment_order_gid: ("IN_PROGRESS", "ACCEPTED")}
    assert done == [
        f"Fulfillment order {fulfillment_order_gid}: fulfillment request accepted "
        "(now IN_PROGRESS, request ACCEPTED)."
    ]


def test_a_second_answer_finds_nothing_waiting_and_sends_nothing(shop: Shop) -> None:
    order_gid, fulfillment_order_gid = submitted_order(shop)
    answer(shop, order_gid, "accepted")

    done, attempts = answer(shop, order_gid, "accepted")

    assert done == []
    assert operations(attempts) == ["OrderFulfillmentOrders"]
    assert states(shop, order_gid) == {fulfillment_order_gid: ("IN_PROGRESS", "ACCEPTED")}


@pytest.mark.parametrize("status", ["in_preparation", "shipped"])
def test_an_order_already_past_accepted_accepts_the_request_too(shop: Shop, status: str) -> None:
    order_gid, fulfillment_order_gid = submitted_order(shop)

    answer(shop, order_gid, status)

    assert states(shop, order_gid) == {fulfillment_order_gid: ("IN_PROGRESS", "ACCEPTED")}


def test_a_rejected_order_rejects_the_request_with_the_warehouses_reason(shop: Shop) -> None:
    order_gid, fulfillment_order_gid = submitted_order(shop)

    done, attempts = answer(shop, order_gid, "rejected", "EAST rejected order #1001:\nno stock of TENT-2P")

    assert operations(attempts) == ["OrderFulfillmentOrders", "FulfillmentOrderRejectFulfillmentRequest"]
    assert variables(attempts[1]) == {
        "id": fulfillment_order_gid,
        "message": "EAST rejected order #1001: no stock of TENT-2P",
        "reason": "OTHER",
    }
    assert states(shop, order_gid) == {fulfillment_order_gid: ("OPEN", "REJECTED")}
    assert done == [
        f"Fulfillment order {fulfillment_order_gid}: fulfillment request rejected "
        "(now OPEN, request REJECTED)."
    ]
    assert answer(shop, order_gid, "rejected", "again")[0] == []


def test_a_rejection_without_reason_says_the_warehouse_rejected_it(shop: Shop) -> None:
    order_gid, _ = submitted_order(shop)

    _, attempts = answer(shop, order_gid, "rejected")

    assert variables(attempts[1])["message"] == "Rejected by the warehouse"


def test_a_cancelled_order_accepts_the_cancellation_request(shop: Shop) -> None:
    order_gid, fulfillment_order_gid = cancellation_requested_order(shop)

    done, attempts = answer(shop, order_gid, "cancelled")

    assert operations(attempts) == ["OrderFulfillmentOrders", "FulfillmentOrderAcceptCancellationRequest"]
    assert states(shop, order_gid) == {fulfillment_order_gid: ("CANCELLED", "CANCELLATION_ACCEPTED")}
    assert done == [
        f"Fulfillment order {fulfillment_order_gid}: cancellation request accepted "
        "(now CANCELLED, request CANCELLATION_ACCEPTED)."
    ]
    again, attempts = answer(shop, order_gid, "cancelled")
    assert (again, operations(attempts)) == ([], ["OrderFulfillmentOrders"])


def test_a_refused_cancellation_rejects_the_cancellation_request(shop: Shop) -> None:
    order_gid, fulfillment_order_gid = cancellation_requested_order(shop)

    done, attempts = answer(shop, order_gid, "cancel_refused", "EAST refused to cancel order #1001 (packed)")

    assert operations(attempts) == ["OrderFulfillmentOrders", "FulfillmentOrderRejectCancellationRequest"]
    assert variables(attempts[1]) == {
        "id": fulfillment_order_gid,
        "message": "EAST refused to cancel order #1001 (packed)",
    }
    assert states(shop, order_gid) == {fulfillment_order_gid: ("IN_PROGRESS", "CANCELLATION_REJECTED")}
    assert len(done) == 1
    again, attempts = answer(shop, order_gid, "cancel_refused")
    assert (again, operations(attempts)) == ([], ["OrderFulfillmentOrders"])


@pytest.mark.parametrize("status", ["accepted", "rejected", "cancelled", "cancel_refused"])
def test_an_order_never_sent_to_crossdock_is_left_alone(shop: Shop, status: str) -> None:
    order_gid = shop.place_order({"TENT-2P": 1}, shop.east_gid)
    (fulfillment_order_gid,) = shop.fulfillment_order_gids(order_gid)

    done, attempts = answer(shop, order_gid, status, "a reason")

    assert done == []
    assert operations(attempts) == ["OrderFulfillmentOrders"]
    assert states(shop, order_gid) == {fulfillment_order_gid: ("OPEN", "UNSUBMITTED")}


def test_a_cancellation_answers_no_fulfillment_request_and_an_acceptance_no_cancellation(shop: Shop) -> None:
    submitted_gid, submitted_fo = submitted_order(shop)
    cancelling_gid, cancelling_fo = cancellation_requested_order(shop)

    assert answer(shop, submitted_gid, "cancelled")[0] == []
    assert answer(shop, submitted_gid, "cancel_refused")[0] == []
    assert answer(shop, cancelling_gid, "accepted")[0] == []
    assert answer(shop, cancelling_gid, "rejected")[0] == []

    assert states(shop, submitted_gid) == {submitted_fo: ("OPEN", "SUBMITTED")}
    assert states(shop, cancelling_gid) == {cancelling_fo: ("IN_PROGRESS", "CANCELLATION_REQUESTED")}


@pytest.mark.parametrize("status", ["sent", "on_hold", "cancel_requested", "returned"])
def test_a_status_that_answers_nothing_does_not_even_read_the_order(shop: Shop, status: str) -> None:
    order_gid, fulfillment_order_gid = submitted_order(shop)

    done, attempts = answer(shop, order_gid, status)

    assert (done, attempts) == ([], [])
    assert states(shop, order_gid) == {fulfillment_order_gid: ("OPEN", "SUBMITTED")}


def test_only_the_submitted_fulfillment_orders_of_an_order_are_answered(shop: Shop) -> None:
    # The headlamp is stocked in the back room only: the order has a fulfillment order per location, and
    # the merchant sends only the warehouse's one to crossdock.
    order_gid = shop.place_order({"TENT-2P": 1, "LAMP-1": 1})
    first, second = shop.fulfillment_order_gids(order_gid)
    request(shop, first, "fulfillment")

    done, _ = answer(shop, order_gid, "accepted")

    assert len(done) == 1
    assert states(shop, order_gid) == {first: ("IN_PROGRESS", "ACCEPTED"), second: ("OPEN", "UNSUBMITTED")}


def test_every_submitted_fulfillment_order_of_an_order_is_answered(shop: Shop) -> None:
    order_gid = shop.place_order({"TENT-2P": 1, "LAMP-1": 1})
    fulfillment_orders = shop.fulfillment_order_gids(order_gid)
    for fulfillment_order_gid in fulfillment_orders:
        request(shop, fulfillment_order_gid, "fulfillment")

    done, _ = answer(shop, order_gid, "rejected")

    assert len(done) == 2
    assert states(shop, order_gid) == dict.fromkeys(fulfillment_orders, ("OPEN", "REJECTED"))


# -- the status job, in fulfillment-service mode -------------------------------------------------------------

MOMENT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    upgrade_to_head(engine)
    with UnitOfWork(engine) as uow:
        uow.accounts.ensure([("acme", "Acme Outdoor")])
        uow.shops.ensure([DeclaredShop("acme", DOMAIN, "acme")])
        uow.commit()
    yield engine
    engine.dispose()


def hub_settings(settings: Settings, shop: Shop, *, fulfillment_service: bool) -> Settings:
    configured = ShopSettings(
        domain=DOMAIN,
        account="acme",
        api_url=shop.url,
        access_token=SecretStr(TOKEN),
        fulfillment_service=fulfillment_service,
    )
    return settings.model_copy(update={"shops": {"acme": configured}})


def stored_order(engine: sa.Engine, order_gid: str, status: Status) -> int:
    """The hub's copy of the Shopify order, in ``status``."""
    order = Order(
        shopify_order_id=order_gid.rsplit("/", 1)[1],
        name="#1001",
        source_version=MOMENT,
        created_at=MOMENT,
        currency="USD",
        email="ada@example.com",
        lines=(
            OrderLine(
                line_id="100",
                sku="TENT-2P",
                quantity=1,
                variant_id=None,
                title="Trail tent",
                variant_title=None,
                requires_shipping=True,
            ),
        ),
        shipping_address=Address(
            first_name="Ada", address1="1 Main St", city="Albany", zip="12207", country_code="US"
        ),
        shipping_method=None,
        tags=(),
        financial_status="paid",
        cancelled_at=None,
        cancel_reason=None,
        note=None,
    )
    with UnitOfWork(engine) as uow:
        shop_record = uow.shops.by_domain(DOMAIN)
        assert shop_record is not None
        order_id = uow.orders.insert(account_id="acme", shop_id=shop_record.id, order=order)
        assert order_id is not None
        uow.orders.set_state(order_id, OrderState(status=status))
        uow.commit()
    return order_id


def run_status_job(engine: sa.Engine, settings: Settings, order_id: int) -> str:
    runtime = JobRuntime(
        engine=engine, enqueuer=RecordingEnqueuer(), default_retry=RetryPolicy(), settings=settings
    )
    context = JobContext(
        job_id="status-1", job="shop.publish_order_status", key="k", attempt=1, runtime=runtime
    )
    outcome: str = publish_order_status(context, order_id)
    return outcome


def answered_on_timeline(engine: sa.Engine, order_gid: str) -> list[tuple[str, dict[str, Any]]]:
    with UnitOfWork(engine) as uow:
        timeline = uow.order_events.timeline("acme", order_gid)
    return [(entry.message, entry.data) for entry in timeline if entry.kind == "fulfillment_request_answered"]


def test_the_status_job_rejects_with_the_warehouses_reason_and_records_it_once(
    shop: Shop, engine: sa.Engine, settings: Settings
) -> None:
    order_gid, fulfillment_order_gid = submitted_order(shop)
    order_id = stored_order(engine, order_gid, "rejected")
    reason = "EAST rejected order #1001: no stock of TENT-2P"
    with UnitOfWork(engine) as uow:
        uow.exceptions.raise_(
            type="warehouse_rejected",
            severity="error",
            subject_type="order",
            subject_id=str(order_id),
            message=reason,
            details={},
            actions=["resolve", "ignore"],
            account_id="acme",
        )
        uow.commit()
    configured = hub_settings(settings, shop, fulfillment_service=True)

    outcome = run_status_job(engine, configured, order_id)
    again = run_status_job(engine, configured, order_id)

    assert states(shop, order_gid) == {fulfillment_order_gid: ("OPEN", "REJECTED")}
    answer_text = f"Fulfillment order {fulfillment_order_gid}: fulfillment request rejected"
    assert outcome.startswith(f"published rejected; {answer_text}")
    assert again == "published rejected; no request to answer"
    ((message, data),) = answered_on_timeline(engine, order_gid)
    assert message.startswith(answer_text)
    assert data["status"] == "rejected" and data["answers"] == [message]
    with engine.connect() as connection:
        (rejection,) = connection.execute(
            sa.select(outbound_calls.c.request_summary).where(
                outbound_calls.c.operation == "FulfillmentOrderRejectFulfillmentRequest"
            )
        ).scalars()
    assert rejection["variables"]["message"] == reason


def test_the_status_job_accepts_in_fulfillment_service_mode_only(
    shop: Shop, engine: sa.Engine, settings: Settings
) -> None:
    order_gid, fulfillment_order_gid = submitted_order(shop)
    order_id = stored_order(engine, order_gid, "accepted")

    outcome = run_status_job(engine, hub_settings(settings, shop, fulfillment_service=False), order_id)

    assert outcome == "published accepted"
    assert states(shop, order_gid) == {fulfillment_order_gid: ("OPEN", "SUBMITTED")}
    assert answered_on_timeline(engine, order_gid) == []

    run_status_job(engine, hub_settings(settings, shop, fulfillment_service=True), order_id)

    assert states(shop, order_gid) == {fulfillment_order_gid: ("IN_PROGRESS", "ACCEPTED")}
    assert len(answered_on_timeline(engine, order_gid)) == 1
