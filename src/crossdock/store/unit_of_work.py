"""One database transaction, with the repositories that work inside it and the jobs it triggers.

A job enqueued through a unit of work is written in the same transaction as the state it belongs to: if the
transaction rolls back, the job never existed; if it commits, the job will run, even after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

import sqlalchemy as sa

from crossdock.store.accounts import AccountRepository
from crossdock.store.alert_deliveries import AlertDeliveryRepository
from crossdock.store.api_tokens import ApiTokenRepository
from crossdock.store.exceptions import ExceptionRepository
from crossdock.store.executors import ExecutorRepository
from crossdock.store.inbox import InboxRepository
from crossdock.store.job_flags import FlaggedJob, raise_if_lowered
from crossdock.store.order_events import OrderEventRepository
from crossdock.store.orders import OrderRepository
from crossdock.store.outbound_calls import OutboundCallRepository
from crossdock.store.recompute_requests import RecomputeRequestRepository
from crossdock.store.returns import ReturnRepository
from crossdock.store.shipments import ShipmentRepository
from crossdock.store.shops import ShopRepository
from crossdock.store.sku_mappings import SkuMappingRepository
from crossdock.store.skus import SkuRepository
from crossdock.store.stock import StockRepository
from crossdock.store.sync_cursors import SyncCursorRepository
from crossdock.store.users import UserRepository
from crossdock.store.warehouse_events import WarehouseEventRepository
from crossdock.store.warehouse_orders import WarehouseOrderRepository
from crossdock.store.warehouses import WarehouseRepository
from crossdock.store.x12_documents import X12DocumentRepository


@dataclass(frozen=True)
class JobRequest:
    """A job to run once the transaction commits. ``key`` makes it unique: the same key twice runs once.
    Jobs carry ids, not data, so a repeated or delayed job can only delay work, never double it."""

    job: str
    key: str
    args: dict[str, Any] = field(default_factory=dict)
    partition: str | None = None


class TransactionalEnqueuer(Protocol):
    def enqueue(self, connection: sa.Connection, request: JobRequest) -> str:
        """Enqueue inside the caller's transaction; returns the job id."""
        ...


class UnitOfWork:
    def __init__(self, engine: sa.Engine, enqueuer: TransactionalEnqueuer | None = None) -> None:
        self._engine = engine
        self._enqueuer = enqueuer
        self._connection: sa.Connection | None = None
        self._transaction: sa.RootTransaction | None = None
        self._pending_jobs: list[str] = []
        self._wake_after_commit: dict[tuple[str, str, int], FlaggedJob] = {}
        # SQLite runs one writing transaction at a time: a flag read inside this one cannot change before
        # it commits (see store/job_flags.py).
        self._writers_serialized = engine.dialect.name == "sqlite"

    def __enter__(self) -> UnitOfWork:
        self._connection = self._engine.connect()
        self._transaction = self._connection.begin()
        self._pending_jobs = []
        self._wake_after_commit = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._connection is not None and self._transaction is not None
        try:
            if self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self._connection.close()
            self._connection = None
            self._transaction = None

    @property
    def connection(self) -> sa.Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._connection

    def commit(self) -> list[str]:
        """Commit, then wake the flagged jobs this transaction gave work to; returns the ids of the jobs
        enqueued."""
        assert self._transaction is not None
        self._transaction.commit()
        committed, self._pending_jobs = self._pending_jobs, []
        waking, self._wake_after_commit = self._wake_after_commit, {}
        # One short transaction per flag, in one order of rows for every process.
        for identity in sorted(waking):
            with self.connection.begin():
                woken = self._raise_and_enqueue(waking[identity])
            committed.extend(woken)
        return committed

    def rollback(self) -> None:
        assert self._transaction is not None
        self._transaction.rollback()
        self._pending_jobs = []
        self._wake_after_commit = {}

    def wake(self, flagged: FlaggedJob) -> None:
        """This transaction gives work to ``flagged``'s job: make sure one is queued to take it, once the
        work is committed (store/job_flags.py says why not before)."""
        if self._writers_serialized:
            self._pending_jobs.extend(self._raise_and_enqueue(flagged))
        else:
            self._wake_after_commit.setdefault(flagged.identity, flagged)

    def _raise_and_enqueue(self, flagged: FlaggedJob) -> list[str]:
        if not raise_if_lowered(self.connection, flagged):
            return []
        if self._enqueuer is None:
            raise RuntimeError("this unit of work was opened without a job engine")
        return [self._enqueuer.enqueue(self.connection, flagged.request())]

    def enqueue(self, request: JobRequest) -> str:
        if self._enqueuer is None:
            raise RuntimeError("this unit of work was opened without a job engine")
        job_id = self._enqueuer.enqueue(self.connection, request)
        self._pending_jobs.append(job_id)
        return job_id

    @property
    def enqueuer(self) -> TransactionalEnqueuer | None:
        return self._enqueuer

    @property
    def inbox(self) -> InboxRepository:
        return InboxRepository(self.connection)

    @property
    def exceptions(self) -> ExceptionRepository:
        return ExceptionRepository(self.connection)

    @property
    def outbound_calls(self) -> OutboundCallRepository:
        return OutboundCallRepository(self.connection)

    @property
    def alert_deliveries(self) -> AlertDeliveryRepository:
        return AlertDeliveryRepository(self.connection)

    @property
    def order_events(self) -> OrderEventRepository:
        return OrderEventRepository(self.connection)

    @property
    def orders(self) -> OrderRepository:
        return OrderRepository(self.connection)

    @property
    def sync_cursors(self) -> SyncCursorRepository:
        return SyncCursorRepository(self.connection)

    @property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self.connection)

    @property
    def executors(self) -> ExecutorRepository:
        return ExecutorRepository(self.connection)

    @property
    def shops(self) -> ShopRepository:
        return ShopRepository(self.connection)

    @property
    def skus(self) -> SkuRepository:
        return SkuRepository(self.connection)

    @property
    def warehouses(self) -> WarehouseRepository:
        return WarehouseRepository(self.connection)

    @property
    def warehouse_events(self) -> WarehouseEventRepository:
        return WarehouseEventRepository(self.connection)

    @property
    def x12_documents(self) -> X12DocumentRepository:
        return X12DocumentRepository(self.connection)

    @property
    def warehouse_orders(self) -> WarehouseOrderRepository:
        return WarehouseOrderRepository(self.connection)

    @property
    def shipments(self) -> ShipmentRepository:
        return ShipmentRepository(self.connection)

    @property
    def returns(self) -> ReturnRepository:
        return ReturnRepository(self.connection)

    @property
    def sku_mappings(self) -> SkuMappingRepository:
        return SkuMappingRepository(self.connection)

    @property
    def stock(self) -> StockRepository:
        return StockRepository(self.connection)

    @property
    def recompute_requests(self) -> RecomputeRequestRepository:
        return RecomputeRequestRepository(self.connection)

    @property
    def users(self) -> UserRepository:
        return UserRepository(self.connection)

    @property
    def api_tokens(self) -> ApiTokenRepository:
        return ApiTokenRepository(self.connection)
