"""The shop side of the order flow: each recorded shipment becomes one Shopify fulfillment with its tracking,
and each status change is published on the order (the ``crossdock.status`` metafield support reads).

The jobs run on the shop-calls queue, partitioned by shop, one per shop for all the shipments (or statuses)
waiting, and read everything from the database: a job repeated after a crash finds the fulfillment it created
(``fulfillment.fulfil_shipment`` matches it by tracking number) or publishes the status the order has now.

When the shop has crossdock as its fulfillment service, publishing the status also answers the merchant's
waiting requests on the order's fulfillment orders (``fulfillment_service.answer_requests``), with the
warehouse's reason from the order's open exception when it rejected the order or refused to cancel it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from crossdock.config import Settings
from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.fulfillment import (
    STATUSES_PER_CALL,
    FulfillmentOutcome,
    ShipmentToFulfil,
    fulfil_shipment,
    publish_status,
    publish_statuses,
)
from crossdock.connectors.shopify.fulfillment_service import (
    REFUSING_CANCEL_STATUS,
    REJECTING_STATUS,
    answer_requests,
)
from crossdock.connectors.shopify.tracking_companies import tracking_company
from crossdock.domain.order_validation import resolve_lines
from crossdock.domain.shipment_mapping import shopify_units
from crossdock.flows.order_progress import FULFIL_SHIPMENT, FULFIL_SHIPMENTS, PUBLISH_ORDER_STATUSES, record
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import SHOP_CALLS
from crossdock.jobs.registry import job
from crossdock.store.orders import StoredOrder
from crossdock.store.shipments import StoredShipment
from crossdock.store.shops import ShopRecord, ShopRepository
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

log = structlog.get_logger("crossdock.orders")

FULFILLMENT_REQUEST_ANSWERED = "fulfillment_request_answered"
# The exception the warehouse feedback opens on the order for each answer that needs a reason.
_REASON_EXCEPTION = {REJECTING_STATUS: "warehouse_rejected", REFUSING_CANCEL_STATUS: "cancel_refused"}


def _start_shop_batch(
    ctx: JobContext, shop_domain: str, lower_flag: Callable[[ShopRepository, int], None]
) -> ShopRecord:
    """The shop of a per-shop batch job, its flag lowered and committed: work added from now on asks for a
    job of its own."""
    with ctx.unit_of_work() as uow:
        shop = uow.shops.by_domain(shop_domain)
        if shop is None:
            raise FatalJobError(f"no shop {shop_domain} in the database")
        lower_flag(uow.shops, shop.id)
        uow.commit()
    return shop


@dataclass(frozen=True)
class PreparedFulfilment:
    """What one shipment asks of Shopify, read from the database: ``request`` is None when no Shopify line
    is left for what shipped (``skipped`` says why, ``problem`` whether an operator must look)."""

    shipment: StoredShipment
    stored: StoredOrder
    shipped_units: dict[str, int]
    request: ShipmentToFulfil | None
    skipped: str | None = None
    problem: str | None = None


@job(FULFIL_SHIPMENT, queue=SHOP_CALLS)
def fulfil_recorded_shipment(ctx: JobContext, shipment_row_id: int) -> str:
    """One shipment on its own: the shop's fulfilling job hands over a shipment whose call failed, so that
    its retries and its dead letter are its own."""
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        shipment = uow.shipments.get(shipment_row_id)
        if shipment is None:
            raise FatalJobError(f"no shipment {shipment_row_id}")
        if shipment.fulfillment_id is not None:
            return f"fulfilled already as {shipment.fulfillment_id}"
        prepared = _prepare(uow, settings, shipment)
        shop = uow.shops.by_id(prepared.stored.shop_id)
        assert shop is not None
    outcome = None
    if prepared.request is not None:
        outcome = run_sync(
            fulfil_shipment(shop_client(settings, ctx.runtime.engine, shop.domain), prepared.request)
        )
    with ctx.unit_of_work() as uow:
        text = _record_outcome(uow, prepared, outcome)
        uow.commit()
    return text


# Shipments read per round of the shop's fulfilling job, and Shopify calls in flight at once within a round
# (the shop's rate budget paces them all the same).
_FULFIL_ROUND = 50
_FULFIL_CONCURRENCY = 8
_MAX_FULFIL_ROUNDS = 20


@job(FULFIL_SHIPMENTS, queue=SHOP_CALLS)
def fulfil_shop_shipments(ctx: JobContext, shop_domain: str) -> dict[str, int]:
    """Fulfil in Shopify every shipment of the shop that waits for it, several at once (the shipments of one
    order one after the other, each seeing what the previous one fulfilled). A shipment whose call fails is
    handed to a ``shop.fulfil_shipment`` job of its own, which retries it; the others go on.

    One job per shop rather than one per shipment: the shop's queue runs one job at a time, and each job
    costs the job engine's bookkeeping on top of its two calls — at 50 orders a second the shipments queued
    up behind each other for tens of seconds (benchmarks/order_latency.py)."""
    settings = ctx.settings()
    shop = _start_shop_batch(ctx, shop_domain, ShopRepository.clear_fulfilment_request)
    client = shop_client(settings, ctx.runtime.engine, shop.domain)
    counts = {"fulfilled": 0, "skipped": 0, "handed_over": 0}
    for _ in range(_MAX_FULFIL_ROUNDS):
        with ctx.unit_of_work() as uow:
            prepared = [
                _prepare(uow, settings, shipment)
                for shipment in uow.shipments.awaiting_fulfilment(shop.id, _FULFIL_ROUND)
            ]
        if not prepared:
            break
        outcomes = run_sync(_fulfil_concurrently(client, prepared))
        with ctx.unit_of_work() as uow:
            for one, outcome in zip(prepared, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    _hand_over(uow, one, shop.domain, outcome)
                    counts["handed_over"] += 1
                    continue
                _record_outcome(uow, one, outcome)
                counts["fulfilled" if outcome is not None and outcome.fulfillment_id else "skipped"] += 1
            uow.commit()
    return counts


async def _fulfil_concurrently(
    client: ShopifyClient, prepared: list[PreparedFulfilment]
) -> list[FulfillmentOutcome | BaseException | None]:
    """Each shipment's outcome (None: nothing to call) or the error its call raised, in the order given."""
    results: list[FulfillmentOutcome | BaseException | None] = [None] * len(prepared)
    by_order: dict[int, list[int]] = {}
    for index, one in enumerate(prepared):
        by_order.setdefault(one.stored.id, []).append(index)
    slots = asyncio.Semaphore(_FULFIL_CONCURRENCY)

    async def fulfil_order(indexes: list[int]) -> None:
        failed = False
        for index in indexes:
            request = prepared[index].request
            if request is None:
                continue
            if failed:
                # A later shipment of an order whose earlier one failed waits for it, in its own job too.
                results[index] = RuntimeError("an earlier shipment of the order is not fulfilled yet")
                continue
            try:
                async with slots:
                    results[index] = await fulfil_shipment(client, request)
            except Exception as error:
                results[index] = error
                failed = True

    await asyncio.gather(*(fulfil_order(indexes) for indexes in by_order.values()))
    return results


