"""The canonical order status machine: examples of each rule, and properties over random event sequences."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.domain.order_status import (
    STATUSES,
    TERMINAL,
    CancelConfirmed,
    CancelRefused,
    CancelRequested,
    Delivered,
    Dispatched,
    HoldPlaced,
    HoldReleased,
    OrderEvent,
    OrderState,
    Packed,
    PreparationStarted,
    Rerouted,
    Returned,
    Routed,
    ShipmentRecorded,
    TransitionRefused,
    Validated,
    WarehouseAccepted,
    WarehouseRejected,
    transition,
)


def run(events: Sequence[OrderEvent], state: OrderState | None = None) -> OrderState:
    state = state or OrderState()
    for event in events:
        state = transition(state, event)
    return state


MAIN_PATH: list[OrderEvent] = [
    Validated(),
    Routed("east"),
    Dispatched(),
    WarehouseAccepted(),
    PreparationStarted(),
    Packed(),
    ShipmentRecorded(complete=False),
    ShipmentRecorded(complete=True),
    Delivered(),
]


def test_the_main_path_visits_every_main_status_in_order() -> None:
    seen = []
    state = OrderState()
    for event in MAIN_PATH:
        state = transition(state, event)
        seen.append(state.status)
    assert seen == [
        "validated",
        "routed",
        "sent",
        "accepted",
        "in_preparation",
        "packed",
        "partially_shipped",
        "shipped",
        "delivered",
    ]


def test_progress_may_skip_steps_and_late_news_changes_nothing() -> None:
    shipped = run([Validated(), Routed("east"), Dispatched(), ShipmentRecorded(complete=True)])
    assert shipped.status == "shipped"
    assert transition(shipped, WarehouseAccepted()) == shipped
    assert transition(shipped, ShipmentRecorded(complete=False)) == shipped


def test_nothing_happens_at_a_warehouse_before_the_order_is_routed_to_it() -> None:
    with pytest.raises(TransitionRefused, match="not been sent"):
        run([Validated(), WarehouseAccepted()])
    with pytest.raises(TransitionRefused, match="not been sent"):
        run([Validated(), ShipmentRecorded(complete=True)])
    with pytest.raises(TransitionRefused, match="not been routed"):
        run([Validated(), Dispatched()])


def test_warehouse_news_that_comes_before_the_sending_is_recorded_is_taken() -> None:
    """The warehouse can answer before the hub has recorded the upload: its news is not lost, and the
    sending recorded afterwards changes nothing."""
    routed = run([Validated(), Routed("east")])
    shipped = transition(transition(routed, WarehouseAccepted()), ShipmentRecorded(complete=True))
    assert shipped == OrderState("shipped")
    assert transition(shipped, Dispatched()) == shipped
    assert transition(routed, PreparationStarted()) == OrderState("in_preparation")
    assert transition(routed, WarehouseRejected("no stock")) == OrderState("rejected")


def test_holds_stop_dispatch_until_every_reason_is_released() -> None:
    held = run([Validated(), HoldPlaced("unpaid"), HoldPlaced("fraud_risk"), Routed("east")])
    assert (held.status, held.held_from, held.holds) == ("on_hold", "routed", {"unpaid", "fraud_risk"})
    with pytest.raises(TransitionRefused, match="held for fraud_risk, unpaid"):
        transition(held, Dispatched())
    partly = transition(held, HoldReleased("unpaid"))
    assert partly.status == "on_hold"
    assert transition(partly, HoldReleased("fraud_risk")) == OrderState("routed")
    with pytest.raises(TransitionRefused, match="already at the warehouse"):
        run([*MAIN_PATH[:3], HoldPlaced("manual")])


def test_cancellation_before_dispatch_is_immediate_and_after_is_a_request() -> None:
    assert run([Validated(), CancelRequested()]).status == "cancelled"
    requested = run([*MAIN_PATH[:4], CancelRequested()])
    assert requested == OrderState("cancel_requested", cancel_requested_from="accepted")
    assert transition(requested, CancelConfirmed()).status == "cancelled"
    refused = transition(requested, CancelRefused("already picked"))
    assert refused.status == "cancel_refused"
    assert transition(refused, ShipmentRecorded(complete=True)).status == "shipped"


def test_a_shipment_that_crosses_the_cancellation_request_wins() -> None:
    requested = run([*MAIN_PATH[:5], CancelRequested()])
    assert transition(requested, ShipmentRecorded(complete=False)).status == "partially_shipped"


def test_terminal_states_refuse_what_would_reopen_them() -> None:
    cancelled = run([Validated(), CancelRequested()])
    with pytest.raises(TransitionRefused, match="the order is cancelled"):
        transition(cancelled, ShipmentRecorded(complete=True))
    delivered = run(MAIN_PATH)
    assert transition(delivered, Returned()).status == "returned"


def test_invalid_states_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        OrderState("on_hold")
    with pytest.raises(ValueError):
        OrderState("sent", holds=frozenset({"unpaid"}))
    with pytest.raises(ValueError):
        OrderState("cancel_requested")


events = st.one_of(
    st.just(Validated()),
    st.just(Routed("east")),
    st.just(Rerouted("west")),
    st.just(Dispatched()),
    st.just(WarehouseAccepted()),
    st.builds(WarehouseRejected, reason=st.just("no stock")),
    st.just(PreparationStarted()),
    st.just(Packed()),
    st.builds(ShipmentRecorded, complete=st.booleans()),
    st.just(Delivered()),
    st.builds(HoldPlaced, reason=st.sampled_from(["unpaid", "fraud_risk", "manual"])),
    st.builds(HoldReleased, reason=st.sampled_from(["unpaid", "fraud_risk", "manual"])),
    st.just(CancelRequested()),
    st.just(CancelConfirmed()),
    st.builds(CancelRefused, reason=st.just("picked")),
    st.just(Returned()),
)


def walk(sequence: Sequence[OrderEvent]) -> list[OrderState]:
    """The states a random sequence goes through, refusals skipped (they change nothing)."""
    state = OrderState()
    states = [state]
    for event in sequence:
        try:
            state = transition(state, event)
        except TransitionRefused as refusal:
            assert refusal.state == state
            continue
        states.append(state)
    return states


@settings(max_examples=400)
@given(st.lists(events, max_size=30))
def test_random_sequences_only_reach_valid_states(sequence: list[OrderEvent]) -> None:
    for state in walk(sequence):
        assert state.status in STATUSES
        OrderState(state.status, state.held_from, state.holds, state.cancel_requested_from)  # re-validates


@settings(max_examples=400)
@given(st.lists(events, max_size=30), st.lists(events, max_size=10))
def test_terminal_states_stay_terminal(prefix: list[OrderEvent], suffix: list[OrderEvent]) -> None:
    """...but for an operator's re-route of a rejected order."""
    states = walk(prefix)
    state = states[-1]
    if state.status not in TERMINAL:
        return
    for event in suffix:
        with contextlib.suppress(TransitionRefused):
            if isinstance(event, Rerouted) and state.status == "rejected":
                assert transition(state, event) == OrderState("routed")
            else:
                assert transition(state, event) == state


def test_a_rejected_order_is_rerouted_and_goes_on_from_routed() -> None:
    rejected = run([Validated(), Routed("east"), Dispatched(), WarehouseRejected("no stock")])
    assert rejected.status == "rejected"
    rerouted = transition(rejected, Rerouted("west"))
    assert rerouted == OrderState("routed")
    assert transition(rerouted, Dispatched()).status == "sent"
    # Before routing it is the router's choice made by hand; an order at a warehouse is not moved by it.
    assert transition(run([Validated()]), Rerouted("west")).status == "routed"
    accepted = run(MAIN_PATH[:4])
    assert transition(accepted, Rerouted("west")) == accepted
    with pytest.raises(TransitionRefused, match="not been validated"):
        transition(OrderState(), Rerouted("west"))


@settings(max_examples=400)
@given(st.lists(events, max_size=30), events)
def test_an_event_applied_twice_equals_once(prefix: list[OrderEvent], event: OrderEvent) -> None:
    state = walk(prefix)[-1]
    try:
        once = transition(state, event)
    except TransitionRefused:
        return
    assert transition(once, event) == once
