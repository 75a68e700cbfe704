"""Durable steps. A job made of several steps resumes after a crash at the step that was interrupted:
completed steps are not run again, their recorded results are replayed. A step must therefore be
idempotent (it may run twice if the crash falls between its effect and its record), and the code between
steps must be deterministic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from dbos import DBOS

F = TypeVar("F", bound=Callable[..., Any])


def step(name: str | None = None) -> Callable[[F], F]:
    decorator: Callable[[F], F] = DBOS.step(name=name)  # type: ignore[assignment]
    return decorator
