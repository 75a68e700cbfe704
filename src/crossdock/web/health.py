"""GET /healthz: ready only when the database answers at the current schema and the job engine runs (in this
process, or in ``crossdock run``'s job process)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crossdock.jobs.lost_executors import stale_after
from crossdock.jobs.worker_process import ALIVE_EVERY_SECONDS, JobWorkerProcess
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
    job_process = getattr(request.app.state, "job_process", None)
    if job_process is not None:
        checks.update(_job_process_checks(job_process, hub.settings.jobs.heartbeat_seconds))
    elif hub.jobs is None:
        checks["jobs"] = "not started in this process"
    else:
        status = hub.jobs.status()
        checks["jobs"] = "ok" if status.running and status.last_heartbeat_ok else "not running"
        checks["executor_id"] = status.executor_id
    ready = checks["database"] == "ok" and checks["jobs"] in ("ok", "not started in this process")
    body = {"status": "ok" if ready else "unavailable", **checks}
    return JSONResponse(body, status_code=200 if ready else 503)


def _job_process_checks(job_process: JobWorkerProcess, heartbeat_seconds: float) -> dict[str, Any]:
    """``crossdock run``'s job engine, in its child process: ok while the child runs and has reported its
    engine running with a working heartbeat within three beats."""
    status = job_process.status()
    if status.pid is None:
        jobs = "job process not running"
    elif status.alive_seconds_ago is None:
        jobs = "starting"
    elif status.alive_seconds_ago > stale_after(max(heartbeat_seconds, ALIVE_EVERY_SECONDS)).total_seconds():
        jobs = "not running"
    else:
        jobs = "ok"
    return {"jobs": jobs, "job_process": {"pid": status.pid, "restarts": status.restarts}}
