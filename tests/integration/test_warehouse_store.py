"""Warehouses, X12 control numbers and outbound documents, and the warehouse event journal, on the database
the suite runs on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from crossdock.domain.warehouse import Parcel, Shipped, ShippedLine, SourceDocument, StockAdjusted
from crossdock.store.engine import create_engine
from crossdock.store.job_flags import lower_flag
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.schema import warehouses
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.store.warehouses import DeclaredWarehouse, sending
from crossdock.store.x12_documents import ControlNumbers
from tests.support.enqueuers import RecordingEnqueuer

EAST = DeclaredWarehouse(code="east", name="East 3PL", connector="x12", account_ids=("acme",))


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    upgrade_to_head(engine)
    with UnitOfWork(engine) as uow:
        uow.accounts.ensure([("acme", "Acme"), ("globex", "Globex")])
        uow.warehouses.ensure([EAST])
        uow.commit()
    try:
        yield engine
    finally:
        engine.dispose()


def warehouse_id(engine: sa.Engine) -> int:
    with UnitOfWork(engine) as uow:
        record = uow.warehouses.by_code("east")
    assert record is not None
    return record.id


def test_declared_warehouses_are_mirrored_with_their_accounts(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.warehouses.ensure([DeclaredWarehouse("east", "East Coast", "x12", ("acme", "globex"))])
        uow.commit()
    with UnitOfWork(engine) as uow:
        record = uow.warehouses.by_code("east")
        assert uow.warehouses.by_code("west") is None
    assert record is not None
    assert (record.name, record.connector, record.account_ids) == ("East Coast", "x12", ("acme", "globex"))


def test_control_numbers_increase_and_are_never_shared_between_transactions(engine: sa.Engine) -> None:
    wid = warehouse_id(engine)
    taken: list[int] = []
    lock = threading.Lock()

    def take(times: int) -> None:
        for _ in range(times):
            with UnitOfWork(engine) as uow:
                numbers = uow.x12_documents.next_control_numbers(wid)
                uow.commit()
            with lock:
                taken.append(numbers.interchange)

    threads = [threading.Thread(target=take, args=(10,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == list(range(1, 31))


def test_a_rolled_back_transaction_gives_its_control_numbers_back(engine: sa.Engine) -> None:
    wid = warehouse_id(engine)
    with UnitOfWork(engine) as uow:
        assert uow.x12_documents.next_control_numbers(wid) == ControlNumbers(1, 1)
        uow.rollback()
    with UnitOfWork(engine) as uow:
        assert uow.x12_documents.next_control_numbers(wid) == ControlNumbers(1, 1)


def test_outbound_documents_are_found_by_key_and_acknowledged_by_group(engine: sa.Engine) -> None:
    wid = warehouse_id(engine)
    with UnitOfWork(engine) as uow:
        numbers = uow.x12_documents.next_control_numbers(wid)
        document = uow.x12_documents.insert(
            warehouse_id=wid,
            account_id="acme",
            idempotency_key="940:N:ORD-1",
            set_code="940",
            subject_key="ORD-1",
            purpose="N",
            control=numbers,
            file_name="940_000000001.edi",
            body=b"ISA...",
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.x12_documents.by_key(wid, "940:N:ORD-1") == document
        assert uow.x12_documents.not_uploaded(wid) == [document]
        uow.x12_documents.mark_uploaded(document.id)
        later = datetime.now(UTC) + timedelta(seconds=1)
        assert [d.id for d in uow.x12_documents.awaiting_acknowledgment(uploaded_before=later)] == [
            document.id
        ]
        acknowledged = uow.x12_documents.acknowledge_group(
            wid, numbers.group, status="accepted", detail={"sets": {"0001": "A"}}
        )
        assert [d.ack_status for d in acknowledged] == ["accepted"]
        assert uow.x12_documents.awaiting_acknowledgment(uploaded_before=later) == []
        assert uow.x12_documents.not_uploaded(wid) == []
        uow.commit()


def test_journal_keeps_events_in_order_and_a_document_read_twice_adds_nothing(engine: sa.Engine) -> None:
    wid = warehouse_id(engine)
    source = SourceDocument(kind="x12/945", reference="EAST3PL/000000007/0001", file_name="945_7.edi")
    moment = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    shipped = Shipped(
        warehouse="east",
        occurred_at=moment,
        source=source,
        order_key="ORD-1",
        shipment_id="SH-1",
        lines=(ShippedLine(sku="TENT-2P", quantity_shipped=1, quantity_ordered=2, line_number=1),),
        parcels=(Parcel(tracking_number="1Z999", carrier_code="UPSN", carrier_name="UPS"),),
    )
    adjusted = StockAdjusted(
        warehouse="east",
        occurred_at=moment,
        source=source,
        sku="TENT-2P",
        quantity_change=-1,
        reason="damaged",
    )
    with UnitOfWork(engine) as uow:
        inbox = uow.inbox.record(
            source="x12",
            kind="interchange",
            dedupe_key="EAST3PL/7",
            payload=b"ISA",
            headers={},
            account_id=None,
        )
        assert uow.warehouse_events.append(wid, inbox.inbox_id, [shipped, adjusted]) == 2
        assert uow.warehouse_events.append(wid, inbox.inbox_id, [shipped, adjusted]) == 0
        uow.commit()
    with UnitOfWork(engine) as uow:
        entries = uow.warehouse_events.list(wid)
        assert [entry.event for entry in entries] == [shipped, adjusted]
        assert [entry.event for entry in uow.warehouse_events.list(wid, order_key="ORD-1")] == [shipped]
        assert uow.warehouse_events.list(wid, kind="StockAdjusted")[0].event == adjusted


def _sending_request(warehouse: int) -> Callable[[], JobRequest]:
    return lambda: JobRequest(job="orders.send_pending", key=f"send-{warehouse}", partition="east")


def _wake_sending(engine: sa.Engine, warehouse: int, *, commit: bool = True) -> list[str]:
    with UnitOfWork(engine, RecordingEnqueuer()) as uow:
        uow.wake(sending(warehouse, _sending_request(warehouse)))
        uow.wake(sending(warehouse, _sending_request(warehouse)))  # twice in one transaction
        if not commit:
            uow.rollback()
            return []
        return uow.commit()


def _job_starts(engine: sa.Engine, warehouse: int) -> None:
    with UnitOfWork(engine) as uow:
        uow.warehouses.clear_dispatch_request(warehouse)
        uow.commit()


def test_the_sending_flag_asks_for_one_job_until_the_job_starts(engine: sa.Engine) -> None:
    east = warehouse_id(engine)
    first = _wake_sending(engine, east)
    again = _wake_sending(engine, east)
    _job_starts(engine, east)
    _wake_sending(engine, east, commit=False)  # work rolled back wakes nothing
    after_the_start = _wake_sending(engine, east)
    unknown = _wake_sending(engine, east + 1000)
    assert (first, again, after_the_start, unknown) == (["orders.send_pending:send-1"], [], first, [])


def test_a_transaction_adding_work_does_not_hold_the_flags_row_on_postgresql(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time: there the flag is read inside it")
    east = warehouse_id(engine)
    enqueuer = RecordingEnqueuer()
    with UnitOfWork(engine, enqueuer) as adding:
        adding.accounts.ensure([("initech", "Initech")])  # work of its own, uncommitted
        adding.wake(sending(east, _sending_request(east)))
        # The sending job starts meanwhile: lowering the flag does not wait for the open transaction.
        with engine.begin() as job_start:
            job_start.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            lower_flag(job_start, warehouses, east, warehouses.c.dispatch_pending)
        assert enqueuer.calls == []  # nothing is read before the work commits
        woken = adding.commit()
    # The flag found lowered after the commit: this transaction's work gets a job of its own.
    assert woken == ["orders.send_pending:send-1"]
