"""The web side of the hub: readiness at /healthz, Prometheus metrics at /metrics, the OpenAPI document, and
one JSON log line per request carrying its request id. Each test runs the application's lifespan through a
TestClient, so the hub (and, for role "run", the job engine) starts and stops as under `crossdock run`."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from crossdock.config import Settings
from crossdock.flows.intake import Input, store_inputs_awaiting_job
from crossdock.logs import configure_logging
from crossdock.store.unit_of_work import JobRequest, UnitOfWork
from crossdock.web.app import create_app
from tests.support.api_tokens import bearer
from tests.support.sample_jobs import labels
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def dbos_log_level_put_back() -> Iterator[None]:
    """DBOS sets its logger's level at launch (from log.level); leave it as this test found it."""
    dbos_logger = logging.getLogger("dbos")
    level = dbos_logger.level
    yield
    dbos_logger.setLevel(level)


def sample_value(exposition: str, sample_name: str, **wanted_labels: str) -> float | None:
    """The value of one sample of a Prometheus text exposition, or None when it is absent."""
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == sample_name and sample.labels == wanted_labels:
                return float(sample.value)
    return None


def test_healthz_reports_database_and_job_engine_ready(settings: Settings) -> None:
    with TestClient(create_app(settings, role="run")) as client:
        response = client.get("/healthz")
        executor_id = client.app.state.hub.jobs.executor_id  # type: ignore[attr-defined]

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "jobs": "ok",
        "executor_id": executor_id,
    }
    # A fresh database: the first executor slot of this host and role.
    assert executor_id == f"{socket.gethostname()}-run-1"


def test_every_response_carries_a_request_id_and_echoes_a_given_one(settings: Settings) -> None:
    with TestClient(create_app(settings, role=None)) as client:
        made_up = [client.get("/healthz").headers.get("X-Request-ID") for _ in range(2)]
        echoed = client.get("/healthz", headers={"X-Request-ID": "req-from-the-proxy-42"})

    assert all(value and len(value) == 32 for value in made_up), made_up
    assert made_up[0] != made_up[1]
    assert echoed.headers["X-Request-ID"] == "req-from-the-proxy-42"


def test_healthz_is_unavailable_once_the_job_engine_has_stopped(settings: Settings) -> None:
    with TestClient(create_app(settings, role="run")) as client:
        assert client.get("/healthz").status_code == 200
        client.app.state.hub.jobs.stop()  # type: ignore[attr-defined]
        response = client.get("/healthz")
        executor_id = client.app.state.hub.jobs.executor_id  # type: ignore[attr-defined]

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "jobs": "not running",
        "executor_id": executor_id,
    }


def test_a_web_only_process_is_ready_without_a_job_engine(settings: Settings) -> None:
    with TestClient(create_app(settings, role=None)) as client:
        assert client.app.state.hub.jobs is None  # type: ignore[attr-defined]
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "jobs": "not started in this process"}


def test_metrics_count_requests_per_route_in_the_prometheus_format(settings: Settings) -> None:
    count_name = "crossdock_http_request_seconds_count"
    healthz_labels = {"method": "GET", "route": "/healthz", "status": "200"}
    with TestClient(create_app(settings, role=None)) as client:
        before = client.get("/metrics")
        client.get("/healthz")
        after = client.get("/metrics")

    assert before.status_code == 200
    assert after.headers["content-type"] == CONTENT_TYPE_LATEST
    assert after.headers["content-type"].startswith("text/plain; version=")
    assert 'crossdock_http_request_seconds_count{method="GET",route="/healthz",status="200"}' in after.text
    counted_before = sample_value(before.text, count_name, **healthz_labels) or 0.0
    assert sample_value(after.text, count_name, **healthz_labels) == counted_before + 1
    # The first /metrics request itself is counted under its own route.
    assert (sample_value(after.text, count_name, method="GET", route="/metrics", status="200") or 0) >= 1
    assert "# HELP crossdock_queue_depth Jobs not finished, per queue and state" in after.text
    assert "# HELP crossdock_open_exceptions Open exceptions per type" in after.text


