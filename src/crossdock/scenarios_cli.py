"""`crossdock scenarios list | run [NAME…] [--report FILE.html]`: rehearse the edge cases of an integration
before going live, each on a new Shopify sandbox store, X12 3PL sandbox and hub (crossdock.scenarios)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from crossdock.operator_cli import _fail

scenarios_app = typer.Typer(
    help="Rehearse the edge cases (stockouts, late cancellations, partial shipments, returns, lost webhooks, "
    "outages…) end to end on the sandboxes, with a verdict.",
    no_args_is_help=True,
)


@scenarios_app.command("list")
def scenarios_list() -> None:
    """The scenarios, with what each rehearses."""
    from crossdock.scenarios.registry import known_scenarios

    for name, scenario in known_scenarios().items():
        typer.echo(f"{name}\n    {scenario.summary}")


@scenarios_app.command("run")
def scenarios_run(
    names: Annotated[
        list[str] | None, typer.Argument(help="scenarios to run (all when none is named)")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="write an HTML report to this file")] = None,
    time_scale: Annotated[
        float,
        typer.Option(
            "--time-scale",
            min=0.001,
            max=1.0,
            help="shorten what scenarios make last (a 5-minute outage): 0.1 = ten times",
        ),
    ] = 1.0,
    keep: Annotated[
        Path | None,
        typer.Option("--keep", help="keep each scenario's folder (logs, databases) under this one"),
    ] = None,
) -> None:
    """Run scenarios and print each check; exits 1 when one fails."""
    from crossdock.scenarios.registry import known_scenarios
    from crossdock.scenarios.report import html_report
    from crossdock.scenarios.runner import run_scenario

    known = known_scenarios()
    unknown = [name for name in names or [] if name not in known]
    if unknown:
        raise _fail(f"no scenario {', '.join(unknown)}: `crossdock scenarios list` names them", 2)
    chosen = [known[name] for name in names] if names else list(known.values())
    results = []
    with tempfile.TemporaryDirectory(prefix="crossdock-scenarios-") as scratch:
        root = keep or Path(scratch)
        for scenario in chosen:
            typer.echo(f"{scenario.name}: running…")
            result = run_scenario(scenario, root / scenario.name, time_scale=time_scale)
            results.append(result)
            for check in result.verdict.checks:
                mark = "ok  " if check.passed else "FAIL"
                typer.echo(
                    f"  {mark} [{check.side}] {check.what}: expected {check.expected}, got {check.actual}"
                )
            if result.verdict.error:
                typer.echo(f"  FAIL {result.verdict.error.splitlines()[0]}")
            typer.echo(
                f"{scenario.name}: {'passed' if result.passed else 'FAILED'} in {result.seconds:.1f} s"
            )
    passed = sum(result.passed for result in results)
    typer.echo(f"{passed} of {len(results)} scenario(s) passed")
    if report is not None:
        report.write_text(html_report(results, time_scale=time_scale), encoding="utf-8")
        typer.echo(f"report written to {report}")
    if passed != len(results):
        raise typer.Exit(code=1)
