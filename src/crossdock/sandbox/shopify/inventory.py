"""Inventory quantities of one item at one location, kept consistent the way Shopify keeps them.

``on_hand`` is the sum of the states a unit can be in at the location: available, committed (to unfulfilled
orders), reserved, damaged, quality_control and safety_stock. ``incoming`` is outside it (not yet there).
Changing ``available`` (a count, a receipt, a correction) moves ``on_hand`` by the same delta; changing
``on_hand`` moves ``available``; committing units to an order moves them from available to committed, and
fulfilling them takes them out of committed and on_hand together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)
# The states whose sum is on_hand.
ON_HAND_PARTS = ("available", "committed", "damaged", "quality_control", "reserved", "safety_stock")
# inventorySetQuantities accepts only these two names (its input documents it); adjustments may also move
# the other states that are not driven by orders.
SETTABLE_NAMES = ("available", "on_hand")
ADJUSTABLE_NAMES = ("available", "damaged", "incoming", "quality_control", "reserved", "safety_stock")


class UnknownQuantityName(ValueError):
    pass


@dataclass
class Quantities:
    parts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ON_HAND_PARTS, 0))
    incoming: int = 0

    def get(self, name: str) -> int:
        if name == "on_hand":
            return sum(self.parts.values())
        if name == "incoming":
            return self.incoming
        if name in self.parts:
            return self.parts[name]
        raise UnknownQuantityName(name)

    def set(self, name: str, quantity: int) -> int:
        """Set one named quantity; answers the delta applied to it."""
        return self.adjust(name, quantity - self.get(name))

    def adjust(self, name: str, delta: int) -> int:
        if name == "on_hand":
            # A count of what is on the shelf: the difference is sellable (or no longer is).
            self.parts["available"] += delta
        elif name == "incoming":
            self.incoming += delta
        elif name in self.parts:
            self.parts[name] += delta
        else:
            raise UnknownQuantityName(name)
        return delta

    def commit(self, units: int) -> None:
        """Units promised to an order: no longer available, still on hand."""
        self.parts["available"] -= units
        self.parts["committed"] += units

    def release(self, units: int) -> None:
        """A cancelled or reduced order gives its committed units back."""
        self.parts["committed"] -= units
        self.parts["available"] += units

    def ship(self, units: int) -> None:
        """Fulfilled units leave the location."""
        self.parts["committed"] -= units

    def as_dict(self) -> dict[str, int]:
        return {name: self.get(name) for name in QUANTITY_NAMES}
