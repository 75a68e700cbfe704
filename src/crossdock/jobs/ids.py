"""Job ids. The id is the job engine's deduplication key: enqueueing an id that exists does nothing."""

from __future__ import annotations


def job_id(job: str, key: str, attempt: int = 1) -> str:
    return f"{job}:{key}" if attempt == 1 else f"{job}:{key}:attempt-{attempt}"


def manual_retry_key(origin_key: str, retry_number: int) -> str:
    return f"{origin_key}:retry-{retry_number}"
