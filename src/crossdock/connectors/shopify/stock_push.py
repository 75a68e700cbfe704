"""Pushing the stock the hub wants at each Shopify location: ``inventorySetQuantities`` in batches of 250
levels, each quantity guarded by Shopify's compare-and-swap (``changeFromQuantity``).

The compare value is what the hub last knew Shopify held. When someone else changed a level since (a merchant
in the admin, another app), Shopify refuses the whole batch with CHANGE_FROM_QUANTITY_STALE and applies
nothing; the levels are read again, each one that moved becomes a ``stock_discrepancy`` exception (what the
hub knew, what Shopify held, what the warehouse says), and the batch is sent again with the fresh values —
the warehouse wins, unless the caller says otherwise, in which case those levels are left as Shopify holds
them.

A batch's idempotency key is derived from its content, so a job repeated after a crash that left Shopify
updated but the database not sends the same key and Shopify applies nothing twice. The content includes each
level's last push time: once a push is recorded, the same quantities sent again later (the level went back to
its old value) form a new request, not a replay of the old one.

``push_levels`` only talks to Shopify (the benchmark calls it on its own); the job records its outcome.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.errors import ShopifyUserErrors
from crossdock.flows import stock_levels
from crossdock.flows.stock_names import PUSH_STOCK
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import SHOP_CALLS
from crossdock.jobs.registry import job
from crossdock.store.shops import ShopRecord
from crossdock.store.stock import ShopLevel
from crossdock.store.unit_of_work import UnitOfWork

SET_OPERATION = "InventorySetQuantities"
READ_OPERATION = "InventoryLevelsQuantities"
# Shopify's most quantities per inventorySetQuantities, and most ids per nodes query.
BATCH_SIZE = 250
QUANTITY_NAME = "available"
# Shopify's reason for "an adjusted count due to a discrepancy between the actual quantity and the recorded
# one": the warehouse's count replaces what Shopify recorded. Merchants see it in the inventory history.
REASON = "cycle_count_available"
STALE_COMPARE = "CHANGE_FROM_QUANTITY_STALE"
# Someone changing the same levels between our read and our write every time: give up for this attempt
# rather than race them forever.
MAX_COMPARE_ROUNDS = 3

LevelKey = tuple[str, str]  # (location GID, inventory item GID)


def level_key(level: ShopLevel) -> LevelKey:
    return level.location_id, level.inventory_item_id


def inventory_level_gid(location_id: str, inventory_item_id: str) -> str:
    """Shopify's id of a level, from the GIDs of its location and item:
    gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>."""
    location = location_id.rsplit("/", 1)[-1]
    item = inventory_item_id.rsplit("/", 1)[-1]
    return f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"


@dataclass(frozen=True)
class Discrepancy:
    level: ShopLevel
    known: int  # what the hub last knew Shopify held (the compare value it sent)
    held: int  # what Shopify held instead
    overwritten: bool  # whether the warehouse's value was pushed over it


@dataclass
class PushOutcome:
    pushed: list[ShopLevel] = field(default_factory=list)
    # Shopify already held what the hub wants (seen in a read): nothing to send.
    already_held: list[ShopLevel] = field(default_factory=list)
    # Every value read from Shopify, to record as known even when a later push replaced it.
    read: dict[LevelKey, int] = field(default_factory=dict)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    # Levels Shopify does not have (the item is not stocked at the location): they cannot be set.
    missing: list[ShopLevel] = field(default_factory=list)
    # Levels still moving under us after MAX_COMPARE_ROUNDS: left for another attempt.
    contended: list[ShopLevel] = field(default_factory=list)
    set_calls: int = 0
    read_calls: int = 0
    idempotency_keys: list[str] = field(default_factory=list)

    @property
    def set_aside(self) -> list[ShopLevel]:
        """Levels still due that this push chose not to (or could not) set."""
        withheld = [found.level for found in self.discrepancies if not found.overwritten]
        return withheld + self.missing + self.contended


async def push_levels(
    client: ShopifyClient,
    levels: Sequence[ShopLevel],
    *,
    warehouse_wins: bool = True,
    job_id: str | None = None,
) -> PushOutcome:
    """Set each level's ``available`` to its wanted value in Shopify, in batches of BATCH_SIZE."""
    outcome = PushOutcome()
    for start in range(0, len(levels), BATCH_SIZE):
        batch = levels[start : start + BATCH_SIZE]
        await _push_batch(client, batch, outcome, warehouse_wins=warehouse_wins, job_id=job_id)
    return outcome


