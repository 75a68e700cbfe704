"""Per-request id (taken from X-Request-ID or made up), bound to every log line of the request, returned in
the response, and the request's latency recorded per route."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import Request, Response

from crossdock.metrics import HTTP_REQUEST_SECONDS

log = structlog.get_logger("crossdock.web")


async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    started = time.perf_counter()
    with structlog.contextvars.bound_contextvars(request_id=request_id):
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        route = request.scope.get("route")
        route_path = getattr(route, "path", "unmatched")
        HTTP_REQUEST_SECONDS.labels(request.method, route_path, str(response.status_code)).observe(elapsed)
        response.headers["X-Request-ID"] = request_id
        if route_path not in ("/healthz", "/metrics"):
            log.info(
                "request",
                method=request.method,
                path=request.url.path,
                status=response.status_code,
                duration_ms=round(elapsed * 1000, 2),
            )
    return response
