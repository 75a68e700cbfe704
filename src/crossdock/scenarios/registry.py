"""The scenarios `crossdock scenarios` knows, each registered by the module that plays it
(crossdock.scenarios.catalog)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crossdock.sandbox.shopify.plans import PlanName
from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict

Play = Callable[[Stage, Verdict], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    play: Play
    plan: PlanName = "advanced"
    # Appended to the hub's crossdock.toml for this scenario only.
    extra_config: str = ""


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str, summary: str, *, plan: PlanName = "advanced", extra_config: str = ""
) -> Callable[[Play], Play]:
    def register(play: Play) -> Play:
        if name in SCENARIOS:
            raise ValueError(f"two scenarios are named {name!r}")
        SCENARIOS[name] = Scenario(name, summary, play, plan, extra_config)
        return play

    return register


def known_scenarios() -> dict[str, Scenario]:
    """Every scenario, in the order the catalog declares them."""
    import crossdock.scenarios.catalog  # noqa: F401 - registers them

    return SCENARIOS