def test_metrics_count_enqueued_and_completed_jobs(settings: Settings, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    job_labels = {"queue": "intake", "job": "test.record"}
    with TestClient(create_app(settings, role="run")) as client:
        before = client.get("/metrics").text
        client.app.state.hub.jobs.submit(  # type: ignore[attr-defined]
            JobRequest(job="test.record", key="metrics-1", args={"path": str(journal), "label": "x"})
        )
        wait_until(lambda: labels(journal) == ["x"], what="the job to run")

        completed_before = sample_value(before, "crossdock_jobs_completed_total", **job_labels) or 0.0

        def completed() -> str | None:
            text = client.get("/metrics").text
            done = sample_value(text, "crossdock_jobs_completed_total", **job_labels)
            return text if done == completed_before + 1 else None

        after = wait_until(completed, what="the completed job to be counted")

    assert 'crossdock_jobs_enqueued_total{job="test.record",queue="intake"}' in after
    assert 'crossdock_jobs_completed_total{job="test.record",queue="intake"}' in after
    enqueued_before = sample_value(before, "crossdock_jobs_enqueued_total", **job_labels) or 0.0
    assert sample_value(after, "crossdock_jobs_enqueued_total", **job_labels) == enqueued_before + 1
    assert sample_value(after, "crossdock_jobs_failed_total", **job_labels) == sample_value(
        before, "crossdock_jobs_failed_total", **job_labels
    )


def test_metrics_show_queue_depth_and_open_exceptions_from_the_database(settings: Settings) -> None:
    with TestClient(create_app(settings, role="run")) as client:
        empty = client.get("/metrics").text
        with client.app.state.hub.jobs.unit_of_work() as uow:  # type: ignore[attr-defined]
            uow.exceptions.raise_(
                type="dead_letter",
                severity="error",
                subject_type="job",
                subject_id="test.record:gone",
                message="the far side is down",
                details={},
                actions=["retry", "resolve", "ignore"],
            )
            uow.commit()
        after = client.get("/metrics").text

    assert "crossdock_open_exceptions{" not in empty
    assert 'crossdock_open_exceptions{type="dead_letter"} 1.0' in after.splitlines()
    assert "# HELP crossdock_queue_depth Jobs not finished, per queue and state" in after
    assert "# TYPE crossdock_queue_depth gauge" in after


def test_metrics_count_the_inputs_no_relay_has_enqueued_a_job_for(settings: Settings) -> None:
    # A web-only process: no job engine, so no relay, and the stored delivery awaits its job.
    with TestClient(create_app(settings, role=None)) as client:
        empty = client.get("/metrics").text
        with UnitOfWork(client.app.state.hub.engine) as uow:  # type: ignore[attr-defined]
            store_inputs_awaiting_job(
                uow, [Input(source="test", kind="note", dedupe_key="waiting-1", payload=b"{}", headers={})]
            )
            uow.commit()
        after = client.get("/metrics").text

    assert sample_value(empty, "crossdock_inbox_awaiting_job") == 0.0
    assert sample_value(after, "crossdock_inbox_awaiting_job") == 1.0


def test_the_exceptions_api_lists_and_shows_what_the_hub_raised(settings: Settings) -> None:
    with TestClient(create_app(settings, role=None)) as client:
        with UnitOfWork(client.app.state.hub.engine) as uow:  # type: ignore[attr-defined]
            raised = uow.exceptions.raise_(
                type="unknown_sku",
                severity="error",
                subject_type="order",
                subject_id="12",
                message="order #1012 has SKUs no warehouse knows: LANTERN-OLD",
                details={"unknown_skus": ["LANTERN-OLD"]},
                actions=["retry", "ignore"],
                account_id="acme",
            )
            uow.exceptions.raise_(
                type="warehouse_rejected",
                severity="error",
                subject_type="order",
                subject_id="13",
                message="rejected",
                details={},
                actions=["resolve", "ignore"],
                account_id="acme",
            )
            uow.commit()
        client.headers.update(bearer(client.app.state.hub.engine))  # type: ignore[attr-defined]
        listed = client.get("/api/exceptions", params={"type": "unknown_sku"})
        shown = client.get(f"/api/exceptions/{raised}")
        closed = client.get("/api/exceptions", params={"status": "resolved"})
        missing = client.get("/api/exceptions/999999")
        paths = client.get("/openapi.json").json()["paths"]

    assert listed.status_code == 200
    assert [(entry["id"], entry["subject"]) for entry in listed.json()] == [(raised, "order:12")]
    assert shown.json()["details"] == {"unknown_skus": ["LANTERN-OLD"]}
    assert shown.json()["actions"] == ["retry", "ignore"] and shown.json()["status"] == "open"
    assert closed.json() == []
    assert missing.status_code == 404
    assert {"/api/exceptions", "/api/exceptions/{exception_id}"} <= set(paths)


def test_the_openapi_document_lists_the_operations_routes(settings: Settings) -> None:
    with TestClient(create_app(settings, role=None)) as client:
        response = client.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert {"/healthz", "/metrics"} <= set(document["paths"])
    assert document["paths"]["/healthz"]["get"]["tags"] == ["operations"]
    assert document["info"]["title"] == "crossdock"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Logging configured as the CLI does, into a buffer; the previous logging set-up is put back after."""
    root = logging.getLogger()
    watched = [logging.getLogger(name) for name in ("dbos", "uvicorn", "uvicorn.error", "uvicorn.access")]
    saved_root = (list(root.handlers), root.level)
    saved_loggers = [(logger, list(logger.handlers), logger.propagate) for logger in watched]
    saved_structlog = structlog.get_config()
    buffer = io.StringIO()
    configure_logging(stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers, root.level = saved_root
        for logger, handlers, propagate in saved_loggers:
            logger.handlers, logger.propagate = handlers, propagate
        structlog.configure(**saved_structlog)


def test_each_request_writes_one_json_log_line_with_its_request_id(
    settings: Settings, captured_logs: io.StringIO
) -> None:
    with TestClient(create_app(settings, role=None)) as client:
        client.get("/healthz", headers={"X-Request-ID": "healthz-is-not-logged"})
        client.get("/openapi.json", headers={"X-Request-ID": "req-7"})

    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines() if line.strip()]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) == 1, lines
    logged = requests[0]
    assert logged["path"] == "/openapi.json"
    assert logged["method"] == "GET"
    assert logged["status"] == 200
    assert logged["request_id"] == "req-7"
    assert logged["level"] == "info"
    assert logged["logger"] == "crossdock.web"
    assert isinstance(logged["duration_ms"], float) and logged["duration_ms"] >= 0
