"""The FastAPI application. Its lifespan starts the hub (and, for ``crossdock run``, the job engine)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

import crossdock
from crossdock.config import Settings
from crossdock.hub import start_hub, stop_hub
from crossdock.jobs.engine import Role
from crossdock.web import health, metrics_route
from crossdock.web.metrics_route import ProcessAndDatabaseRegistry
from crossdock.web.request_context import request_context


def create_app(settings: Settings, *, role: Role | None = "run") -> FastAPI:
    """``role`` "run" runs the job engine in this process; None serves the web only (jobs run elsewhere)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub = await run_in_threadpool(start_hub, settings, role=role)
        app.state.hub = hub
        app.state.metrics_registry = ProcessAndDatabaseRegistry(hub.engine)
        try:
            yield
        finally:
            await run_in_threadpool(stop_hub, hub)

    app = FastAPI(
        title="crossdock",
        version=crossdock.__version__,
        summary="Orchestration hub between Shopify stores and 3PL warehouses",
        lifespan=lifespan,
    )
    app.middleware("http")(request_context)
    app.include_router(health.router)
    app.include_router(metrics_route.router)
    return app
