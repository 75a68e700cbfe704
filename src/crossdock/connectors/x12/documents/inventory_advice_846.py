"""846 Inventory Inquiry/Advice (functional group IB): a warehouse tells the hub how much of each item it
holds.

Read (what partners send)::

    BIA*<purpose>*<report type>*<reference>*<CCYYMMDD>*<HHMM[SS]>
                                  BIA-04/05 the moment the quantities are true: ``occurred_at`` (UTC, time
                                  00:00 when BIA-05 is empty). BIA-01 purpose (353) decides ``complete``:
                                  00 original, 05 replace and 08 status report the whole stock (complete:
                                  an item absent has none); 04 change reports only the items listed
                                  (complete=False). Any other purpose (01 cancellation, 13 request…) is
                                  refused: reading a cancellation as a snapshot would zero the stock.
    N1 / REF / DTM …              header information, not read
    LIN*<n>*SK*<sku>[*UP*<upc>…]  one loop per item: the item code is the id qualified SK (stock keeping
                                  unit), else VN (vendor's item), else the first pair of the LIN
      QTY*17*<n>*EA               quantity on hand (673 "17")
      QTY*33*<n>*EA               quantity available for sale, the stock quantity (673 "33")
    CTT*<number of LIN loops>     checked when present

Quantity qualifiers: "17" → ``on_hand``, "33" → ``available``; with both, ``reserved`` is their difference
(and available above on hand is refused). One of them alone stands for both (a warehouse that reports only
what it can sell holds nothing else for the hub). Other qualifiers (02 cumulative, 63 on order, QH on hold…)
are skipped; a LIN without a 17 or a 33 is refused, naming the qualifiers it has. Several LINs for one item
(one per lot or location) are added up. Units other than eaches (QTY-03) and negative or fractional quantities
are refused.

Written (3PL sandbox): BIA*00 (or 04 for a partial snapshot)*SI (seller inventory report)*reference*date*time,
N1*WH with the warehouse, then per item LIN*<n>*SK*<sku>, QTY*17 and QTY*33, and CTT. 004010 and 005010 are
the same for these segments (5010 allows 50 characters in BIA-03 instead of 30; the hub writes at most 30).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.elements import (
    NON_NEGATIVE,
    LengthCheck,
    body_error,
    build_segment,
    check_total,
    date_element,
    opening_segment,
    preferred_item,
    require_eaches,
    whole_number,
)
from crossdock.connectors.x12.model import Delimiters, Segment, TransactionSet
from crossdock.domain.warehouse import StockLevel, StockSnapshot

# BIA-01 (353): whether the advice lists every item the warehouse holds.
_COMPLETE_BY_PURPOSE: Mapping[str, bool] = MappingProxyType({"00": True, "05": True, "08": True, "04": False})
_REPORT_TYPE = "SI"
_ON_HAND = "17"
_AVAILABLE = "33"
_WAREHOUSE_PARTY = "WH"

_fit = LengthCheck("846", allow_empty=False)


# --- writing ------------------------------------------------------------------------------------------------


def write_846(
    snapshot: StockSnapshot, *, partner: X12PartnerSettings, reference: str | None = None
) -> tuple[Segment, ...]:
    """The body (without ST/SE) of the 846 advising ``snapshot``; ``reference`` is BIA-03 (the advice's own
    number, by default INV and the moment). ``partner`` is accepted for the common interface: no partner
    setting changes a written 846."""
    del partner
    moment = snapshot.occurred_at
    reference = reference or moment.strftime("INV%Y%m%d%H%M%S")
    body: list[Segment] = [
        build_segment(
            "BIA",
            "00" if snapshot.complete else "04",
            _REPORT_TYPE,
            _fit("BIA-03", reference, 30),
            moment.strftime("%Y%m%d"),
            moment.strftime("%H%M%S"),
        ),
        build_segment("N1", _WAREHOUSE_PARTY, _fit("N1-02 (WH)", snapshot.warehouse, 60)),
    ]
    skus = [level.sku for level in snapshot.levels]
    if len(set(skus)) != len(skus):
        raise ValueError(f"846: the snapshot lists an item twice: {sorted(skus)}")
    for number, level in enumerate(snapshot.levels, 1):
        if level.on_hand < 0 or level.available < 0:
            raise ValueError(f"846 QTY: {level.sku} has a negative quantity; a warehouse holds none or more")
        if level.available > level.on_hand:
            raise ValueError(
                f"846 QTY: {level.sku} has {level.available} available of {level.on_hand} on hand"
            )
        body.append(build_segment("LIN", str(number), "SK", _fit("LIN-03", level.sku, 48)))
        body.append(build_segment("QTY", _ON_HAND, str(level.on_hand), "EA"))
        body.append(build_segment("QTY", _AVAILABLE, str(level.available), "EA"))
    body.append(build_segment("CTT", str(len(snapshot.levels))))
    return tuple(body)


# --- reading ------------------------------------------------------------------------------------------------


def read_846(transaction_set: TransactionSet, context: ReadContext) -> StockSnapshot:
    """The stock an 846 advises."""
    segments = transaction_set.segments
    bia = opening_segment(segments, "846", "BIA")
    purpose = bia.element(1)
    if purpose not in _COMPLETE_BY_PURPOSE:
        known = ", ".join(sorted(_COMPLETE_BY_PURPOSE))
        message = f"BIA-01 purpose {purpose!r} is not an inventory advice the hub reads ({known})"
        raise body_error("invalid-code", message, 0, "BIA", 1)
    occurred_at = date_element(bia, 0, "BIA-04/05 advice date/time", date=4, time=5)
    items: list[_Item] = []
    declared_count: tuple[int, int] | None = None
    for index, segment in enumerate(segments[1:], 1):
        if segment.tag == "LIN":
            items.append(_Item(sku=_item_code(segment, index), index=index))
        elif segment.tag == "QTY" and items:
            _read_quantity(segment, index, items[-1], context.interchange.delimiters)
        elif segment.tag == "CTT":
            count = whole_number(segment, 1, index, "CTT-01 number of line items", expected=NON_NEGATIVE)
            declared_count = (count, index)
    if not items:
        # LIN loops come before the CTT summary: expected where the CTT is, else where the SE is.
        expected = declared_count[1] if declared_count is not None else len(segments)
        raise body_error("missing-segment", "the 846 has no LIN loop: it advises no item", expected, "LIN")
    check_total(
        declared_count, len(items), "CTT", "CTT-01 says {total} line items, the set has {counted} LIN loops"
    )
    return StockSnapshot(
        warehouse=context.warehouse,
        occurred_at=occurred_at,
        source=context.source(transaction_set),
        levels=_levels(items),
        complete=_COMPLETE_BY_PURPOSE[purpose],
    )


@dataclass
class _Item:
    sku: str
    index: int
    on_hand: int | None = None
    available: int | None = None
    # Qualifiers seen but not used, for the error of a LIN with no usable quantity.
    other_qualifiers: tuple[str, ...] = ()


def _item_code(lin: Segment, index: int) -> str:
    code = preferred_item(lin, range(2, 32, 2))
    if code is None:
        raise body_error("missing-element", "LIN-03 product id is empty", index, "LIN", 3)
    return code


def _read_quantity(qty: Segment, index: int, item: _Item, delimiters: Delimiters) -> None:
    qualifier = qty.element(1)
    if qualifier not in (_ON_HAND, _AVAILABLE):
        item.other_qualifiers += (qualifier,)
        return
    # QTY-03 is a composite (unit, exponent, multiplier…): its first component is the unit.
    require_eaches(qty.components(3, delimiters)[0], index, "QTY", 3, optional=True)
    quantity = whole_number(qty, 2, index, f"QTY-02 quantity ({qualifier})", expected=NON_NEGATIVE)
    if qualifier == _ON_HAND:
        item.on_hand = quantity
    else:
        item.available = quantity


def _levels(items: Sequence[_Item]) -> tuple[StockLevel, ...]:
    totals: dict[str, tuple[int, int, bool]] = {}
    for item in items:
        if item.on_hand is None and item.available is None:
            seen = ", ".join(item.other_qualifiers) or "none"
            message = (
                f"LIN for {item.sku} has no quantity on hand (QTY*17) or available (QTY*33); "
                f"its qualifiers: {seen}"
            )
            raise body_error("missing-quantity", message, item.index, "LIN")
        # One of the two stands for both when the partner reports only one.
        on_hand = item.on_hand if item.on_hand is not None else (item.available or 0)
        available = item.available if item.available is not None else on_hand
        if available > on_hand:
            message = f"{item.sku}: {available} available (QTY*33) is more than {on_hand} on hand (QTY*17)"
            raise body_error("quantity-mismatch", message, item.index, "LIN")
        both = item.on_hand is not None and item.available is not None
        previous = totals.get(item.sku)
        if previous is not None:
            on_hand, available, both = on_hand + previous[0], available + previous[1], both and previous[2]
        totals[item.sku] = (on_hand, available, both)
    return tuple(
        StockLevel(
            sku=sku, on_hand=on_hand, available=available, reserved=on_hand - available if both else None
        )
        for sku, (on_hand, available, both) in totals.items()
    )
