"""The last contact with each shop and each warehouse: the last input received from it, the last call made to
it, the last one that worked, and the errors of the last hour — for the dashboard's Connectors page and the
Overview's "last contact"."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crossdock.store.schema import (
    account_warehouses,
    inbox,
    outbound_calls,
    shops,
    warehouse_events,
    warehouse_orders,
    warehouses,
    x12_outbound_documents,
)


@dataclass(frozen=True)
class Contact:
    kind: str  # "shop" or "warehouse"
    name: str  # the shop's domain, the warehouse's code
    connector: str
    account_ids: tuple[str, ...]
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    errors_last_hour: int


def shop_contacts(
    connection: sa.Connection, since: datetime, accounts: Collection[str] | None
) -> list[Contact]:
    query = sa.select(shops.c.domain, shops.c.account_id).order_by(shops.c.domain)
    if accounts is not None:
        query = query.where(shops.c.account_id.in_(sorted(accounts)))
    found = []
    for domain, account_id in connection.execute(query).all():
        target = f"shopify:{domain}"
        last_inbound = connection.execute(
            sa.select(sa.func.max(inbox.c.received_at)).where(
                inbox.c.account_id == account_id,
                inbox.c.source == "shopify",
                inbox.c.headers["X-Shopify-Shop-Domain"].as_string() == domain,
            )
        ).scalar_one()
        last_call, last_success = connection.execute(
            sa.select(
                sa.func.max(outbound_calls.c.started_at),
                sa.func.max(sa.case((outbound_calls.c.status == "succeeded", outbound_calls.c.finished_at))),
            ).where(outbound_calls.c.target == target)
        ).one()
        failed = outbound_calls.c.status.in_(["retriable_error", "fatal_error"])
        errors = connection.execute(
            sa.select(sa.func.count()).where(
                outbound_calls.c.target == target, failed, outbound_calls.c.started_at >= since
            )
        ).scalar_one()
        last_error = connection.execute(
            sa.select(outbound_calls.c.error, outbound_calls.c.started_at)
            .where(outbound_calls.c.target == target, failed)
            .order_by(outbound_calls.c.started_at.desc())
            .limit(1)
        ).one_or_none()
        found.append(
            Contact(
                kind="shop",
                name=domain,
                connector="shopify",
                account_ids=(account_id,),
                last_inbound_at=last_inbound,
                last_outbound_at=last_call,
                last_success_at=last_success,
                last_error=None if last_error is None else last_error.error,
                last_error_at=None if last_error is None else last_error.started_at,
                errors_last_hour=int(errors),
            )
        )
    return found


def warehouse_contacts(
    connection: sa.Connection, since: datetime, accounts: Collection[str] | None
) -> list[Contact]:
    rows = connection.execute(
        sa.select(warehouses.c.id, warehouses.c.code, warehouses.c.connector, account_warehouses.c.account_id)
        .join(account_warehouses, account_warehouses.c.warehouse_id == warehouses.c.id)
        .order_by(warehouses.c.code, account_warehouses.c.account_id)
    ).all()
    served: dict[int, tuple[str, str, list[str]]] = {}
    for warehouse_id, code, connector, account_id in rows:
        served.setdefault(warehouse_id, (code, connector, []))[2].append(account_id)
    found = []
    for warehouse_id, (code, connector, account_ids) in served.items():
        if accounts is not None and not set(account_ids) & set(accounts):
            continue
        last_inbound = connection.execute(
            sa.select(sa.func.max(warehouse_events.c.recorded_at)).where(
                warehouse_events.c.warehouse_id == warehouse_id
            )
        ).scalar_one()
        documents = x12_outbound_documents
        # Orders sent count as contact whatever carried them (a connector need not write documents).
        last_upload = max(
            (
                moment
                for moment in (
                    connection.execute(
                        sa.select(sa.func.max(documents.c.uploaded_at)).where(
                            documents.c.warehouse_id == warehouse_id
                        )
                    ).scalar_one(),
                    connection.execute(
                        sa.select(sa.func.max(warehouse_orders.c.sent_at)).where(
                            warehouse_orders.c.warehouse_id == warehouse_id
                        )
                    ).scalar_one(),
                )
                if moment is not None
            ),
            default=None,
        )
        errors = connection.execute(
            sa.select(sa.func.count()).where(
                documents.c.warehouse_id == warehouse_id,
                documents.c.last_error.is_not(None),
                documents.c.uploaded_at.is_(None),
                documents.c.created_at >= since,
            )
        ).scalar_one()
        last_error = connection.execute(
            sa.select(documents.c.last_error, documents.c.created_at)
            .where(documents.c.warehouse_id == warehouse_id, documents.c.last_error.is_not(None))
            .order_by(documents.c.id.desc())
            .limit(1)
        ).one_or_none()
        found.append(
            Contact(
                kind="warehouse",
                name=code,
                connector=connector,
                # Another account's name is not this caller's to know.
                account_ids=tuple(a for a in account_ids if accounts is None or a in accounts),
                last_inbound_at=last_inbound,
                last_outbound_at=last_upload,
                last_success_at=max((t for t in (last_inbound, last_upload) if t is not None), default=None),
                last_error=None if last_error is None else last_error.last_error,
                last_error_at=None if last_error is None else last_error.created_at,
                errors_last_hour=int(errors),
            )
        )
    return found
