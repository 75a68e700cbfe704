"""The `crossdock` command as an operator runs it: `python -m crossdock.cli ...` in its own process, against
the database the suite runs on (SQLite, or PostgreSQL when CROSSDOCK_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa

import crossdock
from crossdock.config import Settings, example_config, load_settings
from crossdock.jobs.ids import job_id
from crossdock.store.engine import create_engine
from crossdock.store.unit_of_work import JobRequest
from tests.integration.conftest import ClientSide
from tests.support.processes import WorkerProcess, hub_command_environment
from tests.support.sample_jobs import labels
from tests.support.servers import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


def crossdock_command(
    *args: str, environ: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crossdock.cli", *args],
        env=hub_command_environment({"COLUMNS": "100", **(environ or {})}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def listed_commands(help_text: str) -> set[str]:
    """The command names of the "Commands" panel of a help page."""
    panel = help_text.split("Commands", 1)[1]
    return set(re.findall(r"^│ (\w+)\s", panel, flags=re.MULTILINE))


# -- help, version, init --------------------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    top = crossdock_command("--help")
    jobs = crossdock_command("jobs", "--help")

    assert top.returncode == 0, top.stderr
    assert {"init", "migrate", "run", "worker", "jobs", "version"} <= listed_commands(top.stdout)
    assert jobs.returncode == 0, jobs.stderr
    assert {"list", "retry", "recover"} <= listed_commands(jobs.stdout)


def test_version_prints_the_package_version() -> None:
    result = crossdock_command("version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{crossdock.__version__}\n"


def test_init_writes_a_config_that_reads_back_as_the_defaults(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "crossdock.toml"
    target.parent.mkdir()

    result = crossdock_command("init", str(target))

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {target}\n"
    settings = load_settings(target, environ={})
    assert settings.config_file == target
    assert settings.model_dump(exclude={"config_file"}) == Settings().model_dump(exclude={"config_file"})


def test_init_refuses_to_overwrite_an_existing_file_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "crossdock.toml"
    target.write_text("# the operator's own settings\n")

    refused = crossdock_command("init", str(target))

    assert refused.returncode == 1
    assert f"{target} exists; pass --force to overwrite it" in refused.stderr
    assert target.read_text() == "# the operator's own settings\n"

    forced = crossdock_command("init", str(target), "--force")

    assert forced.returncode == 0, forced.stderr
    assert target.read_text() == example_config()


# -- configuration errors and migrate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('[web]\nport = "abc"\n', "web.port: expected an integer from 1 to 65535 (got 'abc')"),
        ("[jobs]\npoll_intervall_ms = 5\n", "jobs.poll_intervall_ms: unknown key"),
    ],
)
def test_a_configuration_error_stops_start_up_naming_the_key(
    tmp_path: Path, database_url: str, toml: str, problem: str
) -> None:
    config = tmp_path / "broken.toml"
    config.write_text(toml)

    result = crossdock_command(
        "--config", str(config), "migrate", environ={"CROSSDOCK_DATABASE_URL": database_url}
    )

    assert result.returncode == 2
    assert result.stderr.startswith("crossdock: configuration error\n")
    assert problem in result.stderr
    assert result.stdout == ""
    # Nothing was done to the database: start-up stopped before it.
    engine = create_engine(database_url)
    try:
        assert "alembic_version" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_migrate_brings_the_database_to_the_latest_revision(
    config_path: Path, hub_environ: dict[str, str], settings: Settings
) -> None:
    result = crossdock_command("--config", str(config_path), "migrate", environ=hub_environ)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"database {settings.database.password_free_url} at revision 0017\n"
    engine = create_engine(settings.database.url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            accounts = connection.execute(sa.text("SELECT id, name FROM accounts")).all()
    finally:
        engine.dispose()
    assert {"inbox", "exceptions", "executors", "accounts"} <= tables
    assert [tuple(row) for row in accounts] == [("acme", "Acme Outdoor")]


# -- crossdock run, with no configuration at all --------------------------------------------------------


@contextmanager
def crossdock_run_in(folder: Path, output_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``crossdock run`` started in ``folder`` with no configuration at all: (its process, its port)."""
    # Always the zero-configuration default (a SQLite file in the working folder), whatever the backend.
    folder.mkdir()
    environment = {
        name: value
        for name, value in hub_command_environment({}).items()
        if not name.startswith("CROSSDOCK_")
    }
    port = free_port()
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "crossdock.cli", "run", "--port", str(port)],
            cwd=folder,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def healthz_of(process: subprocess.Popen[bytes], port: int, output_path: Path) -> dict[str, Any] | None:
    """The body of /healthz once it answers 200, else None; fails if ``crossdock run`` exited."""
    if process.poll() is not None:
        raise AssertionError(f"crossdock run exited with {process.returncode}: {output_path.read_text()}")
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except httpx.TransportError:
        return None
    return cast(dict[str, Any], response.json()) if response.status_code == 200 else None


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its parent to reap it is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_run_in_an_empty_folder_serves_healthz_on_sqlite_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    folder, output_path = tmp_path / "empty", tmp_path / "run.log"
    with crossdock_run_in(folder, output_path) as (process, port):
        health = wait_until(
            lambda: healthz_of(process, port, output_path), timeout=30, interval=0.1, what="crossdock run"
        )
        assert health["status"] == "ok"
        assert health["jobs"] == "ok"
        job_process_pid = health["job_process"]["pid"]
        assert is_running(job_process_pid)
        assert (folder / "crossdock.db").is_file()

        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=40)

    output = output_path.read_text()
    events: dict[str, dict[str, object]] = {}
    for line in output.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "event" in parsed:
            events.setdefault(parsed["event"], parsed)
    assert events["hub started"]["database"] == "sqlite:///crossdock.db", output
    assert events["hub started"]["level"] == "info"
    # The job engine runs in the job process, which the run stops before it exits itself.
    assert "job engine stopped" in events, output
    assert events["job process stopped"]["returncode"] == 0, output
    assert not is_running(job_process_pid)
    # A graceful stop on SIGTERM is a success for the service manager watching the process.
    assert returncode == 0, output


