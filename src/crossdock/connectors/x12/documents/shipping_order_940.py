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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec.errors import X12Error
from crossdock.connectors.x12.documents.context import ReadContext, parse_x12_datetime
from crossdock.connectors.x12.model import Segment, TransactionSet
from crossdock.domain.orders import Address
from crossdock.domain.warehouse import SourceDocument, WarehouseOrder, WarehouseOrderLine

Purpose = Literal["N", "R", "F"]

_PURPOSES: frozenset[str] = frozenset({"N", "R", "F"})
# Item qualifiers whose W01 product id is the depositor's item code (the SKU).
_ITEM_QUALIFIERS = ("SK", "VN")
# Units of measure that mean single units; anything else (cases, pallets) would multiply quantities.
_EACH_UNITS = frozenset({"EA", "UN"})
_NOTE_PIECE = 80
_DESCRIPTION_PIECE = 45
_DESCRIPTION_PIECES = 5


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
        _segment("W05", purpose, _fit("W05-02", order.key, 22), _fit("W05-03", order.order_name, 22))
    ]
    body.extend(_ship_to(order))
    if partner.depositor_code:
        code = _fit("N1-04 (DE)", partner.depositor_code, 80)
        body.append(_segment("N1", "DE", _fit("N1-02 (DE)", partner.depositor_code, 60), "91", code))
    if order.shopify_order_id:
        body.append(_segment("N9", "CO", _fit("N9-02 (CO)", order.shopify_order_id, 30)))
    body.append(
        _segment(
            "G62", "04", order.ordered_at.strftime("%Y%m%d"), "W", order.ordered_at.strftime("%H%M%S"), "UT"
        )
    )
    if order.note and order.note.strip():
        body.extend(_segment("NTE", "WHI", piece) for piece in _pieces(_free_text(order.note), _NOTE_PIECE))
    if order.carrier_code or order.service_level:
        body.append(_carrier(order))
    for line in order.lines:
        body.append(_segment("LX", str(line.line_number)))
        body.append(_segment("W01", str(line.quantity), "EA", "", "SK", _fit("W01-05", line.sku, 48)))
        if line.description and line.description.strip():
            description = _free_text(line.description)
            pieces = _pieces(description, _DESCRIPTION_PIECE)[:_DESCRIPTION_PIECES]
            body.extend(_segment("G69", piece) for piece in pieces)
    body.append(_segment("W76", str(order.total_quantity)))
    return tuple(body)


def _ship_to(order: WarehouseOrder) -> list[Segment]:
    address = order.ship_to
    loop = [_segment("N1", "ST", _fit("N1-02 (ST)", order.ship_to_name, 60))]
    if address.company:
        loop.append(_segment("N2", _fit("N2-01", address.company, 60)))
    lines = [text for text in (address.address1, address.address2) if text]
    if lines:
        loop.append(_segment("N3", *(_fit(f"N3-0{n}", text, 55) for n, text in enumerate(lines, 1))))
    province = address.province_code or ""
    # N4-02 holds exactly two characters (US states, Canadian provinces); longer codes (AU "NSW") go to
    # N4-05/N4-06 with the location qualifier SP (state/province).
    state, other_qualifier, other = (province, "", "") if len(province) <= 2 else ("", "SP", province)
    if address.city or province or address.zip or address.country_code:
        loop.append(
            _segment(
                "N4",
                _fit("N4-01", address.city or "", 30),
                state,
                _fit("N4-03", address.zip or "", 15),
                _fit("N4-04", address.country_code or "", 3),
                other_qualifier,
                _fit("N4-06", other, 30),
            )
        )
    contact: list[str] = []
    if order.email:
        contact += ["EM", _fit("PER-04 (EM)", order.email, 80)]
    if address.phone:
        contact += ["TE", _fit(f"PER-0{len(contact) + 4} (TE)", address.phone, 80)]
    if contact:
        loop.append(_segment("PER", "IC", _fit("PER-02", order.ship_to_name, 60), *contact))
    return loop


