"""The moments the two processes of ``crossdock run`` share, and the intake activity read there."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from crossdock.flows.intake_activity import IntakeActivity
from crossdock.shared_moments import NEVER, SharedMoments


def test_a_moment_written_by_one_process_is_read_by_another(tmp_path: Path) -> None:
    path = tmp_path / "moments"
    mine = SharedMoments.create(path)
    assert mine.get("intake_saturated") == NEVER
    assert mine.get("worker_alive") == NEVER
    written = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from crossdock.shared_moments import SharedMoments;"
            " moments = SharedMoments.attach(Path(sys.argv[1])); now = time.monotonic();"
            " moments.set('worker_alive', now); print(repr(now))",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert mine.get("worker_alive") == float(written.stdout)
    # One clock for the machine: a moment taken in the other process is not in this one's future.
    assert mine.get("worker_alive") <= time.monotonic()
    assert mine.get("intake_saturated") == NEVER


def test_create_refuses_an_existing_file_and_attach_a_file_of_another_size(tmp_path: Path) -> None:
    path = tmp_path / "moments"
    SharedMoments.create(path)
    with pytest.raises(FileExistsError):
        SharedMoments.create(path)
    other = tmp_path / "other"
    other.write_bytes(b"\0" * 3)
    with pytest.raises(ValueError, match="holds 3 bytes"):
        SharedMoments.attach(other)


def test_a_job_process_sharing_the_moments_sees_the_writer_of_the_web_process_busy(tmp_path: Path) -> None:
    path = tmp_path / "moments"
    web = IntakeActivity(SharedMoments.create(path))
    jobs = IntakeActivity(SharedMoments.attach(path))
    alone = IntakeActivity()
    assert not jobs.busy()
    web.note_batch(IntakeActivity.SATURATED_BATCH)
    assert jobs.busy()
    assert not alone.busy()  # a worker started on its own shares nothing


def test_intake_counts_as_busy_only_once_inputs_queue_up_behind_a_commit() -> None:
    activity = IntakeActivity()
    assert not activity.busy()
    activity.note_batch(1)  # one input a commit: the writer keeps up
    assert not activity.busy()
    activity.note_batch(3)  # an order's webhooks arriving together: ordinary traffic
    assert not activity.busy()
    activity.note_batch(12)
    assert activity.busy()
