"""Whether an order can go to a warehouse, and what the warehouse must be sent for it.

An order line's SKU is looked up as it is, then through the account's aliases (another name of a registered
SKU: a typo in Shopify, a legacy code). A bundle is sent as its components, each component's quantity
multiplied by the bundle's. A line nobody ships (a gift card, a service: ``requires_shipping`` false) or
whose quantity an edit reduced to 0 is not sent. Everything else must resolve to a registered SKU: an order
with a line that does not never reaches a warehouse, it waits for an operator to map the SKU.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from crossdock.domain.orders import Address, OrderLine


@dataclass(frozen=True)
class ResolvedLine:
    """Units of one SKU the warehouse must ship, and the order line they come from (``bundle_sku`` when they
    are a component of a bundle sold on that line)."""

    sku: str
    quantity: int
    line_id: str
    bundle_sku: str | None = None


@dataclass(frozen=True)
class LineResolution:
    lines: tuple[ResolvedLine, ...]
    # SKUs of lines that are neither registered, nor an alias, nor a bundle; and lines without any SKU.
    unknown_skus: tuple[str, ...]
    lines_without_sku: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.unknown_skus and not self.lines_without_sku

    def units_by_sku(self) -> dict[str, int]:
        units: dict[str, int] = {}
        for line in self.lines:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
        return units


def resolve_lines(
    lines: Sequence[OrderLine],
    *,
    known: Iterable[str],
    aliases: Mapping[str, str],
    bundles: Mapping[str, Mapping[str, int]],
) -> LineResolution:
    registered = set(known)
    resolved: list[ResolvedLine] = []
    unknown: list[str] = []
    without_sku: list[str] = []
    for line in lines:
        if line.quantity == 0 or not line.requires_shipping:
            continue
        sku = (line.sku or "").strip()
        if not sku:
            without_sku.append(line.line_id)
            continue
        sku = aliases.get(sku, sku)
        if sku in bundles:
            for component, units in sorted(bundles[sku].items()):
                target = aliases.get(component, component)
                if target not in registered:
                    unknown.append(target)
                    continue
                resolved.append(ResolvedLine(target, units * line.quantity, line.line_id, bundle_sku=sku))
        elif sku in registered:
            resolved.append(ResolvedLine(sku, line.quantity, line.line_id))
        else:
            unknown.append(sku)
    return LineResolution(
        lines=tuple(resolved),
        unknown_skus=tuple(sorted(set(unknown))),
        lines_without_sku=tuple(without_sku),
    )


def address_problems(address: Address | None) -> list[str]:
    """What is missing from a shipping address for a carrier to deliver it; [] when it is complete."""
    if address is None:
        return ["the order has no shipping address"]
    missing = [
        label
        for label, value in (
            ("street (address1)", address.address1),
            ("city", address.city),
            ("country", address.country_code),
        )
        if not (value or "").strip()
    ]
    if not ((address.first_name or "").strip() or (address.last_name or "").strip() or address.company):
        missing.append("recipient name")
    # Postal codes are required where the country has them; the countries without are few and named here.
    if not (address.zip or "").strip() and (address.country_code or "").upper() not in _WITHOUT_POSTAL_CODES:
        missing.append("postal code")
    return [f"shipping address has no {label}" for label in missing]


_WITHOUT_POSTAL_CODES = frozenset({"AE", "AG", "AO", "BS", "BZ", "HK", "IE", "JM", "QA", "TT", "UG", "ZW"})
