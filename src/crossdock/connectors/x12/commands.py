"""What `crossdock x12 poll|check WAREHOUSE` do, apart from parsing the command line (cli.py).

Each returns the lines to print and raises CommandError (with the exit code) for what the operator must fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from crossdock.config import Settings
from crossdock.connectors.base import WarehouseUnavailable
from crossdock.connectors.x12.collection import collect_into_inbox
from crossdock.connectors.x12.connector import X12Warehouse
from crossdock.connectors.x12.transport import SftpAuthenticationFailed, SftpMailbox
from crossdock.connectors.x12.warehouses import x12_warehouse
from crossdock.hub import prepare_database
from crossdock.jobs.engine import make_client
from crossdock.jobs.enqueuer import DbosEnqueuer
from crossdock.store.unit_of_work import UnitOfWork


class CommandError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _no_database() -> UnitOfWork:
    raise RuntimeError("this command opens no database")


def _connector(
    settings: Settings, warehouse: str, unit_of_work: Callable[[], UnitOfWork] = _no_database
) -> X12Warehouse:
    try:
        return x12_warehouse(settings, warehouse, unit_of_work)
    except LookupError as error:
        raise CommandError(str(error), exit_code=2) from None


def poll_now(settings: Settings, warehouse: str) -> list[str]:
    """Upload what is owed and store every complete inbound file now, as the scheduled collection does; the
    running hub's workers process what was stored."""
    _connector(settings, warehouse)  # the name is checked before anything opens
    engine = prepare_database(settings)
    jobs_client = make_client(settings)

    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(engine, DbosEnqueuer(jobs_client))

    try:
        connector = _connector(settings, warehouse, unit_of_work)
        report = asyncio.run(collect_into_inbox(connector, unit_of_work))
    except (WarehouseUnavailable, SftpAuthenticationFailed) as error:
        raise CommandError(f"{warehouse}: {error}") from None
    finally:
        jobs_client.destroy()
        engine.dispose()
    return [
        f"{warehouse}: {report.uploaded} pending document(s) uploaded; {report.files} file(s) collected, "
        f"{report.new} new, {report.unreadable} unreadable (moved to "
        f"{settings.warehouses[warehouse].folders.error})"
    ]


def check(settings: Settings, warehouse: str) -> list[str]:
    """Connect to the partner's SFTP server and look at every folder the hub uses, changing nothing."""
    connector = _connector(settings, warehouse)
    folders = connector.settings.folders
    sftp = connector.settings.sftp
    lines = []
    if sftp.known_hosts_file is None:
        lines.append(
            f"warning: warehouses.{warehouse}.sftp.known_hosts_file is not set: the server's host key is not "
            "checked (acceptable against the sandbox only)"
        )

    async def look() -> list[str]:
        found = []
        async with SftpMailbox(sftp) as mailbox:
            for role, folder in (("outbound", folders.outbound), ("inbound", folders.inbound)):
                files = await mailbox.complete_files(folder, 0)
                found.append(f"{role} folder {folder}: reachable, {len(files)} complete file(s) waiting")
        return found

    try:
        lines += asyncio.run(look())
    except (WarehouseUnavailable, SftpAuthenticationFailed) as error:
        raise CommandError(f"{warehouse}: {error}") from None
    return [f"{warehouse}: SFTP {sftp.username}@{sftp.host}:{sftp.port}", *lines]
