"""Whether every flow is healthy, at a glance: per flow the lag p50/p95 over the last hour, what waits, the
error rate of its calls; the last contact with each shop and warehouse; orders in and out per minute. What
the dashboard's Overview and Connectors pages show, GET /api/health/flows returns and /metrics exposes —
computed from the database, so any process answers the same, and limited to the accounts the caller sees."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa

from crossdock.store import connector_contacts, flow_measures
from crossdock.store.connector_contacts import Contact
from crossdock.store.unit_of_work import UnitOfWork

FLOWS = ("orders", "statuses", "tracking", "inventory", "returns")
WINDOW = timedelta(hours=1)
# A connector heard from less often than this is "silent": shops send webhooks and warehouses files daily.
SILENT_AFTER = timedelta(days=1)
ContactState = Literal["ok", "failing", "silent", "never"]


@dataclass(frozen=True)
class FlowHealth:
    name: str
    measured: bool  # False for a flow the hub does not run yet (returns): no figure is invented
    completed_last_hour: int
    lag_p50_seconds: float | None
    lag_p95_seconds: float | None
    backlog: int
    calls_last_hour: int
    errors_last_hour: int

    @property
    def error_rate(self) -> float | None:
        return None if not self.calls_last_hour else self.errors_last_hour / self.calls_last_hour


@dataclass(frozen=True)
class ConnectorContact:
    contact: Contact
    state: ContactState


@dataclass(frozen=True)
class MinuteCount:
    minute: datetime
    orders_in: int
    orders_out: int
    fulfilled: int


@dataclass(frozen=True)
class FlowHealthOverview:
    at: datetime
    flows: list[FlowHealth]
    contacts: list[ConnectorContact]
    throughput: list[MinuteCount]


def contact_state(contact: Contact, now: datetime) -> ContactState:
    """never: nothing received from it nor sent to it; failing: errors in the last hour and none of its calls
    worked since the last error; silent: nothing heard for a day; ok otherwise."""
    heard = [moment for moment in (contact.last_inbound_at, contact.last_success_at) if moment is not None]
    if not heard and contact.last_outbound_at is None:
        return "never"
    if contact.errors_last_hour and (
        contact.last_success_at is None
        or (contact.last_error_at is not None and contact.last_error_at >= contact.last_success_at)
    ):
        return "failing"
    if not heard or now - max(heard) > SILENT_AFTER:
        return "silent"
    return "ok"


def flow_health_overview(
    uow: UnitOfWork, *, now: datetime, account_ids: Collection[str] | None
) -> FlowHealthOverview:
    """``account_ids`` None: every account (a hub operator); otherwise only what those accounts own."""
    connection = uow.connection
    since = now - WINDOW
    completions = {
        flow: flow_measures.completions(connection, flow, since, account_ids)
        for flow in flow_measures.MEASURED_FLOWS
    }
    backlogs = flow_measures.backlogs(connection, account_ids)
    calls = flow_measures.call_counts(connection, since, account_ids)
    flows = []
    for name in FLOWS:
        done = completions.get(name)
        called = calls.get(name)
        flows.append(
            FlowHealth(
                name=name,
                measured=done is not None,
                completed_last_hour=done.count if done else 0,
                lag_p50_seconds=done.p50_seconds if done else None,
                lag_p95_seconds=done.p95_seconds if done else None,
                backlog=backlogs.get(name, 0),
                calls_last_hour=called.total if called else 0,
                errors_last_hour=called.failed if called else 0,
            )
        )
    contacts = [
        ConnectorContact(contact, contact_state(contact, now))
        for contact in (
            *connector_contacts.shop_contacts(connection, since, account_ids),
            *connector_contacts.warehouse_contacts(connection, since, account_ids),
        )
    ]
    return FlowHealthOverview(now, flows, contacts, _minutes(connection, now, account_ids))


def _minutes(
    connection: sa.Connection, now: datetime, account_ids: Collection[str] | None
) -> list[MinuteCount]:
    first = (now - WINDOW).replace(second=0, microsecond=0) + timedelta(minutes=1)
    counts = flow_measures.throughput(connection, first, account_ids)
    minutes = []
    for offset in range(60):
        minute = first + timedelta(minutes=offset)
        key = minute.strftime("%Y-%m-%d %H:%M")
        minutes.append(
            MinuteCount(
                minute=minute,
                orders_in=counts["orders_in"].get(key, 0),
                orders_out=counts["orders_out"].get(key, 0),
                fulfilled=counts["fulfilled"].get(key, 0),
            )
        )
    return minutes
