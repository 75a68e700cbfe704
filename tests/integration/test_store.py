"""The store on the database the suite runs on (SQLite, or PostgreSQL when CROSSDOCK_TEST_DATABASE_URL is
set): the migrations build exactly the described schema, and each repository keeps its promises."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from crossdock.store import inbox as inbox_module
from crossdock.store.accounts import AccountRepository
from crossdock.store.engine import create_engine
from crossdock.store.exceptions import ExceptionRepository
from crossdock.store.executors import ExecutorInUseError, ExecutorRepository, ProcessIdentity
from crossdock.store.inbox import InboxRepository, NewInboxEntry
from crossdock.store.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade_to_head,
)
from crossdock.store.order_events import OrderEventRepository
from crossdock.store.outbound_calls import OutboundCallRepository
from crossdock.store.schema import accounts, exceptions, metadata
from crossdock.store.sync_cursors import SyncCursorRepository
from crossdock.store.types import UtcDateTime, utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from tests.support.databases import backend_name
from tests.support.enqueuers import RecordingEnqueuer

sqlite_only = pytest.mark.skipif(backend_name() != "sqlite", reason="a SQLite connection setting")


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[sa.Engine]:
    """An engine on an empty database, disposed before the database goes away."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def engine(bare_engine: sa.Engine) -> sa.Engine:
    upgrade_to_head(bare_engine)
    return bare_engine


@pytest.fixture
def connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.begin() as connection:
        yield connection


@pytest.fixture
def with_accounts(connection: sa.Connection) -> sa.Connection:
    AccountRepository(connection).ensure([("acme", "Acme Outdoor"), ("globex", "Globex")])
    return connection


def env_include_object(engine: sa.Engine) -> Callable[..., bool]:
    """The table filter the migration environment (migrations/env.py) configures, taken from a run of it."""
    captured: dict[str, Any] = {}

    def capture(_heads: Any, context: MigrationContext) -> list[Any]:
        captured.update(context.opts)
        return []

    with engine.begin() as connection:
        config = alembic_config(connection)
        script = ScriptDirectory.from_config(config)
        with EnvironmentContext(config, script, fn=capture):
            script.run_env()
    include_object: Callable[..., bool] = captured["include_object"]
    return include_object


