"""How long after its transaction commits does a job start? Measured for the configured poll interval and for
DBOS's default (1 s) in the same run, on the same database.

    .venv/bin/python benchmarks/job_start_latency.py [--jobs 100] [--database-url URL] [--poll-ms 50]

Prints p50/p95/max start latency for each and the ratio default/configured (higher is better). Without
--database-url it uses a fresh SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time

from crossdock.config import load_settings
from crossdock.hub import start_hub, stop_hub
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import INTAKE
from crossdock.jobs.registry import job
from crossdock.store.unit_of_work import JobRequest

_started: dict[str, float] = {}
_arrived = threading.Condition()


@job("benchmark.mark_start", queue=INTAKE)
def mark_start(ctx: JobContext, token: str) -> None:
    with _arrived:
        _started[token] = time.perf_counter()
        _arrived.notify_all()


def measure(database_url: str, poll_ms: int, jobs: int, label: str) -> list[float]:
    settings = load_settings(
        None,
        environ={
            "CROSSDOCK_DATABASE_URL": database_url,
            "CROSSDOCK_JOBS__POLL_INTERVAL_MS": str(poll_ms),
            "CROSSDOCK_LOG__LEVEL": "warning",
        },
    )
    hub = start_hub(settings, role="run")
    assert hub.jobs is not None
    latencies = []
    try:
        hub.jobs.submit(
            JobRequest(job="benchmark.mark_start", key=f"{label}-warm-up", args={"token": "warm"})
        )
        with _arrived:
            _arrived.wait_for(lambda: "warm" in _started, timeout=30)
        for n in range(jobs):
            token = f"{label}-{n}"
            committed = time.perf_counter()
            hub.jobs.submit(JobRequest(job="benchmark.mark_start", key=token, args={"token": token}))
            with _arrived:
                if not _arrived.wait_for(lambda token=token: token in _started, timeout=30):
                    raise RuntimeError(f"job {token} did not start within 30 s")
            latencies.append((_started[token] - committed) * 1000)
    finally:
        stop_hub(hub)
    return latencies


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--poll-ms", type=int, default=50)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite:///{folder}/bench.db"
        backend = url.split(":", 1)[0]
        configured = measure(url, options.poll_ms, options.jobs, "configured")
        baseline = measure(url, 1000, max(20, options.jobs // 5), "baseline")
    print(f"database: {backend}, jobs: {options.jobs} (baseline {max(20, options.jobs // 5)})")
    print(f"poll {options.poll_ms:>4} ms (crossdock):   {summary(configured)}")
    print(f"poll 1000 ms (DBOS default): {summary(baseline)}")
    print(
        "ratio of median start latency, default / crossdock: "
        f"{statistics.median(baseline) / statistics.median(configured):.1f}x"
    )


if __name__ == "__main__":
    main()
