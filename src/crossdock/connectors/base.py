"""The seams between the hub and a warehouse system. The core talks to warehouses only through these
protocols and the canonical values of ``crossdock.domain.warehouse``; it never imports a connector.

A connector implements the protocols its system supports and says what it can do in ``Capabilities`` —
an X12 partner reports stock by file and cannot be asked for it, an API can be polled for stock but pushes
shipments by webhook, and so on. The contract test suite (``tests/contract/``) runs against every connector
through its sandbox.

Inputs are taken in two steps so that nothing is lost between the warehouse and the database: ``collect``
hands over raw documents (a file, a page of events) that the hub stores in its inbox, and only once they are
committed does the hub call ``settle`` (archive the file, advance a cursor). Reading a stored document into
events (``read``) is pure and can be repeated, so a document is re-read from the inbox, never re-fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    PreparationStarted,
    ReceiptPosted,
    ReturnReceived,
    Shipped,
    StockAdjusted,
    StockSnapshot,
    WarehouseEvent,
    WarehouseOrder,
    WarehouseReturn,
)

__all__ = [
    "Acknowledgment",
    "CancelConfirmed",
    "CancelRefused",
    "Capabilities",
    "DocumentRejected",
    "EventSource",
    "OrderAcknowledged",
    "OrderRejected",
    "OrderSink",
    "PreparationStarted",
    "RawDocument",
    "ReadDocument",
    "ReceiptPosted",
    "ReturnReceived",
    "ReturnSink",
    "Sent",
    "Shipped",
    "StockAdjusted",
    "StockSnapshot",
    "StockSource",
    "WarehouseEvent",
    "WarehouseUnavailable",
]

StockReport = Literal["snapshot", "delta"]


@dataclass(frozen=True)
class Capabilities:
    # Whether an order already sent can be changed in place (X12 940 purpose R); if not, the hub cancels
    # and sends it again, or raises an exception once preparation started.
    can_update_orders: bool
    can_cancel_orders: bool
    # "push": the warehouse delivers events (webhooks, files it drops) and the hub only collects what
    # arrived; "poll": the hub must ask for them.
    event_delivery: Literal["push", "poll"]
    # What the warehouse reports of its stock: whole snapshots (846, a listing), deltas (947, 944), both.
    stock_reports: frozenset[StockReport]
    accepts_returns: bool
    # Whether the hub can ask for a stock snapshot (StockSource.fetch_stock) or must wait for one.
    stock_on_request: bool = False


@dataclass(frozen=True)
class Sent:
    """What a warehouse answered to an order, a change, a cancellation or a return: ``reference`` names the
    document or request (interchange control number, API id) so that the timeline can show it, and
    ``summary`` is a short text for the outbound call log."""

    key: str
    reference: str
    summary: str
    # True when the same key had already been sent and nothing new went out (idempotent repeat).
    repeated: bool = False


class WarehouseUnavailable(Exception):
    """The warehouse could not be reached or answered with a temporary failure (SFTP down, 5xx, 429):
    the job that called retries later."""


class DocumentRejected(Exception):
    """A document from the warehouse that cannot be read: it is kept for inspection and an exception names
    the rule it breaks. Never retried: the same bytes fail the same way."""

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


@dataclass(frozen=True)
class RawDocument:
    """One input as it arrived, before it is stored: ``dedupe_key`` is unique per warehouse (sender +
    interchange control number, a webhook id), ``handle`` tells the connector how to settle it later (a
    file path)."""

    warehouse: str
    kind: str
    dedupe_key: str
    body: bytes
    handle: str
    received_from: str | None = None


@dataclass(frozen=True)
class ReadDocument:
    """A stored document read into canonical events, plus what it says of the documents the hub sent (an
    X12 997 accepting or rejecting a 940): the acknowledged references, each with whether it was accepted
    and why not."""

    events: tuple[WarehouseEvent, ...]
    acknowledgments: tuple[Acknowledgment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Acknowledgment:
    # The connector's reference of what is acknowledged (an X12 group control number).
    reference: str
    accepted: bool
    errors: tuple[str, ...] = ()


@runtime_checkable
class OrderSink(Protocol):
    capabilities: Capabilities

    async def send_order(self, order: WarehouseOrder) -> Sent:
        """Create ``order`` at the warehouse; idempotent by ``order.key``."""
        ...

    async def send_orders(self, orders: Sequence[WarehouseOrder]) -> list[Sent | WarehouseUnavailable]:
        """Create several orders (over one connection when inside ``connection()``), idempotent by key: what
        each order got, in order (WarehouseUnavailable for those the warehouse could not take now)."""
        ...

    async def update_order(self, order: WarehouseOrder) -> Sent:
        """Replace the lines and address of an order already sent (only if ``can_update_orders``)."""
        ...

    async def cancel_order(self, order: WarehouseOrder) -> Sent:
        """Ask the warehouse to cancel; the answer arrives later as CancelConfirmed or CancelRefused."""
        ...

    def connection(self) -> AbstractAsyncContextManager[None]:
        """One connection the calls made inside share (several orders sent over one SFTP session); a
        connector without connections returns a context that does nothing."""
        ...


@runtime_checkable
class EventSource(Protocol):
    capabilities: Capabilities

    async def collect(self) -> Sequence[RawDocument]:
        """Documents that arrived (or, when polled, that the warehouse has) and were not settled yet."""
        ...

    async def settle(self, document: RawDocument) -> None:
        """Called once ``document`` is stored: archive it, advance the cursor. Idempotent."""
        ...

    def read(self, kind: str, body: bytes) -> ReadDocument:
        """Read a stored document into canonical events; raises ``DocumentRejected``. Pure."""
        ...


@runtime_checkable
class StockSource(Protocol):
    async def fetch_stock(self) -> StockSnapshot:
        """The warehouse's whole stock now (only where ``capabilities.stock_on_request``)."""
        ...


@runtime_checkable
class ReturnSink(Protocol):
    async def create_return(self, authorisation: WarehouseReturn) -> Sent:
        """Announce a return to the warehouse; idempotent by ``authorisation.key``. The receipt arrives
        later as a ReturnReceived event."""
        ...
