"""The ``crossdock`` command."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import crossdock
from crossdock.access_cli import tokens_app, users_app
from crossdock.config import ConfigError, Settings, example_config, load_settings
from crossdock.exceptions_cli import exceptions_app
from crossdock.logs import configure_logging
from crossdock.operator_cli import bundles_app, orders_app, skus_app, stock_app
from crossdock.scenarios_cli import scenarios_app

if TYPE_CHECKING:
    from crossdock.jobs.admin import JobAdmin

app = typer.Typer(
    help="crossdock: the hub between your Shopify stores and your warehouses.",
    no_args_is_help=True,
    add_completion=False,
)
jobs_app = typer.Typer(help="Inspect and repair background jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
shopify_app = typer.Typer(help="Connect Shopify stores and read from them.", no_args_is_help=True)
app.add_typer(shopify_app, name="shopify")
sandbox_app = typer.Typer(help="Emulators of the systems crossdock talks to, for tests and rehearsals.")
app.add_typer(sandbox_app, name="sandbox")
x12_app = typer.Typer(
    help="EDI X12 warehouses: check a partner's SFTP server, collect now, read a file.", no_args_is_help=True
)
app.add_typer(x12_app, name="x12")
app.add_typer(orders_app, name="orders")
app.add_typer(skus_app, name="skus")
app.add_typer(bundles_app, name="bundles")
app.add_typer(stock_app, name="stock")
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(scenarios_app, name="scenarios")

_state: dict[str, Path | None] = {"config": None}

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="crossdock.toml to read (default: $CROSSDOCK_CONFIG or ./crossdock.toml)"
    ),
]


@app.callback()
def main(config: ConfigOption = None) -> None:
    _state["config"] = config


def _settings() -> Settings:
    try:
        settings = load_settings(_state["config"])
    except ConfigError as error:
        typer.echo(f"crossdock: configuration error\n{error}", err=True)
        raise typer.Exit(code=2) from None
    configure_logging(settings.log.level, settings.log.format)
    return settings


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(crossdock.__version__)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="where to write the example configuration")] = Path(
        "crossdock.toml"
    ),
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a commented example crossdock.toml."""
    if path.exists() and not force:
        typer.echo(f"crossdock: {path} exists; pass --force to overwrite it", err=True)
        raise typer.Exit(code=1)
    path.write_text(example_config())
    typer.echo(f"wrote {path}")


@app.command()
def migrate() -> None:
    """Bring the database schema to the latest version (also done at every start)."""
    from crossdock.hub import prepare_database
    from crossdock.store.migrate import current_revision

    settings = _settings()
    engine = prepare_database(settings)
    typer.echo(f"database {settings.database.password_free_url} at revision {current_revision(engine)}")
    engine.dispose()


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="address to listen on (default: web.host)")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on (default: web.port)")] = None,
) -> None:
    """Run the hub: web, job workers and schedules (the job engine in a child process it watches)."""
    import tempfile

    from crossdock.flows.intake_activity import INTAKE_ACTIVITY
    from crossdock.jobs.worker_process import JobWorkerProcess, child_command
    from crossdock.shared_moments import SharedMoments
    from crossdock.web.app import create_app

    settings = _settings()
    with tempfile.TemporaryDirectory(prefix="crossdock-run-") as folder:
        moments_path = Path(folder) / "moments"
        moments = SharedMoments.create(moments_path)
        INTAKE_ACTIVITY.share(moments)
        job_process = JobWorkerProcess(child_command(_state["config"], moments_path), moments)
        _serve(
            create_app(settings, role=None, job_process=job_process),
            host or settings.web.host,
            port or settings.web.port,
        )


def _serve(asgi_app: Any, host: str, port: int) -> None:
    import uvicorn

    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again with the handlers it
    # found at start: a handler that does nothing lets a clean shutdown exit 0 rather than die by signal.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    uvicorn.run(asgi_app, host=host, port=port, log_config=None, access_log=False)


