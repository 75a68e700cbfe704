"""Warehouse orders and return authorisations as JSON-ready values, for the simulation's saved state."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from crossdock.domain.orders import Address
from crossdock.domain.warehouse import ReturnLine, WarehouseOrder, WarehouseOrderLine, WarehouseReturn


def order_to_state(order: WarehouseOrder) -> dict[str, Any]:
    state = asdict(order)
    state["ordered_at"] = order.ordered_at.isoformat()
    return state


def order_from_state(state: dict[str, Any]) -> WarehouseOrder:
    values = dict(state)
    values["ordered_at"] = datetime.fromisoformat(values["ordered_at"])
    values["ship_to"] = Address(**values["ship_to"])
    values["lines"] = tuple(WarehouseOrderLine(**line) for line in values["lines"])
    return WarehouseOrder(**values)


def return_to_state(authorisation: WarehouseReturn) -> dict[str, Any]:
    state = asdict(authorisation)
    state["authorised_at"] = authorisation.authorised_at.isoformat()
    return state


def return_from_state(state: dict[str, Any]) -> WarehouseReturn:
    values = dict(state)
    values["authorised_at"] = datetime.fromisoformat(values["authorised_at"])
    values["ship_from"] = Address(**values["ship_from"])
    values["lines"] = tuple(ReturnLine(**line) for line in values["lines"])
    return WarehouseReturn(**values)
