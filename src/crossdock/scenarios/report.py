"""The HTML report of a run: readable on its own (styles inline, no script, nothing fetched)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

import crossdock
from crossdock.scenarios.runner import ScenarioResult

_environment = Environment(
    loader=PackageLoader("crossdock.scenarios", "templates"), autoescape=select_autoescape(default=True)
)


def html_report(results: Sequence[ScenarioResult], *, time_scale: float) -> str:
    return _environment.get_template("report.html").render(
        results=results,
        passed=sum(result.passed for result in results),
        time_scale=time_scale,
        version=crossdock.__version__,
        at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
