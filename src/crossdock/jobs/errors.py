"""How a job says that retrying cannot help (the Singer SDK's split of retriable from fatal errors)."""

from __future__ import annotations


class FatalJobError(Exception):
    """Raised by a job when another attempt would fail the same way (invalid input, a refusal by the far
    side). The job goes straight to a dead_letter exception instead of being retried."""


class UnknownJobError(LookupError):
    pass


class JobEngineNotRunningError(RuntimeError):
    pass
