"""Hub processes started by tests exactly as an operator starts them: `python -m crossdock.cli ... worker`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from crossdock.store.engine import create_engine
from crossdock.store.executors import ExecutorRepository
from tests.support.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]


def hub_command_environment(extra: dict[str, str]) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(extra)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), environment.get("PYTHONPATH")]))
    return environment


class WorkerProcess:
    def __init__(self, config_path: Path, environ: dict[str, str], name: str = "worker") -> None:
        self._config_path = config_path
        self._environ = environ
        self._log_path = config_path.parent / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.executor_id: str | None = None

    def start(self, timeout: float = 30.0) -> WorkerProcess:
        log = self._log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crossdock.cli", "--config", str(self._config_path), "worker"],
            cwd=self._config_path.parent,
            env=hub_command_environment(self._environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        engine = create_engine(self._environ["CROSSDOCK_DATABASE_URL"])
        try:
            self.executor_id = wait_until(
                lambda: self._running_executor_id(engine),
                timeout=timeout,
                what=f"worker to start ({self.log()})",
            )
        finally:
            engine.dispose()
        return self

    def _running_executor_id(self, engine: sa.Engine) -> str | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}: {self.log()}")
        try:
            with engine.connect() as connection:
                records = ExecutorRepository(connection).list()
        except sa.exc.DBAPIError:  # the worker has not created the tables yet
            return None
        for record in records:
            if record.pid == self.process.pid and record.stopped_at is None:
                return record.executor_id
        return None

    def log(self) -> str:
        return self._log_path.read_text()[-3000:] if self._log_path.exists() else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
