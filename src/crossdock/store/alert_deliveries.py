"""The alert messages each rule sends on each channel, as claims: a job sends a message only once it holds
its row in 'sending', so two jobs never send the same exceptions, and a job run again after a crash finds
what its first run did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa

from crossdock.store.schema import alert_deliveries
from crossdock.store.upsert import insert_ignoring_conflicts

AlertChannel = Literal["webhook", "email"]
# sending: claimed, being sent. sent: delivered. failed: not delivered, to be sent again (the cursor stays
# where it was). dropped: refused for good by the far side; the cursor moved past it.
DeliveryStatus = Literal["sending", "sent", "failed", "dropped"]


@dataclass(frozen=True)
class AlertDelivery:
    id: int
    rule: str
    channel: AlertChannel
    seen_from: datetime
    seen_until: datetime
    exception_count: int
    status: DeliveryStatus
    claimed_by: str
    claimed_at: datetime
    finished_at: datetime | None


class AlertDeliveryRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def claim(
        self,
        *,
        rule: str,
        channel: AlertChannel,
        seen_from: datetime,
        seen_until: datetime,
        exception_count: int,
        claimed_by: str,
        now: datetime,
        lease: timedelta,
    ) -> bool:
        """Take the message that starts at ``seen_from`` for sending; False when it was sent or dropped
        already, or another job holds it (for less than ``lease``). The claimant's own unfinished claim is
        taken again: the claimant was interrupted before it could record the outcome."""
        inserted = self._connection.execute(
            insert_ignoring_conflicts(self._connection, alert_deliveries)
            .values(
                rule=rule,
                channel=channel,
                seen_from=seen_from,
                seen_until=seen_until,
                exception_count=exception_count,
                status="sending",
                claimed_by=claimed_by,
                claimed_at=now,
            )
            .returning(alert_deliveries.c.id)
        ).scalar_one_or_none()
        if inserted is not None:
            return True
        free = sa.or_(
            alert_deliveries.c.status == "failed",
            sa.and_(
                alert_deliveries.c.status == "sending",
                sa.or_(
                    alert_deliveries.c.claimed_by == claimed_by,
                    alert_deliveries.c.claimed_at < now - lease,
                ),
            ),
        )
        taken = self._connection.execute(
            sa.update(alert_deliveries)
            .where(self._key(rule, channel, seen_from), free)
            .values(
                seen_until=seen_until,
                exception_count=exception_count,
                status="sending",
                claimed_by=claimed_by,
                claimed_at=now,
                finished_at=None,
            )
        )
        return taken.rowcount == 1

    def finish(
        self, *, rule: str, channel: AlertChannel, seen_from: datetime, status: DeliveryStatus, now: datetime
    ) -> None:
        self._connection.execute(
            sa.update(alert_deliveries)
            .where(self._key(rule, channel, seen_from))
            .values(status=status, finished_at=now)
        )

    def get(self, *, rule: str, channel: AlertChannel, seen_from: datetime) -> AlertDelivery | None:
        row = self._connection.execute(
            sa.select(alert_deliveries).where(self._key(rule, channel, seen_from))
        ).one_or_none()
        return None if row is None else AlertDelivery(**row._mapping)

    def of_rule(self, rule: str, channel: AlertChannel) -> list[AlertDelivery]:
        rows = self._connection.execute(
            sa.select(alert_deliveries)
            .where(alert_deliveries.c.rule == rule, alert_deliveries.c.channel == channel)
            .order_by(alert_deliveries.c.seen_from)
        )
        return [AlertDelivery(**row._mapping) for row in rows]

    @staticmethod
    def _key(rule: str, channel: AlertChannel, seen_from: datetime) -> sa.ColumnElement[bool]:
        return sa.and_(
            alert_deliveries.c.rule == rule,
            alert_deliveries.c.channel == channel,
            alert_deliveries.c.seen_from == seen_from,
        )
