"""The FastAPI application. Its lifespan starts the hub (and the job engine, in this process or in
``crossdock run``'s job process), then the inbox writer that webhook routes store through; it stops them in
the reverse order."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
import structlog
from dbos import DBOSClient
from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import crossdock
from crossdock.config import Settings
from crossdock.connectors.shopify.webhook_route import WEBHOOK_PATH, ShopifyWebhookIntake
from crossdock.flows.inbox_writer import InboxWriter
from crossdock.flows.refused_deliveries import RefusalFlusher, RefusalTally
from crossdock.hub import start_hub, stop_hub
from crossdock.jobs.engine import Role, make_client
from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.jobs.worker_process import JobWorkerProcess
from crossdock.metrics import HTTP_REQUEST_SECONDS
from crossdock.store.engine import create_engine, is_sqlite, sqlite_path
from crossdock.store.sqlite_checkpoints import WRITER_AUTOCHECKPOINT_PAGES, WalCheckpointer
from crossdock.store.unit_of_work import TransactionalEnqueuer
from crossdock.web import (
    dashboard,
    exceptions_api,
    flow_health_api,
    health,
    metrics_route,
    orders_api,
    stock_api,
)
from crossdock.web.authentication import LoginRequired, login_redirect_target
from crossdock.web.metrics_route import ProcessAndDatabaseRegistry
from crossdock.web.request_context import request_context
from crossdock.web.sessions import session_cookies

log = structlog.get_logger("crossdock.web")

# Transactions of the inbox writer in flight at once on PostgreSQL: one batch is inserted while the previous
# commits. Measured with benchmarks/webhook_intake.py (3 rounds each, same session): 1 gave 3,535
# deliveries/s, 2 gave 4,721/s, 4 gave 2,962/s. SQLite writes one transaction at a time: 1 there.
POSTGRESQL_WRITER_THREADS = 2


def create_app(
    settings: Settings, *, role: Role | None = "run", job_process: JobWorkerProcess | None = None
) -> FastAPI:
    """``role`` "run" runs the job engine in this process; None serves the web only: jobs run elsewhere, in
    ``job_process`` if given (``crossdock run``: started after the database is ready, stopped after the
    inbox writer has stored what it was given)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub = await run_in_threadpool(start_hub, settings, role=role)
        app.state.hub = hub
        app.state.metrics_registry = ProcessAndDatabaseRegistry(hub.engine)
        app.state.job_process = job_process
        client: DBOSClient | None = None
        try:
            if job_process is not None:
                await run_in_threadpool(job_process.start)
            enqueuer: TransactionalEnqueuer
            if hub.jobs is not None and hub.jobs.enqueuer is not None:
                enqueuer = hub.jobs.enqueuer
            else:
                # A web-only process runs no job engine, but enqueues into the same database all the same.
                client = await run_in_threadpool(make_client, settings, hub.engine)
                enqueuer = DbosEnqueuer(client)
            app.state.enqueuer = enqueuer
            on_sqlite = is_sqlite(settings.database.url)
            threads = 1 if on_sqlite else POSTGRESQL_WRITER_THREADS
            writer_engine = create_engine(
                settings.database.url,
                pool_size=threads,
                pre_ping=False,
                sqlite_autocheckpoint_pages=WRITER_AUTOCHECKPOINT_PAGES if on_sqlite else None,
            )
            checkpointer = WalCheckpointer(sqlite_path(settings.database.url)) if on_sqlite else None
            if checkpointer is not None:
                checkpointer.start()
            app.state.inbox_writer = _started_writer(writer_engine, threads)
            refusal_flusher = RefusalFlusher(hub.engine, refusals)
            refusal_flusher.start()
            app.state.refusal_flusher = refusal_flusher
            # Everything built at start (the job engine, SQLAlchemy, the routes: ~150,000 objects) lives as
            # long as the process; left to the collector, each full collection walked all of it, stopping
            # requests for 160-240 ms several times a minute under load.
            gc.freeze()
            try:
                yield
            finally:
                await run_in_threadpool(refusal_flusher.stop)
                await run_in_threadpool(app.state.inbox_writer.stop)
                writer_engine.dispose()
                if checkpointer is not None:
                    await run_in_threadpool(checkpointer.stop)
        finally:
            if job_process is not None:
                await run_in_threadpool(job_process.stop)
            if client is not None:
                await run_in_threadpool(client.destroy)
            await run_in_threadpool(stop_hub, hub)

    app = HubApp(
        title="crossdock",
        version=crossdock.__version__,
        summary="Orchestration hub between Shopify stores and 3PL warehouses",
        lifespan=lifespan,
    )
    app.add_middleware(BaseHTTPMiddleware, dispatch=request_context)
    app.state.session_cookies = session_cookies(settings)
    app.add_exception_handler(LoginRequired, _to_login_page)
    app.mount("/static", StaticFiles(packages=[("crossdock.web", "static")]), name="static")
    refusals = RefusalTally()
    app.webhook_intake = ShopifyWebhookIntake(
        settings, writer=lambda: app.state.inbox_writer, refusals=refusals
    )
    app.include_router(health.router)
    app.include_router(metrics_route.router)
    app.include_router(orders_api.router)
    app.include_router(stock_api.router)
    app.include_router(exceptions_api.router)
    app.include_router(flow_health_api.router)
    app.include_router(dashboard.router)
    return app


async def _to_login_page(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequired)
    return RedirectResponse(login_redirect_target(error), status_code=303)


def _started_writer(engine: sa.Engine, threads: int) -> InboxWriter:
    """The writer on its own engine, without the pre-ping round trip per transaction: it writes a batch
    again when its connection turns out to be dead instead (measured on PostgreSQL with
    benchmarks/webhook_intake.py: 771-889 -> 1,114 deliveries/s)."""
    writer = InboxWriter(engine, threads=threads)
    writer.start()
    return writer


class HubApp(FastAPI):
    """FastAPI, with webhook deliveries handed to their plain ASGI application before FastAPI's stack.

    Measured on 2 cores (benchmarks/webhook_intake.py): FastAPI's middleware, routing and Request/Response
    objects, plus ``request_context`` (a BaseHTTPMiddleware, ~1.2 ms of CPU per request), were most of what a
    delivery cost without its database write, and intake must take 1,500 deliveries/s. A delivery gets its
    latency recorded; its own log lines name its shop and topic (a log line for each of 1,500 deliveries a
    second would be noise).
    """

    webhook_intake: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.webhook_intake is None or scope["type"] != "http" or scope["path"] != WEBHOOK_PATH:
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_noting_status(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
            await send(message)

        try:
            await self.webhook_intake(scope, receive, send_noting_status)
        except Exception:
            log.exception("webhook delivery failed", path=scope["path"])
            if not response_started:
                body = b'{"error":"internal error"}'
                await send_noting_status(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        finally:
            HTTP_REQUEST_SECONDS.labels(scope["method"], WEBHOOK_PATH, str(status)).observe(
                time.perf_counter() - started
            )
