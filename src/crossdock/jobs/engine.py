"""The job engine of one process: DBOS Transact on the hub's own database (a SQLite file by default,
PostgreSQL in production). ``crossdock run`` and ``crossdock worker`` start one; any number may run against
one PostgreSQL database on many machines.
"""

from __future__ import annotations

import importlib
import os
import socket
import threading
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
import structlog
from dbos import DBOS, DBOSClient, DBOSConfig

import crossdock
from crossdock.config import Settings
from crossdock.flows.inbox_relay import InboxRelay
from crossdock.jobs import catalog as _catalog  # noqa: F401  (registers every job, schedule and workflow)
from crossdock.jobs.enqueuer import APPLICATION_NAME, DbosEnqueuer
from crossdock.jobs.queues import ALL_QUEUES
from crossdock.jobs.retry import RetryPolicy
from crossdock.jobs.runtime import JobRuntime, install_runtime
from crossdock.jobs.schedules import registered_schedules, schedule_tick
from crossdock.store.engine import create_job_system_engine, is_sqlite
from crossdock.store.executors import ProcessIdentity
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

log = structlog.get_logger("crossdock.jobs")

Role = Literal["run", "worker"]


def pid_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def default_retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.jobs.max_attempts,
        base_seconds=settings.jobs.retry_base_seconds,
        max_seconds=settings.jobs.retry_max_seconds,
    )


def make_client(settings: Settings, enqueuing_engine: sa.Engine | None = None) -> DBOSClient:
    """``enqueuing_engine``: the engine whose connections the client will enqueue in (``DbosEnqueuer``).

    On PostgreSQL the client then works on that engine itself: the job engine compiles its INSERTs once
    and reuses them only for connections of its own engine's dialect, and builds and compiles them again
    on every enqueue for any other (measured with benchmarks/webhook_intake.py, see the commit). On SQLite
    the client keeps an engine of its own, queueing for the file's write lock with the hub's, and the job
    engine builds its statements per call whatever the connection."""
    system_engine = create_job_system_engine(settings.database.url, pool_size=5)
    if system_engine is None:
        if enqueuing_engine is not None:
            return DBOSClient(system_database_engine=enqueuing_engine, application_name=APPLICATION_NAME)
        return DBOSClient(system_database_url=settings.database.url, application_name=APPLICATION_NAME)
    # A client does not dispose of an engine it was given: the engine goes with the client's last reference.
    return DBOSClient(system_database_engine=system_engine, application_name=APPLICATION_NAME)


def migrate_job_tables(settings: Settings) -> None:
    """Create or upgrade the job engine's own tables, so that any process may enqueue as soon as
    ``crossdock migrate`` (or the start of any hub process) has run."""
    DBOS.migrate(settings.database.url)


def import_extra_modules(settings: Settings) -> None:
    for module in settings.jobs.extra_modules:
        importlib.import_module(module)


@dataclass
class EngineStatus:
    running: bool
    executor_id: str | None
    last_heartbeat_ok: bool


