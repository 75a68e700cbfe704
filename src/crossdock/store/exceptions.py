"""Exceptions: typed, actionable problems an operator must see. One open exception per type and subject;
a repeat bumps its count and last-seen time instead of adding a row."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from crossdock.store.schema import exceptions
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts

Severity = Literal["info", "warning", "error", "critical"]
ExceptionStatus = Literal["open", "resolved", "ignored"]


@dataclass(frozen=True)
class ExceptionRecord:
    id: int
    account_id: str | None
    type: str
    severity: Severity
    status: ExceptionStatus
    subject_type: str
    subject_id: str
    message: str
    details: dict[str, Any]
    actions: list[str]
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    closed_at: datetime | None
    closed_by: str | None


class ExceptionRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def raise_(
        self,
        *,
        type: str,
        severity: Severity,
        subject_type: str,
        subject_id: str,
        message: str,
        details: dict[str, Any],
        actions: list[str],
        account_id: str | None = None,
    ) -> int:
        """Open an exception, or count one more occurrence of the open one with the same type, subject and
        account. Insert first, update on conflict: check-then-insert let two transactions both insert."""
        now = utc_now()
        inserted = self._connection.execute(
            insert_ignoring_conflicts(self._connection, exceptions)
            .values(
                account_id=account_id,
                type=type,
                severity=severity,
                status="open",
                subject_type=subject_type,
                subject_id=subject_id,
                message=message,
                details=details,
                actions=actions,
                occurrences=1,
                first_seen_at=now,
                last_seen_at=now,
            )
            .returning(exceptions.c.id)
        ).scalar_one_or_none()
        if inserted is not None:
            return int(inserted)
        same_account = (
            exceptions.c.account_id.is_(None) if account_id is None else exceptions.c.account_id == account_id
        )
        repeated = self._connection.execute(
            sa.update(exceptions)
            .where(
                exceptions.c.type == type,
                exceptions.c.subject_type == subject_type,
                exceptions.c.subject_id == subject_id,
                same_account,
                exceptions.c.status == "open",
            )
            .values(
                occurrences=exceptions.c.occurrences + 1,
                last_seen_at=now,
                message=message,
                details=details,
                actions=actions,
                severity=severity,
            )
            .returning(exceptions.c.id)
        ).scalar_one()
        return int(repeated)

    def get(self, exception_id: int) -> ExceptionRecord | None:
        row = self._connection.execute(
            sa.select(exceptions).where(exceptions.c.id == exception_id)
        ).one_or_none()
        return None if row is None else ExceptionRecord(**row._mapping)

    def list(
        self,
        *,
        status: ExceptionStatus | None = "open",
        type: str | None = None,
        account_id: str | None = None,
        severity: Severity | None = None,
        limit: int = 100,
    ) -> list[ExceptionRecord]:
        query = sa.select(exceptions).order_by(exceptions.c.last_seen_at.desc()).limit(limit)
        if severity is not None:
            query = query.where(exceptions.c.severity == severity)
        if status is not None:
            query = query.where(exceptions.c.status == status)
        if type is not None:
            query = query.where(exceptions.c.type == type)
        if account_id is not None:
            query = query.where(exceptions.c.account_id == account_id)
        return [ExceptionRecord(**row._mapping) for row in self._connection.execute(query)]

    def open_seen_between(
        self,
        since: datetime,
        until: datetime,
        *,
        types: Iterable[str] = (),
        severities: Iterable[Severity] = (),
        account_ids: Iterable[str] = (),
    ) -> builtins.list[ExceptionRecord]:
        """Open exceptions raised or seen again in [since, until), oldest first; each filter, when given,
        keeps only the listed values (an account filter leaves out the exceptions of no account)."""
        query = (
            sa.select(exceptions)
            .where(
                exceptions.c.status == "open",
                exceptions.c.last_seen_at >= since,
                exceptions.c.last_seen_at < until,
            )
            .order_by(exceptions.c.last_seen_at, exceptions.c.id)
        )
        for column, values in (
            (exceptions.c.type, tuple(types)),
            (exceptions.c.severity, tuple(severities)),
            (exceptions.c.account_id, tuple(account_ids)),
        ):
            if values:
                query = query.where(column.in_(values))
        return [ExceptionRecord(**row._mapping) for row in self._connection.execute(query)]

    def update_details(self, exception_id: int, details: dict[str, Any]) -> None:
        self._connection.execute(
            sa.update(exceptions).where(exceptions.c.id == exception_id).values(details=details)
        )

    def close(self, exception_id: int, *, status: Literal["resolved", "ignored"], by: str) -> bool:
        """Close an open exception; answers False when it was not open (already closed, or unknown)."""
        result = self._connection.execute(
            sa.update(exceptions)
            .where(exceptions.c.id == exception_id, exceptions.c.status == "open")
            .values(status=status, closed_at=utc_now(), closed_by=by)
        )
        return result.rowcount == 1

    def resolve_subject(self, *, type: str, subject_type: str, subject_id: str, by: str) -> int:
        """Resolve the open exception of this type about this subject (the hub found the problem gone);
        how many it closed (0 or 1)."""
        result = self._connection.execute(
            sa.update(exceptions)
            .where(
                exceptions.c.type == type,
                exceptions.c.subject_type == subject_type,
                exceptions.c.subject_id == subject_id,
                exceptions.c.status == "open",
            )
            .values(status="resolved", closed_at=utc_now(), closed_by=by)
        )
        return int(result.rowcount)

    def open_about(self, *, type: str, subject_type: str) -> builtins.list[ExceptionRecord]:
        rows = self._connection.execute(
            sa.select(exceptions).where(
                exceptions.c.type == type,
                exceptions.c.subject_type == subject_type,
                exceptions.c.status == "open",
            )
        )
        return [ExceptionRecord(**row._mapping) for row in rows]

    def count_open_by_type(self, account_id: str | None = None) -> dict[str, int]:
        query = (
            sa.select(exceptions.c.type, sa.func.count())
            .where(exceptions.c.status == "open")
            .group_by(exceptions.c.type)
        )
        if account_id is not None:
            query = query.where(exceptions.c.account_id == account_id)
        rows = self._connection.execute(query)
        return {str(type_): int(count) for type_, count in rows}
