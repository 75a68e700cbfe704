"""947 Warehouse Inventory Adjustment Advice (functional group AW): a warehouse tells the hub that the stock
of some items changed outside orders and receipts (damage, a count, found goods).

Read (what partners send)::

    W15*<CCYYMMDD>*<adjustment number>   W15-01 the day of the adjustment, W15-02 its number (``reference``)
    N1*WH*<warehouse>                    (the grammar requires one N1; the hub reads none)
    G62*07*<CCYYMMDD>*W*<HHMM[SS]>       effective date/time of every adjustment (else W15-01 at 00:00 UTC)
    W19*<reason>*<quantity>*EA**SK*<sku> one per item: W19-01 reason (element 181), W19-02 the credit/debit
                                         quantity, W19-03 unit, item code from the W19-05/06, 07/08 or 17/18
                                         pair qualified SK, else VN, else the first pair, else W19-04 (U.P.C.)
      G62*07*<CCYYMMDD>*W*<HHMM[SS]>     this adjustment's effective date/time: its ``occurred_at``

Direction of a change. W19-02 is an X12 signed number ("-3" a debit); many partners send the magnitude only
and let the reason say the direction. So: a reason with a direction (07 dumped or destroyed, AU/AV damaged,
04/54 receipt less/greater than reported, 51 unable-to-locate product located…) gives the sign of an unsigned
quantity, and a signed quantity that contradicts it is refused (rule ``sign-mismatch``). A reason without a
direction (AA physical count, AB accounting error, AY receipt error, AH other…) takes the sign as written,
unless W19-16 (inventory transaction type, 529) is "AD" (adjustment - decrease), which makes an unsigned
quantity a decrease. Reasons not in the 181 list are refused (a partner's own code cannot be signed safely).

Reasons (``reason``; the raw W19-01 is kept in ``reason_code``): 07, AU, AV, AI (disaster), 52 (recoup of
damaged product) → damaged; AA → cycle_count; 51 → found; 04, 54, AY → received; CR (customer returned) →
returned; UD (unauthorized destruction) → shrinkage; every other code → other.

Written (3PL sandbox): W15, N1*WH, then per adjustment a W19 followed by its G62*07, with the quantity signed
("-2") and the adjustment's ``reason_code`` (else the code of its reason: damaged AU, cycle_count AA, found
51, received AY, returned CR, shrinkage UD, other AH). All adjustments of one 947 share the warehouse and the
reference.
004010 and 005010 are the same for these segments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.elements import (
    LengthCheck,
    body_error,
    build_segment,
    date_element,
    opening_segment,
    preferred_item,
    require_eaches,
)
from crossdock.connectors.x12.model import Segment, TransactionSet
from crossdock.domain.warehouse import AdjustmentReason, SourceDocument, StockAdjusted

Direction = Literal["increase", "decrease", "signed"]

# Element 181 (Quantity or Status Adjustment Reason Code): the direction each code implies and the canonical
# reason it maps to. Codes marked "signed" can go either way: the sign of W19-02 (or W19-16 "AD") decides.
_REASON_CODES: Mapping[str, tuple[Direction, AdjustmentReason]] = MappingProxyType(
    {
        "03": ("decrease", "other"),  # shipment greater than previously reported
        "04": ("decrease", "received"),  # receipt less than previously reported
        "05": ("decrease", "other"),  # product put on hold
        "06": ("decrease", "other"),  # book adjustment decrease
        "07": ("decrease", "damaged"),  # product dumped or destroyed
        "08": ("decrease", "other"),  # product put in quality inspection inventory
        "51": ("increase", "found"),  # unable-to-locate (UTL) product located
        "52": ("increase", "damaged"),  # recoup/rework of damaged product
        "53": ("increase", "other"),  # shipment less than previously reported
        "54": ("increase", "received"),  # receipt greater than previously reported
        "55": ("increase", "other"),  # product taken off hold
        "56": ("increase", "other"),  # book adjustment increase
        "88": ("increase", "other"),  # product removed from quality inspection inventory
        "AA": ("signed", "cycle_count"),  # physical count
        "AB": ("signed", "other"),  # accounting error
        "AC": ("signed", "other"),  # condition change
        "AD": ("signed", "other"),  # purpose change
        "AE": ("signed", "other"),  # reidentification
        "AF": ("signed", "other"),  # stock number change
        "AG": ("signed", "other"),  # ownership change
        "AH": ("signed", "other"),  # other
        "AI": ("decrease", "damaged"),  # disaster
        "AJ": ("signed", "other"),  # survey
        "AK": ("signed", "other"),  # transfer
        "AL": ("signed", "other"),  # capitalization
        "AN": ("signed", "other"),  # unit of issue change
        "AP": ("decrease", "other"),  # product/formula evaluation and testing
        "AR": ("signed", "other"),  # order shipment error
        "AS": ("signed", "other"),  # recouping
        "AT": ("signed", "other"),  # prepack preparation
        "AU": ("decrease", "damaged"),  # damaged in facility
        "AV": ("decrease", "damaged"),  # damaged in transit
        "AW": ("decrease", "other"),  # product recall
        "AX": ("decrease", "other"),  # shelf-life obsolescence
        "AY": ("signed", "received"),  # receipt error
        "BM": ("signed", "other"),  # replacement
        "BR": ("signed", "other"),  # regrade
        "BS": ("signed", "other"),  # downgrade
        "CD": ("decrease", "other"),  # product donations
        "CO": ("signed", "other"),  # consignment
        "CR": ("increase", "returned"),  # customer returned inventory
        "CS": ("decrease", "other"),  # product samples
        "PC": ("decrease", "other"),  # product reserved for customer
        "UD": ("decrease", "shrinkage"),  # unauthorized destruction
    }
)
_CODE_BY_REASON: Mapping[AdjustmentReason, str] = MappingProxyType(
    {
        "damaged": "AU",
        "cycle_count": "AA",
        "found": "51",
        "received": "AY",
        "returned": "CR",
        "shrinkage": "UD",
        "other": "AH",
    }
)
# W19-16 (529) "Inventory Adjustment - Decrease": an unsigned quantity of a direction-less reason is a debit.
_DECREASE_TRANSACTION = "AD"
_EFFECTIVE_DATE = "07"
_EFFECTIVE_TIME = "W"
_WAREHOUSE_PARTY = "WH"
# X12 "R" numbers carry their sign and may carry a decimal point ("-3", "3.", "3.00"); units are whole.
_SIGNED_WHOLE_NUMBER = re.compile(r"(?P<sign>-?)(?P<digits>[0-9]+)(\.0*)?")

_fit = LengthCheck("947", allow_empty=False)


# --- writing ------------------------------------------------------------------------------------------------


def write_947(adjustments: Sequence[StockAdjusted], *, partner: X12PartnerSettings) -> tuple[Segment, ...]:
    """The body (without ST/SE) of the 947 advising ``adjustments`` of one warehouse under one reference
    (W15-02, left out when None). ``partner`` is accepted for the common interface: no partner setting
    changes a 947."""
    del partner
    if not adjustments:
        raise ValueError("947: no adjustment to write (the set needs at least one W19)")
    first = adjustments[0]
    for adjustment in adjustments[1:]:
        if (adjustment.warehouse, adjustment.reference) != (first.warehouse, first.reference):
            raise ValueError(
                "947 W15: adjustments of one 947 share the warehouse and reference; "
                f"{adjustment.sku} has {(adjustment.warehouse, adjustment.reference)}, "
                f"{first.sku} has {(first.warehouse, first.reference)}"
            )
    moment = first.occurred_at
    reference = _fit("W15-02", first.reference, 22) if first.reference else ""
    body: list[Segment] = [
        build_segment("W15", moment.strftime("%Y%m%d"), reference),
        build_segment("N1", _WAREHOUSE_PARTY, _fit("N1-02 (WH)", first.warehouse, 60)),
    ]
    for adjustment in adjustments:
        body.append(_w19(adjustment))
        # Each W19 loop dates its own adjustment: adjustments batched in one 947 happened at different times.
        body.append(_effective(adjustment.occurred_at))
    return tuple(body)


def _effective(moment: datetime) -> Segment:
    return build_segment(
        "G62", _EFFECTIVE_DATE, moment.strftime("%Y%m%d"), _EFFECTIVE_TIME, moment.strftime("%H%M%S")
    )


def _w19(adjustment: StockAdjusted) -> Segment:
    code = adjustment.reason_code or _CODE_BY_REASON[adjustment.reason]
    known = _REASON_CODES.get(code)
    if known is None:
        raise ValueError(f"947 W19-01: {code!r} is not an adjustment reason code (element 181)")
    direction, reason = known
    if reason != adjustment.reason:
        raise ValueError(
            f"947 W19-01: code {code} reads back as {reason!r}, the adjustment says {adjustment.reason!r}"
        )
    change = adjustment.quantity_change
    if (direction == "increase" and change < 0) or (direction == "decrease" and change > 0):
        raise ValueError(
            f"947 W19-02: reason {code} is an {direction}, the change of {adjustment.sku} is {change}"
        )
    return build_segment("W19", code, str(change), "EA", "", "SK", _fit("W19-06", adjustment.sku, 48))


# --- reading ------------------------------------------------------------------------------------------------


def read_947(transaction_set: TransactionSet, context: ReadContext) -> tuple[StockAdjusted, ...]:
    """One ``StockAdjusted`` per W19 of the 947, in order."""
    segments = transaction_set.segments
    w15 = opening_segment(segments, "947", "W15")
    reference = w15.element(2).strip() or None
    header_moment = date_element(w15, 0, "W15-01 adjustment date", date=1)
    source = context.source(transaction_set)
    loops: list[tuple[Segment, int, datetime]] = []
    for index, segment in enumerate(segments[1:], 1):
        if segment.tag == "W19":
            loops.append((segment, index, header_moment))
        elif segment.tag == "G62" and segment.element(1) == _EFFECTIVE_DATE:
            moment = date_element(segment, index, "G62 effective date/time", date=2, time=4)
            if loops:
                loops[-1] = (loops[-1][0], loops[-1][1], moment)
            else:
                header_moment = moment
    if not loops:
        raise body_error("missing-segment", "the 947 has no W19: it adjusts no item", len(segments), "W19")
    return tuple(
        _read_w19(segment, index, context=context, occurred_at=moment, reference=reference, source=source)
        for segment, index, moment in loops
    )


def _read_w19(
    w19: Segment,
    index: int,
    *,
    context: ReadContext,
    occurred_at: datetime,
    reference: str | None,
    source: SourceDocument,
) -> StockAdjusted:
    code = w19.element(1)
    known = _REASON_CODES.get(code)
    if known is None:
        message = f"W19-01 adjustment reason {code!r} is not a code of element 181"
        raise body_error("invalid-code", message, index, "W19", 1)
    direction, reason = known
    text = w19.element(2).strip()
    match = _SIGNED_WHOLE_NUMBER.fullmatch(text)
    if match is None:
        message = f"W19-02 credit/debit quantity {text!r} is not a whole number"
        raise body_error("invalid-quantity", message, index, "W19", 2)
    negative = match.group("sign") == "-"
    magnitude = int(match.group("digits"))
    require_eaches(w19.element(3), index, "W19", 3)
    decrease_code = w19.element(16) == _DECREASE_TRANSACTION
    if direction == "increase" and (negative or decrease_code):
        why = "W19-02 is negative" if negative else "W19-16 says AD (decrease)"
        message = f"W19-01 reason {code} is an increase but {why}"
        raise body_error("sign-mismatch", message, index, "W19", 2 if negative else 16)
    change = -magnitude if direction == "decrease" or negative or decrease_code else magnitude
    return StockAdjusted(
        warehouse=context.warehouse,
        occurred_at=occurred_at,
        source=source,
        sku=_item_code(w19, index),
        quantity_change=change,
        reason=reason,
        reason_code=code,
        reference=reference,
    )


def _item_code(w19: Segment, index: int) -> str:
    code = preferred_item(w19, (5, 7, 17))
    if code is not None:
        return code
    upc = w19.element(4).strip()
    if not upc:
        raise body_error(
            "missing-element", "W19 names no item (W19-04, 06, 08 and 18 are empty)", index, "W19", 6
        )
    return upc
