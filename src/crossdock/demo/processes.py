"""The three child processes of a demo: started with ``python -m crossdock.cli`` as an operator would,
awaited until their HTTP endpoints answer, logged to files in the demo folder, and stopped together."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from crossdock.demo.config import SFTP_USER, SHOP_KEY, DemoConfig, WarehouseKnobs

STOP_TIMEOUT_SECONDS = 20.0
START_TIMEOUT_SECONDS = 60.0


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while the demo was waiting for something."""


class ChildFailed(Exception):
    """A child exited (or never became ready): the demo cannot go on without it."""

    def __init__(self, name: str, problem: str, log: Path) -> None:
        super().__init__(f"the {name} {problem}; its log is {log}")
        self.name = name
        self.log = log

    def log_tail(self, lines: int = 8) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _ended(returncode: int) -> str:
    # Popen reports a death by signal as the negative signal number.
    return f"was killed by signal {-returncode}" if returncode < 0 else f"exited with code {returncode}"


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Supervisor:
    """Owns the children: each runs in its own session so that a Ctrl-C in the terminal reaches the demo
    only, and the demo stops them in order (the hub before the systems it talks to)."""

    folder: Path
    environment: dict[str, str]
    stopping: threading.Event
    children: list[Child] = field(default_factory=list)

    @property
    def pids_file(self) -> Path:
        return self.folder / "pids.json"

    def _command(self, args: list[str]) -> list[str]:
        return [sys.executable, "-m", "crossdock.cli", *args]

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.environment}

    def _spawn(self, name: str, log_name: str, args: list[str]) -> Child:
        log = self.folder / log_name
        with log.open("ab") as output:
            process = subprocess.Popen(
                self._command(args),
                cwd=self.folder,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Child(name, process, log)

    def start(self, name: str, log_name: str, args: list[str]) -> Child:
        """A long-running child, recorded in pids.json until the demo ends."""
        child = self._spawn(name, log_name, args)
        self.children.append(child)
        self.pids_file.write_text(
            json.dumps({each.name: each.process.pid for each in self.children}, indent=2) + "\n",
            encoding="utf-8",
        )
        return child

    def run_to_end(self, name: str, log_name: str, args: list[str]) -> None:
        """A one-off command (connect the shop, import its catalog), its output appended to a log."""
        child = self._spawn(name, log_name, args)
        while child.process.poll() is None:
            if self.stopping.wait(0.1):
                _terminate(child)
                raise Interrupted
        if child.process.returncode != 0:
            raise ChildFailed(name, f"failed with code {child.process.returncode}", child.log)

    def wait_ready(
        self, child: Child, ready: Callable[[], bool], timeout: float = START_TIMEOUT_SECONDS
    ) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if child.process.poll() is not None:
                raise ChildFailed(child.name, _ended(child.process.returncode), child.log)
            if time.monotonic() > deadline:
                raise ChildFailed(child.name, f"did not answer within {timeout:g} s", child.log)
            if self.stopping.wait(0.1):
                raise Interrupted

    def check_alive(self) -> None:
        for child in self.children:
            if child.process.poll() is not None:
                raise ChildFailed(child.name, _ended(child.process.returncode), child.log)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            _terminate(child)


def _terminate(child: Child) -> None:
    if child.process.poll() is None:
        child.process.send_signal(signal.SIGTERM)
        try:
            child.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()


def _answers(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        return httpx.get(url, headers=headers, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_processes(config: DemoConfig, knobs: WarehouseKnobs, supervisor: Supervisor) -> None:
    """The Shopify sandbox, the X12 3PL sandbox, the hub's one-off setup (connect the shop, import its
    catalog), then the hub; each ready before the next starts, since each next one talks to the former."""
    shop = supervisor.start(
        "Shopify sandbox",
        "shopify.log",
        [
            "sandbox",
            "shopify",
            "--port",
            str(config.ports.shop),
            "--seed",
            str(config.shop_seed),
            "--plan",
            config.plan,
            "--access-token",
            config.access_token,
            "--app-secret",
            config.app_secret,
        ],
    )
    token = {"X-Shopify-Access-Token": config.access_token}
    supervisor.wait_ready(shop, lambda: _answers(f"{config.shop_url}/_sandbox/webhooks/deliveries", token))

    warehouse = supervisor.start(
        "X12 3PL sandbox",
        "3pl.log",
        [
            "sandbox",
            "x12-3pl",
            "--root",
            str(config.warehouse_root),
            "--port",
            str(config.ports.sftp),
            "--control-port",
            str(config.ports.control),
            "--seed",
            str(config.warehouse_stock),
            "--username",
            SFTP_USER,
            "--password",
            config.sftp_password,
            "--poll-seconds",
            str(knobs.poll_seconds),
            "--pick-delay-seconds",
            str(knobs.pick_delay_seconds),
            "--ship-delay-seconds",
            str(knobs.ship_delay_seconds),
            "--partial-share",
            str(knobs.partial_share),
            "--multi-parcel-share",
            str(knobs.multi_parcel_share),
        ],
    )
    known_hosts = config.warehouse_root / "known_hosts"
    # The sandbox writes known_hosts once both of its servers listen: the hub cannot connect before.
    supervisor.wait_ready(
        warehouse, lambda: known_hosts.exists() and _answers(f"{config.control_url}/_sandbox/state")
    )
    # Neither is a command-line option of the sandbox; the control API turns every knob. The rest of a
    # partial shipment follows after the ship delay rather than the default 30 s, so the demo sees it.
    httpx.post(
        f"{config.control_url}/_sandbox/knobs",
        json={
            "acknowledge_delay_seconds": knobs.acknowledge_delay_seconds,
            "partial_rest_delay_seconds": knobs.ship_delay_seconds,
        },
        timeout=10,
    ).raise_for_status()

    hub_config = ["--config", str(config.hub_config)]
    supervisor.run_to_end("shop connection", "setup.log", [*hub_config, "shopify", "connect", SHOP_KEY])
    supervisor.run_to_end("catalog import", "setup.log", [*hub_config, "shopify", "import-catalog", SHOP_KEY])
    hub = supervisor.start("hub", "hub.log", [*hub_config, "run"])
    supervisor.wait_ready(hub, lambda: _answers(f"{config.hub_url}/healthz"))
