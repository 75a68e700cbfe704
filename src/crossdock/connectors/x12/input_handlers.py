"""What the hub does with each stored X12 file: read it into canonical warehouse events and journal them,
match the 997s it carries to the documents the hub sent, and answer it with a 997 (recorded here, uploaded by
the next collection).

A file that cannot be read at all (no valid envelope) is rejected: intake keeps it, marked failed, and opens
an ``input_rejected`` exception carrying the parse error (rule, segment, element); the file itself was moved
to the partner's error folder when it was collected. A file whose envelope is sound but one of whose sets is
not is answered with a 997 rejecting that set, then rejected the same way: nothing of it is journaled, so
nothing is half-applied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from crossdock.connectors.base import Acknowledgment, DocumentRejected, ReadDocument
from crossdock.connectors.x12.codec import X12Error, read_interchange
from crossdock.connectors.x12.connector import INTERCHANGE, UNREADABLE, X12Warehouse
from crossdock.connectors.x12.warehouses import x12_warehouse
from crossdock.domain.warehouse import (
    CancelConfirmed,
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    SourceDocument,
    WarehouseEvent,
)
from crossdock.flows.input_handlers import handles, handles_in_transaction
from crossdock.flows.intake import InputRejected
from crossdock.flows.warehouse_feedback import apply_journaled
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.store.inbox import InboxEntry
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.store.x12_documents import OutboundDocument

SOURCE = "x12"
WAREHOUSE_HEADER = "warehouse"
FILE_NAME_HEADER = "file_name"


@handles(SOURCE, UNREADABLE)
@handles(SOURCE, INTERCHANGE)
def receive_x12_file(ctx: JobContext, entry: InboxEntry) -> dict[str, int]:
    return process_x12_file(_connector(ctx, entry), ctx.unit_of_work, entry)


@handles_in_transaction(SOURCE, INTERCHANGE)
def journal_x12_file(ctx: JobContext, uow: UnitOfWork, entry: InboxEntry) -> dict[str, int]:
    """``receive_x12_file`` in a transaction shared with other files (the caller commits). A file that
    cannot be read raises, and is then handled alone by ``receive_x12_file``, which answers and rejects it."""
    connector = _connector(ctx, entry)
    reading = connector.read(entry.kind, entry.payload, file_name=entry.headers.get(FILE_NAME_HEADER))
    return _journal_in(uow, connector, entry, reading)


def _connector(ctx: JobContext, entry: InboxEntry) -> X12Warehouse:
    key = str(entry.headers.get(WAREHOUSE_HEADER) or "")
    try:
        return x12_warehouse(ctx.settings(), key, ctx.unit_of_work)
    except LookupError as error:
        raise InputRejected(str(error), details={"warehouse": key}) from None


def process_x12_file(
    connector: X12Warehouse, unit_of_work: Callable[[], UnitOfWork], entry: InboxEntry
) -> dict[str, int]:
    """Read one stored file, journal what it says, record its 997 (the next collection uploads it). Raises
    InputRejected when it cannot be read (after recording a 997 that rejects the unreadable set, when its
    envelope was sound). No call to the partner's server: processing is database work only."""
    file_name = entry.headers.get(FILE_NAME_HEADER)
    try:
        reading = connector.read(entry.kind, entry.payload, file_name=file_name)
    except DocumentRejected as rejection:
        cause = rejection.__cause__
        set_number = rejection.details.get("set_control_number")
        if isinstance(cause, X12Error) and isinstance(set_number, str):
            # The envelope is sound: tell the partner which set was refused, and why.
            connector.acknowledge(read_interchange(entry.payload), {set_number: [cause]})
        raise InputRejected(str(rejection), details={"file_name": file_name, **rejection.details}) from None
    with unit_of_work() as uow:
        counts = _journal_in(uow, connector, entry, reading)
        uow.commit()
    return counts


def _journal_in(
    uow: UnitOfWork, connector: X12Warehouse, entry: InboxEntry, reading: ReadDocument
) -> dict[str, int]:
    """Record the events and the acknowledgments of one file, and the 997 answering it, in the caller's
    transaction (the caller commits; each commit waits for the disk, and two a file were most of what
    processing one cost under load): how many events were new, 997s the file carried, and 997s answer it."""
    record = uow.warehouses.by_code(connector.key)
    if record is None:
        raise FatalJobError(f"warehouse {connector.key!r} is not in the database")
    derived: list[WarehouseEvent] = []
    for acknowledgment in reading.acknowledgments:
        status = "accepted" if acknowledgment.accepted else "rejected"
        detail = {"errors": list(acknowledgment.errors), "inbox_id": entry.id}
        documents = uow.x12_documents.acknowledge_group(
            record.id, int(acknowledgment.reference), status=status, detail=detail
        )
        for document in documents:
            derived.extend(
                _meaning_of_acknowledgment(uow, connector, document, acknowledgment, entry.received_at)
            )
    new = uow.warehouse_events.append(record.id, entry.id, [*reading.events, *derived])
    if new:
        apply_journaled(uow, connector.key, entry.id)
    answered = connector.acknowledge(read_interchange(entry.payload), uow=uow)
    return {"events": new, "acknowledgments": len(reading.acknowledgments), "answers": len(answered)}


def _meaning_of_acknowledgment(
    uow: UnitOfWork,
    connector: X12Warehouse,
    document: OutboundDocument,
    acknowledgment: Acknowledgment,
    received_at: datetime,
) -> list[WarehouseEvent]:
    """What a 997 means for the order. A 997 that rejects a 940 means the warehouse will not act on it: a
    rejected new order (940 N) is a rejected order, a rejected cancellation (940 F) a refused one. An
    accepted 997 only says the document conforms, unless the partner reports no order outcomes otherwise
    (``order_outcomes = "997"``): then an accepted new order is acknowledged and an accepted cancellation is
    done. Partners that send 870 Order Status Reports tell those outcomes there. A rejected change or return
    authorisation has no event of its own: it opens a ``warehouse_rejected`` exception for an operator."""
    source = SourceDocument(
        kind="x12/997",
        reference=f"{connector.key}/GS06 {document.group_control}",
        file_name=document.file_name,
    )
    reason = "; ".join(acknowledgment.errors) or "the partner's 997 rejected the document"
    order_key = document.subject_key or ""
    outcomes_in_997 = connector.partner.order_outcomes == "997"
    if document.set_code == "940" and document.purpose == "N":
        if not acknowledgment.accepted:
            return [OrderRejected(connector.key, received_at, source, order_key=order_key, reason=reason)]
        if outcomes_in_997:
            return [OrderAcknowledged(connector.key, received_at, source, order_key=order_key)]
        return []
    if document.set_code == "940" and document.purpose == "F":
        if not acknowledgment.accepted:
            return [CancelRefused(connector.key, received_at, source, order_key=order_key, reason=reason)]
        if outcomes_in_997:
            return [CancelConfirmed(connector.key, received_at, source, order_key=order_key)]
        return []
    if not acknowledgment.accepted:
        uow.exceptions.raise_(
            type="warehouse_rejected",
            severity="error",
            subject_type="x12_document",
            subject_id=f"{connector.key}/{document.interchange_control:09d}",
            message=(
                f"{connector.key} rejected X12 {document.set_code} {document.file_name} "
                f"({document.subject_key}): {reason}"
            ),
            details={
                "set": document.set_code,
                "purpose": document.purpose,
                "errors": list(acknowledgment.errors),
            },
            actions=["resolve", "ignore"],
            account_id=document.account_id,
        )
    return []
