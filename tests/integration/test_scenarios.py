"""Every rehearsal scenario of `crossdock scenarios`, on a fast time scale (a 5-minute outage lasts 6 s): each
plays on a new Shopify sandbox, X12 3PL sandbox and hub, and passes only if every check on every side does."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app as cli
from crossdock.scenarios.registry import Scenario, known_scenarios
from crossdock.scenarios.report import html_report
from crossdock.scenarios.runner import run_scenario
from crossdock.scenarios.stage import Stage
from crossdock.scenarios.verdict import Verdict

pytestmark = pytest.mark.slow
TIME_SCALE = 0.02


@pytest.mark.parametrize("name", list(known_scenarios()))
def test_the_scenario_passes(name: str, tmp_path: Path, database_url: str) -> None:
    result = run_scenario(
        known_scenarios()[name], tmp_path / name, time_scale=TIME_SCALE, database_url=database_url
    )
    failed = [check for check in result.verdict.checks if not check.passed]
    assert result.passed, (
        result.verdict.error
        or "\n".join(f"[{c.side}] {c.what}: expected {c.expected}, got {c.actual}" for c in failed)
        or "no check was made"
    )


def test_the_catalog_covers_the_seed_s_edge_cases() -> None:
    assert set(known_scenarios()) == {
        "stockout-after-confirmation",
        "late-cancellation-before-pick",
        "late-cancellation-after-pick",
        "partial-shipment",
        "product-return",
        "duplicate-webhooks",
        "out-of-order-webhooks",
        "missed-webhook",
        "unknown-sku-fixed-by-alias",
        "bundle-order",
        "edit-before-preparation",
        "edit-after-preparation",
        "sftp-outage",
        "shopify-throttling",
    }


def test_the_command_runs_named_scenarios_and_writes_a_report(tmp_path: Path) -> None:
    report = tmp_path / "rehearsal.html"
    result = CliRunner().invoke(
        cli, ["scenarios", "run", "missed-webhook", "--time-scale", "0.02", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "ok   [hub] order status after the poll: expected accepted, got accepted" in result.output
    assert "1 of 1 scenario(s) passed" in result.output
    page = report.read_text(encoding="utf-8")
    assert "1 of 1 scenarios passed" in page and "missed-webhook" in page and "<script" not in page

    unknown = CliRunner().invoke(cli, ["scenarios", "run", "no-such-rehearsal"])
    assert unknown.exit_code == 2 and "no scenario no-such-rehearsal" in unknown.output


def test_a_failed_check_fails_the_scenario_and_the_report_shows_expected_and_actual(tmp_path: Path) -> None:
    def play(stage: Stage, verdict: Verdict) -> None:
        verdict.expect("warehouse", "940s received", 1, len(stage.files_received("940")))

    def stuck(stage: Stage, verdict: Verdict) -> None:
        stage.wait_for(lambda: None, "something that never happens", timeout=0.2)

    results = [
        run_scenario(
            Scenario("expects-an-order", "nothing was ordered", play), tmp_path / "a", time_scale=TIME_SCALE
        ),
        run_scenario(
            Scenario("waits-forever", "a step that never ends", stuck), tmp_path / "b", time_scale=TIME_SCALE
        ),
    ]

    assert [result.passed for result in results] == [False, False]
    assert results[1].verdict.error == "timed out after 0 s waiting for something that never happens"
    page = html_report(results, time_scale=TIME_SCALE)
    assert "0 of 2 scenarios passed" in page
    assert "<td>940s received</td><td>1</td><td>0</td>" in page
    assert "something that never happens" in page
