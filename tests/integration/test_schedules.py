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
