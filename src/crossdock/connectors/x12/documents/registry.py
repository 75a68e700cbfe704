"""Which reader reads which transaction set: one entry per set code (ST-01), giving what the set means to the
hub (``kind``) and its canonical value. ``crossdock x12 inspect`` and the inbound pipeline read every set of a
file through ``read_transaction_set``.

Kinds: 940 → shipping_order, 945 → shipped, 846 → stock_snapshot, 947 → stock_adjustments, 944 → receipt or
return_received (a customer return), 180 → return_authorisation, 870 → order_status (a tuple of the order
outcomes it reports: acknowledged, rejected, preparation started, cancel confirmed or refused), 997 →
functional_acknowledgment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.codec.errors import X12Error
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.functional_ack_997 import read_997
from crossdock.connectors.x12.documents.inventory_adjustment_947 import read_947
from crossdock.connectors.x12.documents.inventory_advice_846 import read_846
from crossdock.connectors.x12.documents.order_status_870 import read_870
from crossdock.connectors.x12.documents.return_authorisation_180 import read_180
from crossdock.connectors.x12.documents.shipping_advice_945 import read_945
from crossdock.connectors.x12.documents.shipping_order_940 import read_940
from crossdock.connectors.x12.documents.warehouse_receipt_944 import read_944
from crossdock.connectors.x12.model import FunctionalGroup, Interchange, TransactionSet
from crossdock.domain.warehouse import ReturnReceived


@dataclass(frozen=True)
class SetReading:
    """A transaction set read: ``kind`` names what it is to the hub, ``value`` is the canonical value (a
    dataclass, or a tuple of them for a 947 or an 870)."""

    kind: str
    value: object


_Reader = Callable[[TransactionSet, ReadContext], SetReading]


def _receipt(transaction_set: TransactionSet, context: ReadContext) -> SetReading:
    value = read_944(transaction_set, context)
    return SetReading("return_received" if isinstance(value, ReturnReceived) else "receipt", value)


def _reading(kind: str, reader: Callable[[TransactionSet, ReadContext], object]) -> _Reader:
    def read(transaction_set: TransactionSet, context: ReadContext) -> SetReading:
        return SetReading(kind, reader(transaction_set, context))

    return read


_READERS: Mapping[str, _Reader] = MappingProxyType(
    {
        "940": _reading("shipping_order", read_940),
        "945": _reading("shipped", read_945),
        "846": _reading("stock_snapshot", read_846),
        "947": _reading("stock_adjustments", read_947),
        "944": _receipt,
        "180": _reading("return_authorisation", read_180),
        "870": _reading("order_status", read_870),
        "997": _reading("functional_acknowledgment", read_997),
    }
)
SUPPORTED_SETS: tuple[str, ...] = tuple(sorted(_READERS))


def read_transaction_set(
    transaction_set: TransactionSet,
    interchange: Interchange,
    group: FunctionalGroup,
    partner: X12PartnerSettings,
    *,
    warehouse: str = "unknown",
    file_name: str | None = None,
) -> SetReading:
    """The set read by the reader of its code; X12Error ``unsupported-set`` for a code without one."""
    reader = _READERS.get(transaction_set.code)
    if reader is None:
        raise X12Error(
            "unsupported-set",
            f"transaction set {transaction_set.code!r} (ST02 {transaction_set.control_number}) is not one "
            f"crossdock reads; it reads {', '.join(SUPPORTED_SETS)}",
            segment_tag="ST",
            element=1,
        )
    context = ReadContext(warehouse, partner, interchange, group, file_name=file_name)
    return reader(transaction_set, context)
