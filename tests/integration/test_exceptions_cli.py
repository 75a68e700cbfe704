"""`crossdock exceptions`: list and show what the hub raised; resolve, ignore and retry, each refused (and
nothing changed) when the exception does not offer it or is closed already. Against the hub as `crossdock run`
starts it, so a retry's job really runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app as cli
from crossdock.flows.intake import Input, record_input
from crossdock.hub import Hub
from crossdock.store.exceptions import ExceptionRecord
from tests.support.sample_jobs import labels
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


def run(config_path: Path, environ: dict[str, str], *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "exceptions", *arguments], env=environ)
    return result.exit_code, result.output


def raise_problem(hub: Hub, type_: str, subject: str, actions: list[str]) -> int:
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        exception_id = uow.exceptions.raise_(
            type=type_,
            severity="error",
            subject_type="order",
            subject_id=subject,
            message=f"a {type_} about order {subject}",
            details={"why": type_},
            actions=actions,
            account_id="acme",
        )
        uow.commit()
    return exception_id


def stored(hub: Hub, exception_id: int) -> ExceptionRecord:
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        record = uow.exceptions.get(exception_id)
    assert record is not None
    return record


def test_exceptions_are_listed_shown_resolved_and_ignored_only_as_they_allow(
    hub: Hub, config_path: Path, hub_environ: dict[str, str]
) -> None:
    rejected = raise_problem(hub, "warehouse_rejected", "7", ["resolve", "ignore"])
    unknown = raise_problem(hub, "unknown_sku", "8", ["retry", "ignore"])

    code, output = run(config_path, hub_environ, "list", "--json")
    assert code == 0, output
    assert {entry["id"]: entry["type"] for entry in json.loads(output)} == {
        rejected: "warehouse_rejected",
        unknown: "unknown_sku",
    }
    code, output = run(config_path, hub_environ, "show", str(unknown))
    assert code == 0 and "actions:       retry, ignore" in output and '"why": "unknown_sku"' in output

    code, output = run(config_path, hub_environ, "resolve", str(unknown))
    assert code == 1 and "cannot be resolved: its actions are retry, ignore" in output
    assert stored(hub, unknown).status == "open"

    code, output = run(config_path, hub_environ, "resolve", str(rejected))
    assert (code, stored(hub, rejected).status, stored(hub, rejected).closed_by) == (0, "resolved", "cli")
    code, output = run(config_path, hub_environ, "ignore", str(rejected), str(unknown))
    assert code == 1 and "is resolved by cli: nothing to do" in output
    assert stored(hub, unknown).status == "ignored"  # the other id of the command still went through

    code, output = run(config_path, hub_environ, "list")
    assert code == 0 and output.strip().endswith("0 open exception(s)")
    code, output = run(config_path, hub_environ, "list", "--status", "all", "--type", "unknown_sku")
    assert code == 0 and "1 exception(s)" in output
    code, output = run(config_path, hub_environ, "show", "999999")
    assert code == 1 and "no exception 999999" in output


def test_retrying_a_rejected_input_processes_it_again(
    hub: Hub, tmp_path: Path, config_path: Path, hub_environ: dict[str, str]
) -> None:
    journal = tmp_path / "journal.txt"
    delivery = Input(
        source="test", kind="unreadable", dedupe_key="d-1", payload=b"{}", headers={"journal": str(journal)}
    )
    with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
        record_input(uow, delivery)
        uow.commit()

    def open_rejections() -> list[ExceptionRecord] | None:
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            found = uow.exceptions.list(status="open", type="input_rejected")
        return found or None

    (first,) = wait_until(open_rejections, what="the input to be rejected")

    code, output = run(config_path, hub_environ, "retry", str(first.id))

    assert code == 0, output
    assert "is processed again" in output
    assert (stored(hub, first.id).status, stored(hub, first.id).closed_by) == ("resolved", "cli (retried)")
    # The handler ran again and rejected the input again: a new exception says so.
    wait_until(
        lambda: labels(journal) == ["unreadable d-1", "unreadable d-1"], what="the input processed again"
    )
    (second,) = wait_until(open_rejections, what="the new rejection")
    assert second.id != first.id and second.subject_id == first.subject_id
