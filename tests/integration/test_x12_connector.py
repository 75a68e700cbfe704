"""X12Warehouse against a real SFTP server and the suite's database: one document per key whatever fails,
inbound files stored before they are archived, unreadable ones kept with the parse error, and what each 997
means for the order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr, ValidationError

from crossdock.config import Settings, WarehouseSettings, X12PartnerSettings
from crossdock.connectors.base import Sent, WarehouseUnavailable
from crossdock.connectors.x12.codec import X12Error, build_interchange, read_interchange, write_interchange
from crossdock.connectors.x12.collection import collect_into_inbox
from crossdock.connectors.x12.connector import X12Warehouse
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.functional_ack_997 import read_997, write_997
from crossdock.connectors.x12.documents.shipping_advice_945 import write_945
from crossdock.connectors.x12.input_handlers import process_x12_file
from crossdock.connectors.x12.jobs import check_acknowledgments, collections_per_job, slot_seconds
from crossdock.connectors.x12.model import Party, Segment
from crossdock.domain.orders import Address
from crossdock.domain.warehouse import (
    CancelRefused,
    OrderAcknowledged,
    OrderRejected,
    Parcel,
    Shipped,
    ShippedLine,
    SourceDocument,
    WarehouseOrder,
    WarehouseOrderLine,
)
from crossdock.flows.intake import InputRejected
from crossdock.jobs.context import JobContext
from crossdock.jobs.retry import RetryPolicy
from crossdock.jobs.runtime import JobRuntime
from crossdock.sandbox.sftp_server import SftpSandboxServer
from crossdock.store.engine import create_engine
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.store.warehouses import DeclaredWarehouse
from tests.support.enqueuers import RecordingEnqueuer
from tests.support.x12_validator import validate_x12

KEY = "east-3pl"
USERNAME = "hub"
PASSWORD = "connector-s3cret"
ORDER = WarehouseOrder(
    key="1001-A",
    warehouse=KEY,
    shopify_order_id="gid://shopify/Order/1001",
    order_name="#1001",
    ordered_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
    ship_to_name="Ada Lovelace",
    ship_to=Address(address1="1 Main St", city="Austin", province_code="TX", zip="78701", country_code="US"),
    lines=(WarehouseOrderLine(1, "MUG", 2), WarehouseOrderLine(2, "TEE", 1)),
    carrier_code="UPSN",
)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    upgrade_to_head(engine)
    with UnitOfWork(engine) as uow:
        uow.accounts.ensure([("acme", "Acme")])
        uow.warehouses.ensure([DeclaredWarehouse(KEY, "East 3PL", "x12", ("acme",))])
        uow.commit()
    try:
        yield engine
    finally:
        engine.dispose()


@dataclass
class Site:
    """The partner's SFTP server, the hub's connector to it, and the hub's database."""

    server: SftpSandboxServer
    root: Path
    connector: X12Warehouse
    engine: sa.Engine
    enqueuer: RecordingEnqueuer

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.enqueuer)

    def files(self, folder: str) -> dict[str, bytes]:
        path = self.root / folder.lstrip("/")
        return {item.name: item.read_bytes() for item in sorted(path.iterdir()) if item.is_file()}

    def drop(self, name: str, data: bytes) -> None:
        """The partner writes a file into the hub's inbound folder."""
        (self.root / "out" / name).write_bytes(data)

    def journal(self) -> list[Any]:
        with self.unit_of_work() as uow:
            record = uow.warehouses.by_code(KEY)
            assert record is not None
            return [entry.event for entry in uow.warehouse_events.list(record.id)]

    def stored_ids(self, since: int = 0) -> list[int]:
        """The inbox rows of the batch jobs the collections enqueued (one job per collection)."""
        return [
            int(inbox_id)
            for _, request in self.enqueuer.calls[since:]
            for inbox_id in request.args["inbox_ids"]
        ]

    async def collect_and_process(self) -> list[dict[str, int] | InputRejected]:
        """One collection, then each stored input processed as the hub's intake job would, then the 997s
        recorded meanwhile uploaded, as the next collection does."""
        before = len(self.enqueuer.calls)
        await collect_into_inbox(self.connector, self.unit_of_work)
        outcomes: list[dict[str, int] | InputRejected] = []
        for inbox_id in self.stored_ids(before):
            with self.unit_of_work() as uow:
                entry = uow.inbox.get(inbox_id)
            assert entry is not None
            try:
                outcomes.append(process_x12_file(self.connector, self.unit_of_work, entry))
            except InputRejected as rejection:
                outcomes.append(rejection)
        await self.connector.upload_pending()
        return outcomes


