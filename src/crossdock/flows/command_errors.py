"""The refusal every operator command of the flows raises: what to fix, and the exit code."""

from __future__ import annotations


class CommandRefused(Exception):
    """What the operator must fix; the command exits with ``exit_code`` and nothing is stored."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