def _carrier(order: WarehouseOrder) -> Segment:
    scac = (order.carrier_code or "").strip().upper()
    if scac and not (2 <= len(scac) <= 4 and scac.isalnum()):
        raise ValueError(f"940 W66-10: carrier code {order.carrier_code!r} is not an SCAC (2 to 4 letters)")
    service = _fit("W66-05", order.service_level or "", 35)
    return _segment("W66", "PP", "U", "", "", service, "", "", "", "", scac)


# --- reading ------------------------------------------------------------------------------------------------


def read_940(transaction_set: TransactionSet, context: ReadContext) -> ShippingOrderReceived:
    """The order a 940 asks ``context.warehouse`` to ship, change or cancel."""
    segments = transaction_set.segments
    if not segments or segments[0].tag != "W05":
        found = segments[0].tag if segments else "SE"
        raise _error("missing-segment", f"a 940 starts with W05, found {found}", 0, "W05")
    w05 = segments[0]
    purpose = w05.element(1)
    if purpose not in _PURPOSES:
        raise _error("invalid-code", f"W05-01 purpose {purpose!r} is not N, R or F", 0, "W05", 1)
    key = _required(w05, 2, 0, "depositor order number")
    ship_to: _ShipTo | None = None
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
            end = _loop_end(segments, index, {"N2", "N3", "N4", "PER"})
            if segment.element(1) == "ST":
                ship_to = _read_ship_to(segments, index, end)
            index = end
            continue
        if segment.tag == "N9" and segment.element(1) == "CO":
            shopify_order_id = segment.element(2)
        elif segment.tag == "G62" and segment.element(1) == "04":
            ordered_at = _date_time(segment, index)
        elif segment.tag == "NTE":
            notes.append(segment.element(2))
        elif segment.tag == "W66":
            carrier_code = segment.element(10).strip() or None
            service_level = segment.element(5).strip() or None
        elif segment.tag == "LX":
            # A line loop runs to the next LX or the W76 summary, whatever else it holds (hazardous material,
            # nested LS loops): a W01 left outside its loop would be an ordered line silently dropped.
            end = _next_of(segments, index, {"LX", "W76"})
            lines.append(_read_line(segments, index, end))
            index = end
            continue
        elif segment.tag == "W76":
            declared_total = (_whole(segment, 1, index, "W76-01 total quantity"), index)
        index += 1
    if ship_to is None:
        raise _error("missing-segment", "the 940 has no N1*ST ship-to loop", len(segments), "N1")
    if not lines:
        raise _error("missing-segment", "the 940 has no LX/W01 line", len(segments), "LX")
    if declared_total is not None:
        total, total_index = declared_total
        counted = sum(line.quantity for line in lines)
        if total != counted:
            message = f"W76-01 says {total} units, the W01 lines add up to {counted}"
            raise _error("total-mismatch", message, total_index, "W76", 1)
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


@dataclass(frozen=True)
class _ShipTo:
    name: str
    address: Address
    email: str | None


def _read_ship_to(segments: Sequence[Segment], start: int, end: int) -> _ShipTo:
    name = _required(segments[start], 2, start, "ship-to name")
    company: str | None = None
    address_lines: list[str] = []
    city = state = postal_code = country = phone = email = None
    for index in range(start + 1, end):
        segment = segments[index]
        if segment.tag == "N2":
            company = segment.element(1) or None
        elif segment.tag == "N3":
            address_lines += [text for text in (segment.element(1), segment.element(2)) if text]
        elif segment.tag == "N4":
            city = segment.element(1) or None
            state = segment.element(2) or (segment.element(6) if segment.element(5) == "SP" else "") or None
            postal_code = segment.element(3) or None
            country = segment.element(4) or None
        elif segment.tag == "PER":
            # PER-03/04, -05/06, -07/08 are (qualifier, number) pairs in any order.
            for position in (3, 5, 7):
                qualifier, value = segment.element(position), segment.element(position + 1)
                if qualifier == "EM" and value:
                    email = value
                elif qualifier == "TE" and value:
                    phone = value
    address = Address(
        company=company,
        address1=address_lines[0] if address_lines else None,
        address2=" ".join(address_lines[1:]) or None,
        city=city,
        province_code=state,
        zip=postal_code,
        country_code=country,
        phone=phone,
    )
    return _ShipTo(name, address, email)


