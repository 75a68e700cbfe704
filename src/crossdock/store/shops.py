"""Shopify stores declared in the configuration, mirrored into the database at start, and their locations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from crossdock.store.job_flags import FlaggedJob, lower_flag
from crossdock.store.schema import shop_locations, shops
from crossdock.store.types import utc_now
from crossdock.store.upsert import insert_ignoring_conflicts

if TYPE_CHECKING:
    from crossdock.store.unit_of_work import JobRequest


@dataclass(frozen=True)
class DeclaredShop:
    key: str
    domain: str
    account_id: str


@dataclass(frozen=True)
class ShopRecord:
    id: int
    account_id: str
    domain: str
    name: str


@dataclass(frozen=True)
class ShopLocation:
    location_id: str
    name: str
    is_active: bool
    fulfills_online_orders: bool
    is_fulfillment_service: bool
    address: dict[str, Any]


class ShopRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def ensure(self, declared: Iterable[DeclaredShop]) -> None:
        """Create the declared shops (keyed by domain) and keep their key and account current. A shop that
        leaves the configuration stays, because its orders must stay readable."""
        for shop in declared:
            self._connection.execute(
                insert_ignoring_conflicts(self._connection, shops).values(
                    domain=shop.domain, account_id=shop.account_id, name=shop.key, created_at=utc_now()
                )
            )
            self._connection.execute(
                sa.update(shops)
                .where(shops.c.domain == shop.domain)
                .values(account_id=shop.account_id, name=shop.key)
            )

    def by_domain(self, domain: str) -> ShopRecord | None:
        row = self._connection.execute(
            sa.select(shops.c.id, shops.c.account_id, shops.c.domain, shops.c.name).where(
                shops.c.domain == domain
            )
        ).one_or_none()
        return None if row is None else ShopRecord(**row._mapping)

    def all(self) -> list[ShopRecord]:
        rows = self._connection.execute(
            sa.select(shops.c.id, shops.c.account_id, shops.c.domain, shops.c.name).order_by(shops.c.id)
        )
        return [ShopRecord(**row._mapping) for row in rows]

    def by_id(self, shop_id: int) -> ShopRecord | None:
        row = self._connection.execute(
            sa.select(shops.c.id, shops.c.account_id, shops.c.domain, shops.c.name).where(
                shops.c.id == shop_id
            )
        ).one_or_none()
        return None if row is None else ShopRecord(**row._mapping)

    def replace_locations(self, shop_id: int, locations: Iterable[ShopLocation]) -> None:
        """Record the locations the shop reports now; one it no longer reports is removed."""
        self._connection.execute(sa.delete(shop_locations).where(shop_locations.c.shop_id == shop_id))
        rows = [dict(vars(location), shop_id=shop_id, updated_at=utc_now()) for location in locations]
        if rows:
            self._connection.execute(sa.insert(shop_locations), rows)

    def locations(self, shop_id: int) -> list[ShopLocation]:
        rows = self._connection.execute(
            sa.select(shop_locations)
            .where(shop_locations.c.shop_id == shop_id)
            .order_by(shop_locations.c.name)
        )
        return [
            ShopLocation(**{name: row._mapping[name] for name in ShopLocation.__dataclass_fields__})
            for row in rows
        ]

    def of_account(self, account_id: str) -> list[ShopRecord]:
        rows = self._connection.execute(
            sa.select(shops.c.id, shops.c.account_id, shops.c.domain, shops.c.name)
            .where(shops.c.account_id == account_id)
            .order_by(shops.c.id)
        )
        return [ShopRecord(**row._mapping) for row in rows]

    def clear_status_publish(self, shop_id: int) -> None:
        """A publishing job starts: changes from now on need a job of their own."""
        self._lower_flag(shop_id, shops.c.status_publish_pending)

    def clear_fulfilment_request(self, shop_id: int) -> None:
        """A fulfilling job starts: shipments recorded from now on need a job of their own."""
        self._lower_flag(shop_id, shops.c.fulfil_pending)

    def _lower_flag(self, shop_id: int, flag: sa.Column[bool]) -> None:
        lower_flag(self._connection, shops, shop_id, flag)


def status_publishing(shop_id: int, request: Callable[[], JobRequest]) -> FlaggedJob:
    """The job publishing the shop's changed order statuses (``UnitOfWork.wake`` it after a change)."""
    return FlaggedJob(shops, shops.c.status_publish_pending, shop_id, request)


def fulfilling(shop_id: int, request: Callable[[], JobRequest]) -> FlaggedJob:
    """The job creating the Shopify fulfillments of the shop's recorded shipments."""
    return FlaggedJob(shops, shops.c.fulfil_pending, shop_id, request)