def _hand_over(uow: UnitOfWork, prepared: PreparedFulfilment, shop_domain: str, error: BaseException) -> None:
    uow.shipments.stop_awaiting_fulfilment([prepared.shipment.id])
    uow.enqueue(
        JobRequest(
            job=FULFIL_SHIPMENT,
            key=f"fulfil-shipment-{prepared.shipment.id}",
            args={"shipment_row_id": prepared.shipment.id},
            partition=shop_domain,
        )
    )
    log.warning(
        "shipment handed to its own fulfilling job",
        shipment=prepared.shipment.shipment_id,
        order=prepared.stored.order.name,
        error=f"{type(error).__name__}: {error}",
    )


def _prepare(uow: UnitOfWork, settings: Settings, shipment: StoredShipment) -> PreparedFulfilment:
    placed = uow.warehouse_orders.get(shipment.warehouse_order_id)
    assert placed is not None
    stored = uow.orders.by_id(placed.order_id)
    assert stored is not None
    mappings = uow.sku_mappings
    aliases = mappings.aliases(stored.account_id)
    bundles = mappings.bundles(stored.account_id)
    parts = uow.warehouse_orders.of_order(stored.id)
    everything = {line.sku for part in parts for line in part.order.lines}
    resolution = resolve_lines(stored.order.lines, known=everything, aliases=aliases, bundles=bundles)
    shipped_before: dict[str, int] = {}
    for part in parts:
        for earlier in uow.shipments.of_warehouse_order(part.id):
            if earlier.id >= shipment.id:
                continue
            for line in earlier.shipped.lines:
                shipped_before[line.sku] = shipped_before.get(line.sku, 0) + line.quantity_shipped
    shipped = shipment.shipped
    now: dict[str, int] = {}
    for line in shipped.lines:
        now[line.sku] = now.get(line.sku, 0) + line.quantity_shipped
    units = shopify_units(stored.order.lines, resolution.lines, now, shipped_before)
    if not units:
        shipped_text = ", ".join(f"{count} x {sku}" for sku, count in sorted(now.items()))
        if stored.order.cancelled_at is not None:
            # The cancel_refused exception already asks for a return; the timeline says why nothing moved.
            return PreparedFulfilment(
                shipment,
                stored,
                now,
                None,
                skipped=f"not fulfilled: the order was cancelled in Shopify; shipped {shipped_text}",
            )
        text = f"not fulfilled: no Shopify line is left for {shipped_text}"
        return PreparedFulfilment(shipment, stored, now, None, skipped=text, problem=text)
    account = next(account for account in settings.accounts if account.id == stored.account_id)
    carrier = shipped.parcels[0] if shipped.parcels else None
    numbers = tuple(parcel.tracking_number for parcel in shipped.parcels if parcel.tracking_number)
    urls = tuple(parcel.tracking_url or "" for parcel in shipped.parcels if parcel.tracking_number)
    request = ShipmentToFulfil(
        order_gid=stored.order.shopify_global_id,
        shipment_id=shipment.shipment_id,
        lines=units,
        tracking_numbers=numbers,
        tracking_urls=urls if all(urls) else (),
        company=tracking_company(
            carrier.carrier_code if carrier else None, carrier.carrier_name if carrier else None
        ),
        notify_customer=account.notify_customer,
    )
    return PreparedFulfilment(shipment, stored, now, request)