@app.command()
def worker(
    part_of_run: Annotated[
        Path | None,
        typer.Option(
            "--part-of-run",
            hidden=True,
            help="the job process of a crossdock run, sharing its moments file (jobs/worker_process.py)",
        ),
    ] = None,
) -> None:
    """Run job workers and schedules only (start as many as you like against PostgreSQL)."""
    from crossdock.hub import start_hub, stop_hub

    settings = _settings()
    if part_of_run is not None:
        from crossdock.jobs.worker_process import run_as_part_of_run

        run_as_part_of_run(settings, part_of_run)
        return
    hub = start_hub(settings, role="worker")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    assert hub.jobs is not None
    typer.echo(f"worker {hub.jobs.executor_id} running; Ctrl-C to stop", err=True)
    stopping.wait()
    stop_hub(hub)


def _job_admin(settings: Settings) -> JobAdmin:
    from crossdock.hub import prepare_database
    from crossdock.jobs.admin import JobAdmin
    from crossdock.jobs.engine import make_client

    return JobAdmin(prepare_database(settings), make_client(settings), settings.jobs.heartbeat_seconds)


@jobs_app.command("list")
def jobs_list(
    status: Annotated[
        str | None, typer.Option(help="enqueued, delayed, pending, success, error or cancelled")
    ] = None,
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 50,
) -> None:
    """List jobs, newest first, and the dead letters waiting for an operator."""
    settings = _settings()
    admin = _job_admin(settings)
    rows = admin.list_jobs(status=status, limit=limit)
    typer.echo(f"{'STATUS':<10} {'QUEUE':<16} {'PARTITION':<20} {'UPDATED (UTC)':<20} JOB ID")
    for row in rows:
        updated = row.updated_at.strftime("%Y-%m-%d %H:%M:%S") if row.updated_at else "-"
        typer.echo(
            f"{row.status:<10} {row.queue or '-':<16} {row.partition or '-':<20} {updated:<20} {row.job_id}"
        )
        if row.error:
            typer.echo(f"{'':<10} error: {row.error}")
    dead = admin.open_dead_letters()
    typer.echo(
        f"{len(rows)} job(s) shown; {len(dead)} open dead letter(s)"
        + (f": exception id(s) {', '.join(map(str, dead))} (crossdock jobs retry ID)" if dead else "")
    )


@jobs_app.command("retry")
def jobs_retry(
    exception_ids: Annotated[list[int] | None, typer.Argument(help="dead_letter exception ids")] = None,
    all_open: Annotated[bool, typer.Option("--all", help="retry every open dead letter")] = False,
) -> None:
    """Run dead-lettered jobs again from their first attempt."""
    from crossdock.jobs.admin import NotRetriableError
    from crossdock.jobs.engine import import_extra_modules  # also registers the hub's own jobs

    settings = _settings()
    import_extra_modules(settings)  # a retried job may be a plugin's
    admin = _job_admin(settings)
    targets = admin.open_dead_letters() if all_open else list(exception_ids or [])
    if not targets:
        typer.echo("nothing to retry: give exception ids, or --all", err=True)
        raise typer.Exit(code=1)
    failed = False
    for exception_id in targets:
        try:
            new_job = admin.retry_dead_letter(exception_id, by="cli")
            typer.echo(f"exception {exception_id}: retrying as job {new_job}")
        except NotRetriableError as error:
            typer.echo(f"exception {exception_id}: {error}", err=True)
            failed = True
    if failed:
        raise typer.Exit(code=1)


