"""The journal of canonical warehouse events, in the order each stored document carried them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crossdock.domain.warehouse import WarehouseEvent
from crossdock.domain.warehouse_serialization import event_from_document, event_subject, event_to_document
from crossdock.store.schema import warehouse_events
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class JournalEntry:
    id: int
    warehouse_id: int
    inbox_id: int
    position: int
    event: WarehouseEvent
    recorded_at: datetime


class WarehouseEventRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def append(self, warehouse_id: int, inbox_id: int, events: Sequence[WarehouseEvent]) -> int:
        """Journal the events read from one stored document; a document read again adds nothing. Returns
        how many were new."""
        new = 0
        for position, event in enumerate(events, start=1):
            order_key, sku = event_subject(event)
            result = self._connection.execute(
                insert_ignoring_conflicts(self._connection, warehouse_events)
                .values(
                    warehouse_id=warehouse_id,
                    inbox_id=inbox_id,
                    position=position,
                    kind=type(event).__name__,
                    order_key=order_key,
                    sku=sku,
                    source_kind=event.source.kind,
                    source_reference=event.source.reference,
                    data=event_to_document(event),
                    occurred_at=event.occurred_at,
                    recorded_at=utc_now(),
                )
                # Counted from RETURNING: PostgreSQL reports no rowcount for an insert SQLAlchemy gave
                # an implicit RETURNING of the key.
                .returning(warehouse_events.c.id)
            )
            new += len(result.fetchall())
        return new

    def list(
        self,
        warehouse_id: int,
        *,
        order_key: str | None = None,
        kind: str | None = None,
        inbox_id: int | None = None,
        latest_first: bool = False,
        limit: int = 1000,
    ) -> list[JournalEntry]:
        query = sa.select(warehouse_events).where(warehouse_events.c.warehouse_id == warehouse_id)
        if order_key is not None:
            query = query.where(warehouse_events.c.order_key == order_key)
        if kind is not None:
            query = query.where(warehouse_events.c.kind == kind)
        if inbox_id is not None:
            query = query.where(warehouse_events.c.inbox_id == inbox_id)
        order = warehouse_events.c.id.desc() if latest_first else warehouse_events.c.id
        rows = self._connection.execute(query.order_by(order).limit(limit))
        return [
            JournalEntry(
                id=row.id,
                warehouse_id=row.warehouse_id,
                inbox_id=row.inbox_id,
                position=row.position,
                event=event_from_document(row.data),
                recorded_at=row.recorded_at,
            )
            for row in rows
        ]