def test_run_starts_its_job_process_again_when_it_dies_and_never_leaves_it_behind(tmp_path: Path) -> None:
    output_path = tmp_path / "run.log"
    with crossdock_run_in(tmp_path / "empty", output_path) as (process, port):
        first = wait_until(
            lambda: healthz_of(process, port, output_path), timeout=30, interval=0.1, what="crossdock run"
        )["job_process"]
        assert first["restarts"] == 0
        os.kill(first["pid"], signal.SIGKILL)

        def restarted() -> dict[str, Any] | None:
            health = healthz_of(process, port, output_path)
            return health if health is not None and health["job_process"]["restarts"] == 1 else None

        again = wait_until(restarted, timeout=40, interval=0.2, what="the job process to run again")
        assert again["jobs"] == "ok"
        assert again["job_process"]["pid"] != first["pid"]
        assert "job process exited; starting it again" in output_path.read_text()

        # However the run ends, even killed, its job process sees its standard input close and stops.
        process.kill()
        process.wait()
        wait_until(
            lambda: not is_running(again["job_process"]["pid"]),
            timeout=30,
            what="the job process to stop with the run",
        )


# -- crossdock worker and crossdock jobs ----------------------------------------------------------------


def test_jobs_list_shows_a_job_a_worker_ran_as_success(
    config_path: Path, hub_environ: dict[str, str], client_side: ClientSide, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.txt"
    worker = WorkerProcess(config_path, hub_environ).start()
    try:
        enqueued = client_side.submit(
            JobRequest(job="test.record", key="listed-1", args={"path": str(journal), "label": "x"})
        )
        assert enqueued == job_id("test.record", "listed-1")
        wait_until(lambda: client_side.status(enqueued).status == "SUCCESS", what="the worker to run the job")
        result = crossdock_command("--config", str(config_path), "jobs", "list", environ=hub_environ)
    finally:
        worker_exit = worker.stop()

    assert worker_exit == 0, worker.log()
    assert result.returncode == 0, result.stderr
    assert labels(journal) == ["x"]
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["STATUS", "QUEUE", "PARTITION", "UPDATED", "(UTC)", "JOB", "ID"]
    mine = [row for row in rows if row and row[-1] == enqueued]
    assert len(mine) == 1, result.stdout
    assert mine[0][:3] == ["SUCCESS", "intake", "-"]
    assert rows[-1][-4:] == ["0", "open", "dead", "letter(s)"]


def test_jobs_recover_hands_a_killed_workers_job_to_another_worker(
    config_path: Path, hub_environ: dict[str, str], client_side: ClientSide, tmp_path: Path
) -> None:
    journal, release = tmp_path / "journal.txt", tmp_path / "release"
    cli_args = ("--config", str(config_path), "jobs", "recover")
    worker = WorkerProcess(config_path, hub_environ).start()
    rescuer = WorkerProcess(config_path, {**hub_environ, "CROSSDOCK_EXECUTOR_ID": "rescuer"}, name="rescuer")
    try:
        nothing_lost = crossdock_command(*cli_args, environ=hub_environ)
        assert nothing_lost.returncode == 0, nothing_lost.stderr
        assert (
            nothing_lost.stdout == "no lost executor: every executor with unfinished jobs is heart-beating\n"
        )

        enqueued = client_side.submit(
            JobRequest(
                job="test.three_steps",
                key="order-2002",
                args={"path": str(journal), "release_file": str(release)},
                partition="order-2002",
            ),
        )
        wait_until(lambda: "step-2-start" in labels(journal), what="step 2 to start")
        lost_id = worker.executor_id
        assert lost_id is not None
        lost_pid = worker.process.pid  # type: ignore[union-attr]

        refused = crossdock_command(*cli_args, lost_id, environ=hub_environ)
        assert refused.returncode == 1
        assert "may still be running" in refused.stderr
        assert refused.stdout == ""

        worker.kill()
        time.sleep(2.0)  # three heart-beats of 0.5 s missed: the executor counts as silent
        listed = crossdock_command(*cli_args, environ=hub_environ)
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        assert len(lines) == 1, listed.stdout
        assert lines[0].startswith(f"{lost_id}: pid {lost_pid} on {socket.gethostname()}, last seen ")
        # The job in step 2, and any scheduled job (a tick, a sweep) the worker was running when killed.
        unfinished = re.fullmatch(r".* UTC, (\d+) unfinished job\(s\)", lines[0])
        assert unfinished is not None, lines[0]

        recovered = crossdock_command(*cli_args, lost_id, environ=hub_environ)
        assert recovered.returncode == 0, recovered.stderr
        handed_back = recovered.stdout.splitlines()
        assert handed_back[0] == f"{unfinished[1]} job(s) of {lost_id} handed back to the queues"
        assert f"  {enqueued}" in handed_back[1:]

        rescuer.start()
        assert rescuer.executor_id == "rescuer"
        release.touch()
        wait_until(lambda: "step-3" in labels(journal), what="the rescuer to finish the job")
        status = wait_until(
            lambda: (found := client_side.status(enqueued)).status == "SUCCESS" and found,
            what="the job to be recorded as done",
        )
        assert status.executor_id == "rescuer"
    finally:
        if rescuer.process is not None:
            rescuer.stop()
        worker.stop()
    # Step 1 finished before the kill and is not run again; step 2 was interrupted and is run again.
    assert labels(journal) == ["step-1", "step-2-start", "step-2-start", "step-2-end", "step-3"]
