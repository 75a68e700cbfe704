"""Cron schedules fire once per tick, each tick becoming one job (keyed by the tick), across processes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

from crossdock.config import Settings
from crossdock.hub import start_hub, stop_hub
from crossdock.jobs.schedules import remove_schedule, schedule
from crossdock.store.unit_of_work import JobRequest
from tests.support.sample_jobs import labels
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def every_second(tmp_path: Path) -> Iterator[Path]:
    journal = tmp_path / "ticks.txt"
    schedule(
        "test-every-second",
        cron="* * * * * *",
        job="test.record_key",
        args={"path": str(journal)},
    )
    try:
        yield journal
    finally:
        remove_schedule("test-every-second")


def test_a_schedule_runs_its_job_once_per_tick(settings: Settings, every_second: Path) -> None:
    hub = start_hub(settings, role="run")
    try:
        wait_until(lambda: len(labels(every_second)) >= 3, timeout=30, what="three ticks")
    finally:
        stop_hub(hub)
    ticks = labels(every_second)
    assert all(re.fullmatch(r"test-every-second@\d{8}T\d{6}Z", key) for key in ticks), ticks
    assert Counter(ticks).most_common(1)[0][1] == 1, "a tick ran twice"
    # Ticks are a second apart.
    stamps = sorted(datetime.strptime(key.split("@")[1], "%Y%m%dT%H%M%SZ") for key in ticks)
    assert all((later - earlier).total_seconds() >= 1 for earlier, later in pairwise(stamps))


def test_a_fanning_out_schedule_enqueues_its_jobs_from_the_tick_itself(
    settings: Settings, tmp_path: Path
) -> None:
    journal = tmp_path / "fanned.txt"

    def two_jobs(_settings: Settings | None, at: float) -> list[JobRequest]:
        return [
            JobRequest(job="test.record_key", key=f"part-{part}@{int(at)}", args={"path": str(journal)})
            for part in (1, 2)
        ]

    # The scheduled job itself must not run: its name is unknown to every worker.
    schedule("test-fan-out", cron="* * * * * *", job="test.no_such_job", fan_out=two_jobs)
    hub = start_hub(settings, role="run")
    try:
        wait_until(lambda: len(labels(journal)) >= 4, timeout=30, what="two ticks of two jobs")
    finally:
        stop_hub(hub)
        remove_schedule("test-fan-out")
    keys = labels(journal)
    assert all(re.fullmatch(r"part-[12]@\d+", key) for key in keys), keys
    assert Counter(keys).most_common(1)[0][1] == 1, "a tick ran twice"
    ticks = Counter(key.split("@")[1] for key in keys)
    assert all(count <= 2 for count in ticks.values())
