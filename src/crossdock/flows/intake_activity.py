"""What the inbox writer is doing: whether it is saturated, so that processing yields to it, and when it
last committed, so that the inbox relay enqueues the processing of what it stored without waiting to poll.

Acknowledging is what has a deadline (Shopify gives up after 5 s); an input stored is safe and can be
processed a moment later. Measured on 2 cores (benchmarks/webhook_intake.py): with batch jobs running the
order handlers beside it, intake fell to 90-140/s with a p99 of seconds, the job threads taking the
interpreter lock (and, on SQLite, the write lock) from the event loop and the writer; waiting made it 4-5
times faster. So a batch job waits before it begins and before each row while the writer is busy, at most
``MAX_WAIT_SECONDS`` each time so that processing never stops under endless load.

The writer's moments are kept in memory by default (one process doing both). ``crossdock run`` runs its job
engine in a child process: both then ``share`` the same moments through a file (``shared_moments.py``), so
the child's batch jobs see the web process's writer. A worker started on its own shares nothing, is never
busy, and never waits.
"""

from __future__ import annotations

import time

from crossdock.shared_moments import SharedMoments


class IntakeActivity:
    # The writer is saturated when many inputs queued up while its previous commit ran. Two or three are
    # ordinary traffic (orders/create and orders/paid of one order come together, and Shopify sends in
    # parallel): waiting on those made processing stop and go all the time at 20 orders/s.
    SATURATED_BATCH = 8
    BUSY_FOR_SECONDS = 0.2
    MAX_WAIT_SECONDS = 5.0

    def __init__(self, moments: SharedMoments | None = None) -> None:
        self._moments = moments or SharedMoments.in_memory()

    def share(self, moments: SharedMoments) -> None:
        """Read and note the writer's moments in ``moments`` from now on."""
        self._moments = moments

    def note_batch(self, size: int) -> None:
        if size >= self.SATURATED_BATCH:
            self._moments.set("intake_saturated", time.monotonic())

    def note_committed(self) -> None:
        """The writer committed inputs that await their job (for the inbox relay)."""
        self._moments.set("inbox_committed", time.monotonic())

    def last_committed(self) -> float:
        return self._moments.get("inbox_committed")

    def busy(self) -> bool:
        return time.monotonic() - self._moments.get("intake_saturated") < self.BUSY_FOR_SECONDS

    def wait_while_busy(self) -> None:
        deadline = time.monotonic() + self.MAX_WAIT_SECONDS
        while (now := time.monotonic()) < deadline:
            # Sleeping until the busy spell would end, not polling: every wake-up costs the event loop the
            # interpreter lock.
            quiet_at = self._moments.get("intake_saturated") + self.BUSY_FOR_SECONDS
            if now >= quiet_at:
                return
            time.sleep(min(quiet_at, deadline) - now)


INTAKE_ACTIVITY = IntakeActivity()
