"""Warehouses declared in the configuration, mirrored into the database at start with the accounts each
one serves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from crossdock.store.job_flags import FlaggedJob, lower_flag
from crossdock.store.schema import account_warehouses, warehouses
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts

if TYPE_CHECKING:
    from crossdock.store.unit_of_work import JobRequest


@dataclass(frozen=True)
class DeclaredWarehouse:
    code: str
    name: str
    connector: str
    account_ids: tuple[str, ...]


@dataclass(frozen=True)
class WarehouseRecord:
    id: int
    code: str
    name: str
    connector: str
    account_ids: tuple[str, ...]


class WarehouseRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def clear_dispatch_request(self, warehouse_id: int) -> None:
        """A sending job starts: orders routed from now on need a job of their own."""
        lower_flag(self._connection, warehouses, warehouse_id, warehouses.c.dispatch_pending)

    def ensure(self, declared: Iterable[DeclaredWarehouse]) -> None:
        """Create the declared warehouses (keyed by code) and keep their name, connector and accounts current.
        A warehouse that leaves the configuration stays: its documents and events must stay readable."""
        for warehouse in declared:
            self._connection.execute(
                insert_ignoring_conflicts(self._connection, warehouses).values(
                    code=warehouse.code,
                    name=warehouse.name,
                    connector=warehouse.connector,
                    created_at=utc_now(),
                )
            )
            self._connection.execute(
                sa.update(warehouses)
                .where(warehouses.c.code == warehouse.code)
                .values(name=warehouse.name, connector=warehouse.connector)
            )
            record = self.by_code(warehouse.code)
            assert record is not None
            self._connection.execute(
                sa.delete(account_warehouses).where(account_warehouses.c.warehouse_id == record.id)
            )
            rows = [{"account_id": account, "warehouse_id": record.id} for account in warehouse.account_ids]
            if rows:
                self._connection.execute(sa.insert(account_warehouses), rows)

    def codes(self) -> dict[int, str]:
        """Every warehouse's code, by id."""
        rows = self._connection.execute(
            sa.select(warehouses.c.id, warehouses.c.code).order_by(warehouses.c.id)
        )
        return {row.id: row.code for row in rows}

    def by_code(self, code: str) -> WarehouseRecord | None:
        row = self._connection.execute(
            sa.select(warehouses.c.id, warehouses.c.code, warehouses.c.name, warehouses.c.connector).where(
                warehouses.c.code == code
            )
        ).one_or_none()
        if row is None:
            return None
        accounts = self._connection.execute(
            sa.select(account_warehouses.c.account_id)
            .where(account_warehouses.c.warehouse_id == row.id)
            .order_by(account_warehouses.c.account_id)
        ).scalars()
        return WarehouseRecord(
            id=row.id, code=row.code, name=row.name, connector=row.connector, account_ids=tuple(accounts)
        )


def sending(warehouse_id: int, request: Callable[[], JobRequest]) -> FlaggedJob:
    """The job sending the warehouse's pending orders (``UnitOfWork.wake`` it after routing one there)."""
    return FlaggedJob(warehouses, warehouses.c.dispatch_pending, warehouse_id, request)