@jobs_app.command("recover")
def jobs_recover(
    executor_id: Annotated[str | None, typer.Argument(help="the executor whose jobs to hand over")] = None,
    force: Annotated[bool, typer.Option(help="even if it heart-beat recently (its machine is gone)")] = False,
) -> None:
    """Hand the unfinished jobs of a lost executor to the live workers. Without an id, list lost executors."""
    from crossdock.jobs.admin import ExecutorStillAliveError

    settings = _settings()
    admin = _job_admin(settings)
    if executor_id is None:
        lost = admin.lost_executors()
        if not lost:
            typer.echo("no lost executor: every executor with unfinished jobs is heart-beating")
        for entry in lost:
            record = entry.record
            typer.echo(
                f"{record.executor_id}: pid {record.pid} on {record.hostname}, last seen "
                f"{record.last_seen_at:%Y-%m-%d %H:%M:%S} UTC, {entry.pending_jobs} unfinished job(s)"
            )
        return
    try:
        recovered = admin.recover(executor_id, force=force)
    except ExecutorStillAliveError as error:
        typer.echo(f"crossdock: {error}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"{len(recovered)} job(s) of {executor_id} handed back to the queues")
    for job_id in recovered:
        typer.echo(f"  {job_id}")


ShopArgument = Annotated[str, typer.Argument(help="the shop's key in [shops.<key>], or its domain")]


def _run_shopify_command(command: Any, *args: Any) -> None:
    from crossdock.connectors.shopify.commands import CommandError

    try:
        lines = command(*args)
    except CommandError as error:
        typer.echo(f"crossdock: {error}", err=True)
        raise typer.Exit(code=error.exit_code) from None
    for line in lines:
        typer.echo(line)


@shopify_app.command("connect")
def shopify_connect(
    shop: ShopArgument,
    public_url: Annotated[
        str | None, typer.Option(help="address Shopify reaches this hub at (default: web.public_url)")
    ] = None,
) -> None:
    """Check the shop's credentials, record its locations and subscribe its webhooks (safe to rerun)."""
    from crossdock.connectors.shopify.commands import connect

    _run_shopify_command(connect, _settings(), shop, public_url)


@shopify_app.command("import-catalog")
def shopify_import_catalog(shop: ShopArgument) -> None:
    """Read every product variant of the shop into the SKU registry; report duplicate and missing SKUs."""
    from crossdock.connectors.shopify.commands import import_catalog_of

    _run_shopify_command(import_catalog_of, _settings(), shop)


@shopify_app.command("poll")
def shopify_poll(shop: ShopArgument) -> None:
    """Read the orders updated since the last poll now, as the scheduled reconciliation poll does."""
    from crossdock.connectors.shopify.commands import poll_now

    _run_shopify_command(poll_now, _settings(), shop)


@sandbox_app.command("shopify")
def sandbox_shopify(
    port: Annotated[int, typer.Option(help="port to listen on")] = 8790,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    plan: Annotated[
        str,
        typer.Option(
            help="Shopify plan, which sets the rate limit: standard (100 points/s), advanced (200), "
            "plus (1,000), enterprise (2,000); the bucket holds 20 seconds of restore"
        ),
    ] = "standard",
    seed: Annotated[
        Path | None, typer.Option(help="JSON or YAML file with the shop, locations, products and stock")
    ] = None,
    skus: Annotated[int, typer.Option(help="without --seed: how many SKUs to generate")] = 20,
    locations: Annotated[int, typer.Option(help="without --seed: how many locations to generate")] = 2,
    state_file: Annotated[
        Path | None,
        typer.Option(help="load the shop from this file if it exists, and save it there on exit"),
    ] = None,
    access_token: Annotated[
        str | None, typer.Option(help="the X-Shopify-Access-Token apps must send (default printed at start)")
    ] = None,
    app_secret: Annotated[
        str | None, typer.Option(help="the app secret that signs webhooks (default printed at start)")
    ] = None,
    throttled_status: Annotated[
        int, typer.Option(help="HTTP status of a THROTTLED answer: 200 as Shopify, or 429")
    ] = 200,
    webhook_time_scale: Annotated[
        float,
        typer.Option(
            help="speed of the webhook retry schedule (8 retries over ~4 h at 1.0; 0.001 runs it in ~15 s)"
        ),
    ] = 1.0,
    webhook_duplicate_rate: Annotated[
        float, typer.Option(help="share of webhook deliveries sent twice with the same webhook id (0 to 1)")
    ] = 0.0,
    webhook_drop_rate: Annotated[
        float, typer.Option(help="share of webhook events never delivered, as Shopify may lose one (0 to 1)")
    ] = 0.0,
    webhook_reorder: Annotated[
        bool, typer.Option(help="deliver webhooks out of order (each held a random 0-0.5 s)")
    ] = False,
    webhook_delay: Annotated[float, typer.Option(help="seconds before every first webhook delivery")] = 0.0,
    webhook_seed: Annotated[int, typer.Option(help="seed of the fault draws, for a reproducible run")] = 0,
    webhook_workers: Annotated[
        int | None,
        typer.Option(min=1, help="webhook deliveries sent at once, as Shopify sends in parallel (default 8)"),
    ] = None,
) -> None:
    """Run a Shopify shop emulator: the Admin GraphQL API 2026-07 with Shopify's validation, query cost,
    throttling and idempotency."""
    from crossdock.sandbox.shopify.app import API_VERSION, create_sandbox_app
    from crossdock.sandbox.shopify.plans import PLANS
    from crossdock.sandbox.shopify.seed import save_state
    from crossdock.sandbox.shopify.server import (
        DEFAULT_ACCESS_TOKEN,
        DEFAULT_WEBHOOK_WORKERS,
        SandboxSettings,
        build_sandbox,
    )
    from crossdock.sandbox.shopify.webhooks.delivery import DEFAULT_APP_SECRET, DeliveryFaults

    if plan not in PLANS:
        typer.echo(f"crossdock: --plan must be one of {', '.join(PLANS)} (got {plan!r})", err=True)
        raise typer.Exit(code=2)
    if not (0 <= webhook_duplicate_rate <= 1 and 0 <= webhook_drop_rate <= 1 and webhook_time_scale > 0):
        typer.echo("crossdock: webhook rates must be within 0..1 and the time scale above 0", err=True)
        raise typer.Exit(code=2)
    if throttled_status not in (200, 429):
        typer.echo("crossdock: --throttled-status must be 200 or 429", err=True)
        raise typer.Exit(code=2)
    settings = SandboxSettings(
        plan=plan,
        seed=seed,
        state_file=state_file,
        skus=skus,
        locations=locations,
        access_token=access_token or DEFAULT_ACCESS_TOKEN,
        app_secret=app_secret or DEFAULT_APP_SECRET,
        throttled_status=throttled_status,
        faults=DeliveryFaults(
            time_scale=webhook_time_scale,
            duplicate_rate=webhook_duplicate_rate,
            drop_rate=webhook_drop_rate,
            reorder=webhook_reorder,
            delay_seconds=webhook_delay,
            seed=webhook_seed,
        ),
        webhook_workers=webhook_workers or DEFAULT_WEBHOOK_WORKERS,
    )
    sandbox = build_sandbox(settings)
    state = sandbox.state
    typer.echo(
        f"Shopify sandbox {state.shop.domain} ({PLANS[settings.plan].display_name}, "
        f"{PLANS[settings.plan].restore_rate:g} points/s)\n"
        f"  endpoint:     http://{host}:{port}/admin/api/{API_VERSION}/graphql.json\n"
        f"  access token: {settings.access_token}\n"
        f"  app secret:   {settings.app_secret}\n"
        f"  catalog:      {len(state.locations)} location(s), {len(state.variants)} SKU(s)\n"
        f"  control API:  http://{host}:{port}/_sandbox/ (same token)",
        err=True,
    )
    try:
        _serve(create_sandbox_app(sandbox, access_token=settings.access_token), host, port)
    finally:
        sandbox.webhooks.stop()
        if state_file is not None:
            save_state(sandbox.state, state_file)
            typer.echo(f"saved the shop to {state_file}", err=True)


@sandbox_app.command("x12-3pl")
def sandbox_x12_3pl(
    root: Annotated[Path, typer.Option(help="directory of the sandbox: SFTP files, host key, state.json")],
    port: Annotated[int, typer.Option(help="SFTP port to listen on")] = 2222,
    host: Annotated[str, typer.Option(help="address to listen on (SFTP and control API)")] = "127.0.0.1",
    control_port: Annotated[int, typer.Option(help="port of the control API (/_sandbox/)")] = 8791,
    username: Annotated[str, typer.Option(help="SFTP user name the hub logs in with")] = "crossdock",
    password: Annotated[str, typer.Option(help="SFTP password")] = "sandbox",
    sender_id: Annotated[
        str, typer.Option(help="the hub's interchange id (ISA06 of its 940s)")
    ] = "CROSSDOCK",
    receiver_id: Annotated[str, typer.Option(help="this warehouse's interchange id (ISA08)")] = "SANDBOX3PL",
    version: Annotated[str, typer.Option(help="X12 version: 004010 or 005010")] = "004010",
    seed: Annotated[
        Path | None, typer.Option(help='JSON file with the initial stock: {"SKU": units, …}', exists=True)
    ] = None,
    random_seed: Annotated[
        int, typer.Option(help="seed of the simulation's draws, for a reproducible run")
    ] = 0,
    warehouse_key: Annotated[
        str, typer.Option(help="key of the [warehouses.<key>] block printed")
    ] = "sandbox-3pl",
    account: Annotated[str, typer.Option(help="account id written in the printed block")] = "main",
    poll_seconds: Annotated[float, typer.Option(help="seconds between two reads of /in")] = 1.0,
    pick_delay_seconds: Annotated[float, typer.Option(help="seconds from acknowledgement to picking")] = 5.0,
    ship_delay_seconds: Annotated[float, typer.Option(help="seconds from picking to shipping")] = 10.0,
    partial_share: Annotated[float, typer.Option(help="share of orders shipped in two parts (0 to 1)")] = 0.0,
    multi_parcel_share: Annotated[
        float, typer.Option(help="share of shipments packed in several parcels (0 to 1)")
    ] = 0.0,
    snapshot_interval_seconds: Annotated[
        float, typer.Option(help="seconds between 846 stock snapshots (0: none)")
    ] = 3600.0,
    adjustment_rate: Annotated[float, typer.Option(help="random 947 stock adjustments per hour")] = 0.0,
    reject_when_short: Annotated[
        bool, typer.Option(help="reject orders the stock cannot fill (else ship short)")
    ] = True,
) -> None:
    """Run a 3PL warehouse emulator speaking X12 over SFTP: it reads 940s and 180s from /in and writes 997s,
    945s, 846s, 947s and 944s to /out, with a control API to drive it."""
    import asyncio
    import json

    from crossdock.config import X12PartnerSettings
    from crossdock.sandbox.warehouse.simulation import SimulationError
    from crossdock.sandbox.x12_3pl.control import ControlServer
    from crossdock.sandbox.x12_3pl.server import X12ThreePlSandbox, hub_settings_toml

    if version not in ("004010", "005010"):
        typer.echo(f"crossdock: --version must be 004010 or 005010 (got {version!r})", err=True)
        raise typer.Exit(code=2)
    initial_stock: dict[str, int] = {}
    if seed is not None:
        loaded = json.loads(seed.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict) or not all(
            isinstance(units, int) and not isinstance(units, bool) for units in loaded.values()
        ):
            typer.echo(f'crossdock: --seed {seed} must hold a JSON object {{"SKU": units, …}}', err=True)
            raise typer.Exit(code=2)
        initial_stock = loaded
    partner = X12PartnerSettings.model_validate(
        {"sender_id": sender_id, "receiver_id": receiver_id, "version": version, "usage": "T"}
    )
    try:
        sandbox = X12ThreePlSandbox.open(
            root,
            partner=partner,
            seed=random_seed,
            initial_stock=initial_stock,
            username=username,
            password=password,
            poll_seconds=poll_seconds,
        )
        sandbox.set_knobs(
            pick_delay_seconds=pick_delay_seconds,
            ship_delay_seconds=ship_delay_seconds,
            partial_share=partial_share,
            multi_parcel_share=multi_parcel_share,
            snapshot_interval_seconds=snapshot_interval_seconds,
            adjustment_rate=adjustment_rate,
            reject_when_short=reject_when_short,
        )
    except (SimulationError, ValueError) as error:
        typer.echo(f"crossdock: {error}", err=True)
        raise typer.Exit(code=2) from error

    async def serve() -> None:
        control = ControlServer(sandbox)
        sftp_port = await sandbox.start(host, port)
        bound_control = await control.start(host, control_port)
        known_hosts = root / "known_hosts"
        known_hosts.write_text(sandbox.sftp.known_hosts_line(host, sftp_port), encoding="utf-8")
        block = hub_settings_toml(
            key=warehouse_key,
            name="Sandbox 3PL",
            account=account,
            host=host,
            port=sftp_port,
            username=username,
            password=password,
            known_hosts_file=known_hosts.resolve(),
            partner=partner,
        )
        typer.echo(
            f"X12 3PL sandbox {sandbox.simulation.warehouse} ({version}, hub {sender_id} → warehouse "
            f"{receiver_id})\n"
            f"  SFTP:         sftp://{username}@{host}:{sftp_port}/ (password {password!r}), "
            "hub uploads to /in, reads /out\n"
            f"  host key:     {sandbox.sftp.host_key_fingerprint} (known_hosts: {known_hosts})\n"
            f"  control API:  http://{host}:{bound_control}/_sandbox/state\n"
            f"  stock:        {len(sandbox.simulation.stock_levels())} SKU(s)\n"
            f"\nPaste into the hub's configuration:\n\n{block}",
            err=True,
        )
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        try:
            await stopping.wait()
        finally:
            await control.stop()
            await sandbox.stop()
            typer.echo(f"saved the sandbox to {root / 'state.json'}", err=True)

    asyncio.run(serve())


@x12_app.command("poll")
def x12_poll(warehouse: Annotated[str, typer.Argument(help="the key of a [warehouses.<key>] table")]) -> None:
    """Upload the documents the warehouse is owed and store every complete inbound file now (the hub also
    does it every poll_interval_seconds); the running hub's workers process what was stored."""
    from crossdock.connectors.x12.commands import CommandError, poll_now

    try:
        lines = poll_now(_settings(), warehouse)
    except CommandError as error:
        typer.echo(f"crossdock: {error}", err=True)
        raise typer.Exit(code=error.exit_code) from None
    typer.echo("\n".join(lines))


@x12_app.command("check")
def x12_check(
    warehouse: Annotated[str, typer.Argument(help="the key of a [warehouses.<key>] table")],
) -> None:
    """Log in to the warehouse's SFTP server and look at the folders the hub uses, changing nothing."""
    from crossdock.connectors.x12.commands import CommandError, check

    try:
        lines = check(_settings(), warehouse)
    except CommandError as error:
        typer.echo(f"crossdock: {error}", err=True)
        raise typer.Exit(code=error.exit_code) from None
    typer.echo("\n".join(lines))


@x12_app.command("inspect")
def x12_inspect(
    file: Annotated[Path, typer.Argument(help="the X12 file", exists=True, dir_okay=False, readable=True)],
    partner: Annotated[
        str | None,
        typer.Option(help="read the sets with the settings of [warehouses.<KEY>.x12] (where tracking sits…)"),
    ] = None,
) -> None:
    """Print an X12 file as JSON: envelope, segments and what crossdock reads from each set; exit code 2
    and the broken rule when the file breaks one."""
    from crossdock.connectors.x12.inspect import inspect_file

    if partner is None:
        inspection = inspect_file(file)
    else:
        try:
            warehouse = _settings().warehouse(partner)
        except LookupError as error:
            typer.echo(f"crossdock: {error.args[0]}", err=True)
            raise typer.Exit(code=2) from None
        inspection = inspect_file(file, partner=warehouse.x12, warehouse=partner)
    typer.echo(inspection.to_json())
    if inspection.exit_code:
        raise typer.Exit(code=inspection.exit_code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
