"""``crossdock run``'s job engine, run in a child process of the web process.

Why a child: in one process, the job engine's threads (queue polling, workflows, handlers) share the
interpreter lock with the event loop that acknowledges webhooks. Measured with benchmarks/webhook_intake.py
on 2 cores, the same build served 997 deliveries/s at 844 µs of CPU per delivery with the job engine in the
process, and 1,626/s at 511 µs without it. A child has its own interpreter lock, and the operating system
schedules the two.

The child is ``crossdock worker --part-of-run MOMENTS`` (``run_as_part_of_run`` below). It

- takes the executor id of a ``crossdock run`` (``<host>-run-N``), so a restart resumes the jobs its
  predecessor left, as a restarted ``crossdock run`` always did;
- stops when its standard input reaches end of file: the parent holds the other end, and the kernel closes
  it however the parent ends, even killed, so no job engine outlives its hub;
- runs at a lower CPU priority (``WORKER_NICENESS``): when the machine is short of CPU, acknowledging (which
  Shopify gives 5 s) goes first, and the stored inputs are processed a moment later;
- reports every second, in the moments it shares with the parent (``shared_moments.py``), that its job
  engine runs with a working heartbeat; ``/healthz`` of the parent reads that. Its batch jobs read the
  parent's inbox writer's activity there too (``flows/intake_activity.py``).

The parent (``JobWorkerProcess``) starts the child in a session of its own, so a Ctrl-C in a terminal
reaches the parent only, which stops the child in order: standard input closed, SIGTERM after
``STOP_SIGNAL_AFTER_SECONDS``, SIGKILL after ``STOP_KILL_AFTER_SECONDS``. A child that exits while the parent
runs is logged and started again, after 1 s, then 2, 4, … up to 30 s while it keeps failing at start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from crossdock.config import Settings
from crossdock.flows.intake_activity import INTAKE_ACTIVITY
from crossdock.shared_moments import NEVER, SharedMoments

log = structlog.get_logger("crossdock.jobs")

WORKER_NICENESS = 10
ALIVE_EVERY_SECONDS = 1.0
STOP_SIGNAL_AFTER_SECONDS = 20.0
STOP_KILL_AFTER_SECONDS = 10.0
FIRST_RESTART_DELAY_SECONDS = 1.0
MAX_RESTART_DELAY_SECONDS = 30.0
# A child that ran this long before exiting was not failing at start: the next restart waits 1 s again.
STEADY_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class WorkerProcessStatus:
    pid: int | None
    # Seconds since the child last reported its job engine running with a working heartbeat; None: never.
    alive_seconds_ago: float | None
    restarts: int


class JobWorkerProcess:
    """The parent's side: starts, watches, restarts and stops the child."""

    def __init__(self, command: Sequence[str], moments: SharedMoments) -> None:
        self._command = list(command)
        self._moments = moments
        self._stopping = threading.Event()
        self._guard = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._restarts = 0
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        with self._guard:
            self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="crossdock-job-process", daemon=True)
        self._watcher.start()

    def status(self) -> WorkerProcessStatus:
        process = self._process
        running = process is not None and process.poll() is None
        alive_at = self._moments.get("worker_alive")
        return WorkerProcessStatus(
            pid=process.pid if running and process is not None else None,
            alive_seconds_ago=None if alive_at == NEVER else time.monotonic() - alive_at,
            restarts=self._restarts,
        )

    def stop(self) -> int | None:
        """Stop the child and wait for it; its exit code (None if it never started)."""
        self._stopping.set()
        with self._guard:
            process = self._process
        if process is None:
            return None
        returncode = _stop(process)
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        log.info("job process stopped", pid=process.pid, returncode=returncode)
        return returncode

    def _spawn(self) -> None:
        self._moments.set("worker_alive", NEVER)
        self._process = subprocess.Popen(self._command, stdin=subprocess.PIPE, start_new_session=True)
        log.info("job process started", pid=self._process.pid)

    def _watch(self) -> None:
        delay = FIRST_RESTART_DELAY_SECONDS
        while True:
            assert self._process is not None
            started = time.monotonic()
            returncode = self._process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= STEADY_AFTER_SECONDS:
                delay = FIRST_RESTART_DELAY_SECONDS
            log.error("job process exited; starting it again", returncode=returncode, in_seconds=delay)
            if self._stopping.wait(delay):
                return
            with self._guard:
                if self._stopping.is_set():
                    return
                self._restarts += 1
                self._spawn()
            delay = min(delay * 2, MAX_RESTART_DELAY_SECONDS)


def _stop(process: subprocess.Popen[bytes]) -> int:
    assert process.stdin is not None
    with contextlib.suppress(OSError):  # the child is gone already: its end of the pipe went with it
        process.stdin.close()
    for deadline, then in (
        (STOP_SIGNAL_AFTER_SECONDS, signal.SIGTERM),
        (STOP_KILL_AFTER_SECONDS, signal.SIGKILL),
    ):
        try:
            return process.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            log.warning("job process slow to stop; signalling it", pid=process.pid, signal=then.name)
            process.send_signal(then)
    return process.wait()


def child_command(config_path: Path | None, moments_path: Path) -> list[str]:
    """The command line of the child, with the parent's configuration file (the environment and working
    folder are inherited)."""
    configured = [] if config_path is None else ["--config", str(config_path.resolve())]
    return [sys.executable, "-m", "crossdock.cli", *configured, "worker", "--part-of-run", str(moments_path)]


# -- the child's side ---------------------------------------------------------------------------------------


def run_as_part_of_run(settings: Settings, moments_path: Path) -> None:
    """The body of ``crossdock worker --part-of-run``: returns once the job engine has stopped."""
    from crossdock.hub import start_hub, stop_hub

    os.nice(WORKER_NICENESS)
    moments = SharedMoments.attach(moments_path)
    INTAKE_ACTIVITY.share(moments)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    threading.Thread(
        target=_stop_at_end_of_input, args=(stopping,), name="crossdock-parent", daemon=True
    ).start()
    hub = start_hub(settings, role="run")
    jobs = hub.jobs
    assert jobs is not None
    try:
        while not stopping.is_set():
            status = jobs.status()
            if status.running and status.last_heartbeat_ok:
                moments.set("worker_alive", time.monotonic())
            stopping.wait(ALIVE_EVERY_SECONDS)
    finally:
        stop_hub(hub)


def _stop_at_end_of_input(stopping: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        stopping.set()
