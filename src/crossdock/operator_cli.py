"""`crossdock orders`, `crossdock skus`, `crossdock bundles` and `crossdock stock`: what an operator reads
of an order or of a SKU's stock, and fixes in an account's SKU mappings. The logic lives in
crossdock.flows.order_report, crossdock.flows.stock_report and crossdock.flows.sku_commands; this module
parses the command line, opens the database and prints."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from crossdock.config import Settings
from crossdock.flows.command_errors import CommandRefused
from crossdock.store.unit_of_work import UnitOfWork

orders_app = typer.Typer(
    help="Read what the hub knows of an order; hold or release it.", no_args_is_help=True
)
skus_app = typer.Typer(help="Map the SKUs orders carry to registered SKUs.", no_args_is_help=True)
bundles_app = typer.Typer(
    help="Bundles: SKUs sold in Shopify that warehouses ship as their components. They are declared in a "
    "CSV file only (not in crossdock.toml).",
    no_args_is_help=True,
)
stock_app = typer.Typer(help="Read why a SKU shows what it shows in Shopify.", no_args_is_help=True)

AccountOption = Annotated[str, typer.Option("--account", help="the account id, as in [[accounts]]")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON, for scripts")]


def _settings() -> Settings:
    # Imported here: crossdock.cli imports this module to register its commands.
    from crossdock.cli import _settings as load

    return load()


@contextmanager
def _unit_of_work(settings: Settings, *, jobs: bool = False) -> Iterator[UnitOfWork]:
    """A unit of work on the hub's database; with ``jobs``, one that enqueues into the job engine's tables,
    which the running hub's workers take jobs from."""
    from crossdock.hub import prepare_database
    from crossdock.jobs.engine import make_client
    from crossdock.jobs.enqueuer import DbosEnqueuer

    engine = prepare_database(settings)
    client = make_client(settings) if jobs else None
    try:
        with UnitOfWork(engine, None if client is None else DbosEnqueuer(client)) as uow:
            yield uow
    finally:
        if client is not None:
            client.destroy()
        engine.dispose()


def _fail(message: str, exit_code: int) -> typer.Exit:
    typer.echo(f"crossdock: {message}", err=True)
    return typer.Exit(code=exit_code)


def _mapping_command(action: Callable[[UnitOfWork], list[str]], *, jobs: bool = False) -> None:
    """Run ``action`` and commit, or print what the operator must fix and store nothing."""
    with _unit_of_work(_settings(), jobs=jobs) as uow:
        try:
            lines = action(uow)
        except CommandRefused as error:
            raise _fail(str(error), error.exit_code) from None
        uow.commit()
    typer.echo("\n".join(lines))


@orders_app.command("show")
def orders_show(
    name: Annotated[str, typer.Argument(help='the order name, "#1001" or "1001"')],
    account: Annotated[str | None, typer.Option("--account", help="only this account's orders")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show an order: status, lines, warehouse orders, shipments, open exceptions and timeline. Orders of
    several shops with that name are all shown, newest first."""
    from crossdock.flows.order_report import report_text, reports_by_name

    with _unit_of_work(_settings()) as uow:
        reports = reports_by_name(uow, name, account)
    if not reports:
        scope = f" in account {account}" if account else ""
        raise _fail(f"no order named {name if name.startswith('#') else '#' + name}{scope}", 1)
    if as_json:
        typer.echo(json.dumps(reports, indent=2))
        return
    typer.echo("\n\n".join("\n".join(report_text(report)) for report in reports))


@orders_app.command("hold")
def orders_hold(
    name: Annotated[str, typer.Argument(help='the order name, "#1001" or "1001"')],
    note: Annotated[str, typer.Option("--note", help="why, for the timeline")],
    account: Annotated[str | None, typer.Option("--account", help="the order's account")] = None,
) -> None:
    """Hold an order that has not reached a warehouse yet; it waits until released."""
    from crossdock.flows.order_holds import hold_order

    _mapping_command(lambda uow: hold_order(uow, name, account, note, _operator()), jobs=True)


@orders_app.command("release")
def orders_release(
    name: Annotated[str, typer.Argument(help='the order name, "#1001" or "1001"')],
    account: Annotated[str | None, typer.Option("--account", help="the order's account")] = None,
) -> None:
    """Release an order's manual hold; it goes on to its warehouse (unless another hold remains)."""
    from crossdock.flows.order_holds import release_order

    _mapping_command(lambda uow: release_order(uow, name, account, _operator()), jobs=True)


def _operator() -> str:
    import getpass

    return f"operator {getpass.getuser()}"


@skus_app.command("alias")
def skus_alias(
    alias: Annotated[str, typer.Argument(help="the SKU as orders carry it (a typo, a legacy code)")],
    sku: Annotated[str, typer.Argument(help="the registered SKU it stands for")],
    account: AccountOption,
) -> None:
    """Record ALIAS as another name of the registered SKU, and send the orders waiting on ALIAS back to the
    order flow (the running hub dispatches them)."""
    from crossdock.flows.sku_commands import set_alias

    def action(uow: UnitOfWork) -> list[str]:
        requeued = set_alias(uow, account, alias, sku)
        return [
            f"account {account}: {alias.strip()} → {sku.strip()} recorded; {len(requeued)} order(s) sent "
            "back to the order flow" + (f": order id(s) {', '.join(map(str, requeued))}" if requeued else "")
        ]

    _mapping_command(action, jobs=True)


@bundles_app.command("import")
def bundles_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV file with the header bundle_sku,component_sku,quantity",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    account: AccountOption,
) -> None:
    """Replace the components of each bundle in the CSV file; every row is checked first, and a file with
    any bad row stores nothing. Bundles not in the file stay as they are."""
    from crossdock.flows.sku_commands import import_bundles, import_summary, parse_bundles_csv

    try:
        bundles = parse_bundles_csv(file.read_text(encoding="utf-8-sig"))
    except (CommandRefused, UnicodeDecodeError) as error:
        raise _fail(f"{file}: {error}", getattr(error, "exit_code", 2)) from None
    _mapping_command(lambda uow: import_summary(import_bundles(uow, account, bundles), account))


@bundles_app.command("list")
def bundles_list(account: AccountOption, as_json: JsonOption = False) -> None:
    """List the account's bundles and their components."""
    from crossdock.flows.sku_commands import bundle_listing, require_account

    with _unit_of_work(_settings()) as uow:
        try:
            require_account(uow, account)
        except CommandRefused as error:
            raise _fail(str(error), error.exit_code) from None
        bundles = uow.sku_mappings.bundles(account)
    typer.echo(
        json.dumps(bundles, indent=2, sort_keys=True) if as_json else "\n".join(bundle_listing(bundles))
    )


@stock_app.command("show")
def stock_show(
    sku: Annotated[str, typer.Argument(help="the SKU (a bundle's shows its components)")],
    account: AccountOption,
    as_json: JsonOption = False,
) -> None:
    """Show, at each Shopify location selling the SKU, every term of its available-to-sell (each feeding
    warehouse's stock less the units in flight, the safety stock), what the hub wants there and what Shopify
    holds; then the last 20 ledger lines."""
    from crossdock.flows.stock_report import report_text, stock_report

    settings = _settings()
    with _unit_of_work(settings) as uow:
        report = stock_report(uow, settings, account, sku)
    if report is None:
        raise _fail(f"no SKU {sku} in account {account}", 1)
    typer.echo(json.dumps(report, indent=2) if as_json else "\n".join(report_text(report)))