def schema_differences(engine: sa.Engine) -> list[Any]:
    include_object = env_include_object(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        # No type difference needs filtering: UtcDateTime and the JSON/BigInteger variants compare as the
        # DateTime(timezone=True), JSON/JSONB and BigInteger/Integer columns the migration created.
        return list(compare_metadata(context, metadata))


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


# --- Migrations -------------------------------------------------------------------------------------------


def test_migrations_create_exactly_the_tables_of_the_schema(engine: sa.Engine) -> None:
    assert table_names(engine) == set(metadata.tables)
    assert len(metadata.tables) == 32


@pytest.mark.filterwarnings("ignore:.*expression-based index")  # checked by behaviour below
def test_the_migrated_schema_matches_the_described_one(engine: sa.Engine) -> None:
    assert schema_differences(engine) == []


@pytest.mark.filterwarnings("ignore:.*expression-based index")  # checked by behaviour below
def test_the_schema_comparison_ignores_job_engine_tables_but_reports_any_other_stray_table(
    engine: sa.Engine,
) -> None:
    with engine.begin() as connection:
        for name in ("workflow_status", "dbos_migrations", "stray"):
            connection.exec_driver_sql(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)")

    differences = schema_differences(engine)

    assert [(kind, table.name) for kind, table in differences] == [("remove_table", "stray")]


def test_upgrading_an_up_to_date_database_changes_nothing(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        AccountRepository(connection).ensure([("acme", "Acme Outdoor")])
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.lstrip().split()[0].upper())

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        upgrade_to_head(engine)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    assert "SELECT" in statements  # the version was read, so the listener did see the upgrade's statements
    assert {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}.isdisjoint(statements)
    assert current_revision(engine) == head_revision() == "0017"
    assert table_names(engine) == set(metadata.tables)
    with engine.connect() as connection:
        assert AccountRepository(connection).names() == {"acme": "Acme Outdoor"}


def test_is_up_to_date_only_once_migrated(bare_engine: sa.Engine) -> None:
    assert current_revision(bare_engine) is None
    assert is_up_to_date(bare_engine) is False

    upgrade_to_head(bare_engine)

    assert is_up_to_date(bare_engine) is True


# --- Connection settings ----------------------------------------------------------------------------------


@sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(connection: sa.Connection) -> None:
    assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_row_pointing_to_an_unknown_account_is_refused(engine: sa.Engine) -> None:
    with engine.connect() as connection, pytest.raises(sa.exc.IntegrityError):
        InboxRepository(connection).record(
            source="shopify", kind="order", dedupe_key="o-1", payload=b"{}", account_id="nobody"
        )


# --- UtcDateTime ------------------------------------------------------------------------------------------


def test_a_timestamp_reads_back_as_the_same_instant_in_utc(connection: sa.Connection) -> None:
    written = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    connection.execute(sa.insert(accounts).values(id="acme", name="Acme", created_at=written))
    if connection.dialect.name == "postgresql":
        # The session's zone must not leak into the value read back.
        connection.exec_driver_sql("SET TIME ZONE 'Asia/Tokyo'")

    read = connection.execute(sa.select(accounts.c.created_at)).scalar_one()

    assert read == written
    assert read.tzinfo is UTC
    assert (read.hour, read.minute, read.microsecond) == (10, 30, 123456)


def test_a_naive_timestamp_is_refused(connection: sa.Connection) -> None:
    naive = datetime(2024, 3, 1, 12, 30)

    with pytest.raises(sa.exc.StatementError) as caught:
        connection.execute(sa.insert(accounts).values(id="acme", name="Acme", created_at=naive))

    assert isinstance(caught.value.orig, ValueError)
    with pytest.raises(ValueError, match="naive datetime"):
        UtcDateTime().process_bind_param(naive, connection.dialect)


# --- Inbox ------------------------------------------------------------------------------------------------


def test_the_same_delivery_twice_is_recorded_once_and_keeps_the_first_payload(
    connection: sa.Connection,
) -> None:
    inbox = InboxRepository(connection)

    first = inbox.record(source="shopify", kind="order", dedupe_key="o-1", payload=b"first")
    again = inbox.record(source="shopify", kind="order", dedupe_key="o-1", payload=b"second")

    assert (first.is_new, again.is_new) == (True, False)
    assert again.inbox_id == first.inbox_id
    entry = inbox.get(first.inbox_id)
    assert entry is not None
    assert (entry.payload, entry.state, entry.attempts) == (b"first", "received", 0)
    assert inbox.count_by_state() == {"received": 1}


def test_the_same_dedupe_key_from_another_source_is_a_new_input(connection: sa.Connection) -> None:
    inbox = InboxRepository(connection)

    from_shop = inbox.record(source="shopify", kind="order", dedupe_key="k-1", payload=b"a")
    from_warehouse = inbox.record(source="warehouse", kind="shipment", dedupe_key="k-1", payload=b"b")

    assert from_warehouse.is_new is True
    assert from_warehouse.inbox_id != from_shop.inbox_id
    entry = inbox.get(from_warehouse.inbox_id)
    assert entry is not None
    assert (entry.source, entry.kind, entry.payload) == ("warehouse", "shipment", b"b")


def test_an_input_keeps_its_headers_and_account(with_accounts: sa.Connection) -> None:
    inbox = InboxRepository(with_accounts)

    recorded = inbox.record(
        source="shopify",
        kind="order",
        dedupe_key="o-1",
        payload=b"{}",
        headers={"X-Topic": "orders/create"},
        account_id="acme",
    )

    entry = inbox.get(recorded.inbox_id)
    assert entry is not None
    assert (entry.headers, entry.account_id) == ({"X-Topic": "orders/create"}, "acme")
    assert entry.received_at.tzinfo is UTC
    assert inbox.get(recorded.inbox_id + 1000) is None


def test_many_inputs_go_in_one_insert_each_new_once_in_statements_of_bounded_size(
    with_accounts: sa.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = InboxRepository(with_accounts)
    earlier = inbox.record(source="shopify", kind="order", dedupe_key="o-2", payload=b"earlier")
    # Two rows per statement: five distinct inputs take three statements.
    monkeypatch.setattr(inbox_module._INSERT_ENTRIES, "rows_per_statement", 2)
    entries = [
        NewInboxEntry(
            source="shopify",
            kind="order",
            dedupe_key=f"o-{number}",
            payload=f"body {number}".encode(),
            headers={},
        )
        for number in (1, 2, 3, 4)
    ] + [
        NewInboxEntry(
            source="shopify", kind="order", dedupe_key="o-1", payload=b"the same again", headers={}
        ),
        NewInboxEntry(
            source="shopify",
            kind="products/update",
            dedupe_key="p-1",
            payload=b"{}",
            headers={"X-Shopify-Topic": "products/update"},
            account_id="acme",
            state="ignored",
            error="not subscribed",
        ),
    ]

    outcomes = inbox.record_many(entries)

    assert [outcome.is_new for outcome in outcomes] == [True, False, True, True, False, True]
    assert outcomes[1].inbox_id == earlier.inbox_id
    assert outcomes[4].inbox_id == outcomes[0].inbox_id
    stored = inbox.get_many([outcome.inbox_id for outcome in outcomes])
    assert [stored[outcome.inbox_id].payload for outcome in outcomes] == [
        b"body 1",
        b"earlier",
        b"body 3",
        b"body 4",
        b"body 1",
        b"{}",
    ]
    ignored = stored[outcomes[5].inbox_id]
    assert (ignored.headers, ignored.account_id, ignored.state, ignored.error) == (
        {"X-Shopify-Topic": "products/update"},
        "acme",
        "ignored",
        "not subscribed",
    )
    assert ignored.received_at.tzinfo is UTC and ignored.processed_at == ignored.received_at
    assert stored[outcomes[0].inbox_id].processed_at is None
    assert inbox.count_by_state() == {"received": 4, "ignored": 1}


@pytest.mark.skipif(backend_name() != "postgresql", reason="a PostgreSQL storage setting")
def test_postgresql_compresses_inbox_payloads_with_lz4(connection: sa.Connection) -> None:
    lz4_built_in = connection.execute(
        sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar_one()
    compression = connection.execute(
        sa.text(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'inbox'::regclass AND attname = 'payload'"
        )
    ).scalar_one()
    assert compression == ("l" if lz4_built_in else "")


def test_each_processing_start_counts_an_attempt(connection: sa.Connection) -> None:
    inbox = InboxRepository(connection)
    recorded = inbox.record(source="shopify", kind="order", dedupe_key="o-1", payload=b"{}")

    inbox.start_processing(recorded.inbox_id)
    inbox.start_processing(recorded.inbox_id)

    entry = inbox.get(recorded.inbox_id)
    assert entry is not None
    assert (entry.state, entry.attempts, entry.processed_at) == ("processing", 2, None)


def test_finishing_records_the_outcome_error_and_time(connection: sa.Connection) -> None:
    inbox = InboxRepository(connection)
    failed = inbox.record(source="shopify", kind="order", dedupe_key="o-1", payload=b"{}")
    done = inbox.record(source="shopify", kind="order", dedupe_key="o-2", payload=b"{}")
    inbox.record(source="shopify", kind="order", dedupe_key="o-3", payload=b"{}")
    inbox.start_processing(failed.inbox_id)
    inbox.start_processing(done.inbox_id)
    before = utc_now()

    inbox.finish(failed.inbox_id, "failed", error="unknown SKU")
    inbox.finish(done.inbox_id, "processed")

    after = utc_now()
    failed_entry, done_entry = inbox.get(failed.inbox_id), inbox.get(done.inbox_id)
    assert failed_entry is not None and done_entry is not None
    assert (failed_entry.state, failed_entry.error, failed_entry.attempts) == ("failed", "unknown SKU", 1)
    assert (done_entry.state, done_entry.error) == ("processed", None)
    for entry in (failed_entry, done_entry):
        assert entry.processed_at is not None
        assert before <= entry.processed_at <= after
    assert inbox.count_by_state() == {"failed": 1, "processed": 1, "received": 1}


# --- Exceptions -------------------------------------------------------------------------------------------


def raise_stock_mismatch(
    repository: ExceptionRepository,
    *,
    subject_id: str = "SKU-1",
    message: str = "stock differs",
    type: str = "stock_mismatch",
    account_id: str | None = "acme",
) -> int:
    return repository.raise_(
        type=type,
        severity="warning",
        subject_type="sku",
        subject_id=subject_id,
        message=message,
        details={"subject": subject_id},
        actions=["recount"],
        account_id=account_id,
    )


def test_a_repeated_open_exception_counts_occurrences_on_one_row(with_accounts: sa.Connection) -> None:
    repository = ExceptionRepository(with_accounts)
    first_id = raise_stock_mismatch(repository, message="stock differs by 1")
    first = repository.get(first_id)
    time.sleep(0.01)

    second_id = raise_stock_mismatch(repository, message="stock differs by 2")

    assert second_id == first_id
    assert len(repository.list(status=None)) == 1
    record = repository.get(first_id)
    assert first is not None and record is not None
    assert (record.occurrences, record.message, record.status) == (2, "stock differs by 2", "open")
    assert record.first_seen_at == first.first_seen_at
    assert record.last_seen_at > first.last_seen_at
    assert (record.details, record.actions) == ({"subject": "SKU-1"}, ["recount"])


def test_after_an_exception_is_closed_the_same_problem_opens_a_new_one(with_accounts: sa.Connection) -> None:
    repository = ExceptionRepository(with_accounts)
    closed_id = raise_stock_mismatch(repository)

    assert repository.close(closed_id, status="resolved", by="ops@acme") is True
    reopened_id = raise_stock_mismatch(repository)

    assert reopened_id != closed_id
    closed, reopened = repository.get(closed_id), repository.get(reopened_id)
    assert closed is not None and reopened is not None
    assert (closed.status, closed.closed_by, closed.occurrences) == ("resolved", "ops@acme", 1)
    assert closed.closed_at is not None
    assert (reopened.status, reopened.occurrences, reopened.closed_at) == ("open", 1, None)


def test_closing_answers_false_when_the_exception_is_not_open(with_accounts: sa.Connection) -> None:
    repository = ExceptionRepository(with_accounts)
    exception_id = raise_stock_mismatch(repository)
    repository.close(exception_id, status="ignored", by="ops@acme")

    assert repository.close(exception_id, status="resolved", by="someone else") is False
    assert repository.close(exception_id + 1000, status="resolved", by="ops@acme") is False
    record = repository.get(exception_id)
    assert record is not None
    assert (record.status, record.closed_by) == ("ignored", "ops@acme")


def test_listing_filters_by_status_type_and_account(with_accounts: sa.Connection) -> None:
    repository = ExceptionRepository(with_accounts)
    acme_stock = raise_stock_mismatch(repository, subject_id="SKU-1")
    time.sleep(0.01)
    globex_stock = raise_stock_mismatch(repository, subject_id="SKU-2", account_id="globex")
    time.sleep(0.01)
    acme_address = raise_stock_mismatch(repository, subject_id="#1001", type="bad_address")
    time.sleep(0.01)
    resolved = raise_stock_mismatch(repository, subject_id="SKU-3")
    repository.close(resolved, status="resolved", by="ops@acme")

    def ids(**filters: Any) -> list[int]:
        return [record.id for record in repository.list(**filters)]

    assert ids() == [acme_address, globex_stock, acme_stock]
    assert ids(status="resolved") == [resolved]
    assert ids(status=None) == [resolved, acme_address, globex_stock, acme_stock]
    assert ids(type="stock_mismatch") == [globex_stock, acme_stock]
    assert ids(account_id="acme") == [acme_address, acme_stock]
    assert ids(type="stock_mismatch", account_id="globex") == [globex_stock]
    assert ids(limit=1) == [acme_address]
    assert repository.count_open_by_type() == {"stock_mismatch": 2, "bad_address": 1}


def test_the_same_problem_in_two_accounts_opens_one_exception_each(with_accounts: sa.Connection) -> None:
    repository = ExceptionRepository(with_accounts)

    acme_id = raise_stock_mismatch(repository, subject_id="#1001", type="bad_address", account_id="acme")
    globex_id = raise_stock_mismatch(repository, subject_id="#1001", type="bad_address", account_id="globex")

    assert globex_id != acme_id
    assert [record.id for record in repository.list(account_id="globex")] == [globex_id]


def test_two_transactions_raising_the_same_problem_at_once_leave_one_open_exception(
    engine: sa.Engine,
) -> None:
    first_inserted, second_started = threading.Event(), threading.Event()

    def first() -> None:
        with engine.connect() as connection, connection.begin():
            raise_stock_mismatch(ExceptionRepository(connection), account_id=None)
            first_inserted.set()
            # Hold the transaction open while the second one raises the same problem.
            second_started.wait(timeout=5)
            time.sleep(0.2)

    def second() -> None:
        first_inserted.wait(timeout=5)
        second_started.set()
        with engine.connect() as connection, connection.begin():
            raise_stock_mismatch(ExceptionRepository(connection), account_id=None)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    with engine.connect() as connection:
        open_exceptions = ExceptionRepository(connection).list()
    assert [record.occurrences for record in open_exceptions] == [2]


def test_the_schema_itself_refuses_a_second_open_exception_for_one_subject(engine: sa.Engine) -> None:
    # Autogenerate cannot compare the partial expression index, so its effect is checked directly.
    row = {
        "type": "stock_mismatch",
        "severity": "warning",
        "subject_type": "sku",
        "subject_id": "SKU-1",
        "message": "m",
        "details": {},
        "actions": [],
        "occurrences": 1,
        "first_seen_at": utc_now(),
        "last_seen_at": utc_now(),
    }
    with engine.begin() as connection:
        connection.execute(sa.insert(exceptions).values(status="resolved", **row))
        connection.execute(sa.insert(exceptions).values(status="resolved", **row))
        connection.execute(sa.insert(exceptions).values(status="open", **row))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.insert(exceptions).values(status="open", **row))


# --- Outbound calls ---------------------------------------------------------------------------------------


def start_call(repository: OutboundCallRepository, key: str) -> int:
    return repository.start(
        target="warehouse", operation="create_order", idempotency_key=key, request_summary={"order": key}
    )


def test_attempts_under_one_idempotency_key_are_numbered_from_one(connection: sa.Connection) -> None:
    repository = OutboundCallRepository(connection)

    first, second, third = (start_call(repository, "order-1") for _ in range(3))
    other = start_call(repository, "order-2")

    assert [call.attempt for call in repository.attempts("order-1")] == [1, 2, 3]
    assert [call.id for call in repository.attempts("order-1")] == [first, second, third]
    assert [(call.id, call.attempt) for call in repository.attempts("order-2")] == [(other, 1)]
    assert repository.attempts("order-3") == []


def test_finishing_a_call_records_its_outcome(connection: sa.Connection) -> None:
    repository = OutboundCallRepository(connection)
    failed = start_call(repository, "order-1")
    succeeded = start_call(repository, "order-1")

    repository.finish(failed, status="retriable_error", duration_ms=30000.0, error="timeout")
    repository.finish(succeeded, status="succeeded", duration_ms=12.5, response_summary={"remote_id": "W-9"})

    first, second = repository.attempts("order-1")
    assert (first.status, first.duration_ms, first.error, first.response_summary) == (
        "retriable_error",
        30000.0,
        "timeout",
        None,
    )
    assert (second.status, second.duration_ms, second.error, second.response_summary) == (
        "succeeded",
        12.5,
        None,
        {"remote_id": "W-9"},
    )
    assert second.request_summary == {"order": "order-1"}
    for call in (first, second):
        assert call.finished_at is not None
        assert call.started_at <= call.finished_at


def test_a_started_call_is_in_flight_until_finished(connection: sa.Connection) -> None:
    repository = OutboundCallRepository(connection)
    start_call(repository, "order-1")

    (call,) = repository.attempts("order-1")

    assert (call.status, call.finished_at, call.duration_ms) == ("in_flight", None, None)


# --- Order events -----------------------------------------------------------------------------------------


def test_the_timeline_lists_one_orders_events_of_one_account_in_order(with_accounts: sa.Connection) -> None:
    repository = OrderEventRepository(with_accounts)
    inbox_id = (
        InboxRepository(with_accounts)
        .record(source="shopify", kind="order", dedupe_key="o-1", payload=b"{}", account_id="acme")
        .inbox_id
    )
    created = repository.append(
        account_id="acme",
        order_ref="#1001",
        kind="created",
        message="received",
        data={"lines": 2},
        inbox_id=inbox_id,
    )
    repository.append(account_id="globex", order_ref="#1001", kind="created", message="another brand")
    repository.append(account_id="acme", order_ref="#1002", kind="created", message="another order")
    shipped = repository.append(
        account_id="acme", order_ref="#1001", kind="shipped", message="shipped", job_id="job-1"
    )

    timeline = repository.timeline("acme", "#1001")

    assert [(event.id, event.kind) for event in timeline] == [(created, "created"), (shipped, "shipped")]
    assert (timeline[0].data, timeline[0].inbox_id, timeline[0].job_id) == ({"lines": 2}, inbox_id, None)
    assert (timeline[1].data, timeline[1].inbox_id, timeline[1].job_id) == ({}, None, "job-1")
    assert [event.account_id for event in repository.timeline("globex", "#1001")] == ["globex"]
    assert repository.timeline("acme", "#9999") == []


# --- Sync cursors -----------------------------------------------------------------------------------------


def test_a_cursor_is_unset_then_set_then_overwritten(connection: sa.Connection) -> None:
    cursors = SyncCursorRepository(connection)

    assert cursors.get("shopify", "orders_updated_since") is None
    cursors.set("shopify", "orders_updated_since", "2024-01-01T00:00:00Z")
    assert cursors.get("shopify", "orders_updated_since") == "2024-01-01T00:00:00Z"
    cursors.set("shopify", "orders_updated_since", "2024-02-01T00:00:00Z")

    assert cursors.get("shopify", "orders_updated_since") == "2024-02-01T00:00:00Z"
    assert cursors.get("shopify", "products_updated_since") is None
    assert cursors.get("warehouse", "orders_updated_since") is None
    assert connection.execute(sa.text("SELECT count(*) FROM sync_cursors")).scalar_one() == 1


# --- Accounts ---------------------------------------------------------------------------------------------


def test_ensuring_accounts_creates_and_renames_but_never_deletes(connection: sa.Connection) -> None:
    repository = AccountRepository(connection)
    repository.ensure([("acme", "Acme"), ("globex", "Globex")])
    created_at = connection.execute(sa.select(accounts.c.created_at).where(accounts.c.id == "acme")).scalar()

    repository.ensure([("acme", "Acme Outdoor"), ("initech", "Initech")])

    assert repository.names() == {"acme": "Acme Outdoor", "globex": "Globex", "initech": "Initech"}
    assert (
        connection.execute(sa.select(accounts.c.created_at).where(accounts.c.id == "acme")).scalar()
        == created_at
    )


# --- Executors --------------------------------------------------------------------------------------------


def process(pid: int, hostname: str = "host-a") -> ProcessIdentity:
    return ProcessIdentity(hostname=hostname, pid=pid, role="run", version="0.1.0")


def alive(_pid: int) -> bool:
    return True


def dead(_pid: int) -> bool:
    return False


def test_live_processes_each_claim_the_first_free_executor_id(connection: sa.Connection) -> None:
    executors = ExecutorRepository(connection)

    assert executors.claim_first_free("hub", process(101), alive) == "hub-1"
    assert executors.claim_first_free("hub", process(102), alive) == "hub-2"

    assert [(row.executor_id, row.pid, row.stopped_at) for row in executors.list()] == [
        ("hub-1", 101, None),
        ("hub-2", 102, None),
    ]


def test_a_dead_holder_on_the_same_host_gives_its_id_back(connection: sa.Connection) -> None:
    executors = ExecutorRepository(connection)
    executors.claim_first_free("hub", process(101), alive)

    assert executors.claim_first_free("hub", process(202), dead) == "hub-1"

    holder = executors.get("hub-1")
    assert holder is not None
    assert (holder.hostname, holder.pid) == ("host-a", 202)
    assert [row.executor_id for row in executors.list()] == ["hub-1"]


def test_an_id_held_on_another_host_is_never_taken_even_if_its_pid_looks_dead(
    connection: sa.Connection,
) -> None:
    executors = ExecutorRepository(connection)
    executors.claim_first_free("hub", process(101, hostname="host-b"), alive)

    assert executors.claim_first_free("hub", process(101, hostname="host-a"), dead) == "hub-2"
    with pytest.raises(ExecutorInUseError, match="pid 101 on host-b"):
        executors.claim_exactly("hub-1", process(202, hostname="host-a"), dead)

    holder = executors.get("hub-1")
    assert holder is not None
    assert (holder.hostname, holder.pid) == ("host-b", 101)


def test_a_stopped_holder_on_the_same_host_is_reused(connection: sa.Connection) -> None:
    executors = ExecutorRepository(connection)
    executors.claim_first_free("hub", process(101), alive)
    executors.mark_stopped("hub-1", 101)

    assert executors.claim_first_free("hub", process(102), alive) == "hub-1"

    holder = executors.get("hub-1")
    assert holder is not None
    assert (holder.pid, holder.stopped_at) == (102, None)


def test_claiming_an_id_held_by_a_live_process_names_the_holder(connection: sa.Connection) -> None:
    executors = ExecutorRepository(connection)
    executors.claim_exactly("hub-7", process(101), alive)

    with pytest.raises(ExecutorInUseError, match=r"'hub-7' is held by pid 101 on host-a"):
        executors.claim_exactly("hub-7", process(102), alive)

    executors.claim_exactly("hub-7", process(101), alive)  # its own holder takes it again
    holder = executors.get("hub-7")
    assert holder is not None
    assert holder.pid == 101


def test_heartbeat_and_stop_only_touch_the_row_of_the_holding_pid(connection: sa.Connection) -> None:
    executors = ExecutorRepository(connection)
    executors.claim_exactly("hub-1", process(101), alive)
    claimed = executors.get("hub-1")
    time.sleep(0.01)

    executors.heartbeat("hub-1", 999)
    executors.mark_stopped("hub-1", 999)
    untouched = executors.get("hub-1")
    executors.heartbeat("hub-1", 101)
    beaten = executors.get("hub-1")
    executors.mark_stopped("hub-1", 101)
    stopped = executors.get("hub-1")

    assert claimed is not None and untouched is not None and beaten is not None and stopped is not None
    assert (untouched.last_seen_at, untouched.stopped_at) == (claimed.last_seen_at, None)
    assert beaten.last_seen_at > claimed.last_seen_at
    assert beaten.stopped_at is None
    assert stopped.stopped_at is not None
    assert stopped.stopped_at >= beaten.last_seen_at


# --- Unit of work -----------------------------------------------------------------------------------------


def test_leaving_a_unit_of_work_without_commit_rolls_it_back(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.accounts.ensure([("acme", "Acme")])
        assert uow.accounts.names() == {"acme": "Acme"}

    with UnitOfWork(engine) as uow:
        assert uow.accounts.names() == {}


def test_an_error_inside_a_unit_of_work_rolls_it_back(engine: sa.Engine) -> None:
    with pytest.raises(KeyError), UnitOfWork(engine) as uow:
        uow.accounts.ensure([("acme", "Acme")])
        raise KeyError("boom")

    with UnitOfWork(engine) as uow:
        assert uow.accounts.names() == {}


def test_a_committed_unit_of_work_is_kept(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.accounts.ensure([("acme", "Acme")])
        assert uow.commit() == []

    with UnitOfWork(engine) as uow:
        assert uow.accounts.names() == {"acme": "Acme"}


def test_enqueueing_without_a_job_engine_is_refused(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(RuntimeError, match="without a job engine"):
        uow.enqueue(JobRequest(job="orders.push", key="o-1"))


def test_the_connection_is_only_available_inside_the_with_block() -> None:
    uow = UnitOfWork(sa.create_engine("sqlite://"))  # never connected: no database needed

    with pytest.raises(RuntimeError, match="outside its `with` block"):
        _ = uow.connection


def test_commit_returns_the_ids_of_the_jobs_enqueued_in_the_transaction(engine: sa.Engine) -> None:
    enqueuer = RecordingEnqueuer()
    first = JobRequest(job="orders.push", key="o-1", args={"order": 1})
    second = JobRequest(job="stock.sync", key="sku-1", partition="acme")

    with UnitOfWork(engine, enqueuer) as uow:
        assert uow.enqueue(first) == "orders.push:o-1"
        assert uow.enqueue(second) == "stock.sync:sku-1"
        same_connection = [connection is uow.connection for connection, _ in enqueuer.calls]
        job_ids = uow.commit()

    assert job_ids == ["orders.push:o-1", "stock.sync:sku-1"]
    assert [request for _, request in enqueuer.calls] == [first, second]
    assert same_connection == [True, True]