async def _push_batch(
    client: ShopifyClient,
    batch: Sequence[ShopLevel],
    outcome: PushOutcome,
    *,
    warehouse_wins: bool,
    job_id: str | None,
) -> None:
    compare: dict[LevelKey, int] = {
        level_key(level): level.available for level in batch if level.available is not None
    }
    never_read = [level for level in batch if level.available is None]
    if never_read:
        held = await read_levels(client, never_read, outcome, job_id=job_id)
        for level in never_read:
            value = held[level_key(level)]
            if value is None:
                outcome.missing.append(level)
            else:
                compare[level_key(level)] = outcome.read[level_key(level)] = value
    pending = [level for level in batch if level_key(level) in compare]
    for _ in range(MAX_COMPARE_ROUNDS):
        outcome.already_held += [level for level in pending if compare[level_key(level)] == level.wanted]
        pending = [level for level in pending if compare[level_key(level)] != level.wanted]
        if not pending:
            return
        try:
            outcome.set_calls += 1
            await _set(client, pending, compare, outcome, job_id=job_id)
        except ShopifyUserErrors as refused:
            if any(code != STALE_COMPARE for code in refused.codes):
                raise
        else:
            outcome.pushed += pending
            return
        # Shopify applied nothing of the batch; read every level of it, which also finds the stale ones
        # an error list might not name.
        held = await read_levels(client, pending, outcome, job_id=job_id)
        still_pending = []
        for level in pending:
            key = level_key(level)
            value = held[key]
            if value is None:
                outcome.missing.append(level)
                continue
            if value != compare[key]:
                outcome.read[key] = value
                # Someone set what the warehouse says: nothing to report.
                if value != level.wanted:
                    outcome.discrepancies.append(Discrepancy(level, compare[key], value, warehouse_wins))
                    if not warehouse_wins:
                        compare[key] = value
                        continue
                compare[key] = value
            still_pending.append(level)
        pending = still_pending
    outcome.contended += [level for level in pending if compare[level_key(level)] != level.wanted]
    outcome.already_held += [level for level in pending if compare[level_key(level)] == level.wanted]


async def read_levels(
    client: ShopifyClient,
    levels: Sequence[ShopLevel],
    outcome: PushOutcome | None = None,
    *,
    job_id: str | None = None,
) -> dict[LevelKey, int | None]:
    """Shopify's ``available`` of each level (None: Shopify has no such level)."""
    held: dict[LevelKey, int | None] = {}
    for start in range(0, len(levels), BATCH_SIZE):
        chunk = levels[start : start + BATCH_SIZE]
        ids = [inventory_level_gid(*level_key(level)) for level in chunk]
        data = await client.execute(READ_OPERATION, {"ids": ids, "names": [QUANTITY_NAME]}, job_id=job_id)
        if outcome is not None:
            outcome.read_calls += 1
        # nodes answers one entry per id, in order.
        for level, node in zip(chunk, data.get("nodes") or [], strict=True):
            quantities = {entry["name"]: entry["quantity"] for entry in (node or {}).get("quantities") or []}
            value = quantities.get(QUANTITY_NAME)
            held[level_key(level)] = int(value) if value is not None else None
    return held


def set_request(levels: Sequence[ShopLevel], compare: dict[LevelKey, int]) -> tuple[dict[str, Any], str]:
    """The mutation's variables and the idempotency key derived from them."""
    quantities = [
        {
            "inventoryItemId": level.inventory_item_id,
            "locationId": level.location_id,
            "quantity": level.wanted,
            "changeFromQuantity": compare[level_key(level)],
        }
        for level in levels
    ]
    pushed_before = [level.pushed_at.isoformat() if level.pushed_at else None for level in levels]
    content = json.dumps(
        {"name": QUANTITY_NAME, "reason": REASON, "quantities": quantities, "pushed_before": pushed_before},
        sort_keys=True,
    )
    key = str(uuid.UUID(bytes=hashlib.sha256(content.encode()).digest()[:16], version=5))
    skus = {level.sku for level in levels}
    # Shopify's preferred gid://<app>/<type>/<id>: the SKU when the batch is about one, else the batch
    # itself, whose key finds the request (and so every level and cause) in outbound_calls.
    document = f"Sku/{quote(skus.pop(), safe='')}" if len(skus) == 1 else f"StockPush/{key}"
    variables = {
        "input": {
            "name": QUANTITY_NAME,
            "reason": REASON,
            "referenceDocumentUri": f"gid://crossdock/{document}",
            "quantities": quantities,
        }
    }
    return variables, key


async def _set(
    client: ShopifyClient,
    levels: Sequence[ShopLevel],
    compare: dict[LevelKey, int],
    outcome: PushOutcome,
    *,
    job_id: str | None,
) -> None:
    variables, key = set_request(levels, compare)
    outcome.idempotency_keys.append(key)
    await client.execute(SET_OPERATION, variables, idempotency_key=key, job_id=job_id)


# --- the job ----------------------------------------------------------------------------------------------


class StockStillMoving(Exception):
    """Levels kept changing in Shopify between our reads and writes: the job is tried again later (the
    fresh values it read are recorded)."""


