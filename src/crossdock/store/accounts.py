"""Accounts (merchants) declared in the configuration, mirrored into the database at start."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from crossdock.store.schema import accounts
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


class AccountRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def ensure(self, declared: Iterable[tuple[str, str]]) -> None:
        """Create the declared (id, name) accounts and keep their names current; never deletes an account,
        because its history (orders, exceptions) must stay readable after it leaves the configuration."""
        for account_id, name in declared:
            self._connection.execute(
                insert_ignoring_conflicts(self._connection, accounts).values(
                    id=account_id, name=name, created_at=utc_now()
                )
            )
            self._connection.execute(sa.update(accounts).where(accounts.c.id == account_id).values(name=name))

    def names(self) -> dict[str, str]:
        rows = self._connection.execute(sa.select(accounts.c.id, accounts.c.name).order_by(accounts.c.id))
        return {str(account_id): str(name) for account_id, name in rows}
