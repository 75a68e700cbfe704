"""Order statuses reach Shopify in batches: one publishing job per shop at a time takes every order whose
status changed, twelve orders per metafieldsSet call, over real HTTP against the Shopify sandbox."""

from __future__ import annotations

import sqlalchemy as sa

from crossdock.config import Settings
from crossdock.connectors.shopify.order_feedback import publish_order_statuses
from crossdock.domain import order_status as status
from crossdock.flows.order_progress import PUBLISH_ORDER_STATUSES as PUBLISH
from crossdock.flows.order_progress import apply_status_event
from crossdock.flows.wake_sweep import WAKE_SWEEP, wake_waiting_work
from crossdock.jobs.context import JobContext
from crossdock.jobs.retry import RetryPolicy
from crossdock.jobs.runtime import JobRuntime
from crossdock.store.schema import outbound_calls
from crossdock.store.unit_of_work import UnitOfWork
from tests.integration.test_shopify_fulfillment import DOMAIN, Shop
from tests.integration.test_shopify_fulfillment_service import (
    engine,
    hub_settings,
    shop,
    stored_order,
)
from tests.support.enqueuers import RecordingEnqueuer

__all__ = ["engine", "shop"]  # fixtures


def test_status_changes_of_many_orders_are_published_in_a_few_calls(
    shop: Shop, engine: sa.Engine, settings: Settings
) -> None:
    configured = hub_settings(settings, shop, fulfillment_service=False)
    gids = [shop.place_order({"TENT-2P": 1}, shop.east_gid) for _ in range(30)]
    enqueuer = RecordingEnqueuer()
    for gid in gids:
        order_id = stored_order(engine, gid, "received")
        with UnitOfWork(engine, enqueuer) as uow:
            stored = uow.orders.by_id(order_id)
            assert stored is not None
            apply_status_event(uow, stored, status.Validated(), cause="test")
            uow.commit()
    # Thirty changes, one publishing job: the first change queued it, the others joined it.
    assert [request.job for _, request in enqueuer.calls] == ["shop.publish_order_statuses"]

    runtime = JobRuntime(
        engine=engine, enqueuer=RecordingEnqueuer(), default_retry=RetryPolicy(), settings=configured
    )
    context = JobContext(
        job_id="publish-1", job="shop.publish_order_statuses", key="k", attempt=1, runtime=runtime
    )
    assert publish_order_statuses(context, DOMAIN) == {"published": 30, "calls": 3}

    values = {
        metafield.owner_id: metafield.value
        for metafield in shop.state.metafields.values()
        if (metafield.namespace, metafield.key) == ("crossdock", "status")
    }
    assert values == dict.fromkeys(gids, "validated")
    with engine.connect() as connection:
        calls = connection.execute(
            sa.select(sa.func.count())
            .select_from(outbound_calls)
            .where(outbound_calls.c.operation == "OrderStatusMetafieldSet")
        ).scalar_one()
    assert calls == 3
    # Nothing left: a second run publishes nothing; the next change queues a job again.
    assert publish_order_statuses(context, DOMAIN) == {"published": 0, "calls": 0}
    with UnitOfWork(engine, enqueuer) as uow:
        stored = uow.orders.by_id(1)
        assert stored is not None
        apply_status_event(uow, stored, status.HoldPlaced("manual"), cause="test")
        uow.commit()
    assert [request.job for _, request in enqueuer.calls] == ["shop.publish_order_statuses"] * 2


def test_the_sweep_wakes_the_job_of_work_committed_without_one(
    shop: Shop, engine: sa.Engine, settings: Settings
) -> None:
    # A status changed and committed, with no publishing job asked for: as if the process had stopped
    # between the commit and its wake-up.
    stored_order(engine, shop.place_order({"TENT-2P": 1}, shop.east_gid), "validated")
    enqueuer = RecordingEnqueuer()
    runtime = JobRuntime(
        engine=engine,
        enqueuer=enqueuer,
        default_retry=RetryPolicy(),
        settings=hub_settings(settings, shop, fulfillment_service=False),
    )
    sweep = JobContext(job_id="sweep-1", job=WAKE_SWEEP, key="k", attempt=1, runtime=runtime)
    nothing_else = {"fulfilments": 0, "sendings": 0}

    assert wake_waiting_work(sweep) == {"statuses": 1, **nothing_else}
    assert [request.job for _, request in enqueuer.calls] == ["shop.publish_order_statuses"]
    # The job is queued: the next sweep finds the same work and leaves it to that job.
    assert wake_waiting_work(sweep) == {"statuses": 1, **nothing_else}
    assert len(enqueuer.calls) == 1

    publishing = JobContext(job_id="publish-1", job=PUBLISH, key="k", attempt=1, runtime=runtime)
    assert publish_order_statuses(publishing, DOMAIN) == {"published": 1, "calls": 1}
    assert wake_waiting_work(sweep) == {"statuses": 0, **nothing_else}
    assert len(enqueuer.calls) == 1
