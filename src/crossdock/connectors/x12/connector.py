"""An X12 trading partner behind the warehouse protocols: orders, changes and cancellations go out as 940s,
return authorisations as 180s, and 945/846/947/944/997 files come back through the partner's SFTP server.

Sending is idempotent by key. The document is first recorded in the database with its control numbers and
bytes; only then is it uploaded (to a temporary name, then renamed into place). A repeated send of the same
key (a retried job, a re-dispatch after a crash) finds the recorded document and uploads those same bytes
under the same name again if the first upload is not known to have finished, so the partner never receives
two different documents for one order. A change (purpose R) is keyed by the content it sends, so the same
change sent twice is one document and a new change is a new one.

Receiving is two-step (see ``connectors.base``): ``collect`` lists the complete files of the inbound folder
and hands their bytes over with a dedupe key (sender + interchange control number); once the hub stored them
it calls ``settle``, which archives a file, or moves it to the error folder when it could not be read. Reading
(``read``) is pure and works on the stored bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from crossdock.config import WarehouseSettings, X12PartnerSettings
from crossdock.connectors.base import (
    Acknowledgment,
    Capabilities,
    DocumentRejected,
    RawDocument,
    ReadDocument,
    Sent,
    WarehouseUnavailable,
)
from crossdock.connectors.x12.codec import X12Error, build_interchange, read_interchange, write_interchange
from crossdock.connectors.x12.documents.functional_ack_997 import FunctionalAcknowledgment, write_997
from crossdock.connectors.x12.documents.registry import read_transaction_set
from crossdock.connectors.x12.documents.return_authorisation_180 import write_180
from crossdock.connectors.x12.documents.shipping_order_940 import write_940
from crossdock.connectors.x12.model import Interchange, Party, Segment
from crossdock.connectors.x12.transport import RemoteFile, RemoteFileConflict, RemoteFileNotFound, SftpMailbox
from crossdock.domain.warehouse import WarehouseEvent, WarehouseOrder, WarehouseReturn
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.store.x12_documents import ControlNumbers, NewDocument, OutboundDocument

# Kinds of the raw documents collect() hands over.
INTERCHANGE = "interchange"
UNREADABLE = "unreadable"

# GS-01 of each set the hub writes.
_FUNCTIONAL_IDS = {"940": "OW", "180": "AN", "997": "FA"}

X12_CAPABILITIES = Capabilities(
    can_update_orders=True,
    can_cancel_orders=True,
    event_delivery="push",
    stock_reports=frozenset({"snapshot", "delta"}),
    accepts_returns=True,
    stock_on_request=False,
)


def order_digest(order: WarehouseOrder) -> str:
    """A short digest of what a change sends (lines, address, carrier): the same change twice is one
    document, a different one is new."""
    text = repr((order.lines, order.ship_to, order.ship_to_name, order.carrier_code, order.service_level))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _safe_for_file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "document"


# SFTP requests in flight at once on a collection's session: one file's read or move is a few round trips,
# and a busy partner leaves hundreds of files between two collections.
_FILES_IN_FLIGHT = 16


@dataclass(frozen=True)
class _Outgoing:
    """A document to send, before it has control numbers."""

    set_code: str
    idempotency_key: str
    subject: str | None
    purpose: str | None
    body: Sequence[Segment]


class X12Warehouse:
    """One warehouse reached through one X12 trading partner (OrderSink, EventSource and ReturnSink)."""

    capabilities = X12_CAPABILITIES

    def __init__(
        self,
        key: str,
        settings: WarehouseSettings,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        mailbox: Callable[[], SftpMailbox] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.key = key
        self.settings = settings
        self._unit_of_work = unit_of_work
        self._new_mailbox = mailbox or (lambda: SftpMailbox(settings.sftp))
        # While a shared connection is open (``connection()``), every call uses it instead of its own.
        self._shared: SftpMailbox | None = None
        self._clock = clock

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[None]:
        """One SFTP session for every call made inside (the order flow sends a batch of orders over one)."""
        if self._shared is not None:
            yield
            return
        async with self._new_mailbox() as mailbox:
            self._shared = mailbox
            try:
                yield
            finally:
                self._shared = None

    @contextlib.asynccontextmanager
    async def _mailbox(self) -> AsyncIterator[SftpMailbox]:
        if self._shared is not None:
            yield self._shared
            return
        async with self._new_mailbox() as mailbox:
            yield mailbox

    @property
    def partner(self) -> X12PartnerSettings:
        return self.settings.x12

    # --- OrderSink / ReturnSink ------------------------------------------------------------------------

    async def send_order(self, order: WarehouseOrder) -> Sent:
        body = write_940(order, "N", partner=self.partner)
        return await self._send("940", f"940:N:{order.key}", order.key, "N", body)

    async def send_orders(self, orders: Sequence[WarehouseOrder]) -> list[Sent | WarehouseUnavailable]:
        """Send several new orders: their 940s recorded in one transaction, uploaded several at a time over
        one session, and recorded as uploaded in one transaction — a few database round trips for the batch
        rather than three transactions an order, which kept a sending job at 2-3 orders a second when the
        hub was busy (benchmarks/order_latency.py at 20 orders/s on PostgreSQL). What could not be uploaded
        is that order's WarehouseUnavailable; a name conflict at the partner is raised, as ``send_order``
        raises it, once the others are recorded."""
        documents = self._record_all(
            [
                _Outgoing("940", f"940:N:{one.key}", one.key, "N", write_940(one, "N", partner=self.partner))
                for one in orders
            ]
        )
        waiting = [document for document in documents if document.uploaded_at is None]
        outcomes = await self._upload_and_record(waiting)
        results: list[Sent | WarehouseUnavailable] = []
        conflict: RemoteFileConflict | None = None
        for document in documents:
            outcome = outcomes.get(document.id)
            if document.id not in outcomes or outcome is None:
                results.append(self._sent(document, repeated=document.id not in outcomes))
            elif isinstance(outcome, WarehouseUnavailable):
                self._uploads_failed([document], outcome)
                results.append(outcome)
            elif isinstance(outcome, RemoteFileConflict):
                self._upload_conflict(document, outcome)
                conflict = conflict or outcome
            else:
                raise outcome
        if conflict is not None:
            raise conflict
        return results

    async def _upload_and_record(
        self, documents: Sequence[OutboundDocument]
    ) -> dict[int, BaseException | None]:
        """Upload the documents (``_upload_all``) and record those that went out as uploaded in one
        transaction: each document's error, or None, by document id."""
        uploads = await self._upload_all(documents)
        outcomes = dict(zip((document.id for document in documents), uploads, strict=True))
        uploaded = [key for key, outcome in outcomes.items() if outcome is None]
        if uploaded:
            with self._unit_of_work() as uow:
                uow.x12_documents.mark_uploaded_many(uploaded)
                uow.commit()
        return outcomes

    async def _upload_all(self, documents: Sequence[OutboundDocument]) -> list[BaseException | None]:
        """Upload over one session, several at a time: each upload's error, or None."""
        if not documents:
            return []
        folder = self.settings.folders.outbound
        try:
            async with self._mailbox() as mailbox:
                slots = asyncio.Semaphore(_FILES_IN_FLIGHT)

                async def put(document: OutboundDocument) -> None:
                    async with slots:
                        await mailbox.upload(folder, document.file_name, document.body)

                return await asyncio.gather(*(put(one) for one in documents), return_exceptions=True)
        except WarehouseUnavailable as error:  # no session: none of them went out
            self._uploads_failed(documents, error)
            raise

    async def update_order(self, order: WarehouseOrder) -> Sent:
        body = write_940(order, "R", partner=self.partner)
        return await self._send("940", f"940:R:{order.key}:{order_digest(order)}", order.key, "R", body)

    async def cancel_order(self, order: WarehouseOrder) -> Sent:
        body = write_940(order, "F", partner=self.partner)
        return await self._send("940", f"940:F:{order.key}", order.key, "F", body)

    async def create_return(self, authorisation: WarehouseReturn) -> Sent:
        body = write_180(authorisation, partner=self.partner)
        return await self._send("180", f"180:{authorisation.key}", authorisation.key, None, body)

    def acknowledge(
        self,
        interchange: Interchange,
        rejected: Mapping[str, list[X12Error]] | None = None,
        *,
        uow: UnitOfWork | None = None,
    ) -> list[OutboundDocument]:
        """Record a 997 for every functional group of an inbound interchange (a 997 is not answered);
        ``rejected`` names the sets (by ST02) the hub could not read, with why, which the 997 rejects. In
        ``uow``'s transaction when given (the caller commits), otherwise in a transaction of its own.

        The 997s are stored, not uploaded: the next collection uploads them over its own session
        (``upload_pending``), a poll interval later at most. Answering each file over its own SFTP session
        was most of what processing a file cost, and a 997 has no deadline that close."""
        answers = []
        for group in interchange.groups:
            if group.functional_id == "FA":
                continue
            codes = {transaction_set.control_number for transaction_set in group.transaction_sets}
            errors = {number: found for number, found in (rejected or {}).items() if number in codes}
            body = write_997(interchange, group, errors or None, partner=self.partner)
            sender = interchange.sender.identifier.strip()
            key = f"997:{sender}:{interchange.control_number}:{group.control_number}"
            answers.append(_Outgoing("997", key, None, None, body))
        if uow is not None:
            return self._record_all_in(uow, answers)
        return self._record_all(answers)

    async def upload_pending(self) -> list[Sent]:
        """Upload the 997s not uploaded yet: those recorded since the last collection, and any whose upload
        failed (an SFTP outage). Orders, changes, cancellations and return authorisations are not relayed
        here: the job that sends one retries it itself, after checking it is still wanted — an order
        cancelled in Shopify while the partner's server was down must not be delivered by a relay that
        cannot know."""
        with self._unit_of_work() as uow:
            pending = uow.x12_documents.not_uploaded(self._warehouse_id(uow), set_codes=("997",))
        if not pending:
            return []
        # Uploaded over one session, several at a time, and recorded as uploaded in one transaction: one
        # transaction a 997 waited for the write lock behind intake each time, and made a collection of
        # a few hundred files take 20 s under load (benchmarks/order_latency.py at 50 orders/s).
        outcomes = await self._upload_and_record(pending)
        sent: list[Sent] = []
        unavailable: WarehouseUnavailable | None = None
        for document in pending:
            outcome = outcomes[document.id]
            if outcome is None:
                sent.append(self._sent(document, repeated=False))
            elif isinstance(outcome, RemoteFileConflict):
                # Recorded as an exception; the other documents still go out.
                self._upload_conflict(document, outcome)
            elif isinstance(outcome, WarehouseUnavailable):
                self._uploads_failed([document], outcome)
                unavailable = unavailable or outcome
            else:
                raise outcome
        if unavailable is not None:
            raise unavailable
        return sent

    async def _send(
        self,
        set_code: str,
        idempotency_key: str,
        subject: str | None,
        purpose: str | None,
        body: Sequence[Segment],
    ) -> Sent:
        document = self._record(set_code, idempotency_key, subject, purpose, body)
        if document.uploaded_at is not None:
            return self._sent(document, repeated=True)
        return await self._upload(document)

    def _record(
        self,
        set_code: str,
        idempotency_key: str,
        subject: str | None,
        purpose: str | None,
        body: Sequence[Segment],
    ) -> OutboundDocument:
        return self._record_all([_Outgoing(set_code, idempotency_key, subject, purpose, body)])[0]

    def _record_all(self, outgoing: Sequence[_Outgoing]) -> list[OutboundDocument]:
        """The documents under these keys, in order: those recorded already, and new ones, each in its own
        interchange, recorded in one transaction (control numbers taken in the same transaction)."""
        if not outgoing:
            return []
        with self._unit_of_work() as uow:
            recorded = self._record_all_in(uow, outgoing)
            uow.commit()
        return recorded

    def _record_all_in(self, uow: UnitOfWork, outgoing: Sequence[_Outgoing]) -> list[OutboundDocument]:
        """``_record_all`` in the caller's transaction (the caller commits)."""
        if not outgoing:
            return []
        warehouse_id = self._warehouse_id(uow)
        found = uow.x12_documents.by_keys(warehouse_id, [each.idempotency_key for each in outgoing])
        unrecorded = {one.idempotency_key: one for one in outgoing if one.idempotency_key not in found}
        if unrecorded:
            controls = uow.x12_documents.take_control_numbers(warehouse_id, len(unrecorded))
            new = [
                self._new_document(each, control)
                for each, control in zip(unrecorded.values(), controls, strict=True)
            ]
            found.update(uow.x12_documents.insert_many(warehouse_id, new))
        return [found[each.idempotency_key] for each in outgoing]

    def _new_document(self, outgoing: _Outgoing, control: ControlNumbers) -> NewDocument:
        interchange = build_interchange(
            sender=Party(self.partner.sender_qualifier, self.partner.sender_id),
            receiver=Party(self.partner.receiver_qualifier, self.partner.receiver_id),
            gs_sender=self.partner.gs_sender,
            gs_receiver=self.partner.gs_receiver,
            version=self.partner.version,
            usage=self.partner.usage,
            interchange_control=control.interchange,
            group_control=control.group,
            sets=[(outgoing.set_code, _FUNCTIONAL_IDS[outgoing.set_code], tuple(outgoing.body))],
            now=self._clock(),
            acknowledgment_requested=False,
        )
        file_name = self.partner.file_name.format(
            set=outgoing.set_code,
            control=f"{control.interchange:09d}",
            key=_safe_for_file_name(outgoing.subject or ""),
        )
        return NewDocument(
            idempotency_key=outgoing.idempotency_key,
            set_code=outgoing.set_code,
            subject_key=outgoing.subject,
            purpose=outgoing.purpose,
            control=control,
            file_name=file_name,
            body=write_interchange(interchange),
        )

    async def _upload(self, document: OutboundDocument) -> Sent:
        try:
            async with self._mailbox() as mailbox:
                await mailbox.upload(self.settings.folders.outbound, document.file_name, document.body)
        except WarehouseUnavailable as error:
            self._uploads_failed([document], error)
            raise
        except RemoteFileConflict as error:
            self._upload_conflict(document, error)
            raise
        with self._unit_of_work() as uow:
            uow.x12_documents.mark_uploaded(document.id)
            uow.commit()
        return self._sent(document, repeated=False)

    def _uploads_failed(self, documents: Sequence[OutboundDocument], error: WarehouseUnavailable) -> None:
        with self._unit_of_work() as uow:
            for document in documents:
                uow.x12_documents.mark_upload_failed(document.id, str(error))
            uow.commit()

    def _upload_conflict(self, document: OutboundDocument, error: RemoteFileConflict) -> None:
        """Another file holds the name at the partner (the partner's own, or a file name pattern that
        repeats): overwriting could replace a document the partner is reading, so an operator decides."""
        with self._unit_of_work() as uow:
            uow.x12_documents.mark_upload_failed(document.id, str(error))
            uow.exceptions.raise_(
                type="upload_conflict",
                severity="error",
                subject_type="x12_document",
                subject_id=f"{self.key}/{document.interchange_control:09d}",
                message=f"{self.key}: X12 {document.set_code} {document.file_name} not uploaded: {error}",
                details={
                    "warehouse": self.key,
                    "set": document.set_code,
                    "file_name": document.file_name,
                    "folder": self.settings.folders.outbound,
                },
                actions=["resolve", "ignore"],
                account_id=document.account_id,
            )
            uow.commit()

    def _sent(self, document: OutboundDocument, *, repeated: bool) -> Sent:
        purpose = f" purpose {document.purpose}" if document.purpose else ""
        return Sent(
            key=document.idempotency_key,
            reference=f"ISA13 {document.interchange_control:09d} / GS06 {document.group_control}",
            summary=f"X12 {document.set_code}{purpose} uploaded as {self.settings.folders.outbound}/"
            f"{document.file_name}",
            repeated=repeated,
        )

    def _warehouse_id(self, uow: UnitOfWork) -> int:
        record = uow.warehouses.by_code(self.key)
        if record is None:
            raise LookupError(
                f"warehouse {self.key!r} is not in the database (is it declared and was the hub started?)"
            )
        return record.id

    # --- EventSource -----------------------------------------------------------------------------------

    async def collect(self) -> Sequence[RawDocument]:
        async with self._mailbox() as mailbox:
            await mailbox.ensure_folders(self.settings.folders.archive, self.settings.folders.error)
            files = await mailbox.complete_files(self.settings.folders.inbound, self.partner.stable_seconds)
            slots = asyncio.Semaphore(_FILES_IN_FLIGHT)

            async def fetch(remote: RemoteFile) -> RawDocument | None:
                async with slots:
                    try:
                        body = await mailbox.read(remote.path)
                    except RemoteFileNotFound:
                        # Archived by a collection running at the same time (a manual poll during the
                        # scheduled one): that collection stores it.
                        return None
                return self._raw(remote.name, remote.path, body)

            fetched = await asyncio.gather(*(fetch(remote) for remote in files))
        return [document for document in fetched if document is not None]

    def _raw(self, name: str, path: str, body: bytes) -> RawDocument:
        try:
            interchange = read_interchange(body)
        except X12Error:
            # Kept under the hash of its bytes: the same broken file collected twice is one input.
            digest = hashlib.sha256(body).hexdigest()
            return RawDocument(self.key, UNREADABLE, f"{self.key}/sha256/{digest}", body, path, name)
        sender = interchange.sender.identifier.strip()
        dedupe_key = f"{self.key}/{interchange.sender.qualifier}:{sender}/{interchange.control_number}"
        return RawDocument(self.key, INTERCHANGE, dedupe_key, body, path, name)

    async def settle(self, document: RawDocument) -> None:
        await self.settle_all([document])

    async def settle_all(self, documents: Sequence[RawDocument]) -> None:
        """Archive stored documents (unreadable ones to the error folder), several requests in flight."""
        async with self._mailbox() as mailbox:
            slots = asyncio.Semaphore(_FILES_IN_FLIGHT)

            async def move(document: RawDocument) -> None:
                folder = (
                    self.settings.folders.error
                    if document.kind == UNREADABLE
                    else self.settings.folders.archive
                )
                async with slots:
                    try:
                        await mailbox.move(document.handle, folder)
                    except RemoteFileNotFound:
                        # Settled already by a concurrent collection, which stored it first: nothing is lost.
                        return

            await asyncio.gather(*(move(document) for document in documents))

    def read(self, kind: str, body: bytes, *, file_name: str | None = None) -> ReadDocument:
        try:
            interchange = read_interchange(body)
        except X12Error as error:
            raise DocumentRejected(str(error), details=_error_details(error)) from None
        events: list[WarehouseEvent] = []
        acknowledgments: list[Acknowledgment] = []
        for group in interchange.groups:
            for transaction_set in group.transaction_sets:
                try:
                    reading = read_transaction_set(
                        transaction_set,
                        interchange,
                        group,
                        self.partner,
                        warehouse=self.key,
                        file_name=file_name,
                    )
                except X12Error as error:
                    details = _error_details(error) | {
                        "set": transaction_set.code,
                        "set_control_number": transaction_set.control_number,
                        "group_control_number": group.control_number,
                    }
                    # The X12Error stays the cause: the handler answers the set with a 997 rejecting it.
                    raise DocumentRejected(
                        f"set {transaction_set.code} {transaction_set.control_number}: {error}",
                        details=details,
                    ) from error
                value = reading.value
                if isinstance(value, FunctionalAcknowledgment):
                    acknowledgments.append(_acknowledgment(value))
                elif isinstance(value, WarehouseEvent):
                    events.append(value)
                elif isinstance(value, tuple) and all(isinstance(item, WarehouseEvent) for item in value):
                    events.extend(value)
                else:
                    raise DocumentRejected(
                        f"set {transaction_set.code} is not one a warehouse sends to the hub",
                        details={"set": transaction_set.code, "reads_as": reading.kind},
                    )
        return ReadDocument(events=tuple(events), acknowledgments=tuple(acknowledgments))


def _acknowledgment(value: FunctionalAcknowledgment) -> Acknowledgment:
    errors = tuple(
        f"set {result.control_number}: {error}" for result in value.set_results for error in result.errors
    )
    return Acknowledgment(
        reference=str(int(value.group_control_number)), accepted=value.group_status == "A", errors=errors
    )


def _error_details(error: X12Error) -> dict[str, object]:
    return {
        "rule": error.rule,
        "segment_index": error.segment_index,
        "segment_tag": error.segment_tag,
        "element": error.element,
        "excerpt": error.excerpt,
    }
