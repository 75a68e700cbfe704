"""The canonical order status and the one function that moves it: ``transition(state, event)``.

The main path is ``received → validated → routed → sent → accepted → in_preparation → packed → shipped →
delivered``, with ``partially_shipped`` between preparation and ``shipped``. Side states: ``on_hold``
(dispatch stopped until every hold is released; only before the order is sent — afterwards a hold is the
warehouse's or Shopify's business), ``rejected`` (by the warehouse), ``cancel_requested`` (asked, not yet
answered), ``cancelled``, ``cancel_refused`` (the warehouse had already picked or shipped: the order goes on
and is shipped), ``returned``.

Rules that make the function safe to feed with at-least-once, out-of-order inputs:
- An event that repeats one already applied, or that reports progress the order has already passed (a late
  acknowledgement after the shipment), changes nothing: it returns the same state (idempotence, and stale
  inputs are harmless).
- Progress may skip steps: a warehouse that reports a shipment without an acknowledgement has shipped.
- A move the model forbids (a shipment of a cancelled order, a dispatch while on hold) is refused with
  ``TransitionRefused``, which names the state and the event, and the caller turns it into an exception for
  an operator. The state is never changed by a refusal.
- ``cancelled``, ``rejected``, ``delivered`` and ``returned`` are terminal except where a later fact must
  be recorded: a delivered order can still be returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, get_args

Status = Literal[
    "received",
    "validated",
    "routed",
    "on_hold",
    "sent",
    "accepted",
    "in_preparation",
    "packed",
    "partially_shipped",
    "shipped",
    "delivered",
    "rejected",
    "cancel_requested",
    "cancel_refused",
    "cancelled",
    "returned",
]
STATUSES: tuple[Status, ...] = get_args(Status)

# The position of each status on the main path; progress only moves forward along it.
_RANK: dict[Status, int] = {
    "received": 0,
    "validated": 1,
    "routed": 2,
    "sent": 3,
    "accepted": 4,
    "in_preparation": 5,
    "packed": 6,
    "partially_shipped": 7,
    "shipped": 8,
    "delivered": 9,
}
# States from which no event leads anywhere (a delivered order can still be returned: see Returned).
TERMINAL: frozenset[Status] = frozenset({"cancelled", "rejected", "returned"})
_NOT_YET_SENT: frozenset[Status] = frozenset({"received", "validated", "routed"})


@dataclass(frozen=True)
class OrderState:
    status: Status = "received"
    # While on hold: the status to go back to once every hold is released, and the reasons still holding.
    held_from: Status | None = None
    holds: frozenset[str] = field(default_factory=frozenset)
    # While a cancellation is asked: the status it was asked from (the warehouse may refuse it).
    cancel_requested_from: Status | None = None

    def __post_init__(self) -> None:
        if self.status == "on_hold":
            if not self.holds or self.held_from not in _NOT_YET_SENT:
                raise ValueError("an order on hold has reasons and a status before dispatch to go back to")
        elif self.holds or self.held_from is not None:
            raise ValueError(f"an order in {self.status} has no hold")
        if (self.status == "cancel_requested") != (self.cancel_requested_from is not None):
            raise ValueError("cancel_requested_from is set exactly while a cancellation is requested")


# --- events -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validated:
    """Every SKU known, bundles expanded, address complete, payment state allowed."""


@dataclass(frozen=True)
class Routed:
    warehouse: str


@dataclass(frozen=True)
class Rerouted:
    """An operator sends the order to ``warehouse``: one the router could not choose, or another after a
    rejection. The one way out of ``rejected``, which is otherwise final."""

    warehouse: str


@dataclass(frozen=True)
class Dispatched:
    """Sent to the warehouse (the warehouse order exists there, or will once its message is read)."""


@dataclass(frozen=True)
class WarehouseAccepted:
    pass


@dataclass(frozen=True)
class WarehouseRejected:
    reason: str


@dataclass(frozen=True)
class PreparationStarted:
    pass


@dataclass(frozen=True)
class Packed:
    pass


@dataclass(frozen=True)
class ShipmentRecorded:
    """A shipment; ``complete`` when, with the shipments before it, every unit ordered has left."""

    complete: bool


@dataclass(frozen=True)
class Delivered:
    pass


@dataclass(frozen=True)
class HoldPlaced:
    reason: str


@dataclass(frozen=True)
class HoldReleased:
    reason: str


@dataclass(frozen=True)
class CancelRequested:
    pass


@dataclass(frozen=True)
class CancelConfirmed:
    pass


@dataclass(frozen=True)
class CancelRefused:
    reason: str


@dataclass(frozen=True)
class Returned:
    pass


OrderEvent = (
    Validated
    | Routed
    | Rerouted
    | Dispatched
    | WarehouseAccepted
    | WarehouseRejected
    | PreparationStarted
    | Packed
    | ShipmentRecorded
    | Delivered
    | HoldPlaced
    | HoldReleased
    | CancelRequested
    | CancelConfirmed
    | CancelRefused
    | Returned
)


class TransitionRefused(Exception):
    """The model forbids this event in this state; the state is unchanged."""

    def __init__(self, state: OrderState, event: OrderEvent, reason: str) -> None:
        super().__init__(f"{type(event).__name__} refused in {state.status}: {reason}")
        self.state = state
        self.event = event
        self.reason = reason


# --- the function -------------------------------------------------------------------------------------------


def transition(state: OrderState, event: OrderEvent) -> OrderState:
    if isinstance(event, Rerouted) and state.status == "rejected":
        return OrderState("routed")
    if state.status in TERMINAL:
        return _after_terminal(state, event)
    match event:
        case HoldPlaced(reason=reason):
            return _hold(state, event, reason)
        case HoldReleased(reason=reason):
            return _release(state, reason)
        case CancelRequested():
            return _request_cancel(state, event)
        case CancelConfirmed():
            return _confirm_cancel(state, event)
        case CancelRefused():
            return _refuse_cancel(state, event)
        case WarehouseRejected():
            return _reject(state, event)
        case Returned():
            if state.status in ("shipped", "delivered", "partially_shipped", "cancel_refused"):
                return OrderState("returned")
            raise TransitionRefused(state, event, "nothing was shipped that could come back")
        case Validated():
            return _progress(state, event, "validated")
        case Routed() | Rerouted():
            return _progress(state, event, "routed")
        case Dispatched():
            return _progress(state, event, "sent")
        case WarehouseAccepted():
            return _progress(state, event, "accepted")
        case PreparationStarted():
            return _progress(state, event, "in_preparation")
        case Packed():
            return _progress(state, event, "packed")
        case ShipmentRecorded(complete=complete):
            return _progress(state, event, "shipped" if complete else "partially_shipped")
        case Delivered():
            return _progress(state, event, "delivered")
    raise TypeError(f"not an order event: {event!r}")


def _after_terminal(state: OrderState, event: OrderEvent) -> OrderState:
    # Repeats of what made the state terminal, and late news it already outranks, change nothing.
    harmless = {
        "cancelled": (CancelConfirmed, CancelRequested, WarehouseRejected, HoldReleased),
        "rejected": (WarehouseRejected, HoldReleased),
        "returned": (Returned, Delivered, ShipmentRecorded, WarehouseAccepted, PreparationStarted, Packed),
    }[state.status]
    if isinstance(event, harmless):
        return state
    raise TransitionRefused(state, event, f"the order is {state.status}")


def _progress(state: OrderState, event: OrderEvent, target: Status) -> OrderState:
    if state.status == "on_hold":
        assert state.held_from is not None
        if _RANK[target] <= _RANK[state.held_from]:
            return state
        if target in _NOT_YET_SENT:
            # Validation and routing go on while held; only dispatch waits.
            try:
                moved = _progress(OrderState(state.held_from), event, target)
            except TransitionRefused as refusal:
                raise TransitionRefused(state, event, refusal.reason) from None
            return replace(state, held_from=moved.status)
        raise TransitionRefused(state, event, f"held for {', '.join(sorted(state.holds))}")
    if state.status == "cancel_requested":
        assert state.cancel_requested_from is not None
        if _RANK[target] <= _RANK[state.cancel_requested_from]:
            return state
        if target in ("partially_shipped", "shipped", "delivered"):
            # The warehouse shipped before it read the cancellation: that is its refusal.
            return OrderState(target)
        # Preparation news while the cancellation is pending: remember it, stay pending.
        return replace(state, cancel_requested_from=target)
    # A refused cancellation means the warehouse had picked (or shipped): only shipment news is ahead.
    current = _RANK["packed"] if state.status == "cancel_refused" else _RANK[state.status]
    if _RANK[target] <= current:
        return state
    if target == "routed" and state.status == "received":
        raise TransitionRefused(state, event, "the order has not been validated")
    if target == "sent" and state.status != "routed":
        raise TransitionRefused(state, event, "the order has not been routed to a warehouse")
    # From routed, news from the warehouse is taken: the warehouse order (and the key the warehouse names)
    # is recorded before its document is sent, so news about it proves it arrived, and may come before the
    # sending is recorded (under load, 3PL answers came 20-40 s ahead of it and were lost when refused).
    if _RANK[target] > _RANK["sent"] and current < _RANK["routed"]:
        raise TransitionRefused(state, event, "the order has not been sent to a warehouse")
    return OrderState(target)


def _hold(state: OrderState, event: OrderEvent, reason: str) -> OrderState:
    if state.status == "on_hold":
        return replace(state, holds=state.holds | {reason})
    if state.status in _NOT_YET_SENT:
        return OrderState("on_hold", held_from=state.status, holds=frozenset({reason}))
    raise TransitionRefused(state, event, "the order is already at the warehouse; hold it there instead")


def _release(state: OrderState, reason: str) -> OrderState:
    if state.status != "on_hold" or reason not in state.holds:
        return state  # released already, or never held for this reason
    remaining = state.holds - {reason}
    if remaining:
        return replace(state, holds=remaining)
    assert state.held_from is not None
    return OrderState(state.held_from)


def _request_cancel(state: OrderState, event: OrderEvent) -> OrderState:
    if state.status in _NOT_YET_SENT or state.status == "on_hold":
        return OrderState("cancelled")  # nothing at a warehouse to take back
    if state.status == "cancel_requested":
        return state
    if state.status in ("sent", "accepted", "in_preparation", "packed"):
        return OrderState("cancel_requested", cancel_requested_from=state.status)
    raise TransitionRefused(state, event, f"the order is {state.status.replace('_', ' ')}")


def _confirm_cancel(state: OrderState, event: OrderEvent) -> OrderState:
    if state.status == "cancel_requested":
        return OrderState("cancelled")
    raise TransitionRefused(state, event, "no cancellation was asked")


def _refuse_cancel(state: OrderState, event: OrderEvent) -> OrderState:
    if state.status == "cancel_requested":
        return OrderState("cancel_refused")
    if state.status in ("cancel_refused", "partially_shipped", "shipped", "delivered"):
        return state  # the refusal arrived after the shipment that caused it
    raise TransitionRefused(state, event, "no cancellation was asked")


def _reject(state: OrderState, event: OrderEvent) -> OrderState:
    if state.status in ("routed", "sent", "accepted"):  # routed: as for any news, see _progress
        return OrderState("rejected")
    if state.status == "cancel_requested":
        return OrderState("cancelled")  # refused to create, so there is nothing left to cancel
    raise TransitionRefused(state, event, f"the warehouse cannot reject an order that is {state.status}")
