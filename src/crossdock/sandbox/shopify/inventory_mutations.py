"""The semantics of ``inventorySetQuantities`` and ``inventoryAdjustQuantities`` that bite integrations:
valid reasons and names, the compare-and-swap on ``changeFromQuantity`` (which must be given, even as null),
all-or-nothing application, and an adjustment group describing every change made."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crossdock.sandbox.shopify.inventory import ADJUSTABLE_NAMES, SETTABLE_NAMES, Quantities

# The reasons Shopify accepts (its own INVALID_REASON message lists them).
VALID_REASONS = (
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_canceled",
    "movement_created",
    "movement_received",
    "movement_updated",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
)
MAX_QUANTITY = 1_000_000_000


@dataclass(frozen=True)
class UserError:
    field: list[str]
    message: str
    code: str

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "code": self.code}


@dataclass(frozen=True)
class Change:
    name: str
    delta: int
    quantity_after_change: int
    inventory_item_id: int
    location_id: int


@dataclass(frozen=True)
class AdjustmentGroup:
    id: int
    created_at: datetime
    reason: str
    reference_document_uri: str | None
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class RequestedChange:
    """One line of a mutation's input, ids already resolved (None when the id named nothing)."""

    inventory_item_id: int | None
    location_id: int | None
    value: int  # the quantity to set, or the delta to apply
    change_from_quantity: int | None
    change_from_given: bool


LevelLookup = Callable[[int, int], Quantities | None]


def _reason_error(reason: str) -> UserError | None:
    if reason in VALID_REASONS:
        return None
    return UserError(
        ["input", "reason"],
        f"The specified reason is invalid. Valid values: {', '.join(VALID_REASONS)}.",
        "INVALID_REASON",
    )


Existence = Callable[[RequestedChange], tuple[bool, bool]]


def _line_errors(
    index: int,
    line: RequestedChange,
    name: str,
    level_of: LevelLookup,
    exists: Existence,
    *,
    list_field: str,
    require_change_from: bool,
) -> list[UserError]:
    """The problems of one input line; ``list_field`` is the input list it sits in (quantities, changes)."""
    where = ["input", list_field, str(index)]
    known_item, known_location = exists(line)
    if not known_item:
        return [
            UserError(
                [*where, "inventoryItemId"],
                "The specified inventory item could not be found.",
                "INVALID_INVENTORY_ITEM",
            )
        ]
    if not known_location:
        return [
            UserError(
                [*where, "locationId"], "The specified location could not be found.", "INVALID_LOCATION"
            )
        ]
    assert line.inventory_item_id is not None and line.location_id is not None
    level = level_of(line.inventory_item_id, line.location_id)
    if level is None:
        return [
            UserError(
                [*where, "locationId"],
                "The specified inventory item is not stocked at the location.",
                "ITEM_NOT_STOCKED_AT_LOCATION",
            )
        ]
    if require_change_from and not line.change_from_given:
        return [
            UserError(
                [*where, "changeFromQuantity"],
                "The changeFromQuantity argument must be given to each quantity (null skips the check).",
                "COMPARE_QUANTITY_REQUIRED",
            )
        ]
    if line.change_from_quantity is not None and line.change_from_quantity != level.get(name):
        return [
            UserError(
                [*where, "changeFromQuantity"],
                "The changeFromQuantity value does not match persisted value.",
                "CHANGE_FROM_QUANTITY_STALE",
            )
        ]
    return []


def validate_set(
    reason: str,
    name: str,
    lines: Sequence[RequestedChange],
    level_of: LevelLookup,
    exists: Existence,
) -> list[UserError]:
    errors = [error for error in [_reason_error(reason)] if error]
    if name not in SETTABLE_NAMES:
        errors.append(
            UserError(
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
                "INVALID_NAME",
            )
        )
        return errors
    for index, line in enumerate(lines):
        errors += _line_errors(
            index, line, name, level_of, exists, list_field="quantities", require_change_from=True
        )
        if line.value < 0 and name == "on_hand":
            errors.append(
                UserError(
                    ["input", "quantities", str(index), "quantity"],
                    "The quantity can't be negative.",
                    "INVALID_QUANTITY_NEGATIVE",
                )
            )
        if abs(line.value) > MAX_QUANTITY:
            errors.append(
                UserError(
                    ["input", "quantities", str(index), "quantity"],
                    "The quantity is too high.",
                    "INVALID_QUANTITY_TOO_HIGH",
                )
            )
    return errors


def validate_adjust(
    reason: str,
    name: str,
    lines: Sequence[RequestedChange],
    level_of: LevelLookup,
    exists: Existence,
) -> list[UserError]:
    errors = [error for error in [_reason_error(reason)] if error]
    if name not in ADJUSTABLE_NAMES:
        errors.append(
            UserError(["input", "name"], f"The quantity name '{name}' is not valid.", "INVALID_QUANTITY_NAME")
        )
        return errors
    for index, line in enumerate(lines):
        # Only inventorySetQuantities makes the compare value mandatory (from 2026-04).
        errors += _line_errors(
            index, line, name, level_of, exists, list_field="changes", require_change_from=False
        )
    return errors


def apply_set(name: str, lines: Sequence[RequestedChange], level_of: LevelLookup) -> list[Change]:
    changes = []
    for line in lines:
        assert line.inventory_item_id is not None and line.location_id is not None
        level = level_of(line.inventory_item_id, line.location_id)
        assert level is not None
        on_hand_before = level.get("on_hand")
        delta = level.set(name, line.value)
        changes.append(Change(name, delta, level.get(name), line.inventory_item_id, line.location_id))
        if name == "available":  # the on_hand it moved is reported too, as Shopify does
            changes.append(
                Change(
                    "on_hand",
                    level.get("on_hand") - on_hand_before,
                    level.get("on_hand"),
                    line.inventory_item_id,
                    line.location_id,
                )
            )
        else:
            changes.append(
                Change("available", delta, level.get("available"), line.inventory_item_id, line.location_id)
            )
    return changes


def apply_adjust(name: str, lines: Sequence[RequestedChange], level_of: LevelLookup) -> list[Change]:
    changes = []
    for line in lines:
        assert line.inventory_item_id is not None and line.location_id is not None
        level = level_of(line.inventory_item_id, line.location_id)
        assert level is not None
        level.adjust(name, line.value)
        changes.append(Change(name, line.value, level.get(name), line.inventory_item_id, line.location_id))
        if name != "incoming":
            changes.append(
                Change("on_hand", line.value, level.get("on_hand"), line.inventory_item_id, line.location_id)
            )
    return changes
