"""870 Order Status Report (functional group RS): a warehouse tells the hub what became of an order at the
business level: accepted, refused, being picked, cancelled as asked, or not cancellable. A 997 only says
whether a set was readable; an order the warehouse cannot fill is an 870, never a 997 rejection.

Read (what partners send; one order-level HL per status, several per set)::

    BSR*2*PA*<report id>*<CCYYMMDD>***<HHMM[SS]>
                                        BSR01 status report code (850) 2 prearranged schedule or agreement,
                                        BSR02 order/item code (847) PA selected orders - all items, BSR03
                                        the report's number, BSR04/BSR07 its date and time (the moment of a
                                        status that carries no date of its own)
    HL*<n>**O                           one order level per status reported
      PRF*<order key>                   PRF01 purchase order number = the hub's order key (940 W05-02)
      ISR*<status>*<CCYYMMDD>           ISR01 shipment/order status (368), see below; ISR02 its date
      DTM*009*<CCYYMMDD>*<HHMM[SS]>*UT  when the status was reached (009 process): ``occurred_at``, else
                                        ISR02 at 00:00 UTC, else BSR04/BSR07
      REF*VN*<warehouse order number>   the warehouse's own number for the order (VN vendor order number)
      REF*SI*<shipment id>              the shipment that made a cancellation impossible (SI shipper's
                                        identifying number for shipment)
      REF*ZZ**<text>                    the reason of a refusal in REF03 (else REF02), 80 characters a
                                        segment: several REF*ZZ are one text, joined in order
    HL*<m>*<n>*I                        item level under order n: an item the warehouse named as the cause
      PO1******SK*<sku>                 of a refusal (SK, else VN, else the first PO1-06/07… pair)

Status codes (ISR01, element 368). The list is about goods and shipments; it has no plain "accepted" or
"refused", so three of the five outcomes are a mapping the trading partners agree on:

    NN  Not in Process - No Shipping Schedule  → OrderAcknowledged  (accepted and queued: nothing picked,
                                                 no ship date promised yet; the step before IN)
    IN  In Process                             → PreparationStarted
    IC  Item Canceled                          → CancelConfirmed    (the order's items cancelled as asked)
    DE  Deleted Order                          → OrderRejected      (choice: the warehouse drops an order it
                                                 will not fill; 368 has no "rejected")
    ZZ  Mutually Defined                       → CancelRefused      (choice: no 368 code says that a
                                                 cancellation was refused)

Any other ISR01 is refused (rule ``invalid-code``): reading an unknown status as one of these would report
an order accepted or cancelled that is not.

Written (3PL sandbox): exactly the layout above, the statuses of one call in one set, in order. 004010 and
005010 are the same for these segments (5010 allows longer references; the writer keeps to 4010's lengths).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.elements import (
    LengthCheck,
    body_error,
    build_segment,
    date_element,
    opening_segment,
    parse_date,
    pieces,
    preferred_item,
    required_element,
)
from crossdock.connectors.x12.model import Segment, TransactionSet
from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    PreparationStarted,
    SourceDocument,
)

OrderStatusEvent = OrderAcknowledged | OrderRejected | PreparationStarted | CancelConfirmed | CancelRefused

_ACKNOWLEDGED = "NN"
_PREPARING = "IN"
_CANCELLED = "IC"
_REJECTED = "DE"
_CANCEL_REFUSED = "ZZ"
_STATUS_BY_KIND: Mapping[type, str] = MappingProxyType(
    {
        OrderAcknowledged: _ACKNOWLEDGED,
        PreparationStarted: _PREPARING,
        CancelConfirmed: _CANCELLED,
        OrderRejected: _REJECTED,
        CancelRefused: _CANCEL_REFUSED,
    }
)
_KNOWN_STATUSES = frozenset(_STATUS_BY_KIND.values())
# BSR01 (850) "prearranged schedule or agreement": the 3PL reports each outcome as the agreement says, not in
# answer to an 869 inquiry. BSR02 (847) "selected orders - all items": each HL reports one whole order.
_REPORT_CODE = "2"
_ORDER_ITEM_CODE = "PA"
_ORDER_LEVEL = "O"
_ITEM_LEVEL = "I"
_PROCESS_DATE = "009"
_UNIVERSAL_TIME = "UT"
_WAREHOUSE_ORDER = "VN"
_SHIPMENT = "SI"
_REASON = "ZZ"
_REASON_PIECE = 80

_fit = LengthCheck("870", allow_empty=False)


# --- writing ------------------------------------------------------------------------------------------------


def write_870(
    events: Sequence[OrderStatusEvent], *, partner: X12PartnerSettings, report_id: str | None = None
) -> tuple[Segment, ...]:
    """The body (without ST/SE) of one 870 reporting ``events``, one order-level HL each, in order.
    ``report_id`` (BSR03) defaults to the latest event's moment to the microsecond. ``partner`` is accepted
    for the common interface: no partner setting changes an 870."""
    del partner
    if not events:
        raise ValueError("870: no status to write (the set needs at least one HL)")
    for event in events:
        if type(event) not in _STATUS_BY_KIND:
            raise ValueError(f"870: {type(event).__name__} is not an order status an 870 reports")
    latest = max(event.occurred_at for event in events)
    report = _fit("BSR03", report_id or latest.strftime("%Y%m%d%H%M%S%f"), 30)
    body: list[Segment] = [
        build_segment(
            "BSR",
            _REPORT_CODE,
            _ORDER_ITEM_CODE,
            report,
            latest.strftime("%Y%m%d"),
            "",
            "",
            latest.strftime("%H%M%S"),
        )
    ]
    number = 0
    for event in events:
        number += 1
        order_level = number
        body.append(build_segment("HL", str(order_level), "", _ORDER_LEVEL))
        body.extend(_order_status(event))
        skus = event.skus if isinstance(event, OrderRejected) else ()
        for sku in skus:
            number += 1
            body.append(build_segment("HL", str(number), str(order_level), _ITEM_LEVEL))
            body.append(build_segment("PO1", "", "", "", "", "", "SK", _fit("PO1-07", sku, 48)))
    return tuple(body)


def _order_status(event: OrderStatusEvent) -> Iterator[Segment]:
    moment = event.occurred_at
    yield build_segment("PRF", _fit("PRF01", event.order_key, 22))
    yield build_segment("ISR", _STATUS_BY_KIND[type(event)], moment.strftime("%Y%m%d"))
    yield build_segment(
        "DTM", _PROCESS_DATE, moment.strftime("%Y%m%d"), moment.strftime("%H%M%S"), _UNIVERSAL_TIME
    )
    if isinstance(event, OrderAcknowledged) and event.warehouse_reference:
        yield build_segment("REF", _WAREHOUSE_ORDER, _fit("REF02 (VN)", event.warehouse_reference, 30))
    if isinstance(event, CancelRefused) and event.shipment_id:
        yield build_segment("REF", _SHIPMENT, _fit("REF02 (SI)", event.shipment_id, 30))
    if isinstance(event, (OrderRejected, CancelRefused)):
        # A reason is text for people, not an identifier: cut into REF03-sized pieces, joined back on read.
        for piece in pieces(event.reason, _REASON_PIECE):
            yield build_segment("REF", _REASON, "", piece)


# --- reading ------------------------------------------------------------------------------------------------


@dataclass
class _OrderLoop:
    """One order-level HL as read: its segments' values and where the loop starts (for errors)."""

    identifier: str
    index: int
    order_key: str | None = None
    order_key_index: int | None = None
    status: tuple[str, str, int] | None = None
    moment: datetime | None = None
    warehouse_reference: str | None = None
    shipment_id: str | None = None
    reason_pieces: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)


