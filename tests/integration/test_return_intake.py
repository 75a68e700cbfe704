"""Notices of one return delivered in any order, some more than once, leave the return at the furthest status
announced, with one job reading its lines; an older notice is on the order's timeline, changing nothing. A
return whose units left from no warehouse the hub knows of is an exception, not an RMA."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.domain.orders import Address, Order, OrderLine
from crossdock.domain.returns import RequestedLine, ReturnNotice
from crossdock.flows.order_intake import receive_order
from crossdock.flows.return_intake import UnknownReturnOrder, receive_return_notice, record_return_lines
from crossdock.flows.return_jobs import AUTHORISE_RETURN, READ_RETURN
from crossdock.store.engine import create_engine
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.schema import exceptions, order_events, returns
from crossdock.store.shops import DeclaredShop
from crossdock.store.unit_of_work import UnitOfWork
from tests.support.databases import fresh_database
from tests.support.enqueuers import RecordingEnqueuer

SHOP = DeclaredShop(key="acme", domain="acme.myshopify.com", account_id="acme")
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ORDER = Order(
    shopify_order_id="5001",
    name="#5001",
    source_version=START,
    created_at=START,
    currency="USD",
    email=None,
    lines=(OrderLine("11", "MUG", 2, None, "Mug", None, True),),
    shipping_address=Address(
        first_name="Ada", address1="1 Main St", city="Austin", zip="1", country_code="US"
    ),
    shipping_method=None,
    tags=(),
    financial_status="paid",
    cancelled_at=None,
    cancel_reason=None,
    note=None,
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    with fresh_database(tmp_path_factory.mktemp("returns")) as url:
        engine = create_engine(url)
        upgrade_to_head(engine)
        with UnitOfWork(engine, RecordingEnqueuer()) as uow:
            uow.accounts.ensure([("acme", "Acme")])
            uow.shops.ensure([SHOP])
            shop = uow.shops.by_domain(SHOP.domain)
            assert shop is not None
            receive_order(uow, shop, ORDER, inbox_id=None, origin="test")
            uow.commit()
        yield engine
        engine.dispose()


def deliver(engine: sa.Engine, status: str) -> tuple[str, RecordingEnqueuer]:
    enqueuer = RecordingEnqueuer()
    with UnitOfWork(engine, enqueuer) as uow:
        shop = uow.shops.by_domain(SHOP.domain)
        assert shop is not None
        notice = ReturnNotice("9001", "5001", status)  # type: ignore[arg-type]
        outcome = receive_return_notice(uow, shop, notice, inbox_id=None, origin="test")
        uow.commit()
    return outcome, enqueuer


def kinds(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(order_events.c.kind).order_by(order_events.c.id)).scalars())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["requested", "approved"]), min_size=1, max_size=6))
def test_notices_in_any_order_leave_the_furthest_status_and_one_reading_job(
    engine: sa.Engine, arrivals: list[str]
) -> None:
    with engine.begin() as connection:
        connection.execute(sa.delete(returns))
        connection.execute(sa.delete(order_events))
    jobs = []
    outcomes = []
    for status in arrivals:
        outcome, enqueuer = deliver(engine, status)
        outcomes.append(outcome)
        jobs += [request for _, request in enqueuer.calls]
    with UnitOfWork(engine) as uow:
        shop = uow.shops.by_domain(SHOP.domain)
        assert shop is not None
        stored = uow.returns.by_shopify_id(shop.id, "9001")
    assert stored is not None
    assert stored.status == ("approved" if "approved" in arrivals else "requested")
    assert outcomes[0] == "created"
    # Each new notice asks for the lines under one key: the job engine runs it once.
    assert {(request.job, request.key) for request in jobs} == {(READ_RETURN, f"return-{stored.id}-read")}
    # A notice moves the return only past where it stands: request, then approval.
    furthest = -1
    stale = 0
    for status in arrivals:
        rank = ["requested", "approved"].index(status)
        stale += rank <= furthest
        furthest = max(furthest, rank)
    assert kinds(engine).count("return_input_skipped") == outcomes.count("stale") == stale


def test_a_notice_for_an_order_the_hub_never_received_is_refused(engine: sa.Engine) -> None:
    with UnitOfWork(engine, RecordingEnqueuer()) as uow:
        shop = uow.shops.by_domain(SHOP.domain)
        assert shop is not None
        with pytest.raises(UnknownReturnOrder, match="order 4242, which the hub never received"):
            receive_return_notice(
                uow, shop, ReturnNotice("9002", "4242", "requested"), inbox_id=None, origin="t"
            )


def test_a_return_whose_units_no_warehouse_shipped_is_an_exception_not_an_rma(engine: sa.Engine) -> None:
    deliver(engine, "approved")
    with UnitOfWork(engine) as uow:
        shop = uow.shops.by_domain(SHOP.domain)
        assert shop is not None
        stored = uow.returns.by_shopify_id(shop.id, "9001")
    assert stored is not None
    enqueuer = RecordingEnqueuer()
    with UnitOfWork(engine, enqueuer) as uow:
        record_return_lines(uow, stored.id, [RequestedLine("31", "11", "MUG", 1)])
        uow.commit()
    assert [request.job for _, request in enqueuer.calls if request.job == AUTHORISE_RETURN] == []
    with engine.connect() as connection:
        (raised,) = connection.execute(
            sa.select(exceptions.c.type, exceptions.c.message).where(
                exceptions.c.subject_id == str(stored.id)
            )
        ).all()
    assert raised.type == "return_unplaceable"
    assert "MUG, which resolve to no registered SKU" in raised.message
