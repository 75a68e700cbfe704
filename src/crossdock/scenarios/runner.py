"""Running scenarios: each on a stage of its own, from a clean state, its failures kept in its verdict."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from crossdock.scenarios.registry import Scenario
from crossdock.scenarios.stage import StepTimedOut, stage
from crossdock.scenarios.verdict import Verdict


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    verdict: Verdict
    seconds: float

    @property
    def passed(self) -> bool:
        return self.verdict.passed


def run_scenario(
    scenario: Scenario, folder: Path, *, time_scale: float = 1.0, database_url: str | None = None
) -> ScenarioResult:
    verdict = Verdict()
    started = time.monotonic()
    try:
        with stage(
            folder,
            time_scale=time_scale,
            plan=scenario.plan,
            extra_config=scenario.extra_config,
            database_url=database_url,
        ) as played:
            scenario.play(played, verdict)
    except StepTimedOut as timed_out:
        verdict.error = str(timed_out)
    except Exception as error:
        # A scenario that breaks is a failed rehearsal with its cause, not a crash of the whole run.
        verdict.error = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=6)}"
    return ScenarioResult(scenario, verdict, time.monotonic() - started)
