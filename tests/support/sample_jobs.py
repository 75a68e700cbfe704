"""Jobs used by the tests to observe the job engine from outside: each appends lines to a journal file
(shared by the test and every worker process), so what ran, how often and when can be read back."""

from __future__ import annotations

import time
from pathlib import Path

from crossdock.flows.input_handlers import handles
from crossdock.flows.intake import InputRejected
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import INTAKE, ORDERS
from crossdock.jobs.registry import job
from crossdock.jobs.retry import RetryPolicy
from crossdock.jobs.steps import step
from crossdock.store.inbox import InboxEntry


def journal(path: str, line: str) -> None:
    with open(path, "a") as handle:
        handle.write(f"{line} {time.time():.6f}\n")


def read_journal(path: str | Path) -> list[tuple[str, float]]:
    if not Path(path).exists():
        return []
    entries = []
    for raw in Path(path).read_text().splitlines():
        label, stamp = raw.rsplit(" ", 1)
        entries.append((label, float(stamp)))
    return entries


def labels(path: str | Path) -> list[str]:
    return [label for label, _ in read_journal(path)]


@job("test.record", queue=INTAKE)
def record(ctx: JobContext, path: str, label: str) -> None:
    journal(path, label)


@step("test.step_one")
def _step_one(path: str) -> None:
    journal(path, "step-1")


@step("test.step_two")
def _step_two(path: str, release_file: str) -> None:
    journal(path, "step-2-start")
    # Blocks until the test releases it: the test kills the worker while this step is in flight.
    while not Path(release_file).exists():
        time.sleep(0.02)
    journal(path, "step-2-end")


@step("test.step_three")
def _step_three(path: str) -> None:
    journal(path, "step-3")


@job("test.three_steps", queue=ORDERS)
def three_steps(ctx: JobContext, path: str, release_file: str) -> None:
    _step_one(path)
    _step_two(path, release_file)
    _step_three(path)


@job("test.hold_order", queue=ORDERS)
def hold_order(ctx: JobContext, path: str, order: str, seconds: float) -> None:
    journal(path, f"start {order} {ctx.key}")
    time.sleep(seconds)
    journal(path, f"end {order} {ctx.key}")


# Short delays so the test runs in seconds; the growth and the dead letter are what is under test.
FLAKY_POLICY = RetryPolicy(max_attempts=3, base_seconds=0.5, max_seconds=10.0)


@job("test.flaky", queue=INTAKE, retry=FLAKY_POLICY)
def flaky(ctx: JobContext, path: str, broken_flag: str, account_id: str | None = None) -> None:
    journal(path, f"attempt {ctx.attempt} {ctx.job_id}")
    if Path(broken_flag).exists():
        raise RuntimeError("the far side is down")
    journal(path, f"succeeded {ctx.job_id}")


@handles("test", "ping")
def handle_ping(ctx: JobContext, entry: InboxEntry) -> None:
    journal(entry.headers["journal"], f"ping {entry.dedupe_key}")


@handles("test", "unreadable")
def handle_unreadable(ctx: JobContext, entry: InboxEntry) -> None:
    journal(entry.headers["journal"], f"unreadable {entry.dedupe_key}")
    raise InputRejected("field 'order.id' is missing", details={"missing": ["order.id"]})


@job("test.record_key", queue=INTAKE)
def record_key(ctx: JobContext, path: str) -> None:
    journal(path, ctx.key)


@handles("test", "rejected-until-fixed")
def handle_rejected_until_fixed(ctx: JobContext, entry: InboxEntry) -> None:
    """Refused until the file named by the ``fixed`` header exists: an input an operator fixes, then
    retries."""
    if not Path(entry.headers["fixed"]).exists():
        raise InputRejected("the input names a product nobody registered", details={"fix": "register it"})
    journal(entry.headers["journal"], f"accepted {entry.dedupe_key}")