def read_870(transaction_set: TransactionSet, context: ReadContext) -> tuple[OrderStatusEvent, ...]:
    """One event per order-level HL of the 870, in order."""
    segments = transaction_set.segments
    bsr = opening_segment(segments, "870", "BSR")
    report_moment = date_element(bsr, 0, "BSR04 report date", date=4, time=7)
    orders: list[_OrderLoop] = []
    by_identifier: dict[str, _OrderLoop] = {}
    current: _OrderLoop | None = None
    in_item = False
    for index, segment in enumerate(segments[1:], 1):
        tag = segment.tag
        if tag == "HL":
            current, in_item = _enter_level(segment, index, orders, by_identifier, current)
        elif current is None:
            # Heading segments (REF, DTM, N1 loops) say nothing the hub keeps.
            continue
        elif in_item:
            if tag == "PO1":
                current.skus.append(_item_code(segment, index))
        elif tag == "PRF":
            current.order_key = required_element(
                segment, 1, index, "purchase order number (the hub's order key)"
            )
            current.order_key_index = index
        elif tag == "ISR" and current.status is None:
            current.status = (
                required_element(segment, 1, index, "shipment/order status"),
                segment.element(2),
                index,
            )
        elif tag == "DTM" and segment.element(1) == _PROCESS_DATE:
            current.moment = date_element(segment, index, "DTM*009 status date/time", date=2, time=3)
        elif tag == "REF":
            _read_reference(segment, current)
    if not orders:
        message = "the 870 has no order-level HL (HL03 O): it reports no order"
        raise body_error("missing-segment", message, len(segments), "HL")
    source = context.source(transaction_set)
    return tuple(_event(loop, context, source, report_moment) for loop in orders)


