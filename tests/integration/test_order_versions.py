"""Shopify versions of one order delivered in any order, some more than once, leave the hub holding the
newest, whatever the arrival order (a property over the suite's database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.domain.orders import Address, Order, OrderLine
from crossdock.flows.order_intake import receive_order
from crossdock.store.engine import create_engine
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.schema import orders
from crossdock.store.shops import DeclaredShop
from crossdock.store.unit_of_work import UnitOfWork
from tests.support.databases import fresh_database
from tests.support.enqueuers import RecordingEnqueuer

SHOP = DeclaredShop(key="acme", domain="acme.myshopify.com", account_id="acme")
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


PAYMENTS = ("pending", "authorized", "paid", "refunded")  # in the order Shopify moves through them


def version(minutes: int, quantity: int, *, cancelled: bool = False, payment: int = 2) -> Order:
    return Order(
        shopify_order_id="5001",
        name="#5001",
        source_version=START + timedelta(minutes=minutes),
        created_at=START,
        currency="USD",
        email=None,
        lines=(OrderLine("11", "MUG", quantity, None, "Mug", None, True),),
        shipping_address=Address(
            first_name="Ada", address1="1 Main St", city="Austin", zip="1", country_code="US"
        ),
        shipping_method=None,
        tags=(),
        financial_status=PAYMENTS[payment],  # type: ignore[arg-type]
        cancelled_at=START + timedelta(minutes=minutes) if cancelled else None,
        cancel_reason="customer" if cancelled else None,
        note=None,
    )


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    with fresh_database(tmp_path_factory.mktemp("versions")) as url:
        engine = create_engine(url)
        upgrade_to_head(engine)
        with UnitOfWork(engine) as uow:
            uow.accounts.ensure([("acme", "Acme")])
            uow.shops.ensure([SHOP])
            uow.commit()
        yield engine
        engine.dispose()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.booleans(), st.integers(0, len(PAYMENTS) - 1)), min_size=1, max_size=8
    )
)
def test_versions_in_any_order_converge_to_the_newest(
    engine: sa.Engine, arrivals: list[tuple[int, bool, int]]
) -> None:
    """Versions of one minute differ in a cancellation or a payment (Shopify's updated_at counts seconds: an
    order cancelled or paid in the second it changed keeps its version); the cancelled one, then the one
    further along its payment, is the later state."""
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM order_events"))
        connection.execute(sa.delete(orders))
    for minutes, cancelled, payment in arrivals:
        with UnitOfWork(engine, RecordingEnqueuer()) as uow:
            shop = uow.shops.by_domain(SHOP.domain)
            assert shop is not None
            arriving = version(minutes, quantity=minutes + 1, cancelled=cancelled, payment=payment)
            receive_order(uow, shop, arriving, inbox_id=None, origin="test")
            uow.commit()
    with UnitOfWork(engine) as uow:
        shop = uow.shops.by_domain(SHOP.domain)
        assert shop is not None
        stored = uow.orders.get(shop.id, "5001")
    newest, cancelled, payment = max(arrivals)
    assert stored is not None
    assert stored.order == version(newest, quantity=newest + 1, cancelled=cancelled, payment=payment)
