"""`crossdock x12 check` and `crossdock x12 poll` against a real SFTP server served from a background loop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.sandbox.sftp_server import SftpSandboxServer
from crossdock.scenarios.background_loop import BackgroundLoop
from crossdock.store.engine import create_engine
from crossdock.store.unit_of_work import UnitOfWork
from tests.conftest import write_config

USERNAME = "hub"
PASSWORD = "cli-s3cret"
FILE = (Path(__file__).parents[1] / "fixtures" / "x12" / "945_man_multi_parcel.edi").read_bytes()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[SftpSandboxServer, int]]:
    loop = BackgroundLoop()
    sftp = SftpSandboxServer(tmp_path / "sftp", username=USERNAME, password=PASSWORD)
    port = loop.run(sftp.start())
    for folder in ("in", "out"):
        (tmp_path / "sftp" / folder).mkdir(parents=True, exist_ok=True)
    try:
        yield sftp, port
    finally:
        loop.run(sftp.stop())
        loop.close()


@pytest.fixture
def config(tmp_path: Path, server: tuple[SftpSandboxServer, int]) -> Path:
    path = write_config(tmp_path)
    with path.open("a", encoding="utf-8") as written:
        written.write(
            f"""
[warehouses.east-3pl]
name = "East 3PL"
accounts = ["acme"]

[warehouses.east-3pl.sftp]
host = "127.0.0.1"
port = {server[1]}
username = "{USERNAME}"

[warehouses.east-3pl.x12]
sender_id = "ACMEHUB"
receiver_id = "EAST3PL"
stable_seconds = 0
"""
        )
    return path


def invoke(config: Path, database_url: str, *args: str, password: str = PASSWORD) -> tuple[int, str, str]:
    environ = {
        "CROSSDOCK_DATABASE_URL": database_url,
        "CROSSDOCK_WAREHOUSES__EAST_3PL__SFTP_PASSWORD": password,
    }
    result = CliRunner().invoke(app, ["--config", str(config), *args], env=environ)
    return result.exit_code, result.stdout, result.stderr


def test_check_looks_at_both_folders_and_warns_about_the_unchecked_host_key(
    tmp_path: Path, config: Path, database_url: str
) -> None:
    (tmp_path / "sftp" / "out" / "945_1.edi").write_bytes(FILE)
    code, out, _ = invoke(config, database_url, "x12", "check", "east-3pl")
    assert code == 0, out
    assert "known_hosts_file is not set" in out
    assert "outbound folder /in: reachable, 0 complete file(s) waiting" in out
    assert "inbound folder /out: reachable, 1 complete file(s) waiting" in out
    # Looking changed nothing.
    assert (tmp_path / "sftp" / "out" / "945_1.edi").read_bytes() == FILE


def test_check_reports_a_refused_login_and_an_unknown_warehouse(config: Path, database_url: str) -> None:
    code, _, err = invoke(config, database_url, "x12", "check", "east-3pl", password="wrong")
    assert code == 1 and "login refused" in err
    code, _, err = invoke(config, database_url, "x12", "check", "west-3pl")
    assert code == 2 and "west-3pl" in err


def test_poll_stores_the_inbound_files_then_archives_them(
    tmp_path: Path, config: Path, database_url: str
) -> None:
    (tmp_path / "sftp" / "out" / "945_1.edi").write_bytes(FILE)
    code, out, err = invoke(config, database_url, "x12", "poll", "east-3pl")
    assert code == 0, err
    assert "1 file(s) collected, 1 new, 0 unreadable" in out
    assert not (tmp_path / "sftp" / "out" / "945_1.edi").exists()
    assert (tmp_path / "sftp" / "out" / "archive" / "945_1.edi").read_bytes() == FILE
    engine = create_engine(database_url)
    try:
        with UnitOfWork(engine) as uow:
            assert uow.inbox.count_by_state() == {"received": 1}
    finally:
        engine.dispose()
