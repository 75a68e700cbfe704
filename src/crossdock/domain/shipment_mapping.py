"""What a warehouse shipment fulfils on the Shopify order: the warehouse ships the SKUs it was sent
(an alias already replaced by its SKU, a bundle by its components); Shopify's order lines carry the SKUs
the shop sells. Units go back line by line: a plain line takes the units of its SKU, a bundle line takes as
many bundles as the components shipped (so far) make complete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crossdock.domain.order_validation import ResolvedLine
from crossdock.domain.orders import OrderLine


def shopify_units(
    order_lines: Sequence[OrderLine],
    resolved: Sequence[ResolvedLine],
    shipped_now: Mapping[str, int],
    shipped_before: Mapping[str, int],
) -> dict[str, int]:
    """Units per Shopify SKU that this shipment fulfils. ``shipped_now`` and ``shipped_before`` are per
    warehouse SKU (this shipment, and the order's earlier shipments)."""
    skus_of_line = {line.line_id: (line.sku or "").strip() for line in order_lines}
    left_now = dict(shipped_now)
    left_before = dict(shipped_before)
    units: dict[str, int] = {}
    by_line: dict[str, list[ResolvedLine]] = {}
    for line in resolved:
        by_line.setdefault(line.line_id, []).append(line)
    for line_id, parts in by_line.items():
        shopify_sku = skus_of_line.get(line_id, "")
        if not shopify_sku:
            continue
        bundle = parts[0].bundle_sku
        if bundle is None:
            (part,) = parts
            before = min(left_before.get(part.sku, 0), part.quantity)
            left_before[part.sku] = left_before.get(part.sku, 0) - before
            now = min(left_now.get(part.sku, 0), part.quantity - before)
            left_now[part.sku] = left_now.get(part.sku, 0) - now
            taken = now
        else:
            # Units of each component per bundle, and how many bundles the line sold.
            line_quantity = next(line.quantity for line in order_lines if line.line_id == line_id)
            per_bundle = {part.sku: part.quantity // line_quantity for part in parts}
            complete_before = min(left_before.get(sku, 0) // each for sku, each in per_bundle.items())
            complete_before = min(complete_before, line_quantity)
            complete_after = min(
                (left_before.get(sku, 0) + left_now.get(sku, 0)) // each for sku, each in per_bundle.items()
            )
            complete_after = min(complete_after, line_quantity)
            taken = complete_after - complete_before
            for sku, each in per_bundle.items():
                used_before = min(left_before.get(sku, 0), complete_before * each)
                left_before[sku] = left_before.get(sku, 0) - used_before
                used_now = max(complete_after * each - used_before, 0)
                left_now[sku] = left_now.get(sku, 0) - min(used_now, left_now.get(sku, 0))
        if taken > 0:
            units[shopify_sku] = units.get(shopify_sku, 0) + taken
    return units
