"""The order timeline: every input, transition and outbound call that concerns one order, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crossdock.store.schema import order_events
from crossdock.store.types import utc_now


@dataclass(frozen=True)
class OrderEvent:
    id: int
    account_id: str
    order_ref: str
    kind: str
    message: str
    data: dict[str, Any]
    inbox_id: int | None
    job_id: str | None
    occurred_at: datetime


class OrderEventRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def append(
        self,
        *,
        account_id: str,
        order_ref: str,
        kind: str,
        message: str,
        data: dict[str, Any] | None = None,
        inbox_id: int | None = None,
        job_id: str | None = None,
    ) -> int:
        inserted = self._connection.execute(
            sa.insert(order_events)
            .values(
                account_id=account_id,
                order_ref=order_ref,
                kind=kind,
                message=message,
                data=data or {},
                inbox_id=inbox_id,
                job_id=job_id,
                occurred_at=utc_now(),
            )
            .returning(order_events.c.id)
        ).scalar_one()
        return int(inserted)

    def timeline(self, account_id: str, order_ref: str) -> list[OrderEvent]:
        rows = self._connection.execute(
            sa.select(order_events)
            .where(order_events.c.account_id == account_id, order_events.c.order_ref == order_ref)
            .order_by(order_events.c.occurred_at, order_events.c.id)
        )
        return [OrderEvent(**row._mapping) for row in rows]
