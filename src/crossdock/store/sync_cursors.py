"""Where each poll of an external system left off (for example "orders updated since")."""

from __future__ import annotations

import sqlalchemy as sa

from crossdock.store.schema import sync_cursors
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


class SyncCursorRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def get(self, source: str, name: str) -> str | None:
        value = self._connection.execute(
            sa.select(sync_cursors.c.value).where(
                sync_cursors.c.source == source, sync_cursors.c.name == name
            )
        ).scalar_one_or_none()
        return None if value is None else str(value)

    def set(self, source: str, name: str, value: str, *, account_id: str | None = None) -> None:
        self._connection.execute(
            insert_ignoring_conflicts(self._connection, sync_cursors).values(
                source=source, name=name, value=value, account_id=account_id, updated_at=utc_now()
            )
        )
        self._connection.execute(
            sa.update(sync_cursors)
            .where(sync_cursors.c.source == source, sync_cursors.c.name == name)
            .values(value=value, updated_at=utc_now())
        )