def warehouse_settings(port: int, **x12: object) -> WarehouseSettings:
    return WarehouseSettings.model_validate(
        {
            "name": "East 3PL",
            "accounts": ["acme"],
            "sftp": {
                "host": "127.0.0.1",
                "port": port,
                "username": USERNAME,
                "password": SecretStr(PASSWORD),
                "timeout_seconds": 5,
            },
            "x12": {"sender_id": "ACMEHUB", "receiver_id": "EAST3PL", "stable_seconds": 0, **x12},
        }
    )


@asynccontextmanager
async def site(tmp_path: Path, engine: sa.Engine, **x12: object) -> AsyncIterator[Site]:
    root = tmp_path / "sftp"
    server = SftpSandboxServer(root, username=USERNAME, password=PASSWORD)
    port = await server.start()
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    enqueuer = RecordingEnqueuer()
    connector = X12Warehouse(KEY, warehouse_settings(port, **x12), lambda: UnitOfWork(engine, enqueuer))
    try:
        yield Site(server, root, connector, engine, enqueuer)
    finally:
        await server.stop()


def run(
    tmp_path: Path, engine: sa.Engine, scenario: Callable[[Site], Awaitable[None]], **x12: object
) -> None:
    async def main() -> None:
        async with site(tmp_path, engine, **x12) as opened:
            await scenario(opened)

    asyncio.run(main())


def partner_file(
    opened: Site, code: str, functional_id: str, body: tuple[Segment, ...], control: int
) -> bytes:
    """A file as the partner writes it: its ids as sender, the hub's as receiver."""
    partner = opened.connector.partner
    interchange = build_interchange(
        sender=Party(partner.receiver_qualifier, partner.receiver_id),
        receiver=Party(partner.sender_qualifier, partner.sender_id),
        gs_sender=partner.gs_receiver,
        gs_receiver=partner.gs_sender,
        version=partner.version,
        usage="P",
        interchange_control=control,
        group_control=control,
        sets=[(code, functional_id, body)],
        now=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
    )
    return write_interchange(interchange)


def acknowledgment_of(opened: Site, sent: bytes, control: int, *, rejected: bool) -> bytes:
    """The partner's 997 for a file the hub sent, accepting or rejecting its one set."""
    interchange = read_interchange(sent)
    group = interchange.groups[0]
    errors = None
    if rejected:
        errors = {
            group.transaction_sets[0].control_number: [
                X12Error("invalid-code", "unknown SKU", segment_index=5, segment_tag="W01", element=5)
            ]
        }
    return partner_file(
        opened, "997", "FA", write_997(interchange, group, errors, partner=opened.connector.partner), control
    )


def test_an_order_sent_twice_is_one_valid_document_uploaded_once(tmp_path: Path, engine: sa.Engine) -> None:
    async def scenario(opened: Site) -> None:
        first = await opened.connector.send_order(ORDER)
        second = await opened.connector.send_order(ORDER)
        assert (first.repeated, second.repeated) == (False, True)
        assert first.key == second.key == "940:N:1001-A"
        ((name, data),) = opened.files("/in").items()
        assert name == "940_000000001.edi"
        assert validate_x12(data) == []
        assert read_interchange(data).control_number == "000000001"

    run(tmp_path, engine, scenario)


def test_an_upload_that_failed_goes_out_when_its_job_retries_with_the_same_bytes(
    tmp_path: Path, engine: sa.Engine
) -> None:
    async def scenario(opened: Site) -> None:
        opened.server.outage = True
        with pytest.raises(WarehouseUnavailable):
            await opened.connector.send_order(ORDER)
        assert opened.files("/in") == {}
        with opened.unit_of_work() as uow:
            (recorded,) = uow.x12_documents.not_uploaded(1)
        assert recorded.last_error and recorded.idempotency_key == "940:N:1001-A"
        opened.server.outage = False
        # The collection's relay leaves orders to the job that sends them (it may no longer be wanted)...
        assert await opened.connector.upload_pending() == []
        assert opened.files("/in") == {}
        # ...which is retried: the recorded bytes go out under the recorded name.
        retried = await opened.connector.send_order(ORDER)
        assert not retried.repeated and retried.key == "940:N:1001-A"
        assert opened.files("/in") == {recorded.file_name: recorded.body}
        # A further repeat finds it uploaded and sends nothing new.
        assert (await opened.connector.send_order(ORDER)).repeated
        assert len(opened.files("/in")) == 1

    run(tmp_path, engine, scenario)


