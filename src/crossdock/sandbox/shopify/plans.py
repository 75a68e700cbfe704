"""Shopify plans and their GraphQL Admin API rate limits (points restored per second; the bucket observed on
real stores holds 20 seconds of restore, e.g. 2,000 points on a Standard development store)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PlanName = Literal["standard", "advanced", "plus", "enterprise"]

BUCKET_SECONDS = 20
# A single query above this requested cost is refused whatever the bucket holds.
SINGLE_QUERY_MAX_COST = 1000


@dataclass(frozen=True)
class Plan:
    name: PlanName
    display_name: str
    restore_rate: float

    @property
    def bucket_size(self) -> float:
        return self.restore_rate * BUCKET_SECONDS


PLANS: dict[PlanName, Plan] = {
    "standard": Plan("standard", "Basic", 100.0),
    "advanced": Plan("advanced", "Advanced", 200.0),
    "plus": Plan("plus", "Shopify Plus", 1000.0),
    "enterprise": Plan("enterprise", "Commerce Components", 2000.0),
}
