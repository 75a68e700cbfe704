"""Where the Shopify client records each attempt of each call: ``outbound_calls`` (the default), or a list in
memory for unit tests. Attempts of one logical call share its idempotency key and are numbered under it.

An attempt is recorded as started before the request leaves, so a call cut short by a crash is still seen
(``in_flight``); database work runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa

from crossdock.connectors.shopify.group_commit import GroupCommit
from crossdock.metrics import OUTBOUND_CALLS
from crossdock.store.outbound_calls import CallStatus, OutboundCallRepository


class CallRecorder(Protocol):
    async def start(
        self,
        *,
        operation: str,
        idempotency_key: str,
        request_summary: dict[str, Any],
        job_id: str | None,
        subject: str | None = None,
    ) -> int: ...

    async def finish(
        self,
        call_id: int,
        *,
        status: CallStatus,
        duration_ms: float,
        response_summary: dict[str, Any] | None,
        error: str | None,
    ) -> None: ...


@dataclass(frozen=True)
class _Start:
    operation: str
    idempotency_key: str
    request_summary: dict[str, Any]
    job_id: str | None
    subject: str | None


@dataclass(frozen=True)
class _Finish:
    call_id: int
    status: CallStatus
    duration_ms: float
    response_summary: dict[str, Any] | None
    error: str | None


class DatabaseCallRecorder:
    """Attempts as rows of ``outbound_calls``, written by group commit (crossdock.connectors.shopify
    .group_commit): starts that arrive together share one transaction, and so do finishes."""

    def __init__(self, engine: sa.Engine, target: str, *, account_id: str | None = None) -> None:
        self._engine = engine
        self.target = target
        self._account_id = account_id
        self._starts = GroupCommit(self._start_all)
        self._finishes = GroupCommit(self._finish_all)

    async def start(
        self,
        *,
        operation: str,
        idempotency_key: str,
        request_summary: dict[str, Any],
        job_id: str | None,
        subject: str | None = None,
    ) -> int:
        return await self._starts.submit(_Start(operation, idempotency_key, request_summary, job_id, subject))

    async def finish(
        self,
        call_id: int,
        *,
        status: CallStatus,
        duration_ms: float,
        response_summary: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        await self._finishes.submit(_Finish(call_id, status, duration_ms, response_summary, error))

    def _start_all(self, starts: Sequence[_Start]) -> list[int]:
        with self._engine.begin() as connection:
            calls = OutboundCallRepository(connection)
            return [
                calls.start(
                    target=self.target,
                    operation=start.operation,
                    idempotency_key=start.idempotency_key,
                    request_summary=start.request_summary,
                    account_id=self._account_id,
                    job_id=start.job_id,
                    subject=start.subject,
                )
                for start in starts
            ]

    def _finish_all(self, finishes: Sequence[_Finish]) -> list[None]:
        for finish in finishes:
            OUTBOUND_CALLS.labels(self.target, finish.status).inc()
        with self._engine.begin() as connection:
            calls = OutboundCallRepository(connection)
            for finish in finishes:
                calls.finish(
                    finish.call_id,
                    status=finish.status,
                    duration_ms=finish.duration_ms,
                    response_summary=finish.response_summary,
                    error=finish.error,
                )
        return [None] * len(finishes)


@dataclass
class RecordedAttempt:
    operation: str
    idempotency_key: str
    attempt: int
    request_summary: dict[str, Any]
    job_id: str | None
    status: CallStatus = "in_flight"
    duration_ms: float | None = None
    response_summary: dict[str, Any] | None = None
    error: str | None = None
    subject: str | None = None


@dataclass
class InMemoryCallRecorder:
    attempts: list[RecordedAttempt] = field(default_factory=list)

    async def start(
        self,
        *,
        operation: str,
        idempotency_key: str,
        request_summary: dict[str, Any],
        job_id: str | None,
        subject: str | None = None,
    ) -> int:
        number = 1 + sum(1 for seen in self.attempts if seen.idempotency_key == idempotency_key)
        self.attempts.append(
            RecordedAttempt(operation, idempotency_key, number, request_summary, job_id, subject=subject)
        )
        return len(self.attempts) - 1

    async def finish(
        self,
        call_id: int,
        *,
        status: CallStatus,
        duration_ms: float,
        response_summary: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        attempt = self.attempts[call_id]
        attempt.status = status
        attempt.duration_ms = duration_ms
        attempt.response_summary = response_summary
        attempt.error = error