def test_a_batch_of_orders_is_recorded_together_with_consecutive_control_numbers_and_sent_once(
    tmp_path: Path, engine: sa.Engine
) -> None:
    others = [replace(ORDER, key=f"100{n}-A", order_name=f"#100{n}") for n in (2, 3)]

    async def scenario(opened: Site) -> None:
        await opened.connector.send_order(ORDER)
        async with opened.connector.connection():
            sent = await opened.connector.send_orders([ORDER, *others])
        assert [(each.key, each.repeated) for each in sent if isinstance(each, Sent)] == [
            ("940:N:1001-A", True),
            ("940:N:1002-A", False),
            ("940:N:1003-A", False),
        ]
        files = opened.files("/in")
        assert sorted(files) == ["940_000000001.edi", "940_000000002.edi", "940_000000003.edi"]
        assert all(validate_x12(data) == [] for data in files.values())
        with opened.unit_of_work() as uow:
            assert uow.x12_documents.not_uploaded(1) == []

    run(tmp_path, engine, scenario)


def test_a_batch_the_partner_cannot_take_is_recorded_and_goes_out_when_retried(
    tmp_path: Path, engine: sa.Engine
) -> None:
    orders = [ORDER, replace(ORDER, key="1002-A", order_name="#1002")]

    async def scenario(opened: Site) -> None:
        opened.server.outage = True
        with pytest.raises(WarehouseUnavailable):  # no session at all
            await opened.connector.send_orders(orders)
        with opened.unit_of_work() as uow:
            recorded = uow.x12_documents.not_uploaded(1)
        assert [document.idempotency_key for document in recorded] == ["940:N:1001-A", "940:N:1002-A"]
        opened.server.outage = False
        retried = await opened.connector.send_orders(orders)
        assert [(each.key, each.repeated) for each in retried if isinstance(each, Sent)] == [
            ("940:N:1001-A", False),
            ("940:N:1002-A", False),
        ]
        assert opened.files("/in") == {document.file_name: document.body for document in recorded}

    run(tmp_path, engine, scenario)


def test_a_change_is_one_document_per_content(tmp_path: Path, engine: sa.Engine) -> None:
    async def scenario(opened: Site) -> None:
        await opened.connector.send_order(ORDER)
        more = ORDER.__class__(**{**ORDER.__dict__, "lines": (WarehouseOrderLine(1, "MUG", 3),)})
        first = await opened.connector.update_order(more)
        again = await opened.connector.update_order(more)
        other = await opened.connector.update_order(ORDER)
        assert again.repeated and again.key == first.key and other.key != first.key
        assert len(opened.files("/in")) == 3

    run(tmp_path, engine, scenario)


def test_a_shipment_is_journaled_once_and_answered_with_one_997(tmp_path: Path, engine: sa.Engine) -> None:
    shipped = Shipped(
        warehouse=KEY,
        occurred_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
        source=SourceDocument(kind="x12/945", reference="-"),
        order_key="1001-A",
        shipment_id="SH-1",
        lines=(ShippedLine("MUG", 2, 2, line_number=1), ShippedLine("TEE", 1, 1, line_number=2)),
        parcels=(Parcel(tracking_number="1Z999AA10123456784", carrier_code="UPSN"),),
    )

    async def scenario(opened: Site) -> None:
        data = partner_file(
            opened, "945", "SW", write_945(shipped, partner=opened.connector.partner, order_name="#1001"), 41
        )
        opened.drop("945_41.edi", data)
        (outcome,) = await opened.collect_and_process()
        assert outcome == {"events": 1, "acknowledgments": 0, "answers": 1}
        assert list(opened.files("/out/archive")) == ["945_41.edi"] and opened.files("/out") == {}
        # The partner sends the same interchange again (its own retry): stored once, nothing new.
        opened.drop("945_41-again.edi", data)
        assert await opened.collect_and_process() == []
        (event,) = opened.journal()
        assert isinstance(event, Shipped) and event.order_key == "1001-A"
        assert [parcel.tracking_number for parcel in event.parcels] == ["1Z999AA10123456784"]
        (answer,) = opened.files("/in").values()
        assert validate_x12(answer) == []
        interchange = read_interchange(answer)
        group = interchange.groups[0]
        context = ReadContext(KEY, opened.connector.partner, interchange, group, None)
        acknowledgment = read_997(group.transaction_sets[0], context)
        assert (acknowledgment.group_control_number, acknowledgment.group_status) == ("41", "A")

    run(tmp_path, engine, scenario)