def _enter_level(
    hl: Segment,
    index: int,
    orders: list[_OrderLoop],
    by_identifier: dict[str, _OrderLoop],
    current: _OrderLoop | None,
) -> tuple[_OrderLoop | None, bool]:
    """The order loop the segments after ``hl`` belong to, and whether they are at item level."""
    level = hl.element(3)
    if level == _ORDER_LEVEL:
        loop = _OrderLoop(identifier=hl.element(1), index=index)
        orders.append(loop)
        by_identifier[loop.identifier] = loop
        return loop, False
    if level == _ITEM_LEVEL:
        parent = hl.element(2)
        owner = by_identifier.get(parent) if parent else current
        if owner is None:
            message = f"item-level HL {hl.element(1)!r} names parent {parent!r}, which is no order-level HL"
            raise body_error("invalid-hierarchy", message, index, "HL", 2)
        return owner, True
    # Other levels (shipment, pack…) carry nothing the hub reads; their segments are skipped.
    return None, False


def _read_reference(ref: Segment, loop: _OrderLoop) -> None:
    qualifier = ref.element(1)
    if qualifier == _WAREHOUSE_ORDER:
        loop.warehouse_reference = ref.element(2).strip() or None
    elif qualifier == _SHIPMENT:
        loop.shipment_id = ref.element(2).strip() or None
    elif qualifier == _REASON:
        loop.reason_pieces.append(ref.element(3) or ref.element(2))


def _event(
    loop: _OrderLoop, context: ReadContext, source: SourceDocument, report_moment: datetime
) -> OrderStatusEvent:
    if loop.order_key is None:
        message = f"order-level HL {loop.identifier!r} has no PRF: the order it reports is unknown"
        # PRF opens the loop: expected right after its HL.
        raise body_error("missing-segment", message, loop.index + 1, "PRF")
    if loop.status is None:
        message = f"order-level HL {loop.identifier!r} ({loop.order_key}) has no ISR: it reports no status"
        # ISR follows the PRF: expected right after it.
        raise body_error("missing-segment", message, (loop.order_key_index or loop.index) + 1, "ISR")
    status, status_date, status_index = loop.status
    if status not in _KNOWN_STATUSES:
        message = (
            f"ISR01 status {status!r} of order {loop.order_key} is not one the hub reads "
            f"({', '.join(sorted(_KNOWN_STATUSES))})"
        )
        raise body_error("invalid-code", message, status_index, "ISR", 1)
    moment = loop.moment
    if moment is None and status_date:
        moment = parse_date(
            status_date, "", index=status_index, tag="ISR", position=2, what="ISR02 status date"
        )
    occurred_at = moment or report_moment
    warehouse, key = context.warehouse, loop.order_key
    reason = "".join(loop.reason_pieces)
    if status == _ACKNOWLEDGED:
        return OrderAcknowledged(
            warehouse, occurred_at, source, order_key=key, warehouse_reference=loop.warehouse_reference
        )
    if status == _PREPARING:
        return PreparationStarted(warehouse, occurred_at, source, order_key=key)
    if status == _CANCELLED:
        return CancelConfirmed(warehouse, occurred_at, source, order_key=key)
    if status == _REJECTED:
        return OrderRejected(
            warehouse, occurred_at, source, order_key=key, reason=reason, skus=tuple(loop.skus)
        )
    return CancelRefused(
        warehouse, occurred_at, source, order_key=key, reason=reason, shipment_id=loop.shipment_id
    )


def _item_code(po1: Segment, index: int) -> str:
    code = preferred_item(po1, range(6, 26, 2))
    if code is None:
        raise body_error("missing-element", "PO1 names no item (PO1-07, 09… are empty)", index, "PO1", 7)
    return code
