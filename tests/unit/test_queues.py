"""Queue polling intervals: intake at the configured interval, the others never faster than their floor."""

from __future__ import annotations

from crossdock.jobs.queues import (
    ALL_QUEUES,
    INTAKE,
    INVENTORY,
    MAINTENANCE,
    SLOW_POLL_SECONDS,
    STEADY_POLL_SECONDS,
)


def test_only_intake_polls_at_the_configured_interval() -> None:
    assert INTAKE.poll_seconds(0.05) == 0.05
    for queue in ALL_QUEUES:
        if queue in (INTAKE,):
            continue
        floor = SLOW_POLL_SECONDS if queue in (INVENTORY, MAINTENANCE) else STEADY_POLL_SECONDS
        assert queue.poll_seconds(0.05) == floor, queue.name
        assert queue.poll_seconds(2.0) == 2.0, queue.name