def push_due(
    unit_of_work: Callable[[], UnitOfWork],
    client: ShopifyClient,
    shop: ShopRecord,
    *,
    warehouse_wins: bool = True,
    job_id: str | None = None,
    left_alone: Callable[[UnitOfWork, ShopLevel], bool] | None = None,
) -> dict[str, int]:
    """Push the shop's due levels, BATCH_SIZE at a time, until none is due but those set aside (and those
    ``left_alone`` keeps: a level whose discrepancy an operator must resolve first)."""
    counted = ("set_calls", "read_calls", "pushed", "already_held", "discrepancies", "missing", "contended")
    summary = dict.fromkeys(("calls", *counted), 0)
    set_aside: set[LevelKey] = set()
    while True:
        with unit_of_work() as uow:
            # due() cannot skip the set-aside levels, so ask for enough to see a full batch past them.
            due = uow.stock.due(shop.id, limit=BATCH_SIZE + len(set_aside))
            if left_alone is not None:
                for level in due:
                    if left_alone(uow, level):
                        set_aside.add(level_key(level))
        batch = [level for level in due if level_key(level) not in set_aside][:BATCH_SIZE]
        if not batch:
            break
        outcome = run_sync(push_levels(client, batch, warehouse_wins=warehouse_wins, job_id=job_id))
        with unit_of_work() as uow:
            _record(uow, shop, outcome)
            uow.commit()
        set_aside |= {level_key(level) for level in outcome.set_aside}
        summary["set_calls"] += outcome.set_calls
        summary["read_calls"] += outcome.read_calls
        summary["pushed"] += len(outcome.pushed)
        summary["already_held"] += len(outcome.already_held)
        summary["discrepancies"] += len(outcome.discrepancies)
        summary["missing"] += len(outcome.missing)
        summary["contended"] += len(outcome.contended)
    summary["calls"] = summary["set_calls"] + summary["read_calls"]
    if summary["contended"]:
        raise StockStillMoving(f"{summary['contended']} level(s) kept changing in Shopify: {summary}")
    return summary


def _record(uow: UnitOfWork, shop: ShopRecord, outcome: PushOutcome) -> None:
    for (location_id, inventory_item_id), value in outcome.read.items():
        uow.stock.set_known(shop.id, location_id, inventory_item_id, value, pushed=False)
    for level in outcome.already_held:
        uow.stock.set_known(shop.id, *level_key(level), level.wanted, pushed=False)
    for level in outcome.pushed:
        uow.stock.set_known(shop.id, *level_key(level), level.wanted, pushed=True)
    for found in outcome.discrepancies:
        level = found.level
        verdict = (
            f"set to the warehouse's {level.wanted}"
            if found.overwritten
            else f"left as is (the warehouse says {level.wanted})"
        )
        uow.exceptions.raise_(
            type="stock_discrepancy",
            severity="warning",
            subject_type="stock_level",
            subject_id=f"{shop.domain}/{level.location_id}/{level.inventory_item_id}",
            message=(
                f"{level.sku} at {level.location_id}: Shopify held {found.held} where the hub last knew "
                f"{found.known}; {verdict}"
            ),
            details={
                "sku": level.sku,
                "location_id": level.location_id,
                "inventory_item_id": level.inventory_item_id,
                "hub_knew": found.known,
                "shopify_held": found.held,
                "wanted": level.wanted,
                "overwritten": found.overwritten,
                "reason": level.reason,
            },
            actions=["resolve", "ignore"],
            account_id=shop.account_id,
        )
    for level in outcome.missing:
        uow.exceptions.raise_(
            type="stock_level_missing",
            severity="error",
            subject_type="stock_level",
            subject_id=f"{shop.domain}/{level.location_id}/{level.inventory_item_id}",
            message=(
                f"{level.sku} is not stocked at {level.location_id} in Shopify: its quantity "
                f"({level.wanted}) cannot be set until the merchant stocks it there"
            ),
            details={
                "sku": level.sku,
                "location_id": level.location_id,
                "inventory_item_id": level.inventory_item_id,
                "wanted": level.wanted,
                "reason": level.reason,
            },
            actions=["resolve", "ignore"],
            account_id=shop.account_id,
        )


@job(PUSH_STOCK, queue=SHOP_CALLS)
def push_due_levels(ctx: JobContext, shop_domain: str) -> dict[str, int]:
    settings = ctx.settings()
    with ctx.unit_of_work() as uow:
        shop = uow.shops.by_domain(shop_domain)
    if shop is None:
        raise FatalJobError(f"no shop {shop_domain} in the database")
    client = shop_client(settings, ctx.runtime.engine, shop_domain)

    def kept(uow: UnitOfWork, level: ShopLevel) -> bool:
        return stock_levels.left_alone(uow, settings, shop_domain, level.location_id, level.inventory_item_id)

    return push_due(
        ctx.unit_of_work,
        client,
        shop,
        job_id=ctx.job_id,
        warehouse_wins=settings.inventory.on_discrepancy == "warehouse_wins",
        left_alone=kept,
    )
