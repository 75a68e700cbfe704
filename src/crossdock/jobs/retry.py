"""Retry policy: exponential backoff with jitter, then a dead letter.

The jitter is derived from the job's id and attempt number rather than drawn at random, so a job replayed by
the engine after a crash computes the same delay (workflow code must be deterministic), while jobs that
failed together still spread out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 2.0
    max_seconds: float = 900.0
    # Each delay is stretched by a factor in [1, 1 + jitter). Below 1, the next base delay (double) is always
    # larger than the current stretched one, so delays strictly grow until they reach max_seconds.
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.base_seconds <= self.max_seconds:
            raise ValueError("need 0 < base_seconds <= max_seconds")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def should_retry(self, failed_attempt: int) -> bool:
        return failed_attempt < self.max_attempts

    def delay_after(self, failed_attempt: int, seed: str) -> float:
        """Seconds to wait before the attempt that follows ``failed_attempt`` (1-based)."""
        digest = hashlib.sha256(f"{seed}#{failed_attempt}".encode()).digest()
        unit = int.from_bytes(digest[:8], "big") / 2**64
        stretched = self.base_seconds * 2.0 ** (failed_attempt - 1) * (1 + self.jitter * unit)
        return float(min(stretched, self.max_seconds))