def test_an_unreadable_file_goes_to_the_error_folder_with_the_parse_error(
    tmp_path: Path, engine: sa.Engine
) -> None:
    async def scenario(opened: Site) -> None:
        good = partner_file(opened, "945", "SW", (Segment("W06", ("J", "1001-A")),), 42)
        truncated = good[: len(good) // 2]
        opened.drop("945_broken.edi", truncated)
        (outcome,) = await opened.collect_and_process()
        assert isinstance(outcome, InputRejected)
        assert outcome.details["rule"] and "segment_tag" in outcome.details
        assert opened.files("/out/error") == {"945_broken.edi": truncated}
        with opened.unit_of_work() as uow:
            (stored,) = [uow.inbox.get(inbox_id) for inbox_id in opened.stored_ids()]
        assert stored is not None and stored.payload == truncated and stored.kind == "unreadable"
        assert opened.journal() == [] and opened.files("/in") == {}

    run(tmp_path, engine, scenario)


def test_a_set_that_cannot_be_read_is_rejected_by_the_997_and_nothing_is_journaled(
    tmp_path: Path, engine: sa.Engine
) -> None:
    async def scenario(opened: Site) -> None:
        # A 945 without its W06 header: the envelope is sound, the set is not.
        opened.drop("945_43.edi", partner_file(opened, "945", "SW", (Segment("N1", ("ST", "Ada")),), 43))
        (outcome,) = await opened.collect_and_process()
        assert isinstance(outcome, InputRejected) and outcome.details["set"] == "945"
        assert opened.journal() == []
        (answer,) = opened.files("/in").values()
        interchange = read_interchange(answer)
        group = interchange.groups[0]
        acknowledgment = read_997(
            group.transaction_sets[0], ReadContext(KEY, opened.connector.partner, interchange, group, None)
        )
        assert acknowledgment.group_status == "R"
        assert acknowledgment.set_results[0].errors

    run(tmp_path, engine, scenario)


@pytest.mark.parametrize(
    ("order_outcomes", "rejected", "expected"),
    [
        ("870", False, []),
        ("870", True, [OrderRejected]),
        ("997", False, [OrderAcknowledged]),
        ("997", True, [OrderRejected]),
    ],
)
def test_what_a_997_for_a_new_order_means(
    tmp_path: Path, engine: sa.Engine, order_outcomes: str, rejected: bool, expected: list[type]
) -> None:
    async def scenario(opened: Site) -> None:
        await opened.connector.send_order(ORDER)
        (sent,) = opened.files("/in").values()
        opened.drop("997_50.edi", acknowledgment_of(opened, sent, 50, rejected=rejected))
        (outcome,) = await opened.collect_and_process()
        assert outcome == {"events": len(expected), "acknowledgments": 1, "answers": 0}
        assert [type(event) for event in opened.journal()] == expected
        with opened.unit_of_work() as uow:
            assert uow.x12_documents.awaiting_acknowledgment(uploaded_before=datetime.now(UTC)) == []

    run(tmp_path, engine, scenario, order_outcomes=order_outcomes)


def test_a_rejected_cancellation_is_a_refused_one(tmp_path: Path, engine: sa.Engine) -> None:
    async def scenario(opened: Site) -> None:
        await opened.connector.cancel_order(ORDER)
        (sent,) = opened.files("/in").values()
        opened.drop("997_51.edi", acknowledgment_of(opened, sent, 51, rejected=True))
        await opened.collect_and_process()
        (event,) = opened.journal()
        assert (
            isinstance(event, CancelRefused)
            and event.order_key == "1001-A"
            and "W01 at position 5" in event.reason
        )

    run(tmp_path, engine, scenario)


def test_a_document_without_its_997_becomes_an_exception(
    tmp_path: Path, engine: sa.Engine, settings: Settings
) -> None:
    async def scenario(opened: Site) -> None:
        await opened.connector.send_order(ORDER)

    run(tmp_path, engine, scenario)
    # An hour later (the default timeout) nothing came back.
    with UnitOfWork(engine) as uow:
        uow.connection.execute(
            sa.text("UPDATE x12_outbound_documents SET uploaded_at = :moment"),
            {"moment": datetime.now(UTC) - timedelta(minutes=61)},
        )
        uow.commit()
    configured = settings.model_copy(update={"warehouses": {KEY: warehouse_settings(22)}})
    runtime = JobRuntime(
        engine=engine, enqueuer=RecordingEnqueuer(), default_retry=RetryPolicy(), settings=configured
    )
    context = JobContext(job_id="j", job="x12.check_acknowledgments", key="k", attempt=1, runtime=runtime)
    assert check_acknowledgments(context) == 1
    assert check_acknowledgments(context) == 1
    with UnitOfWork(engine) as uow:
        (exception,) = uow.exceptions.list(status="open")
    assert exception.type == "unacknowledged_document" and exception.occurrences == 2
    assert "940_000000001.edi" in exception.message and "1001-A" in exception.message


def test_a_997_is_recorded_then_uploaded_by_the_next_collection_even_after_an_outage(
    tmp_path: Path, engine: sa.Engine
) -> None:
    async def scenario(opened: Site) -> None:
        shipped = partner_file(opened, "945", "SW", (Segment("W06", ("J", "1001-A")),), 60)
        (recorded,) = opened.connector.acknowledge(read_interchange(shipped))
        assert recorded.uploaded_at is None and opened.files("/in") == {}
        opened.server.outage = True
        with pytest.raises(WarehouseUnavailable):
            await opened.connector.upload_pending()
        opened.server.outage = False
        (relayed,) = await opened.connector.upload_pending()
        assert relayed.key == "997:EAST3PL:000000060:60"
        (answer,) = opened.files("/in").values()
        assert read_interchange(answer).groups[0].functional_id == "FA"

    run(tmp_path, engine, scenario)


def test_collections_below_a_second_apart_share_one_session_and_take_what_arrives_between_them(
    tmp_path: Path, engine: sa.Engine
) -> None:
    async def scenario(opened: Site) -> None:
        first = partner_file(opened, "945", "SW", (Segment("W06", ("J", "1001-A")),), 61)
        later = partner_file(opened, "945", "SW", (Segment("W06", ("J", "1001-B")),), 62)
        opened.drop("945_61.edi", first)
        collecting = asyncio.ensure_future(
            collect_into_inbox(opened.connector, opened.unit_of_work, times=3, every=0.3)
        )
        await asyncio.sleep(0.15)  # after the first collection, before the second
        opened.drop("945_62.edi", later)
        report = await collecting
        assert (report.files, report.new, report.unreadable) == (2, 2, 0)
        assert sorted(opened.files("/out/archive")) == ["945_61.edi", "945_62.edi"]
        assert len(opened.enqueuer.calls) == 2  # one processing job per collection that found files

    run(tmp_path, engine, scenario)


@pytest.mark.parametrize(
    ("interval", "slot", "collections"), [(60.0, 60.0, 1), (1.0, 1.0, 1), (0.5, 1.0, 2), (0.25, 1.0, 4)]
)
def test_a_poll_interval_below_a_second_is_several_collections_in_each_second_job(
    interval: float, slot: float, collections: int
) -> None:
    assert (slot_seconds(interval), collections_per_job(interval)) == (slot, collections)


def test_the_poll_interval_goes_down_to_a_quarter_of_a_second() -> None:
    ids = {"sender_id": "ACMEHUB", "receiver_id": "EAST3PL"}
    quarter = X12PartnerSettings.model_validate({**ids, "poll_interval_seconds": 0.25})
    assert quarter.poll_interval_seconds == 0.25
    with pytest.raises(ValidationError, match=r"greater than or equal to 0\.25"):
        X12PartnerSettings.model_validate({**ids, "poll_interval_seconds": 0.1})
