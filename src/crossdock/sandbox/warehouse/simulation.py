"""A simulated 3PL site, shared by every warehouse sandbox face (X12 over SFTP now, REST and CSV later).

It receives orders, acknowledges or rejects them, picks, ships (sometimes partially, sometimes in several
parcels), counts and adjusts stock, receives returns and goods, and refuses late cancellations. Faces turn
their documents into calls here and turn the canonical events of ``crossdock.domain.warehouse`` it emits
(drained in order with ``drain_events``) back into their documents.

Deterministic: every draw comes from one seeded ``random.Random`` and time only moves when ``tick`` is
called, so that a test with a fake clock sees the same run every time. Each step happens at the moment it
was scheduled, which is the ``occurred_at`` of its event, even when ``tick`` comes later.

Rules the site follows (the behaviour the hub must cope with):

- An order's key identifies it for ever: the same key sent again is the same order (ignored).
- Acknowledgement checks every line: an unknown SKU always rejects the order; stock short of the order
  rejects it when ``reject_when_short`` is on, otherwise the site allocates what it has and ships short (the
  rest is never shipped: the 3PL closes the order, as most do, rather than keep a back order). An order for
  which not a single unit can be allocated is rejected either way.
- A change (940 purpose R) replaces lines and address until picking starts; after that it is refused. A
  change to an acknowledged order must pass the acknowledgement check again or it is refused and the order
  keeps its lines.
- A cancel before picking is confirmed; from picking on it is refused, naming the last shipment if any.
- Stock taken away below what orders hold (``set_stock``, ``adjust``) is taken back from the most recent
  orders first; they ship short.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from crossdock.domain.warehouse import (
    AdjustmentReason,
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    Parcel,
    PreparationStarted,
    ReceiptPosted,
    ReceivedLine,
    ReturnedLine,
    ReturnReceived,
    Shipped,
    ShippedLine,
    SourceDocument,
    StockAdjusted,
    StockLevel,
    StockSnapshot,
    WarehouseEvent,
    WarehouseOrder,
    WarehouseReturn,
)
from crossdock.sandbox.warehouse.parcels import carrier_for, tracking_number
from crossdock.sandbox.warehouse.persistence import (
    order_from_state,
    order_to_state,
    return_from_state,
    return_to_state,
)
from crossdock.sandbox.warehouse.stock import Stock

OrderStatus = Literal[
    "received", "acknowledged", "picking", "partially_shipped", "shipped", "cancelled", "rejected"
]
_BEFORE_PICKING: frozenset[OrderStatus] = frozenset({"received", "acknowledged"})
_FROM_PICKING: frozenset[OrderStatus] = frozenset({"picking", "partially_shipped", "shipped"})
_RANDOM_ADJUSTMENTS: tuple[AdjustmentReason, ...] = ("shrinkage", "damaged", "cycle_count", "found")
_EVENT_SOURCE_KIND = "sandbox/warehouse"


class SimulationError(ValueError):
    """A test hook or a call the site cannot honour (unknown order, a step that is no longer possible)."""


@dataclass
class SimulationKnobs:
    """Timing and behaviour of the site; every one can change while it runs (``update_knobs``)."""

    acknowledge_delay_seconds: float = 1.0
    pick_delay_seconds: float = 5.0
    ship_delay_seconds: float = 10.0
    # A partially shipped order sends the rest this long after its first shipment.
    partial_rest_delay_seconds: float = 30.0
    # Share (0 to 1) of orders of two units or more whose first shipment carries only some of the units.
    partial_share: float = 0.0
    # Share (0 to 1) of shipments packed in two or three parcels.
    multi_parcel_share: float = 0.0
    # Complete stock snapshots every so many seconds; 0 switches them off.
    snapshot_interval_seconds: float = 3600.0
    # Random stock adjustments per hour (shrinkage, damaged, cycle counts, found units); 0 switches them off.
    adjustment_rate: float = 0.0
    return_delay_seconds: float = 60.0
    # Share (0 to 1) of returned units found damaged (not restocked).
    damaged_return_share: float = 0.0
    reject_when_short: bool = True

    def validate(self) -> None:
        for name in ("partial_share", "multi_parcel_share", "damaged_return_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise SimulationError(f"knob {name} must be a share from 0 to 1, got {value}")
        for knob in fields(self):
            value = getattr(self, knob.name)
            if knob.name != "reject_when_short" and value < 0:
                raise SimulationError(f"knob {knob.name} must not be negative, got {value}")


@dataclass
class SimulatedOrder:
    """An order as the site tracks it. Quantities are per line number."""

    order: WarehouseOrder
    status: OrderStatus
    received_at: datetime
    # When the next step of the life cycle (acknowledge, pick, ship) is due; None when nothing is.
    due_at: datetime | None
    warehouse_reference: str
    allocated: dict[int, int] = field(default_factory=dict)
    shipped: dict[int, int] = field(default_factory=dict)
    shipments: list[str] = field(default_factory=list)
    reason: str | None = None

    def remaining_allocated(self) -> int:
        return sum(self.allocated.values())


@dataclass
class ExpectedReturn:
    authorisation: WarehouseReturn
    due_at: datetime | None
    received: bool = False


@dataclass(frozen=True)
class ChangeOutcome:
    accepted: bool
    reason: str


class WarehouseSimulation:
    def __init__(
        self,
        *,
        warehouse: str,
        clock: Callable[[], datetime],
        seed: int = 0,
        knobs: SimulationKnobs | None = None,
    ) -> None:
        self.warehouse = warehouse
        self._clock = clock
        self._rng = random.Random(seed)
        self.knobs = knobs or SimulationKnobs()
        self.knobs.validate()
        self._stock = Stock()
        self._orders: dict[str, SimulatedOrder] = {}
        self._returns: dict[str, ExpectedReturn] = {}
        self._receipts: set[str] = set()
        self._outbox: list[WarehouseEvent] = []
        self._counters = {"order": 0, "shipment": 0, "event": 0}
        start = clock()
        self._next_snapshot_at = self._snapshot_after(start)
        self._next_adjustment_at = self._adjustment_after(start)

    # --- reading ---------------------------------------------------------------------------------------

    def order(self, key: str) -> SimulatedOrder:
        found = self._orders.get(key)
        if found is None:
            raise SimulationError(f"no order with key {key!r} at warehouse {self.warehouse}")
        return found

    def orders(self) -> list[SimulatedOrder]:
        return list(self._orders.values())

    def returns(self) -> list[ExpectedReturn]:
        return list(self._returns.values())

    def stock_levels(self) -> list[StockLevel]:
        levels = []
        for sku in self._stock.skus():
            record = self._stock.record(sku)
            levels.append(StockLevel(sku, record.on_hand, record.available, reserved=record.allocated))
        return levels

    def drain_events(self) -> list[WarehouseEvent]:
        """The events emitted since the last drain, oldest first; the outbox is empty afterwards."""
        events, self._outbox = self._outbox, []
        return events

    # --- what a face passes on -------------------------------------------------------------------------

    def receive_order(self, order: WarehouseOrder) -> bool:
        """Take a new order; False when its key is already known (the same order: nothing changes)."""
        if order.key in self._orders:
            return False
        now = self._clock()
        self._counters["order"] += 1
        self._orders[order.key] = SimulatedOrder(
            order=replace(order, warehouse=self.warehouse),
            status="received",
            received_at=now,
            due_at=now + timedelta(seconds=self.knobs.acknowledge_delay_seconds),
            warehouse_reference=f"WO{self._counters['order']:07d}",
        )
        return True

    def change_order(self, order: WarehouseOrder) -> ChangeOutcome:
        """Replace the lines, address and the rest of an order not yet picked."""
        current = self._orders.get(order.key)
        if current is None:
            return ChangeOutcome(False, f"change refused: no order {order.key} at this warehouse")
        if current.status not in _BEFORE_PICKING:
            return ChangeOutcome(False, f"change refused: order {order.key} is already {current.status}")
        changed = replace(order, warehouse=self.warehouse)
        if current.status == "received":
            current.order = changed
            return ChangeOutcome(True, "change applied before acknowledgement")
        self._release(current)
        problem = self._acceptance_problem(changed)
        if problem is not None:
            self._allocate(current)
            return ChangeOutcome(False, f"change refused: {problem[0]}; the order keeps its lines")
        current.order = changed
        self._allocate(current)
        return ChangeOutcome(True, "change applied before picking")

    def cancel_order(self, key: str) -> WarehouseEvent:
        """Cancel before picking (CancelConfirmed), refuse from picking on (CancelRefused); the event is
        also emitted."""
        now = self._clock()
        current = self._orders.get(key)
        event: WarehouseEvent
        if current is None:
            event = CancelRefused(
                **self._event_base(now), order_key=key, reason=f"no order {key} at this warehouse"
            )
        elif current.status in _FROM_PICKING:
            last_shipment = current.shipments[-1] if current.shipments else None
            reason = f"order {key} is {current.status.replace('_', ' ')}" + (
                f" (shipment {last_shipment})" if last_shipment else ""
            )
            event = CancelRefused(
                **self._event_base(now), order_key=key, reason=reason, shipment_id=last_shipment
            )
        else:
            if current.status in _BEFORE_PICKING:
                self._release(current)
                current.status = "cancelled"
                current.due_at = None
            # Cancelling a cancelled or rejected order confirms again: nothing will ship either way.
            event = CancelConfirmed(**self._event_base(now), order_key=key)
        self._outbox.append(event)
        return event

    def expect_return(self, authorisation: WarehouseReturn) -> bool:
        """Register a return authorisation; its goods arrive ``return_delay_seconds`` later. False when the
        key is already known."""
        if authorisation.key in self._returns:
            return False
        due = self._clock() + timedelta(seconds=self.knobs.return_delay_seconds)
        self._returns[authorisation.key] = ExpectedReturn(
            replace(authorisation, warehouse=self.warehouse), due_at=due
        )
        return True

    def receive_goods(self, reference: str, lines: Sequence[ReceivedLine]) -> ReceiptPosted | None:
        """Goods arrive against ``reference``: the sound units are put away. None (nothing happens) when the
        reference was received already."""
        if not reference.strip():
            raise SimulationError("a receipt needs a reference (an advance ship notice, a purchase order)")
        if reference in self._receipts:
            return None
        for line in lines:
            if line.quantity < 0 or not 0 <= line.damaged <= line.quantity:
                raise SimulationError(
                    f"receipt {reference}: {line.sku} has {line.quantity} units of which {line.damaged} "
                    "damaged; quantities must be 0 or more and damaged at most the quantity"
                )
        self._receipts.add(reference)
        for line in lines:
            self._stock.add(line.sku, line.quantity - line.damaged)
        event = ReceiptPosted(**self._event_base(self._clock()), reference=reference, lines=tuple(lines))
        self._outbox.append(event)
        return event

    # --- time ------------------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> None:
        """Run every step due at or before ``now`` (the clock's time when omitted), earliest first."""
        moment = now or self._clock()
        while True:
            step = self._next_step(moment)
            if step is None:
                break
            due, action = step
            action(due)

    def _next_step(self, moment: datetime) -> tuple[datetime, Callable[[datetime], None]] | None:
        candidates: list[tuple[datetime, int, int, Callable[[datetime], None]]] = []
        for sequence, simulated in enumerate(self._orders.values()):
            if simulated.due_at is not None and simulated.due_at <= moment:
                candidates.append((simulated.due_at, 0, sequence, self._order_step(simulated)))
        for sequence, expected in enumerate(self._returns.values()):
            if expected.due_at is not None and expected.due_at <= moment:
                candidates.append((expected.due_at, 1, sequence, self._return_step(expected)))
        if self._next_adjustment_at is not None and self._next_adjustment_at <= moment:
            candidates.append((self._next_adjustment_at, 2, 0, self._random_adjustment))
        # Snapshots come last among steps due at the same moment, so that they include them.
        if self._next_snapshot_at is not None and self._next_snapshot_at <= moment:
            candidates.append((self._next_snapshot_at, 3, 0, self._scheduled_snapshot))
        if not candidates:
            return None
        due, _, _, action = min(candidates, key=lambda candidate: candidate[:3])
        return due, action

    def _order_step(self, simulated: SimulatedOrder) -> Callable[[datetime], None]:
        def step(due: datetime) -> None:
            if simulated.status == "received":
                self._acknowledge(simulated, due)
            elif simulated.status == "acknowledged":
                self._pick(simulated, due)
            elif simulated.status in ("picking", "partially_shipped"):
                self._ship(simulated, due, requested=None)
            else:
                simulated.due_at = None

        return step

    def _return_step(self, expected: ExpectedReturn) -> Callable[[datetime], None]:
        def step(due: datetime) -> None:
            self._receive_return(expected, due)

        return step

    # --- test hooks ------------------------------------------------------------------------------------

    def set_stock(self, sku: str, units: int) -> None:
        """Set on hand (no event: the next snapshot tells). Below what orders hold, the most recent orders
        give units back and will ship short."""
        if units < 0:
            raise SimulationError(f"stock of {sku} cannot be set to {units}: on hand must not be negative")
        self._take_back(sku, self._stock.record(sku).allocated - units)
        self._stock.set_on_hand(sku, units)

    def adjust(
        self, sku: str, delta: int, reason: AdjustmentReason, *, reason_code: str | None = None
    ) -> StockAdjusted:
        """Change on hand by ``delta`` and emit StockAdjusted."""
        record = self._stock.record(sku)
        if record.on_hand + delta < 0:
            raise SimulationError(
                f"adjusting {sku} by {delta} would leave {record.on_hand + delta} on hand; "
                "it must not be negative"
            )
        if delta == 0:
            raise SimulationError(f"an adjustment of {sku} must change the quantity (delta 0)")
        self._take_back(sku, record.allocated - (record.on_hand + delta))
        self._stock.add(sku, delta)
        event = StockAdjusted(
            **self._event_base(self._clock()),
            sku=sku,
            quantity_change=delta,
            reason=reason,
            reason_code=reason_code,
        )
        self._outbox.append(event)
        return event

    def snapshot_now(self) -> StockSnapshot:
        return self._snapshot(self._clock())

    def pick_now(self, key: str) -> None:
        """Start picking now (acknowledging first if that has not happened yet)."""
        simulated = self.order(key)
        now = self._clock()
        if simulated.status == "received":
            self._acknowledge(simulated, now)
        if simulated.status == "rejected":
            raise SimulationError(f"order {key} was rejected ({simulated.reason}): it cannot be picked")
        if simulated.status == "acknowledged":
            self._pick(simulated, now)
        elif simulated.status not in ("picking", "partially_shipped"):
            raise SimulationError(f"order {key} is {simulated.status}: it cannot be picked")

    def ship_now(self, key: str, lines: Mapping[str, int] | None = None) -> Shipped:
        """Ship now (picking first if needed): ``lines`` maps SKUs to units for a partial shipment, None
        ships every allocated unit left."""
        self.pick_now(key)
        simulated = self.order(key)
        shipped = self._ship(simulated, self._clock(), requested=lines)
        if shipped is None:
            raise SimulationError(f"order {key} has nothing left to ship")
        return shipped

    def receive_return_now(self, key: str, damaged: Mapping[str, int] | None = None) -> ReturnReceived:
        """The goods of return ``key`` arrive now; ``damaged`` maps SKUs to the units found damaged (the
        rest is restocked), None draws them with ``damaged_return_share``."""
        expected = self._returns.get(key)
        if expected is None:
            raise SimulationError(f"no return authorisation {key} is expected")
        if expected.received:
            raise SimulationError(f"return {key} was received already")
        authorised = {line.sku for line in expected.authorisation.lines}
        unknown = sorted(set(damaged or {}) - authorised)
        if unknown:
            raise SimulationError(f"return {key} does not authorise {', '.join(unknown)}")
        return self._receive_return(expected, self._clock(), damaged)

    # --- knobs -----------------------------------------------------------------------------------------

    def update_knobs(self, **values: Any) -> SimulationKnobs:
        names = {knob.name for knob in fields(SimulationKnobs)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise SimulationError(f"unknown knob(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        updated = replace(self.knobs, **values)
        updated.validate()
        before = self.knobs
        self.knobs = updated
        now = self._clock()
        if updated.snapshot_interval_seconds != before.snapshot_interval_seconds:
            self._next_snapshot_at = self._snapshot_after(now)
        if updated.adjustment_rate != before.adjustment_rate:
            self._next_adjustment_at = self._adjustment_after(now)
        return updated

    # --- life cycle ------------------------------------------------------------------------------------

    def _acknowledge(self, simulated: SimulatedOrder, moment: datetime) -> None:
        problem = self._acceptance_problem(simulated.order)
        if problem is not None:
            reason, skus = problem
            self._reject(simulated, moment, reason, skus)
            return
        self._allocate(simulated)
        simulated.status = "acknowledged"
        simulated.due_at = moment + timedelta(seconds=self.knobs.pick_delay_seconds)
        self._outbox.append(
            OrderAcknowledged(
                **self._event_base(moment),
                order_key=simulated.order.key,
                warehouse_reference=simulated.warehouse_reference,
            )
        )

    def _reject(
        self, simulated: SimulatedOrder, moment: datetime, reason: str, skus: tuple[str, ...]
    ) -> None:
        simulated.status = "rejected"
        simulated.reason = reason
        simulated.due_at = None
        self._outbox.append(
            OrderRejected(**self._event_base(moment), order_key=simulated.order.key, reason=reason, skus=skus)
        )

    def _acceptance_problem(self, order: WarehouseOrder) -> tuple[str, tuple[str, ...]] | None:
        """Why the site cannot take ``order`` as it stands (reason, SKUs at fault), or None."""
        if order.total_quantity == 0:
            return "the order has no unit to ship", ()
        unknown = sorted({line.sku for line in order.lines if not self._stock.knows(line.sku)})
        if unknown:
            return f"unknown SKU {', '.join(unknown)}", tuple(unknown)
        needed: dict[str, int] = {}
        for line in order.lines:
            needed[line.sku] = needed.get(line.sku, 0) + line.quantity
        short = sorted(sku for sku, units in needed.items() if units > self._stock.available(sku))
        if short and self.knobs.reject_when_short:
            detail = ", ".join(
                f"{sku} ({needed[sku]} ordered, {self._stock.available(sku)} available)" for sku in short
            )
            return f"insufficient stock: {detail}", tuple(short)
        if all(self._stock.available(sku) == 0 for sku in needed if needed[sku]):
            return f"no stock for any line: {', '.join(sorted(needed))}", tuple(sorted(needed))
        return None

    def _allocate(self, simulated: SimulatedOrder) -> None:
        simulated.allocated = {}
        for line in simulated.order.lines:
            wanted = line.quantity - simulated.shipped.get(line.line_number, 0)
            units = max(0, min(wanted, self._stock.available(line.sku)))
            if units:
                self._stock.allocate(line.sku, units)
                simulated.allocated[line.line_number] = units

    def _release(self, simulated: SimulatedOrder) -> None:
        skus = {line.line_number: line.sku for line in simulated.order.lines}
        for line_number, units in simulated.allocated.items():
            self._stock.release(skus[line_number], units)
        simulated.allocated = {}

    def _take_back(self, sku: str, excess: int) -> None:
        """Release ``excess`` allocated units of ``sku``, from the most recently received orders first."""
        for simulated in reversed(list(self._orders.values())):
            if excess <= 0:
                return
            for line in simulated.order.lines:
                held = simulated.allocated.get(line.line_number, 0)
                if line.sku != sku or held == 0 or excess <= 0:
                    continue
                units = min(held, excess)
                self._stock.release(sku, units)
                simulated.allocated[line.line_number] = held - units
                excess -= units

    def _pick(self, simulated: SimulatedOrder, moment: datetime) -> None:
        simulated.status = "picking"
        simulated.due_at = moment + timedelta(seconds=self.knobs.ship_delay_seconds)
        self._outbox.append(PreparationStarted(**self._event_base(moment), order_key=simulated.order.key))

    def _ship(
        self, simulated: SimulatedOrder, moment: datetime, *, requested: Mapping[str, int] | None
    ) -> Shipped | None:
        order = simulated.order
        if simulated.remaining_allocated() == 0:
            if not simulated.shipments:
                # Stock taken away after acknowledgement left nothing to send: the site gives the order up.
                self._reject(simulated, moment, "stock ran out after acknowledgement", self._skus_of(order))
                return None
            simulated.status = "shipped"
            simulated.due_at = None
            return None
        if requested is not None:
            units_by_line = self._requested_units(simulated, requested)
        elif not simulated.shipments and self._rng.random() < self.knobs.partial_share:
            units_by_line = self._first_part(simulated)
        else:
            units_by_line = dict(simulated.allocated)
        for line in order.lines:
            units = units_by_line.get(line.line_number, 0)
            if units:
                self._stock.ship(line.sku, units)
                simulated.allocated[line.line_number] -= units
                simulated.shipped[line.line_number] = simulated.shipped.get(line.line_number, 0) + units
        self._counters["shipment"] += 1
        shipment_id = f"SHP{self._counters['shipment']:07d}"
        simulated.shipments.append(shipment_id)
        if simulated.remaining_allocated() > 0:
            simulated.status = "partially_shipped"
            simulated.due_at = moment + timedelta(seconds=self.knobs.partial_rest_delay_seconds)
        else:
            simulated.status = "shipped"
            simulated.due_at = None
        shipped = Shipped(
            **self._event_base(moment),
            order_key=order.key,
            shipment_id=shipment_id,
            lines=tuple(
                ShippedLine(
                    sku=line.sku,
                    quantity_shipped=units_by_line.get(line.line_number, 0),
                    quantity_ordered=line.quantity,
                    line_number=line.line_number,
                )
                for line in order.lines
                if line.quantity > 0
            ),
            parcels=self._parcels(order),
        )
        self._outbox.append(shipped)
        return shipped

    def _requested_units(self, simulated: SimulatedOrder, requested: Mapping[str, int]) -> dict[int, int]:
        order = simulated.order
        known = {line.sku for line in order.lines}
        for sku, units in requested.items():
            if sku not in known:
                raise SimulationError(f"order {order.key} has no line for {sku}")
            if units < 0:
                raise SimulationError(f"cannot ship {units} units of {sku}")
        wanted = dict(requested)
        units_by_line: dict[int, int] = {}
        for line in order.lines:
            held = simulated.allocated.get(line.line_number, 0)
            units = min(held, wanted.get(line.sku, 0))
            if units:
                units_by_line[line.line_number] = units
                wanted[line.sku] -= units
        left = {sku: units for sku, units in wanted.items() if units > 0}
        if left:
            raise SimulationError(
                f"order {order.key} holds fewer units than asked to ship: {left} more than allocated"
            )
        if not units_by_line:
            raise SimulationError(f"ship_now({order.key}) names no unit to ship")
        return units_by_line

    def _first_part(self, simulated: SimulatedOrder) -> dict[int, int]:
        """The units of a partial first shipment: a random cut through the allocated units, in line order,
        leaving at least one unit for the second shipment (all of them when there is a single unit)."""
        total = simulated.remaining_allocated()
        if total < 2:
            return dict(simulated.allocated)
        cut = self._rng.randint(1, total - 1)
        units_by_line: dict[int, int] = {}
        for line_number, held in simulated.allocated.items():
            units = min(held, cut)
            if units:
                units_by_line[line_number] = units
                cut -= units
        return units_by_line

    def _parcels(self, order: WarehouseOrder) -> tuple[Parcel, ...]:
        carrier = carrier_for(order.carrier_code, self._rng)
        service = order.service_level or carrier.default_service
        count = self._rng.choice((2, 3)) if self._rng.random() < self.knobs.multi_parcel_share else 1
        return tuple(
            Parcel(
                tracking_number=tracking_number(carrier, self._rng),
                carrier_code=carrier.scac,
                carrier_name=carrier.name,
                service_level=service,
                weight_kg=round(self._rng.uniform(0.2, 8.0), 2),
            )
            for _ in range(count)
        )

    def _receive_return(
        self, expected: ExpectedReturn, moment: datetime, damaged_units: Mapping[str, int] | None = None
    ) -> ReturnReceived:
        expected.due_at = None
        expected.received = True
        returned: list[ReturnedLine] = []
        left_damaged = dict(damaged_units or {})
        for line in expected.authorisation.lines:
            if damaged_units is None:
                damaged = sum(
                    1 for _ in range(line.quantity) if self._rng.random() < self.knobs.damaged_return_share
                )
            else:
                damaged = min(line.quantity, left_damaged.get(line.sku, 0))
                left_damaged[line.sku] = left_damaged.get(line.sku, 0) - damaged
            if line.quantity - damaged:
                self._stock.add(line.sku, line.quantity - damaged)
                returned.append(ReturnedLine(line.sku, line.quantity - damaged, "restock"))
            if damaged:
                returned.append(ReturnedLine(line.sku, damaged, "damaged"))
        event = ReturnReceived(
            **self._event_base(moment), return_key=expected.authorisation.key, lines=tuple(returned)
        )
        self._outbox.append(event)
        return event

    # --- stock events ----------------------------------------------------------------------------------

    def _scheduled_snapshot(self, due: datetime) -> None:
        self._snapshot(due)
        interval = timedelta(seconds=self.knobs.snapshot_interval_seconds)
        following = due + interval
        # After a long pause one snapshot stands for all the missed ones.
        while following <= self._clock():
            following += interval
        self._next_snapshot_at = following

    def _snapshot(self, moment: datetime) -> StockSnapshot:
        snapshot = StockSnapshot(**self._event_base(moment), levels=tuple(self.stock_levels()), complete=True)
        self._outbox.append(snapshot)
        return snapshot

    def _random_adjustment(self, due: datetime) -> None:
        self._next_adjustment_at = self._adjustment_after(due)
        skus = self._stock.skus()
        if not skus:
            return
        sku = self._rng.choice(skus)
        reason = self._rng.choice(_RANDOM_ADJUSTMENTS)
        size = self._rng.randint(1, 3)
        available = self._stock.available(sku)
        if reason == "found" or (reason == "cycle_count" and self._rng.random() < 0.5):
            delta = size
        else:
            # Random losses only touch free stock, so that they never cut an order short behind the scenes.
            delta = -min(size, available)
        if delta == 0:
            return
        self._stock.add(sku, delta)
        self._outbox.append(
            StockAdjusted(**self._event_base(due), sku=sku, quantity_change=delta, reason=reason)
        )

    def _snapshot_after(self, moment: datetime) -> datetime | None:
        interval = self.knobs.snapshot_interval_seconds
        return moment + timedelta(seconds=interval) if interval > 0 else None

    def _adjustment_after(self, moment: datetime) -> datetime | None:
        rate = self.knobs.adjustment_rate
        if rate <= 0:
            return None
        return moment + timedelta(seconds=self._rng.expovariate(rate / 3600))

    # --- helpers ---------------------------------------------------------------------------------------

    def _event_base(self, moment: datetime) -> dict[str, Any]:
        self._counters["event"] += 1
        return {
            "warehouse": self.warehouse,
            "occurred_at": moment,
            "source": SourceDocument(
                kind=_EVENT_SOURCE_KIND, reference=f"{self.warehouse}/{self._counters['event']:08d}"
            ),
        }

    @staticmethod
    def _skus_of(order: WarehouseOrder) -> tuple[str, ...]:
        return tuple(sorted({line.sku for line in order.lines}))

    # --- persistence -----------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Everything needed to continue after a restart, as JSON-ready values. Undrained events are not
        part of it: save after draining."""
        if self._outbox:
            raise SimulationError(f"{len(self._outbox)} events are not drained yet; drain before saving")
        version, internal, gauss = self._rng.getstate()
        return {
            "warehouse": self.warehouse,
            "random": [version, list(internal), gauss],
            "knobs": {knob.name: getattr(self.knobs, knob.name) for knob in fields(SimulationKnobs)},
            "stock": self._stock.to_state(),
            "counters": dict(self._counters),
            "receipts": sorted(self._receipts),
            "next_snapshot_at": _moment_text(self._next_snapshot_at),
            "next_adjustment_at": _moment_text(self._next_adjustment_at),
            "orders": [
                {
                    "order": order_to_state(simulated.order),
                    "status": simulated.status,
                    "received_at": simulated.received_at.isoformat(),
                    "due_at": _moment_text(simulated.due_at),
                    "warehouse_reference": simulated.warehouse_reference,
                    "allocated": {str(number): units for number, units in simulated.allocated.items()},
                    "shipped": {str(number): units for number, units in simulated.shipped.items()},
                    "shipments": list(simulated.shipments),
                    "reason": simulated.reason,
                }
                for simulated in self._orders.values()
            ],
            "returns": [
                {
                    "authorisation": return_to_state(expected.authorisation),
                    "due_at": _moment_text(expected.due_at),
                    "received": expected.received,
                }
                for expected in self._returns.values()
            ],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], *, clock: Callable[[], datetime]) -> WarehouseSimulation:
        simulation = cls(warehouse=state["warehouse"], clock=clock, knobs=SimulationKnobs(**state["knobs"]))
        version, internal, gauss = state["random"]
        simulation._rng.setstate((version, tuple(internal), gauss))
        simulation._stock = Stock.from_state(state["stock"])
        simulation._counters = {name: int(value) for name, value in state["counters"].items()}
        simulation._receipts = set(state["receipts"])
        simulation._next_snapshot_at = _moment_of(state["next_snapshot_at"])
        simulation._next_adjustment_at = _moment_of(state["next_adjustment_at"])
        for saved in state["orders"]:
            order = order_from_state(saved["order"])
            simulation._orders[order.key] = SimulatedOrder(
                order=order,
                status=saved["status"],
                received_at=datetime.fromisoformat(saved["received_at"]),
                due_at=_moment_of(saved["due_at"]),
                warehouse_reference=saved["warehouse_reference"],
                allocated={int(number): units for number, units in saved["allocated"].items()},
                shipped={int(number): units for number, units in saved["shipped"].items()},
                shipments=list(saved["shipments"]),
                reason=saved["reason"],
            )
        for saved in state["returns"]:
            authorisation = return_from_state(saved["authorisation"])
            simulation._returns[authorisation.key] = ExpectedReturn(
                authorisation, due_at=_moment_of(saved["due_at"]), received=saved["received"]
            )
        return simulation


def _moment_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment_of(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
