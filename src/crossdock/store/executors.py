"""Executor identities: each process that runs jobs holds one stable, unique id.

The job engine resumes, at launch, the interrupted jobs of the executor id it is given. So a process that
restarts on the same host takes back the id of a dead predecessor (its pid no longer runs) and finishes
that predecessor's work; an id held by another host is never taken over here, because only an operator
can know that a silent machine is gone for good (``crossdock jobs recover``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import count

import sqlalchemy as sa

from crossdock.store.schema import executors
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class ExecutorRecord:
    executor_id: str
    hostname: str
    pid: int
    role: str
    version: str
    started_at: datetime
    last_seen_at: datetime
    stopped_at: datetime | None


class ExecutorInUseError(RuntimeError):
    pass


@dataclass(frozen=True)
class ProcessIdentity:
    hostname: str
    pid: int
    role: str
    version: str


class ExecutorRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def get(self, executor_id: str) -> ExecutorRecord | None:
        row = self._connection.execute(
            sa.select(executors).where(executors.c.executor_id == executor_id)
        ).one_or_none()
        return None if row is None else ExecutorRecord(**row._mapping)

    def list(self) -> list[ExecutorRecord]:
        rows = self._connection.execute(sa.select(executors).order_by(executors.c.executor_id))
        return [ExecutorRecord(**row._mapping) for row in rows]

    def try_claim(self, executor_id: str, me: ProcessIdentity, is_alive: Callable[[int], bool]) -> bool:
        """Take ``executor_id`` if nobody holds it or its holder was a process of this host that has ended."""
        held_by_me = {
            "pid": me.pid,
            "role": me.role,
            "version": me.version,
            "started_at": utc_now(),
            "last_seen_at": utc_now(),
            "stopped_at": None,
        }
        inserted = self._connection.execute(
            insert_ignoring_conflicts(self._connection, executors).values(
                executor_id=executor_id, hostname=me.hostname, **held_by_me
            )
        )
        if inserted.rowcount == 1:
            return True
        holder = self.get(executor_id)
        if holder is None or holder.hostname != me.hostname:
            return False
        if holder.pid != me.pid and holder.stopped_at is None and is_alive(holder.pid):
            return False
        # Compare-and-set on the previous holder's pid so two starting processes cannot both win.
        taken = self._connection.execute(
            sa.update(executors)
            .where(executors.c.executor_id == executor_id, executors.c.pid == holder.pid)
            .values(**held_by_me)
        )
        return taken.rowcount == 1

    def claim_first_free(self, prefix: str, me: ProcessIdentity, is_alive: Callable[[int], bool]) -> str:
        for slot in count(1):
            candidate = f"{prefix}-{slot}"
            if self.try_claim(candidate, me, is_alive):
                return candidate
        raise AssertionError("unreachable")

    def claim_exactly(self, executor_id: str, me: ProcessIdentity, is_alive: Callable[[int], bool]) -> None:
        if not self.try_claim(executor_id, me, is_alive):
            holder = self.get(executor_id)
            where = f"pid {holder.pid} on {holder.hostname}" if holder else "another process"
            raise ExecutorInUseError(
                f"executor id {executor_id!r} is held by {where}; give each process its own "
                "CROSSDOCK_EXECUTOR_ID, or stop the other process"
            )

    def heartbeat(self, executor_id: str, pid: int) -> None:
        self._connection.execute(
            sa.update(executors)
            .where(executors.c.executor_id == executor_id, executors.c.pid == pid)
            .values(last_seen_at=utc_now())
        )

    def mark_stopped(self, executor_id: str, pid: int) -> None:
        self._connection.execute(
            sa.update(executors)
            .where(executors.c.executor_id == executor_id, executors.c.pid == pid)
            .values(stopped_at=utc_now(), last_seen_at=utc_now())
        )
