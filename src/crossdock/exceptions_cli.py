"""`crossdock exceptions`: list and read the problems the hub raised, and act on them — resolve, ignore,
retry — as the API does (crossdock.flows.exception_actions holds the logic; this module parses, opens the
database and prints)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from crossdock.config import Settings
from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.exception_actions import Action, act
from crossdock.flows.exception_report import exception_as_dict
from crossdock.operator_cli import _fail, _settings
from crossdock.store.unit_of_work import UnitOfWork

exceptions_app = typer.Typer(
    help="The problems the hub raised (one open exception per type and subject): list, show, act on them "
    "(resolve, ignore, retry, release, reroute).",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON, for scripts")]
IdsArgument = Annotated[list[int], typer.Argument(help="exception ids (several at once act on each)")]


@contextmanager
def _database(settings: Settings) -> Iterator[tuple[Any, Any]]:
    """The hub's engine and a job-engine client (a retry enqueues jobs the running hub's workers take)."""
    from crossdock.hub import prepare_database
    from crossdock.jobs.engine import make_client

    engine = prepare_database(settings)
    client = make_client(settings)
    try:
        yield engine, client
    finally:
        client.destroy()
        engine.dispose()


@exceptions_app.command("list")
def exceptions_list(
    status: Annotated[str, typer.Option(help="open, resolved, ignored or all")] = "open",
    type_: Annotated[str | None, typer.Option("--type", help="only this type, e.g. unknown_sku")] = None,
    account: Annotated[str | None, typer.Option("--account", help="only this account's")] = None,
    limit: Annotated[int, typer.Option(help="how many, most recently seen first")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List exceptions, most recently seen first."""
    if status not in ("open", "resolved", "ignored", "all"):
        raise _fail(f"unknown status {status!r}: open, resolved, ignored or all", 2)
    settings = _settings()
    from crossdock.hub import prepare_database

    engine = prepare_database(settings)
    try:
        with UnitOfWork(engine) as uow:
            records = uow.exceptions.list(
                status=None if status == "all" else status,  # type: ignore[arg-type]
                type=type_,
                account_id=account,
                limit=limit,
            )
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([exception_as_dict(record) for record in records], indent=2))
        return
    typer.echo(f"{'ID':>6}  {'TYPE':<26} {'SEVERITY':<8} {'SEEN':>5}  {'LAST SEEN (UTC)':<19}  MESSAGE")
    for record in records:
        seen = record.last_seen_at.strftime("%Y-%m-%d %H:%M:%S")
        message = record.message if len(record.message) <= 90 else record.message[:87] + "..."
        typer.echo(
            f"{record.id:>6}  {record.type:<26} {record.severity:<8} {record.occurrences:>5}  "
            f"{seen:<19}  {message}"
        )
    typer.echo(f"{len(records)} {'' if status == 'all' else status + ' '}exception(s)")


@exceptions_app.command("show")
def exceptions_show(
    exception_id: Annotated[int, typer.Argument(help="the exception id")], as_json: JsonOption = False
) -> None:
    """Show one exception: what, about what, how often, its details and the actions it offers."""
    settings = _settings()
    from crossdock.hub import prepare_database

    engine = prepare_database(settings)
    try:
        with UnitOfWork(engine) as uow:
            record = uow.exceptions.get(exception_id)
    finally:
        engine.dispose()
    if record is None:
        raise _fail(f"no exception {exception_id}", 1)
    shown = exception_as_dict(record)
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    for key in ("id", "type", "severity", "status", "account", "subject", "message", "occurrences"):
        typer.echo(f"{key + ':':<15}{shown[key]}")
    typer.echo(f"{'seen:':<15}{shown['first_seen_at']} .. {shown['last_seen_at']}")
    if record.closed_at:
        typer.echo(f"{'closed:':<15}{shown['closed_at']} by {record.closed_by}")
    typer.echo(f"{'actions:':<15}{', '.join(record.actions) or 'none'}")
    typer.echo("details:")
    typer.echo(json.dumps(record.details, indent=2, sort_keys=True))


def _act(action: Action, exception_ids: list[int], *, warehouse: str | None = None) -> None:
    import crossdock.jobs.catalog  # noqa: F401 - the flows register how their exceptions are retried
    from crossdock.jobs.engine import import_extra_modules
    from crossdock.jobs.enqueuer import DbosEnqueuer

    settings = _settings()
    import_extra_modules(settings)
    failed = False
    with _database(settings) as (engine, client):
        for exception_id in exception_ids:
            try:
                outcome = act(
                    lambda: UnitOfWork(engine, DbosEnqueuer(client)),
                    exception_id,
                    action,
                    by="cli",
                    warehouse=warehouse,
                )
            except CommandRefused as error:
                typer.echo(f"exception {exception_id}: {error}", err=True)
                failed = True
                continue
            typer.echo(f"exception {exception_id}: {outcome.message}")
    if failed:
        raise typer.Exit(code=1)


@exceptions_app.command("resolve")
def exceptions_resolve(exception_ids: IdsArgument) -> None:
    """Close exceptions as resolved (the problem was dealt with outside the hub)."""
    _act("resolve", exception_ids)


@exceptions_app.command("ignore")
def exceptions_ignore(exception_ids: IdsArgument) -> None:
    """Close exceptions as ignored (nothing will be done about them)."""
    _act("ignore", exception_ids)


@exceptions_app.command("retry")
def exceptions_retry(exception_ids: IdsArgument) -> None:
    """Do again what failed: a dead-lettered job, a rejected input, an order's validation or routing."""
    _act("retry", exception_ids)


@exceptions_app.command("release")
def exceptions_release(exception_ids: IdsArgument) -> None:
    """Release the hold an exception reports (an order held by hand), as `crossdock orders release` does."""
    _act("release", exception_ids)


@exceptions_app.command("reroute")
def exceptions_reroute(
    exception_ids: IdsArgument,
    warehouse: Annotated[
        str, typer.Option("--warehouse", help="the warehouse code, as in [warehouses.CODE]")
    ],
) -> None:
    """Send the order of a routing_failed or warehouse_rejected exception to this warehouse."""
    _act("reroute", exception_ids, warehouse=warehouse)
