"""The inbox: every raw input (webhook, poll result, warehouse file) is written here before it is
acknowledged, deduplicated by (source, dedupe key), and processed from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from crossdock.store.schema import inbox
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts

InboxState = Literal["received", "processing", "processed", "ignored", "failed"]


@dataclass(frozen=True)
class InboxEntry:
    id: int
    account_id: str | None
    source: str
    kind: str
    dedupe_key: str
    headers: dict[str, Any]
    payload: bytes
    received_at: datetime
    state: InboxState
    attempts: int
    error: str | None
    processed_at: datetime | None


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording an input: its row, and whether this delivery was the first one."""

    inbox_id: int
    is_new: bool


class InboxRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def record(
        self,
        *,
        source: str,
        kind: str,
        dedupe_key: str,
        payload: bytes,
        headers: dict[str, Any] | None = None,
        account_id: str | None = None,
    ) -> Recorded:
        statement = (
            insert_ignoring_conflicts(self._connection, inbox)
            .values(
                source=source,
                kind=kind,
                dedupe_key=dedupe_key,
                payload=payload,
                headers=headers or {},
                account_id=account_id,
                received_at=utc_now(),
                state="received",
                attempts=0,
            )
            .returning(inbox.c.id)
        )
        inserted = self._connection.execute(statement).scalar_one_or_none()
        if inserted is not None:
            return Recorded(inbox_id=int(inserted), is_new=True)
        existing = self._connection.execute(
            sa.select(inbox.c.id).where(inbox.c.source == source, inbox.c.dedupe_key == dedupe_key)
        ).scalar_one()
        return Recorded(inbox_id=int(existing), is_new=False)

    def get(self, inbox_id: int) -> InboxEntry | None:
        row = self._connection.execute(sa.select(inbox).where(inbox.c.id == inbox_id)).one_or_none()
        return None if row is None else InboxEntry(**row._mapping)

    def start_processing(self, inbox_id: int) -> None:
        self._connection.execute(
            sa.update(inbox)
            .where(inbox.c.id == inbox_id)
            .values(state="processing", attempts=inbox.c.attempts + 1)
        )

    def finish(self, inbox_id: int, state: InboxState, error: str | None = None) -> None:
        self._connection.execute(
            sa.update(inbox)
            .where(inbox.c.id == inbox_id)
            .values(state=state, error=error, processed_at=utc_now())
        )

    def count_by_state(self) -> dict[str, int]:
        rows = self._connection.execute(sa.select(inbox.c.state, sa.func.count()).group_by(inbox.c.state))
        return {str(state): int(count) for state, count in rows}
