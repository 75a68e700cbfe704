"""945 Warehouse Shipping Advice (functional group SW): a warehouse tells the hub it shipped (some of) an
order.

Read (what partners send; several 945s for one order are partial shipments, never assume one per order)::

    W06*F*<order key>*<CCYYMMDD>*<shipment id>*<agent shipment id>*<PO number>
                                        W06-02 depositor order number = the hub's order key; W06-04 shipment
                                        id (W06-05, the agent's id, when W06-04 is empty)
    N1 loops                            (the grammar requires one; the hub reads none of them)
    G62*11*<CCYYMMDD>*8*<HHMM[SS]>      shipped on this date: ``occurred_at`` (else W06-03, else GS date)
    W27*U*<SCAC>*<service>*PP           carrier and routing (service level), for every parcel
    LX*<n>                              one loop per parcel, or one loop for everything
      MAN*CP*<tracking>                 tracking when partner.tracking_location is "MAN" (CP carrier package
                                        id, GM SSCC-18), or
      N9*<qualifier>*<tracking>         tracking when it is "N9" (partner.tracking_n9_qualifier, 2I by
                                        default; read at set, LX and W12 level)
      W12*CC*<ordered>*<shipped>*<difference>*EA**SK*<sku>*<lot>
                                        W12-01 status (CC complete, CP partial…), W12-02 ordered (else shipped
                                        + W12-04, else shipped for a complete status), W12-03 shipped, W12-08
                                        item (any qualifier: it is the warehouse's item code), W12-09 lot (or
                                        W12-21 "LT" + W12-22)
      N9*LI*<line number>               the order line the W12 ships, when the partner gives it
    W03*<total units shipped>           checked against the W12 lines when present

Parcels are the distinct tracking numbers in order of appearance; a line split over several parcels (one W12
per parcel, same line/SKU/lot, repeating its ordered quantity) is added up into one ``ShippedLine``. Units of
measure other than eaches are refused (a case count read as units would ship the wrong quantity to Shopify).

Written (3PL sandbox): the same layout, one LX per parcel with its MAN or N9, every W12 in the first LX, one
W27 (a shipment whose parcels go with different carriers or services cannot be written as one 945), N1*SF with
the warehouse. 004010 and 005010 are the same for these segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.carriers import carrier_name, tracking_url
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.elements import (
    LengthCheck,
    body_error,
    build_segment,
    check_total,
    date_element,
    is_scac,
    opening_segment,
    require_eaches,
    required_element,
    whole_number,
)
from crossdock.connectors.x12.model import Segment, TransactionSet
from crossdock.domain.warehouse import Parcel, Shipped, ShippedLine

# MAN-01 qualifiers that carry a parcel's tracking number: carrier-assigned package id, SSCC-18.
_TRACKING_MARKS = frozenset({"CP", "GM"})
# W12-01 statuses saying the line shipped in full (its ordered quantity is the shipped one when not given).
_COMPLETE_STATUSES = frozenset({"CC", "CL"})
_LINE_REFERENCE = "LI"

_fit = LengthCheck("945")


# --- writing ------------------------------------------------------------------------------------------------


def write_945(
    shipped: Shipped, *, partner: X12PartnerSettings, order_name: str | None
) -> tuple[Segment, ...]:
    """The body (without ST/SE) of the 945 reporting ``shipped``, tracking where ``partner`` expects it."""
    moment = shipped.occurred_at
    body: list[Segment] = [
        build_segment(
            "W06",
            "F",
            _fit("W06-02", shipped.order_key, 22),
            moment.strftime("%Y%m%d"),
            _fit("W06-04", shipped.shipment_id, 30),
            "",
            _fit("W06-06", order_name or "", 22),
        ),
        build_segment("N1", "SF", _fit("N1-02 (SF)", shipped.warehouse, 60)),
        build_segment("G62", "11", moment.strftime("%Y%m%d"), "8", moment.strftime("%H%M%S"), "UT"),
    ]
    carrier = _carrier(shipped)
    if carrier is not None:
        body.append(carrier)
    loops: list[list[Segment]] = [[_tracking(parcel, partner)] for parcel in shipped.parcels]
    if shipped.lines and not loops:
        loops.append([])
    if loops:
        loops[0].extend(segment for line in shipped.lines for segment in _line(line))
    for number, loop in enumerate(loops, 1):
        body.append(build_segment("LX", str(number)))
        body.extend(loop)
    body.append(build_segment("W03", str(sum(line.quantity_shipped for line in shipped.lines))))
    return tuple(body)


def _carrier(shipped: Shipped) -> Segment | None:
    carriers = {(parcel.carrier_code or "", parcel.service_level or "") for parcel in shipped.parcels}
    if len(carriers) > 1:
        raise ValueError(
            f"945 W27: shipment {shipped.shipment_id} has parcels with different carriers or services "
            f"{sorted(carriers)}; one 945 names one carrier"
        )
    if not carriers or carriers == {("", "")}:
        return None
    code, service = carriers.pop()
    if code and not is_scac(code):
        raise ValueError(f"945 W27-02: carrier code {code!r} is not an SCAC (2 to 4 letters)")
    return build_segment("W27", "U", code.upper(), _fit("W27-03", service, 35), "PP")


def _tracking(parcel: Parcel, partner: X12PartnerSettings) -> Segment:
    if partner.tracking_location == "MAN":
        return build_segment("MAN", "CP", _fit("MAN-02", parcel.tracking_number, 48))
    return build_segment("N9", partner.tracking_n9_qualifier, _fit("N9-02", parcel.tracking_number, 30))


def _line(line: ShippedLine) -> list[Segment]:
    status = "CC" if line.quantity_shipped >= line.quantity_ordered else "CP"
    difference = line.quantity_ordered - line.quantity_shipped
    lot = line.lot or ""
    # W12-09 (warehouse lot number) holds 12 characters; a longer lot goes to W12-21/22 with the qualifier LT.
    short_lot, long_lot = (lot, "") if len(lot) <= 12 else ("", _fit("W12-22", lot, 48))
    elements = [
        status,
        str(line.quantity_ordered),
        str(line.quantity_shipped),
        str(difference),
        "EA",
        "",
        "SK",
        _fit("W12-08", line.sku, 48),
        short_lot,
    ]
    if long_lot:
        elements += [""] * 11 + ["LT", long_lot]
    segments = [build_segment("W12", *elements)]
    if line.line_number is not None:
        segments.append(build_segment("N9", _LINE_REFERENCE, str(line.line_number)))
    return segments


# --- reading ------------------------------------------------------------------------------------------------


def read_945(transaction_set: TransactionSet, context: ReadContext) -> Shipped:
    """The shipment a 945 reports."""
    segments = transaction_set.segments
    w06 = opening_segment(segments, "945", "W06")
    order_key = required_element(w06, 2, 0, "depositor order number")
    shipment_id = w06.element(4).strip() or w06.element(5).strip()
    if not shipment_id:
        raise body_error(
            "missing-element", "W06-04 shipment id (and W06-05 agent shipment id) are empty", 0, "W06", 4
        )
    partner = context.partner
    occurred_at: datetime | None = None
    carrier_code: str | None = None
    service_level: str | None = None
    tracking_numbers: list[str] = []
    builders: list[_LineBuilder] = []
    current: _LineBuilder | None = None
    declared_total: tuple[int, int] | None = None
    for index, segment in enumerate(segments[1:], 1):
        tag = segment.tag
        if tag == "G62" and segment.element(1) == "11":
            occurred_at = date_element(segment, index, "G62 ship date/time", date=2, time=4)
        elif tag == "W27" and current is None:
            carrier_code = segment.element(2).strip().upper() or None
            service_level = segment.element(3).strip() or None
        elif tag == "LX":
            current = None
        elif _is_tracking(segment, partner):
            tracking_numbers.append(required_element(segment, 2, index, "tracking number"))
        elif tag == "N9" and segment.element(1) == _LINE_REFERENCE and current is not None:
            current.line_number = whole_number(segment, 2, index, "N9-02 line number")
        elif tag == "W12":
            current = _read_w12(segment, index)
            builders.append(current)
        elif tag == "W03":
            declared_total = (whole_number(segment, 1, index, "W03-01 units shipped"), index)
    if occurred_at is None:
        occurred_at = (
            date_element(w06, 0, "W06-03 ship date", date=3) if w06.element(3) else context.envelope_time()
        )
    lines = _merged(builders)
    counted = sum(line.quantity_shipped for line in lines)
    message = "W03-01 says {total} units shipped, the W12 lines add up to {counted}"
    check_total(declared_total, counted, "W03", message)
    name = carrier_name(carrier_code, partner)
    parcels = tuple(
        Parcel(
            tracking_number=number,
            carrier_code=carrier_code,
            carrier_name=name,
            service_level=service_level,
            tracking_url=tracking_url(name, number),
        )
        for number in dict.fromkeys(tracking_numbers)
    )
    return Shipped(
        warehouse=context.warehouse,
        occurred_at=occurred_at,
        source=context.source(transaction_set),
        order_key=order_key,
        shipment_id=shipment_id,
        lines=lines,
        parcels=parcels,
    )


def _is_tracking(segment: Segment, partner: X12PartnerSettings) -> bool:
    """A MAN or N9 carrying a parcel's tracking number, where this partner puts it."""
    if partner.tracking_location == "MAN":
        return segment.tag == "MAN" and segment.element(1) in _TRACKING_MARKS
    return segment.tag == "N9" and segment.element(1) == partner.tracking_n9_qualifier