def _record_outcome(uow: UnitOfWork, prepared: PreparedFulfilment, outcome: FulfillmentOutcome | None) -> str:
    """The fulfillment on the shipment, the timeline entry, and an exception when units were left over."""
    shipment, stored = prepared.shipment, prepared.stored
    problem = prepared.problem
    fulfillment_id = None
    if outcome is None:
        outcome_text = prepared.skipped or "not fulfilled"
    else:
        fulfillment_id = outcome.fulfillment_id
        verb = "created" if outcome.created else "found (created by an earlier attempt)"
        outcome_text = f"Shopify fulfillment {fulfillment_id} {verb}: " + ", ".join(
            f"{units} x {sku}" for sku, units in sorted(outcome.fulfilled.items())
        )
        if outcome.unplaced and any(outcome.unplaced.values()):
            problem = "not placed: " + ", ".join(
                f"{units} x {sku}" for sku, units in sorted(outcome.unplaced.items()) if units
            )
            outcome_text += f"; {problem}"
    if fulfillment_id is not None:
        uow.shipments.mark_fulfilled(shipment.id, fulfillment_id)
    else:
        uow.shipments.stop_awaiting_fulfilment([shipment.id])
    record(uow, stored, "fulfilled_in_shopify", outcome_text, {"shipment_id": shipment.shipment_id})
    if problem is not None:
        uow.exceptions.raise_(
            type="unfulfilled_shipment",
            severity="error",
            subject_type="shipment",
            subject_id=str(shipment.id),
            message=f"order {stored.order.name}, shipment {shipment.shipment_id}: {problem} in Shopify",
            details={
                "shipment_id": shipment.shipment_id,
                "shipped": prepared.shipped_units,
                "fulfillment_id": fulfillment_id,
            },
            actions=["resolve", "ignore"],
            account_id=stored.account_id,
        )
    return outcome_text


