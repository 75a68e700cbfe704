"""940 Warehouse Shipping Order (functional group OW): the hub asks a warehouse to ship an order, to change
it or to cancel it; the 3PL sandbox reads it back.

Layout written (the same in 004010 and 005010; every segment used has the same elements in both)::

    W05*N*<key>*<order name>             W05-01 purpose N new / R change / F cancel, W05-02 depositor order
                                          number = the order key, W05-03 purchaser order number = #1001
    N1*ST*<ship-to name>                 ship-to loop: N2 company, N3 address lines, N4 city / state / postal
    N2*<company>                          code / country (a province code longer than N4-02's two characters
    N3*<address1>*<address2>              goes to N4-05 "SP" + N4-06), PER*IC with EM email and TE phone
    N4*<city>*<state>*<zip>*<country>
    PER*IC*<name>*EM*<email>*TE*<phone>
    N1*DE*<code>*91*<code>               the depositor, when the partner gave the merchant a depositor code
    N9*CO*<Shopify order id>             the Shopify order behind the warehouse order
    G62*04*<CCYYMMDD>*W*<HHMMSS>*UT      order date and time (UTC)
    NTE*WHI*<note>                        the order note, in 80-character pieces (on one line, without the
                                          separators * and ~)
    W66*PP*U***<service>*****<SCAC>      prepaid, private parcel; the standard puts the SCAC in W66-10
                                          (W66-05 is the free-form routing, where the service level goes);
                                          written only when the order names a carrier or a service
    LX*<line number>                      one LX loop per line: LX-01 is the line's stable number
    W01*<qty>*EA**SK*<sku>               quantity in eaches, the SKU as the stock keeping unit (SK)
    G69*<description>                     up to five 45-character pieces
    W76*<total quantity>

A cancel (F) carries the lines too: the warehouse matches it on W05-02. The reader takes what the writer
writes, accepts VN (vendor item number) as well as SK for the item, and checks W76-01 against the lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.elements import (
    LengthCheck,
    Party,
    address_segments,
    body_error,
    build_segment,
    check_total,
    date_element,
    is_scac,
    loop_end,
    next_of,
    opening_segment,
    pieces,
    read_party,
    require_eaches,
    required_element,
    whole_number,
)
from crossdock.connectors.x12.model import Segment, TransactionSet
from crossdock.domain.warehouse import SourceDocument, WarehouseOrder, WarehouseOrderLine

Purpose = Literal["N", "R", "F"]

_PURPOSES: frozenset[str] = frozenset({"N", "R", "F"})
# Item qualifiers whose W01 product id is the depositor's item code (the SKU).
_ITEM_QUALIFIERS = ("SK", "VN")
_NOTE_PIECE = 80
_DESCRIPTION_PIECE = 45
_DESCRIPTION_PIECES = 5

_fit = LengthCheck("940")


@dataclass(frozen=True)
class ShippingOrderReceived:
    """What a warehouse reads from a 940: a new order (N), a change to it (R) or its cancellation (F)."""

    purpose: Purpose
    order: WarehouseOrder
    source: SourceDocument


# --- writing ------------------------------------------------------------------------------------------------


def write_940(order: WarehouseOrder, purpose: Purpose, *, partner: X12PartnerSettings) -> tuple[Segment, ...]:
    """The body (without ST/SE) of the 940 that sends ``order`` with ``purpose``."""
    if purpose not in _PURPOSES:
        raise ValueError(f"940 W05-01: purpose must be N, R or F, got {purpose!r}")
    body: list[Segment] = [
        build_segment("W05", purpose, _fit("W05-02", order.key, 22), _fit("W05-03", order.order_name, 22))
    ]
    body.extend(_ship_to(order))
    if partner.depositor_code:
        code = _fit("N1-04 (DE)", partner.depositor_code, 80)
        body.append(build_segment("N1", "DE", _fit("N1-02 (DE)", partner.depositor_code, 60), "91", code))
    if order.shopify_order_id:
        body.append(build_segment("N9", "CO", _fit("N9-02 (CO)", order.shopify_order_id, 30)))
    body.append(
        build_segment(
            "G62", "04", order.ordered_at.strftime("%Y%m%d"), "W", order.ordered_at.strftime("%H%M%S"), "UT"
        )
    )
    if order.note and order.note.strip():
        body.extend(
            build_segment("NTE", "WHI", piece) for piece in pieces(_free_text(order.note), _NOTE_PIECE)
        )
    if order.carrier_code or order.service_level:
        body.append(_carrier(order))
    for line in order.lines:
        body.append(build_segment("LX", str(line.line_number)))
        body.append(build_segment("W01", str(line.quantity), "EA", "", "SK", _fit("W01-05", line.sku, 48)))
        if line.description and line.description.strip():
            description = _free_text(line.description)
            kept = pieces(description, _DESCRIPTION_PIECE)[:_DESCRIPTION_PIECES]
            body.extend(build_segment("G69", piece) for piece in kept)
    body.append(build_segment("W76", str(order.total_quantity)))
    return tuple(body)


def _ship_to(order: WarehouseOrder) -> list[Segment]:
    address = order.ship_to
    loop = [build_segment("N1", "ST", _fit("N1-02 (ST)", order.ship_to_name, 60))]
    if address.company:
        loop.append(build_segment("N2", _fit("N2-01", address.company, 60)))
    loop.extend(address_segments(address, _fit))
    contact: list[str] = []
    if order.email:
        contact += ["EM", _fit("PER-04 (EM)", order.email, 80)]
    if address.phone:
        contact += ["TE", _fit(f"PER-0{len(contact) + 4} (TE)", address.phone, 80)]
    if contact:
        loop.append(build_segment("PER", "IC", _fit("PER-02", order.ship_to_name, 60), *contact))
    return loop


def _carrier(order: WarehouseOrder) -> Segment:
    scac = (order.carrier_code or "").strip().upper()
    if scac and not is_scac(scac):
        raise ValueError(f"940 W66-10: carrier code {order.carrier_code!r} is not an SCAC (2 to 4 letters)")
    service = _fit("W66-05", order.service_level or "", 35)
    return build_segment("W66", "PP", "U", "", "", service, "", "", "", "", scac)


# --- reading ------------------------------------------------------------------------------------------------


def read_940(transaction_set: TransactionSet, context: ReadContext) -> ShippingOrderReceived:
    """The order a 940 asks ``context.warehouse`` to ship, change or cancel."""
    segments = transaction_set.segments
    w05 = opening_segment(segments, "940", "W05")
    purpose = w05.element(1)
    if purpose not in _PURPOSES:
        raise body_error("invalid-code", f"W05-01 purpose {purpose!r} is not N, R or F", 0, "W05", 1)
    key = required_element(w05, 2, 0, "depositor order number")
    ship_to: Party | None = None
    shopify_order_id = ""
    ordered_at: datetime | None = None
    notes: list[str] = []
    carrier_code: str | None = None
    service_level: str | None = None
    lines: list[WarehouseOrderLine] = []
    declared_total: tuple[int, int] | None = None
    index = 1
    while index < len(segments):
        segment = segments[index]
        if segment.tag == "N1":
            end = loop_end(segments, index, {"N2", "N3", "N4", "PER"})
            if segment.element(1) == "ST":
                ship_to = read_party(segments, index, end, what="ship-to name")
            index = end
            continue
        if segment.tag == "N9" and segment.element(1) == "CO":
            shopify_order_id = segment.element(2)
        elif segment.tag == "G62" and segment.element(1) == "04":
            ordered_at = date_element(segment, index, "G62 date/time", date=2, time=4)
        elif segment.tag == "NTE":
            notes.append(segment.element(2))
        elif segment.tag == "W66":
            carrier_code = segment.element(10).strip() or None
            service_level = segment.element(5).strip() or None
        elif segment.tag == "LX":
            # A line loop runs to the next LX or the W76 summary, whatever else it holds (hazardous material,
            # nested LS loops): a W01 left outside its loop would be an ordered line silently dropped.
            end = next_of(segments, index, {"LX", "W76"})
            lines.append(_read_line(segments, index, end))
            index = end
            continue
        elif segment.tag == "W76":
            declared_total = (whole_number(segment, 1, index, "W76-01 total quantity"), index)
        index += 1
    if ship_to is None:
        raise body_error("missing-segment", "the 940 has no N1*ST ship-to loop", len(segments), "N1")
    if not lines:
        raise body_error("missing-segment", "the 940 has no LX/W01 line", len(segments), "LX")
    counted = sum(line.quantity for line in lines)
    check_total(
        declared_total, counted, "W76", "W76-01 says {total} units, the W01 lines add up to {counted}"
    )
    order = WarehouseOrder(
        key=key,
        warehouse=context.warehouse,
        shopify_order_id=shopify_order_id,
        # The purchaser order number is the name people see; a 940 without it is known by its key.
        order_name=w05.element(3) or key,
        ordered_at=ordered_at or context.envelope_time(),
        ship_to_name=ship_to.name,
        ship_to=ship_to.address,
        lines=tuple(lines),
        carrier_code=carrier_code,
        service_level=service_level,
        email=ship_to.email,
        note="".join(notes) or None,
    )
    return ShippingOrderReceived(cast(Purpose, purpose), order, context.source(transaction_set))


def _read_line(segments: Sequence[Segment], start: int, end: int) -> WarehouseOrderLine:
    line_number = whole_number(segments[start], 1, start, "LX-01 line number")
    items = [index for index in range(start + 1, end) if segments[index].tag == "W01"]
    if not items:
        raise body_error("missing-segment", f"LX loop {line_number} has no W01 line item", start + 1, "W01")
    if len(items) > 1:
        raise body_error("unexpected-segment", f"LX loop {line_number} has a second W01", items[1], "W01")
    position = items[0]
    w01 = segments[position]
    quantity = whole_number(w01, 1, position, "W01-01 quantity ordered")
    require_eaches(w01.element(2), position, "W01", 2)
    sku = _item(w01, position)
    description = "".join(
        segments[index].element(1) for index in range(position + 1, end) if segments[index].tag == "G69"
    )
    return WarehouseOrderLine(line_number, sku, quantity, description or None)


def _item(w01: Segment, position: int) -> str:
    for qualifier_position in (4, 6):
        if w01.element(qualifier_position) in _ITEM_QUALIFIERS and w01.element(qualifier_position + 1):
            return w01.element(qualifier_position + 1)
    found = [w01.element(4), w01.element(6)]
    message = f"W01 names no item by SK or VN (W01-04/W01-06 qualifiers: {found})"
    raise body_error("missing-element", message, position, "W01", 5)


def _free_text(text: str) -> str:
    """Notes and descriptions on one line, without the element and segment separators the hub writes with
    (``*`` and ``~``, the envelope's defaults): people's text must not make an order impossible to send, and
    a "**FRAGILE**" reads the same with blanks."""
    return " ".join(text.replace("*", " ").replace("~", " ").split())
