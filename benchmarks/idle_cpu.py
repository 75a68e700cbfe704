"""What an idle hub costs: CPU used by `crossdock run` with no work, at crossdock's poll interval and at
DBOS's default (1 s), measured in the same run. The fast poll is what makes a job start within ~50 ms.

    .venv/bin/python benchmarks/idle_cpu.py [--seconds 10] [--database-url URL] [--poll-ms 50]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_share(database_url: str, poll_ms: int, seconds: float) -> float:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        environment = {
            **os.environ,
            "CROSSDOCK_DATABASE_URL": database_url.replace("{folder}", folder),
            "CROSSDOCK_JOBS__POLL_INTERVAL_MS": str(poll_ms),
            "CROSSDOCK_LOG__LEVEL": "warning",
        }
        hub = subprocess.Popen(
            [sys.executable, "-m", "crossdock.cli", "run", "--port", str(port)],
            cwd=folder,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the hub did not become ready")
                time.sleep(0.2)
            time.sleep(2)  # let start-up work settle
            before = cpu_seconds(hub.pid)
            time.sleep(seconds)
            return (cpu_seconds(hub.pid) - before) / seconds
        finally:
            hub.send_signal(signal.SIGTERM)
            hub.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default="sqlite:///{folder}/idle.db")
    parser.add_argument("--poll-ms", type=int, default=50)
    options = parser.parse_args()
    fast = idle_cpu_share(options.database_url, options.poll_ms, options.seconds)
    slow = idle_cpu_share(options.database_url, 1000, options.seconds)
    print(f"database: {options.database_url.split(':', 1)[0]}, idle for {options.seconds:.0f} s")
    print(f"poll {options.poll_ms:>4} ms (crossdock):   {fast * 100:5.1f} % of one core")
    print(f"poll 1000 ms (DBOS default): {slow * 100:5.1f} % of one core")
    print(f"ratio of idle CPU, crossdock / default: {fast / slow:.1f}x")


if __name__ == "__main__":
    main()
