"""`python -m crossdock.demo` as a newcomer runs it: three processes started, orders followed from Shopify to
the 3PL and back, and nothing left running once it ends by itself or by Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crossdock.demo.processes import ChildFailed, Supervisor
from tests.support.processes import hub_command_environment

pytestmark = pytest.mark.slow

STATUS = re.compile(
    r"placed (\d+) \| dispatched (\d+) \| shipped (\d+) \| "
    r"fulfilled in Shopify (\d+) \| open exceptions (\d+)"
)


def demo_command(folder: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "crossdock.demo", "--folder", str(folder), *options]


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has ended; only its exit status waits for a parent to collect it.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def recorded_pids(folder: Path) -> dict[str, int]:
    pids: dict[str, int] = json.loads((folder / "pids.json").read_text())
    return pids


def test_the_demo_follows_orders_to_their_fulfilment_and_leaves_nothing_running(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    # Half an order a second is what the hub's calls to one shop keep up with (see the benchmark
    # benchmarks/order_latency.py): faster, fulfilments queue behind status publications for minutes.
    finished = subprocess.run(
        demo_command(folder, "--rate", "0.5", "--duration", "25"),
        env=hub_command_environment({}),
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert finished.returncode == 0, finished.stderr
    lines = STATUS.findall(finished.stdout)
    assert len(lines) >= 20, finished.stdout
    placed, dispatched, shipped, fulfilled, _ = (int(figure) for figure in lines[-1])
    assert placed > 0 and dispatched > 0 and shipped > 0 and fulfilled > 0, finished.stdout
    assert fulfilled <= shipped <= dispatched <= placed
    pids = recorded_pids(folder)
    assert set(pids) == {"Shopify sandbox", "X12 3PL sandbox", "hub"}
    assert [name for name, pid in pids.items() if is_running(pid)] == []


def test_ctrl_c_mid_run_stops_the_demo_and_its_processes_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    demo = subprocess.Popen(
        demo_command(folder, "--rate", "1"),
        env=hub_command_environment({}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert demo.stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def read_output() -> None:
        for line in demo.stdout or ():
            lines.put(line)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        status_lines = 0
        while status_lines < 2:
            line = lines.get(timeout=60)  # start-up included
            status_lines += bool(STATUS.search(line))
        pids = recorded_pids(folder)
        assert all(is_running(pid) for pid in pids.values())
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    reader.join(timeout=10)
    errors = demo.stderr.read() if demo.stderr else ""
    assert demo.returncode == 0, errors
    assert "Traceback" not in errors
    assert [name for name, pid in pids.items() if is_running(pid)] == []


def test_a_child_that_dies_is_named_with_its_log_and_the_others_are_stopped(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, {}, threading.Event())
    lasting = supervisor.start("Shopify sandbox", "shopify.log", ["sandbox", "shopify", "--port", "0"])
    brief = supervisor.start("hub", "hub.log", ["version"])  # ends at once, as a crashed hub would
    try:
        brief.process.wait(timeout=60)
        with pytest.raises(ChildFailed) as failed:
            supervisor.check_alive()
    finally:
        supervisor.stop_all()
    assert str(failed.value) == f"the hub exited with code 0; its log is {tmp_path / 'hub.log'}"
    assert lasting.process.returncode is not None
    assert not is_running(lasting.process.pid)
    assert recorded_pids(tmp_path) == {"Shopify sandbox": lasting.process.pid, "hub": brief.process.pid}
