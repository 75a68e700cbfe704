"""Stock of the simulated 3PL site: units on hand and units allocated to orders not shipped yet, per SKU.

Invariant kept by every method: ``0 <= allocated <= on_hand`` for every SKU. Anything that would break it
raises ``StockError`` and changes nothing; lowering stock below what is allocated is the caller's business
(the simulation first takes units back from orders, which then ship short).
"""

from __future__ import annotations

from dataclasses import dataclass


class StockError(ValueError):
    """A stock movement that would make a quantity negative or allocate units that are not there."""


@dataclass
class StockRecord:
    on_hand: int = 0
    allocated: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class Stock:
    def __init__(self) -> None:
        self._records: dict[str, StockRecord] = {}

    def knows(self, sku: str) -> bool:
        """Whether the site has ever held ``sku`` (an unknown SKU makes an order unreadable for it)."""
        return sku in self._records

    def skus(self) -> list[str]:
        return sorted(self._records)

    def record(self, sku: str) -> StockRecord:
        """The record of ``sku`` (a copy: change stock through the methods)."""
        found = self._records.get(sku)
        if found is None:
            return StockRecord()
        return StockRecord(found.on_hand, found.allocated)

    def available(self, sku: str) -> int:
        found = self._records.get(sku)
        return 0 if found is None else found.available

    def set_on_hand(self, sku: str, units: int) -> None:
        if units < 0:
            raise StockError(f"stock of {sku} cannot be set to {units}: on hand must not be negative")
        record = self._records.setdefault(sku, StockRecord())
        if units < record.allocated:
            raise StockError(
                f"stock of {sku} cannot be set to {units}: {record.allocated} units are allocated to orders"
            )
        record.on_hand = units

    def add(self, sku: str, delta: int) -> None:
        """Change on hand by ``delta`` (a receipt, a restock, an adjustment)."""
        record = self._records.setdefault(sku, StockRecord())
        self.set_on_hand(sku, record.on_hand + delta)

    def allocate(self, sku: str, units: int) -> None:
        record = self._records.get(sku)
        if units < 0 or record is None or units > record.available:
            available = 0 if record is None else record.available
            raise StockError(f"cannot allocate {units} units of {sku}: {available} available")
        record.allocated += units

    def release(self, sku: str, units: int) -> None:
        record = self._records.get(sku)
        if units < 0 or record is None or units > record.allocated:
            allocated = 0 if record is None else record.allocated
            raise StockError(f"cannot release {units} units of {sku}: {allocated} allocated")
        record.allocated -= units

    def ship(self, sku: str, units: int) -> None:
        """Units leave the building: they were allocated, and leave both allocated and on hand."""
        self.release(sku, units)
        self._records[sku].on_hand -= units

    def to_state(self) -> dict[str, list[int]]:
        return {sku: [record.on_hand, record.allocated] for sku, record in sorted(self._records.items())}

    @classmethod
    def from_state(cls, state: dict[str, list[int]]) -> Stock:
        stock = cls()
        for sku, (on_hand, allocated) in state.items():
            if not 0 <= allocated <= on_hand:
                raise StockError(
                    f"saved stock of {sku} is inconsistent: {on_hand} on hand, {allocated} allocated"
                )
            stock._records[sku] = StockRecord(on_hand, allocated)
        return stock
