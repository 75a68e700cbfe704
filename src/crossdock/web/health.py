"""GET /healthz: ready only when the database answers at the current schema and the job engine runs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crossdock.store.migrate import is_up_to_date

router = APIRouter()


def _database_status(engine: sa.Engine) -> str:
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return "ok" if is_up_to_date(engine) else "schema not at the latest migration"
    except Exception as error:
        return f"unreachable: {type(error).__name__}"


@router.get("/healthz", tags=["operations"], summary="Readiness of the database and the job engine")
def healthz(request: Request) -> JSONResponse:
    hub = request.app.state.hub
    checks: dict[str, Any] = {"database": _database_status(hub.engine)}
    if hub.jobs is None:
        checks["jobs"] = "not started in this process"
    else:
        status = hub.jobs.status()
        checks["jobs"] = "ok" if status.running and status.last_heartbeat_ok else "not running"
        checks["executor_id"] = status.executor_id
    ready = checks["database"] == "ok" and checks["jobs"] in ("ok", "not started in this process")
    body = {"status": "ok" if ready else "unavailable", **checks}
    return JSONResponse(body, status_code=200 if ready else 503)
