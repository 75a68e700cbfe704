"""Order intake: one version of a Shopify order, whichever input brought it (a webhook, the reconciliation
poll), becomes the hub's order — created, replaced by a newer version, or recorded and skipped.

Shopify neither orders nor guarantees its deliveries, and the poll reads back what webhooks already
brought, so the same version arrives several times and an old one can arrive after a new one. The version
(Shopify's ``updated_at``) decides, never the arrival order: an input older than the stored version, or the
same version again, changes nothing but the order's timeline, where each outcome is written in words an
operator understands and linked to the input that caused it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from crossdock.config import Settings
from crossdock.domain.orders import Order, same_second_change, supersedes
from crossdock.flows.order_dispatch import advance_now, enqueue_advance
from crossdock.store.shops import ShopRecord
from crossdock.store.unit_of_work import UnitOfWork

IntakeOutcome = Literal["created", "updated", "stale"]

ORDER_CREATED = "order_created"
ORDER_UPDATED = "order_updated"
ORDER_INPUT_SKIPPED = "order_input_skipped"


def receive_order(
    uow: UnitOfWork,
    shop: ShopRecord,
    order: Order,
    *,
    inbox_id: int | None,
    origin: str,
    advance_with: Settings | None = None,
) -> IntakeOutcome:
    """Apply one version of ``order`` of ``shop`` in the caller's transaction (the caller commits).
    ``origin`` says what brought it ("orders/updated webhook", "reconciliation poll").

    A new or newer version is then taken further (validated, routed, recorded for its warehouse): in this
    transaction when ``advance_with`` gives the settings to do it with, as the input handlers do; otherwise
    by an ``orders.advance`` job. In the transaction saves the job engine a workflow on a partitioned queue
    per version, which cost more than the advance itself under load (benchmarks/order_latency.py)."""
    created = uow.orders.insert(account_id=shop.account_id, shop_id=shop.id, order=order)
    if created is not None:
        _record(
            uow,
            shop,
            order,
            kind=ORDER_CREATED,
            message=f"{origin}: order {order.name} received, version {_time(order.source_version)}",
            data={"origin": origin, "outcome": "created", "version": order.source_version.isoformat()},
            inbox_id=inbox_id,
        )
        _advance(uow, created, "created", advance_with)
        return "created"

    # The row exists (perhaps created a moment ago by a concurrent input). Locked while this version is
    # compared with it; the update itself also only ever replaces an older version.
    stored = uow.orders.get(shop.id, order.shopify_order_id, for_update=True)
    assert stored is not None, "a row the insert conflicted with cannot vanish inside the transaction"
    stored_version = stored.source_version
    data = {
        "origin": origin,
        "version": order.source_version.isoformat(),
        "stored_version": stored_version.isoformat(),
    }
    same_version = order.source_version == stored_version
    if supersedes(order, stored.order) and uow.orders.replace(shop.id, order, same_version_too=same_version):
        _record(
            uow,
            shop,
            order,
            kind=ORDER_UPDATED,
            message=f"{origin}: version {_time(order.source_version)} "
            f"{same_second_change(order, stored.order)} and replaces the stored one of the same second"
            if same_version
            else f"{origin}: version {_time(order.source_version)} replaces "
            f"{_time(stored_version, beside=order.source_version)}",
            data={**data, "outcome": "updated"},
            inbox_id=inbox_id,
        )
        _advance(uow, stored.id, f"version-{order.source_version.timestamp():.0f}", advance_with)
        return "updated"

    if inbox_id is not None and _recorded_before(uow, shop, order, inbox_id):
        # The same input again (its job re-ran after a crash, past this transaction's commit): it was
        # written on the timeline the first time.
        return "stale"
    if stored_version == order.source_version:
        reason = f"version {_time(order.source_version)} is the one stored; skipped as already seen"
        outcome = "already_seen"
    else:
        reason = (
            f"version {_time(order.source_version)} is older than the stored "
            f"{_time(stored_version, beside=order.source_version)}; skipped"
        )
        outcome = "older"
    _record(
        uow,
        shop,
        order,
        kind=ORDER_INPUT_SKIPPED,
        message=f"{origin}: {reason}",
        data={**data, "outcome": outcome},
        inbox_id=inbox_id,
    )
    return "stale"


def _advance(uow: UnitOfWork, order_id: int, reason: str, settings: Settings | None) -> None:
    if settings is None:
        enqueue_advance(uow, order_id, reason)
    else:
        advance_now(uow, settings, order_id)


def _record(
    uow: UnitOfWork,
    shop: ShopRecord,
    order: Order,
    *,
    kind: str,
    message: str,
    data: dict[str, str],
    inbox_id: int | None,
) -> None:
    uow.order_events.append(
        account_id=shop.account_id,
        order_ref=order.shopify_global_id,
        kind=kind,
        message=message,
        data={**data, "order_name": order.name, "shop": shop.domain},
        inbox_id=inbox_id,
    )


def _recorded_before(uow: UnitOfWork, shop: ShopRecord, order: Order, inbox_id: int) -> bool:
    timeline = uow.order_events.timeline(shop.account_id, order.shopify_global_id)
    return any(event.inbox_id == inbox_id for event in timeline)


def _time(moment: datetime, *, beside: datetime | None = None) -> str:
    """Shopify's way of writing a time ("2026-11-28T10:02:03Z"); only the time of day when ``beside``, the
    time it is read next to, falls on the same day."""
    if beside is not None and beside.date() == moment.date():
        return moment.strftime("%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