@dataclass
class _LineBuilder:
    sku: str
    shipped: int
    ordered: int
    lot: str | None
    line_number: int | None = None


def _read_w12(w12: Segment, index: int) -> _LineBuilder:
    shipped = whole_number(w12, 3, index, "W12-03 units shipped")
    if w12.element(2):
        ordered = whole_number(w12, 2, index, "W12-02 quantity ordered")
    elif w12.element(4):
        ordered = shipped + whole_number(w12, 4, index, "W12-04 quantity difference")
    elif w12.element(1) in _COMPLETE_STATUSES:
        ordered = shipped
    else:
        status = w12.element(1)
        message = f"W12-02 quantity ordered is empty and status {status!r} does not say the line is complete"
        raise body_error("missing-element", message, index, "W12", 2)
    require_eaches(w12.element(5), index, "W12", 5, optional=True)
    sku = w12.element(8).strip() or w12.element(6).strip()
    if not sku:
        raise body_error("missing-element", "W12-08 item (and W12-06 U.P.C.) are empty", index, "W12", 8)
    lot = w12.element(9).strip() or (w12.element(22).strip() if w12.element(21) == "LT" else "")
    return _LineBuilder(sku=sku, shipped=shipped, ordered=ordered, lot=lot or None)


def _merged(builders: Sequence[_LineBuilder]) -> tuple[ShippedLine, ...]:
    """One ShippedLine per (line number, SKU, lot): parcels of one line add up; the ordered quantity is the
    line's, repeated by each of its W12s."""
    merged: dict[tuple[int | None, str, str | None], ShippedLine] = {}
    for builder in builders:
        key = (builder.line_number, builder.sku, builder.lot)
        previous = merged.get(key)
        merged[key] = ShippedLine(
            sku=builder.sku,
            quantity_shipped=builder.shipped + (previous.quantity_shipped if previous else 0),
            quantity_ordered=max(builder.ordered, previous.quantity_ordered if previous else 0),
            line_number=builder.line_number,
            lot=builder.lot,
        )
    return tuple(merged.values())