def _read_line(segments: Sequence[Segment], start: int, end: int) -> WarehouseOrderLine:
    line_number = _whole(segments[start], 1, start, "LX-01 line number")
    items = [index for index in range(start + 1, end) if segments[index].tag == "W01"]
    if not items:
        raise _error("missing-segment", f"LX loop {line_number} has no W01 line item", start + 1, "W01")
    if len(items) > 1:
        raise _error("unexpected-segment", f"LX loop {line_number} has a second W01", items[1], "W01")
    position = items[0]
    w01 = segments[position]
    quantity = _whole(w01, 1, position, "W01-01 quantity ordered")
    unit = w01.element(2)
    if unit not in _EACH_UNITS:
        raise _error("invalid-code", f"W01-02 unit {unit!r} is not eaches (EA)", position, "W01", 2)
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
    raise _error("missing-element", message, position, "W01", 5)


def _loop_end(segments: Sequence[Segment], start: int, members: set[str]) -> int:
    index = start + 1
    while index < len(segments) and segments[index].tag in members:
        index += 1
    return index


def _next_of(segments: Sequence[Segment], start: int, tags: set[str]) -> int:
    index = start + 1
    while index < len(segments) and segments[index].tag not in tags:
        index += 1
    return index


def _date_time(segment: Segment, index: int) -> datetime:
    try:
        return parse_x12_datetime(segment.element(2), segment.element(4) or "0000")
    except ValueError as error:
        raise _error("invalid-date", f"G62 date/time: {error}", index, "G62", 2) from error


# --- element helpers ----------------------------------------------------------------------------------------


# X12 "R" numbers may carry a decimal point ("3", "3.", "3.00"); a quantity is never a fraction.
_WHOLE_NUMBER = re.compile(r"[0-9]+(\.0*)?")


def _segment(tag: str, *elements: str) -> Segment:
    """A segment without trailing empty elements (X12 forbids trailing element separators)."""
    values = list(elements)
    while values and values[-1] == "":
        values.pop()
    return Segment(tag, tuple(values))


def _fit(element: str, value: str, maximum: int) -> str:
    """``value`` when it fits the element; identifiers and addresses are never cut (a cut key or street
    would reach the wrong order or door), so a value too long is an error naming the element."""
    if len(value) > maximum:
        raise ValueError(f"940 {element}: {value!r} is {len(value)} characters, the element allows {maximum}")
    return value


def _free_text(text: str) -> str:
    """Notes and descriptions on one line, without the element and segment separators the hub writes with
    (``*`` and ``~``, the envelope's defaults): people's text must not make an order impossible to send, and
    a "**FRAGILE**" reads the same with blanks."""
    return " ".join(text.replace("*", " ").replace("~", " ").split())


def _pieces(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


def _required(segment: Segment, position: int, index: int, what: str) -> str:
    value = segment.element(position).strip()
    if not value:
        raise _error(
            "missing-element", f"{segment.tag}-{position:02d} {what} is empty", index, segment.tag, position
        )
    return value


def _whole(segment: Segment, position: int, index: int, what: str) -> int:
    """A whole, non-negative number of units."""
    text = segment.element(position).strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        raise _error(
            "invalid-quantity", f"{what} {text!r} is not a whole number", index, segment.tag, position
        )
    return int(text.split(".")[0])


def _error(rule: str, message: str, index: int, tag: str, element: int | None = None) -> X12Error:
    """An error at body segment ``index``: ST is position 1 of the set, so the body starts at position 2."""
    return X12Error(rule, message, segment_index=index + 2, segment_tag=tag, element=element)
