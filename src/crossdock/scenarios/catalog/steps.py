"""Steps several scenarios share: an order placed and accepted at the 3PL, an order shipped and fulfilled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict


@dataclass(frozen=True)
class Placed:
    name: str
    gid: str
    key: str  # the warehouse order's key


def placed_and_accepted(stage: Stage, lines: dict[str, int], **extra: Any) -> Placed:
    placed = stage.place(lines, **extra)
    name, gid = placed["name"], placed["id"]
    stage.reaches(name, "accepted")
    key = stage.wait_for(lambda: stage.warehouse_keys(name), f"order {name}'s warehouse order")[0]
    stage.at_warehouse(key)
    return Placed(name, gid, key)


def shopify_shows(stage: Stage, verdict: Verdict, gid: str, status: str) -> None:
    """Check the status support sees on the Shopify order (the crossdock.status metafield)."""
    stage.wait_for(lambda: stage.status_metafield(gid) == status, f"Shopify to show the order {status}")
    verdict.expect(
        "shopify", "status shown on the order (crossdock.status)", status, stage.status_metafield(gid)
    )


def shipped_and_fulfilled(stage: Stage, lines: dict[str, int]) -> Placed:
    placed = placed_and_accepted(stage, lines)
    stage.ship(placed.key)
    stage.reaches(placed.name, "shipped")
    stage.wait_for(lambda: stage.fulfillments(placed.gid), f"order {placed.name}'s fulfillment in Shopify")
    return placed
