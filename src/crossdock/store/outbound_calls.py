"""A record of every call to an external system: what was asked, what came back, how long it took, and
under which idempotency key, so an operator can see exactly what crossdock did on the far side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from crossdock.store.schema import outbound_calls
from crossdock.store.types import utc_now

CallStatus = Literal["in_flight", "succeeded", "retriable_error", "fatal_error"]


@dataclass(frozen=True)
class OutboundCall:
    id: int
    account_id: str | None
    target: str
    operation: str
    idempotency_key: str
    attempt: int
    status: CallStatus
    request_summary: dict[str, Any]
    response_summary: dict[str, Any] | None
    error: str | None
    duration_ms: float | None
    job_id: str | None
    started_at: datetime
    finished_at: datetime | None
    subject: str | None = None


class OutboundCallRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def start(
        self,
        *,
        target: str,
        operation: str,
        idempotency_key: str,
        request_summary: dict[str, Any],
        account_id: str | None = None,
        job_id: str | None = None,
        subject: str | None = None,
    ) -> int:
        """Record the start of an attempt; the attempt number follows the previous ones under the same key."""
        previous = self._connection.execute(
            sa.select(sa.func.max(outbound_calls.c.attempt)).where(
                outbound_calls.c.idempotency_key == idempotency_key
            )
        ).scalar_one_or_none()
        inserted = self._connection.execute(
            sa.insert(outbound_calls)
            .values(
                account_id=account_id,
                target=target,
                operation=operation,
                idempotency_key=idempotency_key,
                attempt=(previous or 0) + 1,
                status="in_flight",
                request_summary=request_summary,
                job_id=job_id,
                subject=subject,
                started_at=utc_now(),
            )
            .returning(outbound_calls.c.id)
        ).scalar_one()
        return int(inserted)

    def finish(
        self,
        call_id: int,
        *,
        status: CallStatus,
        duration_ms: float,
        response_summary: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        self._connection.execute(
            sa.update(outbound_calls)
            .where(outbound_calls.c.id == call_id)
            .values(
                status=status,
                duration_ms=duration_ms,
                response_summary=response_summary,
                error=error,
                finished_at=utc_now(),
            )
        )

    def attempts(self, idempotency_key: str) -> list[OutboundCall]:
        rows = self._connection.execute(
            sa.select(outbound_calls)
            .where(outbound_calls.c.idempotency_key == idempotency_key)
            .order_by(outbound_calls.c.attempt)
        )
        return [OutboundCall(**row._mapping) for row in rows]

    def about(self, subject: str, limit: int = 200) -> list[OutboundCall]:
        """The attempts of calls made about ``subject`` (see the column), oldest first."""
        rows = self._connection.execute(
            sa.select(outbound_calls)
            .where(outbound_calls.c.subject == subject)
            .order_by(outbound_calls.c.started_at, outbound_calls.c.id)
            .limit(limit)
        )
        return [OutboundCall(**row._mapping) for row in rows]
