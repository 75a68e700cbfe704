"""Which warehouse ships which lines of an order, and why. Pure: the caller brings the order's lines, its
destination, the warehouses with their rules, and the stock it knows.

Rules, in order:
1. A fixed mapping wins: when Shopify assigned the order to a location that a warehouse serves, that warehouse
   ships everything (the merchant chose it in Shopify).
2. Otherwise only warehouses that ship to the destination country are candidates, by priority (lower first),
   then by code so that the decision is the same every time.
3. The first candidate that holds every line ships the whole order.
4. If none does and splitting is allowed, each line goes to the first candidate holding all its units; the
   order is split only if that places every line.
5. Otherwise the candidate that holds the most of the ordered units ships everything (it backorders the rest);
   the reason says what is missing, so that support can see it on the timeline.

A line is never divided between warehouses: a customer expecting two parcels of one product is worse than
a short delay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RoutedLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class WarehouseRoute:
    """What routing knows of a warehouse: the countries it ships to (ISO codes; empty = everywhere), its
    priority (lower first), and the Shopify locations it serves (location ids)."""

    code: str
    countries: frozenset[str] = frozenset()
    priority: int = 100
    shopify_locations: frozenset[str] = frozenset()

    def ships_to(self, country: str | None) -> bool:
        return not self.countries or (country is not None and country.upper() in self.countries)


@dataclass(frozen=True)
class Assignment:
    warehouse: str
    lines: tuple[RoutedLine, ...]


@dataclass(frozen=True)
class RoutingDecision:
    assignments: tuple[Assignment, ...]
    rule: str
    reason: str

    @property
    def is_split(self) -> bool:
        return len(self.assignments) > 1


@dataclass(frozen=True)
class RoutingFailure:
    reason: str


Stock = Mapping[tuple[str, str], int]


def route(
    lines: Sequence[RoutedLine],
    *,
    country: str | None,
    warehouses: Sequence[WarehouseRoute],
    stock: Stock,
    split_allowed: bool,
    shopify_location: str | None = None,
) -> RoutingDecision | RoutingFailure:
    lines = tuple(line for line in lines if line.quantity > 0)
    if not lines:
        return RoutingFailure("the order has no unit to ship")
    if shopify_location is not None:
        for warehouse in warehouses:
            if shopify_location in warehouse.shopify_locations:
                return RoutingDecision(
                    (Assignment(warehouse.code, lines),),
                    "location",
                    f"Shopify assigned the order to location {shopify_location}, served by {warehouse.code}",
                )
    candidates = sorted((w for w in warehouses if w.ships_to(country)), key=lambda w: (w.priority, w.code))
    if not candidates:
        return RoutingFailure(f"no warehouse ships to {country or 'an order without a country'}")

    def holds(warehouse: WarehouseRoute, line: RoutedLine) -> bool:
        return stock.get((warehouse.code, line.sku), 0) >= line.quantity

    for warehouse in candidates:
        if all(holds(warehouse, line) for line in lines):
            return RoutingDecision(
                (Assignment(warehouse.code, lines),),
                "stock",
                f"{warehouse.code} holds every line (first of {_names(candidates)} by priority)",
            )
    if split_allowed:
        placed: dict[str, list[RoutedLine]] = {}
        for line in lines:
            holder = next((w for w in candidates if holds(w, line)), None)
            if holder is None:
                break
            placed.setdefault(holder.code, []).append(line)
        else:
            order = [w.code for w in candidates if w.code in placed]
            return RoutingDecision(
                tuple(Assignment(code, tuple(placed[code])) for code in order),
                "split",
                "no warehouse holds every line; split as "
                + "; ".join(f"{code}: {', '.join(line.sku for line in placed[code])}" for code in order),
            )

    def units_held(warehouse: WarehouseRoute) -> int:
        return sum(min(stock.get((warehouse.code, line.sku), 0), line.quantity) for line in lines)

    # candidates are already by priority then code: min keeps that order among equals.
    best = min(candidates, key=lambda w: -units_held(w))
    missing = [
        f"{line.sku} ({max(line.quantity - stock.get((best.code, line.sku), 0), 0)} short)"
        for line in lines
        if not holds(best, line)
    ]
    split_note = "" if split_allowed else "; splitting is not allowed"
    return RoutingDecision(
        (Assignment(best.code, lines),),
        "most_stock",
        f"no warehouse holds every line{split_note}; {best.code} holds the most units and backorders "
        + ", ".join(missing),
    )


def _names(warehouses: Sequence[WarehouseRoute]) -> str:
    return ", ".join(w.code for w in warehouses)
