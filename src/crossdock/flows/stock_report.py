"""Why a SKU shows what it shows in Shopify, as one plain, JSON-able dict: at each location that sells it,
every term of its available-to-sell (each feeding warehouse's reported stock less the units in flight, the
safety stock; each component of a bundle), what the hub wants there and what Shopify holds as far as the hub
knows, and the latest changes of the warehouses' positions. `crossdock stock show` prints it and
GET /api/stock/{sku} returns it, so both always say the same thing.

The terms come from the same domain functions, positions, reservations and settings as
``stock_levels.recompute``, so the total printed is the level the hub computes, not a second opinion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from crossdock.config import Settings
from crossdock.domain.inventory import (
    NEVER_COUNTED,
    Reservation,
    SafetyStock,
    StockPosition,
    available_to_sell,
    bundle_available,
    in_flight,
)

# The rule of which warehouses feed a location is recompute's own; a copy here could drift from it, and the
# report would then explain a level the hub does not compute.
from crossdock.flows.stock_levels import _feeding, left_alone
from crossdock.store.stock import LedgerEntry, ShopLevel
from crossdock.store.unit_of_work import UnitOfWork

Report = dict[str, Any]

LEDGER_LINES = 20


def stock_report(uow: UnitOfWork, settings: Settings, account_id: str, sku: str) -> Report | None:
    """The report of ``sku`` in ``account_id``; None when the account neither registered it nor declares it
    as a bundle."""
    bundles = uow.sku_mappings.bundles(account_id)
    components = bundles.get(sku)
    if not components and not uow.sku_mappings.known(account_id, [sku]):
        return None
    needed = set(components) if components else {sku}
    positions = uow.stock.positions(needed)
    reservations = uow.stock.reservations(needed)
    # Built as recompute builds it: per-location figures are not configurable, so none are given.
    safety = SafetyStock(
        default=settings.inventory.safety_stock, per_sku=dict(settings.inventory.safety_stock_per_sku)
    )
    order_keys: dict[int, str | None] = {}
    levels = {
        (level.shop_id, level.location_id, level.inventory_item_id): level for level in uow.stock.levels(sku)
    }
    locations = []
    for shop_id, item in uow.skus.inventory_items(account_id, sku):
        shop = uow.shops.by_id(shop_id)
        assert shop is not None
        for location in uow.shops.locations(shop_id):
            feeding = _feeding(settings, account_id, location)
            if not feeding:
                continue  # recompute sets no level where no warehouse feeds the location
            kept = safety.for_(sku, location.location_id)

            def terms(part: str, feeding: Sequence[str] = feeding) -> list[Report]:
                return [
                    _warehouse_term(uow, order_keys, positions.get((code, part)), code, reservations)
                    for code in feeding
                ]

            entry: Report = {
                "shop": {"id": shop.id, "key": shop.name, "domain": shop.domain},
                "location": {"id": location.location_id, "name": location.name},
                "inventory_item_id": item,
                "feeding_warehouses": feeding,
            }
            if components:
                parts = []
                each: dict[str, int] = {}
                for part, quantity in sorted(components.items()):
                    each[part] = available_to_sell(part, feeding, positions, reservations, 0)
                    parts.append(
                        {
                            "sku": part,
                            "quantity": quantity,
                            "warehouses": terms(part),
                            "available_to_sell": each[part],
                            "bundles": bundle_available({part: quantity}, {part: each[part]}),
                        }
                    )
                allowed = bundle_available(components, each)
                entry["components"] = parts
                entry["bundles"] = allowed
                entry["safety_stock"] = kept
                # As recompute does: the safety stock of a bundle comes off the bundles its components allow.
                entry["available_to_sell"] = max(0, allowed - kept)
            else:
                entry["warehouses"] = terms(sku)
                entry["safety_stock"] = kept
                entry["available_to_sell"] = available_to_sell(sku, feeding, positions, reservations, kept)
            entry.update(_shopify_side(levels.get((shop_id, location.location_id, item))))
            entry["held_by_discrepancy"] = left_alone(uow, settings, shop.domain, location.location_id, item)
            locations.append(entry)
    return {
        "account_id": account_id,
        "sku": sku,
        "kind": "bundle" if components else "simple",
        "components": dict(sorted(components.items())) if components else None,
        "locations": locations,
        "ledger": [_ledger_line(line) for line in _ledger(uow, sorted(needed))],
    }


def _warehouse_term(
    uow: UnitOfWork,
    order_keys: dict[int, str | None],
    position: StockPosition | None,
    code: str,
    reservations: Sequence[Reservation],
) -> Report:
    if position is None:
        return {
            "warehouse": code,
            "available": None,
            "as_of": None,
            "counted_at": None,
            "in_flight": 0,
            "reservations": [],
            "contributes": 0,
        }
    # Asked one reservation at a time, the domain rule itself says which reservations make up the total.
    counted = [reservation for reservation in reservations if in_flight(position, [reservation])]
    units = in_flight(position, reservations)
    return {
        "warehouse": code,
        "available": position.available,
        "as_of": _time(position.as_of),
        # None: built from deltas alone, with no snapshot yet, so every open reservation is in flight.
        "counted_at": None if position.counted_at == NEVER_COUNTED else _time(position.counted_at),
        "in_flight": units,
        "reservations": [_reservation(uow, order_keys, reservation) for reservation in counted],
        "contributes": position.available - units,
    }


def _reservation(uow: UnitOfWork, order_keys: dict[int, str | None], reservation: Reservation) -> Report:
    # The store keys a reservation "<warehouse order id>:<sku>"; the id comes first and holds no colon.
    warehouse_order_id = int(reservation.key.partition(":")[0])
    if warehouse_order_id not in order_keys:
        placed = uow.warehouse_orders.get(warehouse_order_id)
        order_keys[warehouse_order_id] = None if placed is None else placed.order_key
    return {
        "warehouse_order_id": warehouse_order_id,
        "order_key": order_keys[warehouse_order_id],
        "units": reservation.units,
        "reserved_at": _time(reservation.reserved_at),
        "released_at": _time(reservation.released_at),
    }


def _shopify_side(level: ShopLevel | None) -> Report:
    return {
        "wanted": None if level is None else level.wanted,
        "shopify_available": None if level is None else level.available,
        "pushed_at": None if level is None else _time(level.pushed_at),
        "reason": None if level is None else level.reason,
    }


def _ledger(uow: UnitOfWork, skus: Sequence[str]) -> list[LedgerEntry]:
    """The newest ledger lines of these SKUs (a bundle has none of its own: its components' explain it)."""
    lines = [line for sku in skus for line in uow.stock.ledger(sku, LEDGER_LINES)]
    lines.sort(key=lambda line: line.recorded_at, reverse=True)  # stable: each SKU's own order is kept
    return lines[:LEDGER_LINES]


def _ledger_line(line: LedgerEntry) -> Report:
    return {
        "warehouse": line.warehouse,
        "sku": line.sku,
        "kind": line.kind,
        "change": line.change,
        "available_after": line.available_after,
        "reason": line.reason,
        "source": {"kind": line.source_kind, "reference": line.source_reference},
        "as_of": _time(line.as_of),
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _short(iso_time: str | None) -> str:
    """A time of the report as the other commands print them: to the second, UTC."""
    return "-" if iso_time is None else f"{iso_time[:10]} {iso_time[11:19]}"


def report_text(report: Report) -> list[str]:
    """The report as an operator reads it in a terminal (times in UTC)."""
    components: Mapping[str, int] | None = report["components"]
    kind = (
        "bundle of " + ", ".join(f"{quantity} x {part}" for part, quantity in components.items())
        if components
        else "SKU"
    )
    lines = [f"{report['sku']}  {kind}, account {report['account_id']}"]
    if not report["locations"]:
        lines.append("  no location sells it: no shop lists it, or no warehouse feeds the shop's locations")
    for location in report["locations"]:
        shop = location["shop"]
        lines.append(
            f"  shop {shop['key']} ({shop['domain']}), location {location['location']['name']} "
            f"({location['location']['id']}), inventory item {location['inventory_item_id']}"
        )
        if components:
            for part in location["components"]:
                lines.append(f"    component {part['sku']} x {part['quantity']}:")
                lines += [f"      {text}" for text in _terms_text(part["warehouses"])]
                lines.append(
                    f"      available to sell {part['available_to_sell']} / {part['quantity']} "
                    f"= {part['bundles']} bundle(s)"
                )
            lines.append(f"    bundles the components allow: {location['bundles']} (the scarcest)")
        else:
            lines += [f"    {text}" for text in _terms_text(location["warehouses"])]
        lines.append(f"    safety stock: -{location['safety_stock']}")
        lines.append(f"    available to sell: {location['available_to_sell']}")
        known = location["shopify_available"]
        wanted = location["wanted"]
        lines.append(
            "    hub wants "
            + ("nothing yet (not recomputed)" if wanted is None else str(wanted))
            + "; Shopify holds "
            + ("an unknown quantity" if known is None else str(known))
            + f" as far as the hub knows (last pushed {_short(location['pushed_at'])})"
        )
        if location["held_by_discrepancy"]:
            lines.append("    left as Shopify has it: an open stock discrepancy waits for an operator")
    ledger = report["ledger"]
    lines.append(f"  ledger (last {len(ledger)}):" if ledger else "  ledger: empty")
    for line in ledger:
        source = line["source"]
        lines.append(
            f"    {_short(line['as_of'])}  {line['warehouse']} {line['sku']} {line['kind']} "
            f"{line['change']:+d} -> {line['available_after']}"
            + (f" ({line['reason']})" if line["reason"] else "")
            + f"  {source['kind']} {source['reference']}"
        )
    return lines


def _terms_text(terms: Sequence[Report]) -> list[str]:
    lines = []
    for term in terms:
        if term["available"] is None:
            lines.append(f"+ {term['warehouse']}: nothing reported = 0")
            continue
        orders = ", ".join(
            f"{reservation['units']} of warehouse order {reservation['warehouse_order_id']}"
            + (f" {reservation['order_key']}" if reservation["order_key"] else "")
            for reservation in term["reservations"]
        )
        lines.append(
            f"+ {term['warehouse']}: available {term['available']} (as of {_short(term['as_of'])}, "
            + (f"counted {_short(term['counted_at'])}" if term["counted_at"] else "never counted")
            + f") - in flight {term['in_flight']}"
            + (f" ({orders})" if orders else "")
            + f" = {term['contributes']}"
        )
    return lines
