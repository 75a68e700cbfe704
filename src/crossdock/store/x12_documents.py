"""X12 control numbers and the documents the hub sends, with what the partner's 997 said of each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crossdock.store.schema import x12_control_numbers, x12_outbound_documents
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class ControlNumbers:
    interchange: int
    group: int


@dataclass(frozen=True)
class OutboundDocument:
    id: int
    warehouse_id: int
    account_id: str | None
    idempotency_key: str
    set_code: str
    subject_key: str | None
    purpose: str | None
    interchange_control: int
    group_control: int
    file_name: str
    body: bytes
    created_at: datetime
    uploaded_at: datetime | None
    upload_attempts: int
    last_error: str | None
    ack_status: str | None
    ack_detail: dict[str, Any] | None
    acknowledged_at: datetime | None


# ISA-13 holds nine digits: after 999,999,999 interchanges the partner agreement must restart the count.
MAX_INTERCHANGE_CONTROL = 999_999_999


@dataclass(frozen=True)
class NewDocument:
    """A document to record, its control numbers taken."""

    idempotency_key: str
    set_code: str
    subject_key: str | None
    purpose: str | None
    control: ControlNumbers
    file_name: str
    body: bytes
    account_id: str | None = None


class ControlNumbersExhausted(Exception):
    pass


class X12DocumentRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def next_control_numbers(self, warehouse_id: int) -> ControlNumbers:
        return self.take_control_numbers(warehouse_id, 1)[0]

    def take_control_numbers(self, warehouse_id: int, count: int) -> list[ControlNumbers]:
        """The partner's next ``count`` interchange and group control numbers, in order. The UPDATE takes
        the row's write lock until the caller's transaction ends, so two processes never get the same
        numbers, and a rolled-back transaction gives its numbers back (no gap that a partner would read as a
        lost file)."""
        self._connection.execute(
            insert_ignoring_conflicts(self._connection, x12_control_numbers).values(
                warehouse_id=warehouse_id, last_interchange=0, last_group=0
            )
        )
        row = self._connection.execute(
            sa.update(x12_control_numbers)
            .where(x12_control_numbers.c.warehouse_id == warehouse_id)
            .values(
                last_interchange=x12_control_numbers.c.last_interchange + count,
                last_group=x12_control_numbers.c.last_group + count,
            )
            .returning(x12_control_numbers.c.last_interchange, x12_control_numbers.c.last_group)
        ).one()
        if row.last_interchange > MAX_INTERCHANGE_CONTROL:
            raise ControlNumbersExhausted(f"warehouse {warehouse_id}: interchange control numbers exhausted")
        first_interchange, first_group = row.last_interchange - count + 1, row.last_group - count + 1
        return [ControlNumbers(int(first_interchange + n), int(first_group + n)) for n in range(count)]

    def by_key(self, warehouse_id: int, idempotency_key: str) -> OutboundDocument | None:
        return self.by_keys(warehouse_id, [idempotency_key]).get(idempotency_key)

    def by_keys(self, warehouse_id: int, idempotency_keys: Sequence[str]) -> dict[str, OutboundDocument]:
        if not idempotency_keys:
            return {}
        rows = self._connection.execute(
            sa.select(x12_outbound_documents).where(
                x12_outbound_documents.c.warehouse_id == warehouse_id,
                x12_outbound_documents.c.idempotency_key.in_(idempotency_keys),
            )
        )
        return {row.idempotency_key: OutboundDocument(**row._mapping) for row in rows}

    def insert_many(self, warehouse_id: int, documents: Sequence[NewDocument]) -> dict[str, OutboundDocument]:
        """Record new documents (their keys not recorded yet); the stored documents, by key."""
        if not documents:
            return {}
        now = utc_now()
        self._connection.execute(
            sa.insert(x12_outbound_documents),
            [
                {
                    "warehouse_id": warehouse_id,
                    "account_id": document.account_id,
                    "idempotency_key": document.idempotency_key,
                    "set_code": document.set_code,
                    "subject_key": document.subject_key,
                    "purpose": document.purpose,
                    "interchange_control": document.control.interchange,
                    "group_control": document.control.group,
                    "file_name": document.file_name,
                    "body": document.body,
                    "created_at": now,
                    "upload_attempts": 0,
                }
                for document in documents
            ],
        )
        return self.by_keys(warehouse_id, [document.idempotency_key for document in documents])

    def insert(
        self,
        *,
        warehouse_id: int,
        account_id: str | None,
        idempotency_key: str,
        set_code: str,
        subject_key: str | None,
        purpose: str | None,
        control: ControlNumbers,
        file_name: str,
        body: bytes,
    ) -> OutboundDocument:
        new = NewDocument(
            idempotency_key, set_code, subject_key, purpose, control, file_name, body, account_id
        )
        return self.insert_many(warehouse_id, [new])[idempotency_key]

    def mark_uploaded_many(self, document_ids: Sequence[int]) -> None:
        if not document_ids:
            return
        self._connection.execute(
            sa.update(x12_outbound_documents)
            .where(
                x12_outbound_documents.c.id.in_(document_ids), x12_outbound_documents.c.uploaded_at.is_(None)
            )
            .values(
                uploaded_at=utc_now(),
                upload_attempts=x12_outbound_documents.c.upload_attempts + 1,
                last_error=None,
            )
        )

    def mark_uploaded(self, document_id: int) -> None:
        self.mark_uploaded_many([document_id])

    def mark_upload_failed(self, document_id: int, error: str) -> None:
        self._connection.execute(
            sa.update(x12_outbound_documents)
            .where(x12_outbound_documents.c.id == document_id)
            .values(upload_attempts=x12_outbound_documents.c.upload_attempts + 1, last_error=error)
        )

    def acknowledge_group(
        self, warehouse_id: int, group_control: int, *, status: str, detail: dict[str, Any]
    ) -> list[OutboundDocument]:
        """Record the partner's 997 for the group: the documents it acknowledges (one per group, as the
        hub writes them), after the update."""
        self._connection.execute(
            sa.update(x12_outbound_documents)
            .where(
                x12_outbound_documents.c.warehouse_id == warehouse_id,
                x12_outbound_documents.c.group_control == group_control,
                x12_outbound_documents.c.set_code != "997",
            )
            .values(ack_status=status, ack_detail=detail, acknowledged_at=utc_now())
        )
        rows = self._connection.execute(
            sa.select(x12_outbound_documents).where(
                x12_outbound_documents.c.warehouse_id == warehouse_id,
                x12_outbound_documents.c.group_control == group_control,
                x12_outbound_documents.c.set_code != "997",
            )
        )
        return [OutboundDocument(**row._mapping) for row in rows]

    def awaiting_acknowledgment(self, *, uploaded_before: datetime) -> list[OutboundDocument]:
        """Documents uploaded before the cut-off whose 997 never came (a 997 is itself never acknowledged)."""
        rows = self._connection.execute(
            sa.select(x12_outbound_documents)
            .where(
                x12_outbound_documents.c.set_code != "997",
                x12_outbound_documents.c.ack_status.is_(None),
                x12_outbound_documents.c.uploaded_at.is_not(None),
                x12_outbound_documents.c.uploaded_at < uploaded_before,
            )
            .order_by(x12_outbound_documents.c.id)
        )
        return [OutboundDocument(**row._mapping) for row in rows]

    def not_uploaded(
        self, warehouse_id: int, *, set_codes: Sequence[str] | None = None
    ) -> list[OutboundDocument]:
        query = sa.select(x12_outbound_documents).where(
            x12_outbound_documents.c.warehouse_id == warehouse_id,
            x12_outbound_documents.c.uploaded_at.is_(None),
        )
        if set_codes is not None:
            query = query.where(x12_outbound_documents.c.set_code.in_(list(set_codes)))
        rows = self._connection.execute(query.order_by(x12_outbound_documents.c.id))
        return [OutboundDocument(**row._mapping) for row in rows]

    def for_subject(self, warehouse_id: int, subject_key: str) -> list[OutboundDocument]:
        rows = self._connection.execute(
            sa.select(x12_outbound_documents)
            .where(
                x12_outbound_documents.c.warehouse_id == warehouse_id,
                x12_outbound_documents.c.subject_key == subject_key,
            )
            .order_by(x12_outbound_documents.c.id)
        )
        return [OutboundDocument(**row._mapping) for row in rows]
