"""944 Warehouse Stock Transfer Receipt Advice (functional group RE): a warehouse tells the hub it received
goods, either stock against an inbound reference or a customer return against the hub's RMA.

Read (what partners send)::

    W17*<reporting>*<CCYYMMDD>*<receipt number>*<depositor order number>*<shipment id>*<time qualifier>*<time>
                                     W17-01 reporting code (514): "C" customer return; F/J/N/P/X… a receipt
                                     W17-02 + W17-07 (when given) the moment received: ``occurred_at`` (UTC)
                                     W17-03 the warehouse's receipt number; W17-04 the depositor's reference
    N1 loop                          (the grammar requires one N1; the hub reads none)
    N9*RZ*<RMA number>               returned goods authorization number: the hub's 180 BGN-02 (return key)
    LX*<n>                           005010 wraps the W07 loops in LX loops; 004010 has none (both read)
      W07*<quantity>*EA**SK*<sku>    one per item: W07-01 units received (damaged included), W07-02 unit,
                                     item code from the W07-04/05, 06/07 or 10/11 pair qualified SK, else
                                     VN, else the first pair, else W07-03 (U.P.C.); W07-08 lot
        W13*<quantity>*EA*01**<why>  item detail exception: W13-03 "01" (damaged) → quantity received
                                     damaged; other conditions (over, short…) are informative
    W14*<total units received>       checked against the W07 lines

How a partner marks a return receipt: W17-01 "C" (customer return, full detail) or an N9*RZ reference. The
return key is N9*RZ when present, else W17-04 (the depositor order number, which partners fill with the
RMA number printed on the parcel). A return reads as ``ReturnReceived``: per W07, the units not damaged are
``restock`` and the damaged ones (W13*01) ``damaged``. Any other receipt reads as ``ReceiptPosted`` with
``reference`` W17-04, else W17-05, else the receipt number W17-03, and ``damaged`` per line from W13*01.
W07-01 counts every unit received, damaged ones included (W13 qualifies part of it): a W13 damaged quantity
above its W07-01 is refused. Units other than eaches are refused.

Written (3PL sandbox): W17 (C for a return, F full detail otherwise) with W17-06 "UT" and W17-07 the time
(X12 carries no zone; the reader takes W17-07 as UTC whatever W17-06 says), N1*WH, N9*RZ for a return, LX*1
(005010 only), one W07 per item with W13*<n>*EA*01**NR (damaged, damage reason not reported) when some of
its units are damaged, and W14. A return is written per SKU: its restock and damaged units in one W07.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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
    required_element,
    whole_number,
)
from crossdock.connectors.x12.model import Segment, TransactionSet
from crossdock.domain.warehouse import ReceiptPosted, ReceivedLine, ReturnedLine, ReturnReceived

_CUSTOMER_RETURN = "C"
_FULL_DETAIL = "F"
_RETURN_AUTHORISATION = "RZ"
_DAMAGED_CONDITION = "01"
_DAMAGE_NOT_REPORTED = "NR"
_WAREHOUSE_PARTY = "WH"
_TIME_QUALIFIER = "UT"

_fit = LengthCheck("944", allow_empty=False)


# --- writing ------------------------------------------------------------------------------------------------


def write_944(
    receipt: ReceiptPosted | ReturnReceived,
    *,
    partner: X12PartnerSettings,
    receipt_number: str | None = None,
) -> tuple[Segment, ...]:
    """The body (without ST/SE) of the 944 reporting ``receipt``; ``receipt_number`` is W17-03 (the
    warehouse's own number, at most 12 characters; by default the moment as YYMMDDHHMMSS). 005010 wraps the
    W07 loops in an LX loop."""
    moment = receipt.occurred_at
    receipt_number = receipt_number or moment.strftime("%y%m%d%H%M%S")
    returned = isinstance(receipt, ReturnReceived)
    reference = receipt.return_key if isinstance(receipt, ReturnReceived) else receipt.reference
    body: list[Segment] = [
        build_segment(
            "W17",
            _CUSTOMER_RETURN if returned else _FULL_DETAIL,
            moment.strftime("%Y%m%d"),
            _fit("W17-03", receipt_number, 12),
            _fit("W17-04", reference, 22),
            "",
            _TIME_QUALIFIER,
            moment.strftime("%H%M%S"),
        ),
        build_segment("N1", _WAREHOUSE_PARTY, _fit("N1-02 (WH)", receipt.warehouse, 60)),
    ]
    if isinstance(receipt, ReturnReceived):
        body.append(build_segment("N9", _RETURN_AUTHORISATION, _fit("N9-02 (RZ)", receipt.return_key, 30)))
        lines = _returned_as_received(receipt.lines)
    else:
        lines = receipt.lines
    if not lines:
        raise ValueError("944: no received line to write (the set needs at least one W07)")
    if partner.version == "005010":
        body.append(build_segment("LX", "1"))
    for line in lines:
        if not 0 <= line.damaged <= line.quantity:
            raise ValueError(f"944 W13: {line.sku} has {line.damaged} damaged of {line.quantity} received")
        body.append(build_segment("W07", str(line.quantity), "EA", "", "SK", _fit("W07-05", line.sku, 48)))
        if line.damaged:
            body.append(
                build_segment("W13", str(line.damaged), "EA", _DAMAGED_CONDITION, "", _DAMAGE_NOT_REPORTED)
            )
    body.append(build_segment("W14", str(sum(line.quantity for line in lines))))
    return tuple(body)


def _returned_as_received(lines: Sequence[ReturnedLine]) -> tuple[ReceivedLine, ...]:
    """Per SKU (in order of first appearance): every unit received, of which the damaged ones."""
    totals: dict[str, tuple[int, int]] = {}
    for line in lines:
        quantity, damaged = totals.get(line.sku, (0, 0))
        totals[line.sku] = (
            quantity + line.quantity,
            damaged + (line.quantity if line.disposition == "damaged" else 0),
        )
    return tuple(ReceivedLine(sku, quantity, damaged) for sku, (quantity, damaged) in totals.items())


# --- reading ------------------------------------------------------------------------------------------------


def read_944(transaction_set: TransactionSet, context: ReadContext) -> ReceiptPosted | ReturnReceived:
    """The receipt a 944 reports: a ``ReturnReceived`` for a customer return, else a ``ReceiptPosted``."""
    segments = transaction_set.segments
    w17 = opening_segment(segments, "944", "W17")
    receipt_number = required_element(w17, 3, 0, "warehouse receipt number")
    occurred_at = _moment(w17)
    return_key: str | None = None
    lines: list[_Line] = []
    declared_total: tuple[int, int] | None = None
    for index, segment in enumerate(segments[1:], 1):
        tag = segment.tag
        if tag == "N9" and segment.element(1) == _RETURN_AUTHORISATION and not lines:
            return_key = required_element(segment, 2, index, "returned goods authorization number")
        elif tag == "W07":
            lines.append(_read_w07(segment, index))
        elif tag == "W13" and lines:
            _read_w13(segment, index, lines[-1])
        elif tag == "W14":
            total = whole_number(segment, 1, index, "W14-01 total units received", expected=NON_NEGATIVE)
            declared_total = (total, index)
    if not lines:
        # W07 loops come before the W14 summary: expected where the W14 is, else where the SE is.
        expected = declared_total[1] if declared_total is not None else len(segments)
        raise body_error("missing-segment", "the 944 has no W07: it receives no item", expected, "W07")
    counted = sum(line.quantity for line in lines)
    message = "W14-01 says {total} units received, the W07 lines add up to {counted}"
    check_total(declared_total, counted, "W14", message)
    source = context.source(transaction_set)
    if w17.element(1) == _CUSTOMER_RETURN or return_key is not None:
        key = return_key or w17.element(4).strip()
        if not key:
            message = "a customer return (W17-01 C) names no RMA: N9*RZ and W17-04 are empty"
            raise body_error("missing-element", message, 0, "W17", 4)
        return ReturnReceived(
            warehouse=context.warehouse,
            occurred_at=occurred_at,
            source=source,
            return_key=key,
            lines=_returned(lines),
        )
    reference = w17.element(4).strip() or w17.element(5).strip() or receipt_number
    return ReceiptPosted(
        warehouse=context.warehouse,
        occurred_at=occurred_at,
        source=source,
        reference=reference,
        lines=_received(lines),
    )


@dataclass
class _Line:
    sku: str
    quantity: int
    index: int
    damaged: int = 0


def _moment(w17: Segment) -> datetime:
    # W17-06 qualifies W17-07; partners disagree on its code and X12 carries no zone, so any is read as UTC.
    return date_element(w17, 0, "W17-02/07 receipt date/time", date=2, time=7)


def _read_w07(w07: Segment, index: int) -> _Line:
    quantity = whole_number(w07, 1, index, "W07-01 units received", expected=NON_NEGATIVE)
    require_eaches(w07.element(2), index, "W07", 2)
    sku = preferred_item(w07, (4, 6, 10)) or w07.element(3).strip()
    if not sku:
        raise body_error(
            "missing-element", "W07 names no item (W07-03, 05, 07 and 11 are empty)", index, "W07", 5
        )
    return _Line(sku=sku, quantity=quantity, index=index)


def _read_w13(w13: Segment, index: int, line: _Line) -> None:
    if w13.element(3) != _DAMAGED_CONDITION:
        return
    require_eaches(w13.element(2), index, "W13", 2)
    line.damaged += whole_number(w13, 1, index, "W13-01 damaged quantity", expected=NON_NEGATIVE)
    if line.damaged > line.quantity:
        message = (
            f"{line.sku}: {line.damaged} damaged (W13*01) is more than the {line.quantity} received (W07-01)"
        )
        raise body_error("quantity-mismatch", message, index, "W13", 1)


def _received(lines: Sequence[_Line]) -> tuple[ReceivedLine, ...]:
    """One line per SKU: several W07 of one item (lots, pallets) are added up."""
    totals: dict[str, tuple[int, int]] = {}
    for line in lines:
        quantity, damaged = totals.get(line.sku, (0, 0))
        totals[line.sku] = (quantity + line.quantity, damaged + line.damaged)
    return tuple(ReceivedLine(sku, quantity, damaged) for sku, (quantity, damaged) in totals.items())


def _returned(lines: Sequence[_Line]) -> tuple[ReturnedLine, ...]:
    """Per SKU, the units to restock then the damaged ones (a disposition with no unit is left out)."""
    returned: list[ReturnedLine] = []
    for received in _received(lines):
        if received.quantity - received.damaged:
            returned.append(ReturnedLine(received.sku, received.quantity - received.damaged, "restock"))
        if received.damaged:
            returned.append(ReturnedLine(received.sku, received.damaged, "damaged"))
    return tuple(returned)