# A publishing job stops after this many calls even if statuses keep changing: the changes made while it ran
# have a job of their own queued (the shop's flag was set again).
_MAX_STATUS_CALLS = 50


@job(PUBLISH_ORDER_STATUSES, queue=SHOP_CALLS)
def publish_order_statuses(ctx: JobContext, shop_domain: str) -> dict[str, int]:
    """Publish every order of the shop whose status Shopify does not show yet, STATUSES_PER_CALL per call."""
    settings = ctx.settings()
    shop = _start_shop_batch(ctx, shop_domain, ShopRepository.clear_status_publish)
    client = shop_client(settings, ctx.runtime.engine, shop.domain)
    _, shop_settings = settings.shop(shop.domain)
    published = calls = 0
    while calls < _MAX_STATUS_CALLS:
        with ctx.unit_of_work() as uow:
            pending = uow.orders.unpublished(shop.id, STATUSES_PER_CALL)
        if not pending:
            break
        run_sync(
            publish_statuses(
                client,
                [(order.order.shopify_global_id, order.state.status, _detail(order)) for order in pending],
            )
        )
        calls += 1
        with ctx.unit_of_work() as uow:
            for order in pending:
                uow.orders.mark_published(order.id, order.state.status)
            uow.commit()
        published += len(pending)
        if shop_settings.fulfillment_service:
            for order in pending:
                _answer_requests(ctx, client, order)
    return {"published": published, "calls": calls}


def publish_order_status(ctx: JobContext, order_id: int) -> str:
    """Publish one order's status now (and, in fulfillment-service mode, answer its requests)."""
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        stored = uow.orders.by_id(order_id)
        if stored is None:
            raise FatalJobError(f"no order {order_id}")
        shop = uow.shops.by_id(stored.shop_id)
        assert shop is not None
    client = shop_client(settings, ctx.runtime.engine, shop.domain)
    run_sync(publish_status(client, stored.order.shopify_global_id, stored.state.status, _detail(stored)))
    with ctx.unit_of_work() as uow:
        uow.orders.mark_published(stored.id, stored.state.status)
        uow.commit()
    _, shop_settings = settings.shop(shop.domain)
    if not shop_settings.fulfillment_service:
        return f"published {stored.state.status}"
    answered = _answer_requests(ctx, client, stored)
    if not answered:
        return f"published {stored.state.status}; no request to answer"
    return f"published {stored.state.status}; {' '.join(answered)}"


def _detail(stored: StoredOrder) -> str:
    detail = stored.state.status.replace("_", " ")
    if stored.state.holds:
        detail += f" ({', '.join(sorted(stored.state.holds))})"
    return detail


def _answer_requests(ctx: JobContext, client: ShopifyClient, stored: StoredOrder) -> list[str]:
    """Fulfillment-service mode: answer the order's pending requests as its status says, on the timeline."""
    status = stored.state.status
    with ctx.unit_of_work() as uow:
        reason = _warehouse_reason(uow, stored, status)
    answered = run_sync(answer_requests(client, stored.order.shopify_global_id, status, reason))
    if answered:
        with ctx.unit_of_work() as uow:
            record(
                uow,
                stored,
                FULFILLMENT_REQUEST_ANSWERED,
                " ".join(answered),
                {"status": status, "answers": answered},
            )
            uow.commit()
    return answered


def _warehouse_reason(uow: UnitOfWork, stored: StoredOrder, status: str) -> str | None:
    """The message of the order's open exception saying why the warehouse rejected the order or refused to
    cancel it, when the status is one of those and the exception is still open."""
    exception_type = _REASON_EXCEPTION.get(status)
    if exception_type is None:
        return None
    about_order = [
        found
        for found in uow.exceptions.open_about(type=exception_type, subject_type="order")
        if found.subject_id == str(stored.id)
    ]
    return about_order[0].message if about_order else None
