"""JSON logs: one JSON object a line, from structlog and from the libraries' standard loggers alike, with
the bound context ids, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog

from crossdock import logs
from crossdock.logs import MASK, configure_logging, register_secrets

DATABASE_URL = "postgresql+psycopg://u:hunter22@h/db"
MASKED_DATABASE_URL = "postgresql+psycopg://u:***@h/db"
LIBRARY_LOGGERS = ("dbos", "uvicorn", "uvicorn.error", "uvicorn.access")


@contextmanager
def json_logs(level: str = "info") -> Iterator[io.StringIO]:
    """configure_logging into a buffer, then put back everything it changed. Used inside the test body, so
    the root handlers saved and restored are the ones pytest installed for this very phase."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_libraries = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate)
        for name in LIBRARY_LOGGERS
    }
    saved_structlog = structlog.get_config()
    stream = io.StringIO()
    configure_logging(level, "json", stream=stream)
    try:
        yield stream
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)
        for name, (handlers, propagate) in saved_libraries.items():
            logging.getLogger(name).handlers = handlers
            logging.getLogger(name).propagate = propagate
        structlog.configure(**saved_structlog)


@pytest.fixture(autouse=True)
def no_registered_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets registered by one test stay out of the others."""
    monkeypatch.setattr(logs, "_known_secrets", set())


def lines_of(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_structlog_and_library_loggers_both_write_one_json_object_a_line() -> None:
    with json_logs() as stream:
        structlog.get_logger().info("order received", order_ref="#1001")
        logging.getLogger("dbos").warning("workflow %s recovered", "wf-1")

    first, second = lines_of(stream)
    assert {key: first[key] for key in ("event", "level", "order_ref")} == {
        "event": "order received",
        "level": "info",
        "order_ref": "#1001",
    }
    assert {key: second[key] for key in ("event", "level", "logger")} == {
        "event": "workflow wf-1 recovered",
        "level": "warning",
        "logger": "dbos",
    }
    for line in (first, second):
        written_at = datetime.fromisoformat(line["timestamp"])
        assert written_at.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - written_at) < timedelta(minutes=1)


def test_the_configured_level_drops_quieter_lines() -> None:
    with json_logs("warning") as stream:
        structlog.get_logger().info("too quiet")
        logging.getLogger("dbos").info("too quiet as well")
        structlog.get_logger().warning("loud enough")

    assert [line["event"] for line in lines_of(stream)] == ["loud enough"]


def test_context_ids_bound_in_context_appear_on_every_line_until_unbound() -> None:
    with json_logs() as stream:
        with structlog.contextvars.bound_contextvars(request_id="req-1", job_id="job-7"):
            structlog.get_logger().info("inside")
            logging.getLogger("dbos").info("inside, from the job engine")
        structlog.get_logger().info("outside")

    inside, inside_dbos, outside = lines_of(stream)
    for line in (inside, inside_dbos):
        assert (line["request_id"], line["job_id"]) == ("req-1", "job-7")
    assert "request_id" not in outside
    assert "job_id" not in outside


def test_a_password_in_a_url_is_masked_in_messages_values_and_tracebacks() -> None:
    with json_logs() as stream:
        log = structlog.get_logger()
        log.info(f"connecting to {DATABASE_URL}")
        log.info("connecting", url=DATABASE_URL, urls=[DATABASE_URL], target={"url": DATABASE_URL})
        logging.getLogger("dbos").info("database %s", DATABASE_URL)
        try:
            raise RuntimeError(f"cannot reach {DATABASE_URL}")
        except RuntimeError:
            log.exception("failed")
            logging.getLogger("dbos").exception("failed in the job engine")

    message, values, library, traceback, library_traceback = lines_of(stream)
    assert message["event"] == f"connecting to {MASKED_DATABASE_URL}"
    assert (values["url"], values["urls"], values["target"]) == (
        MASKED_DATABASE_URL,
        [MASKED_DATABASE_URL],
        {"url": MASKED_DATABASE_URL},
    )
    assert library["event"] == f"database {MASKED_DATABASE_URL}"
    assert traceback["exception"].endswith(f"RuntimeError: cannot reach {MASKED_DATABASE_URL}")
    assert library_traceback["exception"].endswith(f"RuntimeError: cannot reach {MASKED_DATABASE_URL}")
    assert "hunter22" not in stream.getvalue()


def test_a_registered_secret_appears_nowhere() -> None:
    secret = "s3cr3t-app-value"
    register_secrets([secret, None, ""])
    with json_logs() as stream:
        log = structlog.get_logger()
        log.info(f"using {secret}", note=f"key={secret}", nested={"inner": [secret]})
        logging.getLogger("dbos").error("library saw %s", secret)
        try:
            raise ValueError(secret)
        except ValueError:
            log.exception("failed")

    written = stream.getvalue()
    assert secret not in written
    event, library, traceback = lines_of(stream)
    assert (event["event"], event["note"], event["nested"]) == (
        f"using {MASK}",
        f"key={MASK}",
        {"inner": [MASK]},
    )
    assert library["event"] == f"library saw {MASK}"
    assert traceback["exception"].endswith(f"ValueError: {MASK}")


def test_values_under_secret_key_names_are_masked_whatever_they_hold() -> None:
    with json_logs() as stream:
        structlog.get_logger().info(
            "calling the warehouse",
            token="tok-123",
            password="pw-456",
            authorization="Bearer abc",
            headers={"Authorization": "Bearer def", "Accept": "application/json"},
            order_ref="#1001",
        )

    (line,) = lines_of(stream)
    assert (line["token"], line["password"], line["authorization"]) == (MASK, MASK, MASK)
    assert line["headers"] == {"Authorization": MASK, "Accept": "application/json"}
    assert line["order_ref"] == "#1001"
    for value in ("tok-123", "pw-456", "Bearer abc", "Bearer def"):
        assert value not in stream.getvalue()


def test_configure_logging_leaves_a_single_root_handler_and_a_silent_dbos_handler() -> None:
    with json_logs():
        root_handlers = list(logging.getLogger().handlers)
        dbos = logging.getLogger("dbos")
        dbos_handlers, dbos_propagates = list(dbos.handlers), dbos.propagate

    assert len(root_handlers) == 1
    assert isinstance(root_handlers[0].formatter, structlog.stdlib.ProcessorFormatter)
    assert [type(handler) for handler in dbos_handlers] == [logging.NullHandler]
    assert dbos_propagates is True
