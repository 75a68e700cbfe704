"""The inbox: every raw input (webhook, poll result, warehouse file) is written here before it is
acknowledged, deduplicated by (source, dedupe key), and processed from here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from crossdock.store.multi_row_insert import MultiRowInsert
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
    awaits_job: bool = False


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording an input: its row, and whether this delivery was the first one."""

    inbox_id: int
    is_new: bool


@dataclass(frozen=True)
class NewInboxEntry:
    """One input to store. ``state`` "ignored" keeps an input the hub will not process, with the reason in
    ``error``; such a row needs no processing job. ``awaits_job``: stored without its processing job, which
    the inbox relay enqueues (``flows/inbox_relay.py``)."""

    source: str
    kind: str
    dedupe_key: str
    payload: bytes
    headers: dict[str, Any]
    account_id: str | None = None
    state: Literal["received", "ignored"] = "received"
    error: str | None = None
    awaits_job: bool = False


_INSERT_ENTRIES = MultiRowInsert(
    inbox,
    columns=(
        "source",
        "kind",
        "dedupe_key",
        "payload",
        "headers",
        "account_id",
        "received_at",
        "state",
        "attempts",
        "error",
        "processed_at",
        "awaits_job",
    ),
    returning=("id", "source", "dedupe_key"),
)
# ``record_many`` stores up to this many inputs with one statement, atomic on its own.
ROWS_PER_INSERT = _INSERT_ENTRIES.rows_per_statement


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
        state: Literal["received", "ignored"] = "received",
        error: str | None = None,
    ) -> Recorded:
        now = utc_now()
        statement = (
            insert_ignoring_conflicts(self._connection, inbox)
            .values(
                source=source,
                kind=kind,
                dedupe_key=dedupe_key,
                payload=payload,
                headers=headers or {},
                account_id=account_id,
                received_at=now,
                state=state,
                attempts=0,
                error=error,
                processed_at=now if state == "ignored" else None,
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

    def record_many(self, entries: Sequence[NewInboxEntry]) -> list[Recorded]:
        """Store many inputs with one multi-row INSERT; the outcomes come in the order of ``entries``.

        An input already stored, or given earlier in ``entries``, is not new and keeps its first row."""
        if not entries:
            return []
        first_of: dict[tuple[str, str], NewInboxEntry] = {}
        for entry in entries:
            first_of.setdefault((entry.source, entry.dedupe_key), entry)
        now = utc_now()
        # Inserted in key order: two transactions inserting overlapping keys then lock them in the same
        # order (PostgreSQL), and cannot deadlock.
        rows = [
            {
                "source": entry.source,
                "kind": entry.kind,
                "dedupe_key": entry.dedupe_key,
                "payload": entry.payload,
                "headers": entry.headers,
                "account_id": entry.account_id,
                "received_at": now,
                "state": entry.state,
                "attempts": 0,
                "error": entry.error,
                "processed_at": now if entry.state == "ignored" else None,
                "awaits_job": entry.awaits_job,
            }
            for _key, entry in sorted(first_of.items(), key=lambda item: item[0])
        ]
        inserted = {
            (source, key): int(row_id)
            for row_id, source, key in _INSERT_ENTRIES.execute(self._connection, rows)
        }
        ids = dict(inserted)
        if len(inserted) < len(first_of):
            missing = [key for key in first_of if key not in inserted]
            found = self._connection.execute(
                sa.select(inbox.c.id, inbox.c.source, inbox.c.dedupe_key).where(
                    sa.tuple_(inbox.c.source, inbox.c.dedupe_key).in_(missing)
                )
            )
            ids.update(((source, key), int(row_id)) for row_id, source, key in found)
        outcomes = []
        for entry in entries:
            key = (entry.source, entry.dedupe_key)
            outcomes.append(Recorded(inbox_id=ids[key], is_new=inserted.pop(key, None) is not None))
        return outcomes

    def claim_awaiting_job(self, limit: int) -> list[int]:
        """Up to ``limit`` rows awaiting their processing job, oldest first, no longer awaiting it once the
        caller commits. On PostgreSQL, rows another transaction claims meanwhile are skipped, so relays of
        several workers never claim the same row; SQLite runs one writing transaction at a time."""
        claimable = sa.select(inbox.c.id).where(inbox.c.awaits_job).order_by(inbox.c.id).limit(limit)
        if self._connection.dialect.name == "postgresql":
            claimable = claimable.with_for_update(skip_locked=True)
        claimed = [int(row_id) for row_id in self._connection.execute(claimable).scalars()]
        if claimed:
            self._connection.execute(sa.update(inbox).where(inbox.c.id.in_(claimed)).values(awaits_job=False))
        return claimed

    def count_awaiting_job(self) -> int:
        """Rows stored without their processing job that no relay has claimed yet."""
        return int(
            self._connection.execute(sa.select(sa.func.count()).where(inbox.c.awaits_job)).scalar_one()
        )

    def get(self, inbox_id: int) -> InboxEntry | None:
        row = self._connection.execute(sa.select(inbox).where(inbox.c.id == inbox_id)).one_or_none()
        return None if row is None else InboxEntry(**row._mapping)

    def get_many(self, inbox_ids: Sequence[int]) -> dict[int, InboxEntry]:
        """The rows that exist among ``inbox_ids``, by id."""
        rows = self._connection.execute(sa.select(inbox).where(inbox.c.id.in_(inbox_ids)))
        return {int(row.id): InboxEntry(**row._mapping) for row in rows}

    def start_processing(self, inbox_id: int) -> None:
        self.start_processing_many([inbox_id])

    def start_processing_many(self, inbox_ids: Sequence[int]) -> None:
        if inbox_ids:
            self._connection.execute(
                sa.update(inbox)
                .where(inbox.c.id.in_(inbox_ids))
                .values(state="processing", attempts=inbox.c.attempts + 1)
            )

    def finish(self, inbox_id: int, state: InboxState, error: str | None = None) -> None:
        self.finish_many([inbox_id], state, error)

    def finish_many(self, inbox_ids: Sequence[int], state: InboxState, error: str | None = None) -> None:
        if inbox_ids:
            self._connection.execute(
                sa.update(inbox)
                .where(inbox.c.id.in_(inbox_ids))
                .values(state=state, error=error, processed_at=utc_now())
            )

    def count_by_state(self) -> dict[str, int]:
        rows = self._connection.execute(sa.select(inbox.c.state, sa.func.count()).group_by(inbox.c.state))
        return {str(state): int(count) for state, count in rows}