class JobEngine:
    def __init__(self, settings: Settings, engine: sa.Engine, role: Role) -> None:
        self._settings = settings
        self._engine = engine
        self._role = role
        self._identity = ProcessIdentity(
            hostname=socket.gethostname(), pid=os.getpid(), role=role, version=crossdock.__version__
        )
        self.executor_id: str | None = None
        self._client: DBOSClient | None = None
        self.enqueuer: DbosEnqueuer | None = None
        self._stop_heartbeat = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None
        self._heartbeat_ok = False
        self._running = False
        self._system_engine: sa.Engine | None = None
        self._relay: InboxRelay | None = None

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        import_extra_modules(self._settings)
        self.executor_id = self._claim_executor_id()
        poll_seconds = self._settings.jobs.poll_interval_ms / 1000
        config: DBOSConfig = {
            "name": APPLICATION_NAME,
            "system_database_url": self._settings.database.url,
            "executor_id": self.executor_id,
            # One version for every process of a release, so any worker may run (and recover) any job.
            "application_version": crossdock.__version__,
            "log_level": self._settings.log.level.upper(),
            "scheduler_polling_interval_sec": 5.0,
        }
        if is_sqlite(self._settings.database.url):
            # Its writes queue with the hub's own for the file's write lock (store/sqlite_write_lock.py).
            self._system_engine = create_job_system_engine(self._settings.database.url)
            config["system_database_engine"] = self._system_engine
        else:
            config["sys_db_pool_size"] = 20
        # Launching resumes this executor's unfinished jobs at once: what they need must be in place before.
        self._client = make_client(self._settings, self._engine)
        self.enqueuer = DbosEnqueuer(self._client)
        install_runtime(
            JobRuntime(
                engine=self._engine,
                enqueuer=self.enqueuer,
                default_retry=default_retry_policy(self._settings),
                settings=self._settings,
            )
        )
        DBOS(config=config)
        DBOS.launch()
        concurrency = self._settings.jobs.worker_concurrency
        for queue in ALL_QUEUES:
            partitioned = queue.partitioned_by is not None
            DBOS.register_queue(
                queue.name,
                worker_concurrency=concurrency,
                partition_concurrency=1 if partitioned else None,
                polling_interval_sec=queue.poll_seconds(poll_seconds),
                on_conflict="always_update",
            )
        DBOS.apply_schedules(
            [
                {
                    "schedule_name": entry.name,
                    "workflow_fn": schedule_tick,
                    "schedule": entry.cron,
                    "context": entry.name,
                }
                for entry in registered_schedules()
            ]
        )
        # Webhook deliveries are stored without their job; every process running jobs relays them.
        self._relay = InboxRelay(self._engine, self.enqueuer, poll_seconds=poll_seconds)
        self._relay.start()
        self._running = True
        self._heartbeat_ok = True
        self._heartbeat_thread = threading.Thread(
            target=self._heartbeat_loop, name="crossdock-heartbeat", daemon=True
        )
        self._heartbeat_thread.start()
        log.info("job engine started", executor_id=self.executor_id, role=self._role)

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._stop_heartbeat.set()
        if self._heartbeat_thread is not None:
            self._heartbeat_thread.join(timeout=5)
        if self._relay is not None:
            self._relay.stop()
        DBOS.destroy(workflow_completion_timeout_sec=5)
        if self._client is not None:
            self._client.destroy()
        if self._system_engine is not None:
            self._system_engine.dispose()
        install_runtime(None)
        assert self.executor_id is not None
        with UnitOfWork(self._engine) as uow:
            uow.executors.mark_stopped(self.executor_id, self._identity.pid)
            uow.commit()
        log.info("job engine stopped", executor_id=self.executor_id)

    def status(self) -> EngineStatus:
        return EngineStatus(
            running=self._running, executor_id=self.executor_id, last_heartbeat_ok=self._heartbeat_ok
        )

    # -- enqueueing -----------------------------------------------------------------------------------

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._engine, self.enqueuer)

    def submit(self, request: JobRequest) -> str:
        """Enqueue one job in its own transaction (for work that has no state of its own to commit)."""
        with self.unit_of_work() as uow:
            enqueued = uow.enqueue(request)
            uow.commit()
        return enqueued

    # -- identity -------------------------------------------------------------------------------------

    def _claim_executor_id(self) -> str:
        with UnitOfWork(self._engine) as uow:
            configured = self._settings.jobs.executor_id
            if configured:
                uow.executors.claim_exactly(configured, self._identity, pid_is_alive)
                claimed = configured
            else:
                prefix = f"{self._identity.hostname}-{self._role}"
                claimed = uow.executors.claim_first_free(prefix, self._identity, pid_is_alive)
            uow.commit()
        return claimed

    def _heartbeat_loop(self) -> None:
        assert self.executor_id is not None
        while not self._stop_heartbeat.wait(self._settings.jobs.heartbeat_seconds):
            try:
                with UnitOfWork(self._engine) as uow:
                    uow.executors.heartbeat(self.executor_id, self._identity.pid)
                    uow.commit()
                self._heartbeat_ok = True
            except Exception as error:  # keep beating: the next one may succeed; health shows the failure
                self._heartbeat_ok = False
                log.warning("executor heartbeat failed", error=repr(error))
