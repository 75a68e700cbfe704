"""A scenario's verdict: every check it made — on which side (Shopify, the hub, the warehouse), what was
expected and what was found — and, when it could not go on, why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Side = Literal["shopify", "hub", "warehouse"]


@dataclass(frozen=True)
class Check:
    side: Side
    what: str
    expected: str
    actual: str
    passed: bool


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)
    # Set when a step failed before the checks were done (a wait timed out, a side refused an action).
    error: str | None = None

    def expect(self, side: Side, what: str, expected: object, actual: object) -> bool:
        """Record whether ``actual`` is ``expected``; the scenario goes on either way."""
        passed = actual == expected
        self.checks.append(Check(side, what, _shown(expected), _shown(actual), passed))
        return passed

    def expect_true(self, side: Side, what: str, expected: str, actual: str, passed: bool) -> bool:
        """A check whose expectation is a rule rather than a value ("at least one", "before …")."""
        self.checks.append(Check(side, what, expected, actual, passed))
        return passed

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.checks) and all(check.passed for check in self.checks)


def _shown(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return ", ".join(value) if value else "none"
    return repr(value)
