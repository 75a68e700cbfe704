"""SftpSandboxServer with a plain asyncssh client (any SFTP client can be the partner's or the hub's): the
chroot holds against ``..`` and links, the host key outlives restarts, logins, and the fault knobs."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from structlog.testing import capture_logs

from crossdock.sandbox.sftp_server import SftpSandboxServer

USERNAME = "3pl"
PASSWORD = "sandbox-password"


@asynccontextmanager
async def client(port: int, **options: Any) -> AsyncIterator[asyncssh.SFTPClient]:
    values: dict[str, Any] = {
        "username": USERNAME,
        "password": PASSWORD,
        "known_hosts": None,
        "client_keys": None,
        "agent_path": None,
        "config": None,
        **options,
    }
    async with (
        asyncssh.connect("127.0.0.1", port, **values) as connection,
        connection.start_sftp_client() as sftp,
    ):
        yield sftp


def run(
    tmp_path: Path, scenario: Callable[[SftpSandboxServer, int], Awaitable[None]], **server: Any
) -> SftpSandboxServer:
    sandbox = SftpSandboxServer(tmp_path / "root", username=USERNAME, password=PASSWORD, **server)

    async def main() -> None:
        port = await sandbox.start()
        try:
            await scenario(sandbox, port)
        finally:
            await sandbox.stop()

    asyncio.run(main())
    return sandbox


def test_dot_dot_never_leaves_the_root(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside")

    async def scenario(server: SftpSandboxServer, port: int) -> None:
        async with client(port) as sftp:
            assert await sftp.realpath("/../..") == "/"
            assert sorted(await sftp.listdir("/..")) == [".", ".."]
            with pytest.raises(asyncssh.SFTPNoSuchFile):
                await sftp.stat("/../secret.txt")
            with pytest.raises(asyncssh.SFTPNoSuchFile):
                await sftp.stat("../secret.txt")
            # The host key sits next to the root: out of reach too.
            with pytest.raises(asyncssh.SFTPNoSuchFile):
                await sftp.stat(f"/../{server.host_key_path.name}")
            async with sftp.open("/../../escaped.txt", "wb") as file:
                await file.write(b"written")

    server = run(tmp_path, scenario)
    assert (server.root / "escaped.txt").read_bytes() == b"written"
    assert not (tmp_path / "escaped.txt").exists()
    assert (tmp_path / "secret.txt").read_text() == "outside"


def test_links_never_lead_out_of_the_root_and_cannot_be_created(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside")
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.txt").write_text("inside")
    (root / "to-dir").symlink_to(outside)
    (root / "to-file").symlink_to("../outside/secret.txt")
    (root / "to-inside").symlink_to("inside.txt")

    async def scenario(server: SftpSandboxServer, port: int) -> None:
        async with client(port) as sftp:
            for path in ("/to-dir", "/to-dir/secret.txt", "/to-file"):
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="outside the served directory"):
                    await sftp.stat(path)
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await sftp.listdir("/to-dir")
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                async with sftp.open("/to-file", "rb") as file:
                    await file.read()
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                async with sftp.open("/to-dir/planted.txt", "wb") as file:
                    await file.write(b"x")
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await sftp.rename("/inside.txt", "/to-dir/moved.txt")
            # A link that stays inside is followed.
            async with sftp.open("/to-inside", "rb", encoding=None) as file:
                # asyncssh types read() as str or bytes.
                content: bytes | str = await file.read()
            assert content == b"inside"
            with pytest.raises(asyncssh.SFTPPermissionDenied, match="links cannot be created"):
                await sftp.symlink("/inside.txt", "/new-link")
            with pytest.raises(asyncssh.SFTPPermissionDenied, match="links cannot be created"):
                await sftp.link("/inside.txt", "/new-hard-link")

    run(tmp_path, scenario)
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "outside"
    assert (root / "inside.txt").read_text() == "inside"


def test_the_host_key_is_kept_outside_the_root_and_survives_restarts(tmp_path: Path) -> None:
    fingerprints = []

    async def scenario(server: SftpSandboxServer, port: int) -> None:
        async with asyncssh.connect(
            "127.0.0.1",
            port,
            username=USERNAME,
            password=PASSWORD,
            known_hosts=None,
            agent_path=None,
            config=None,
        ) as connection:
            host_key = connection.get_server_host_key()
            assert host_key is not None
            fingerprints.append(host_key.get_fingerprint())

    first = run(tmp_path, scenario)
    second = run(tmp_path, scenario)
    assert first.host_key_path == tmp_path / "root.ssh_host_key"
    assert first.host_key_path.stat().st_mode & 0o777 == 0o600
    assert fingerprints[0] == fingerprints[1] == first.host_key_fingerprint == second.host_key_fingerprint
    assert os.listdir(tmp_path / "root") == []

    with pytest.raises(ValueError, match="must not be inside the served root"):
        SftpSandboxServer(
            tmp_path / "root", username=USERNAME, password=PASSWORD, host_key_path=tmp_path / "root" / "key"
        )


def test_known_hosts_line_lets_a_client_check_the_key(tmp_path: Path) -> None:
    async def scenario(server: SftpSandboxServer, port: int) -> None:
        known_hosts = asyncssh.import_known_hosts(server.known_hosts_line("127.0.0.1", port))
        async with client(port, known_hosts=known_hosts) as sftp:
            assert await sftp.listdir("/") == [".", ".."]

    run(tmp_path, scenario, host_key_path=tmp_path / "keys" / "sandbox_host_key")
    assert (tmp_path / "keys" / "sandbox_host_key").exists()


@pytest.mark.parametrize(("username", "password"), [(USERNAME, "wrong"), ("someone", PASSWORD)])
def test_only_the_configured_user_and_password_log_in(tmp_path: Path, username: str, password: str) -> None:
    async def scenario(server: SftpSandboxServer, port: int) -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            async with client(port, username=username, password=password):
                pass

    run(tmp_path, scenario)


def test_an_authorized_public_key_logs_in(tmp_path: Path) -> None:
    authorized = asyncssh.generate_private_key("ssh-ed25519")
    other = asyncssh.generate_private_key("ssh-ed25519")
    public_key_path = tmp_path / "hub.pub"
    authorized.write_public_key(public_key_path)

    async def scenario(server: SftpSandboxServer, port: int) -> None:
        async with client(port, password=None, client_keys=[authorized]) as sftp:
            assert await sftp.listdir("/") == [".", ".."]
        with pytest.raises(asyncssh.PermissionDenied):
            async with client(port, password=None, client_keys=[other]):
                pass
        with pytest.raises(asyncssh.PermissionDenied):
            async with client(port, username="someone", password=None, client_keys=[authorized]):
                pass

    run(tmp_path, scenario, authorized_key_path=public_key_path)


def test_outage_refuses_new_connections_and_drops_open_ones(tmp_path: Path) -> None:
    async def scenario(server: SftpSandboxServer, port: int) -> None:
        async with client(port) as sftp:
            await sftp.listdir("/")
            server.outage = True
            with pytest.raises((asyncssh.Error, OSError)):
                await sftp.listdir("/")
        with pytest.raises((asyncssh.Error, OSError)):
            async with client(port):
                pass
        server.outage = False
        async with client(port) as sftp:
            assert await sftp.listdir("/") == [".", ".."]

    run(tmp_path, scenario)


def test_drop_after_bytes_cuts_the_next_upload_once(tmp_path: Path) -> None:
    data = bytes(range(256)) * 64

    async def scenario(server: SftpSandboxServer, port: int) -> None:
        server.drop_after_bytes = 1000
        with pytest.raises((asyncssh.Error, OSError)):
            async with client(port) as sftp, sftp.open("/cut.bin", "wb") as file:
                await file.write(data)
        assert server.drop_after_bytes is None
        async with client(port) as sftp:
            async with sftp.open("/whole.bin", "wb") as file:
                await file.write(data)
            assert (await sftp.stat("/whole.bin")).size == len(data)
        with pytest.raises(ValueError, match="drop_after_bytes"):
            server.drop_after_bytes = -1

    server = run(tmp_path, scenario)
    assert (server.root / "cut.bin").read_bytes() == data[:1000]
    assert (server.root / "whole.bin").read_bytes() == data


def test_latency_is_added_to_requests(tmp_path: Path) -> None:
    async def scenario(server: SftpSandboxServer, port: int) -> None:
        async with client(port) as sftp:
            started = time.monotonic()
            await sftp.stat("/")
            fast = time.monotonic() - started
            server.latency_ms = 200
            started = time.monotonic()
            await sftp.stat("/")
            slow = time.monotonic() - started
        assert slow >= 0.2 > fast

    run(tmp_path, scenario)


def test_connections_writes_and_renames_are_logged(tmp_path: Path) -> None:
    async def scenario(server: SftpSandboxServer, port: int) -> None:
        async with client(port) as sftp:
            async with sftp.open("/.945_1.edi.part", "wb") as file:
                await file.write(b"ISA*")
            await sftp.posix_rename("/.945_1.edi.part", "/945_1.edi")

    with capture_logs() as logs:
        run(tmp_path, scenario)
    by_event = {entry["event"]: entry for entry in logs}
    assert by_event["sftp client logged in"]["username"] == USERNAME
    assert by_event["sftp client logged in"]["peer"].startswith("127.0.0.1:")
    written = by_event["sftp file written"]
    assert (written["path"], written["bytes"], written["interrupted"]) == ("/.945_1.edi.part", 4, False)
    renamed = by_event["sftp file renamed"]
    assert (renamed["path"], renamed["new_path"], renamed["username"]) == (
        "/.945_1.edi.part",
        "/945_1.edi",
        USERNAME,
    )
    assert all(PASSWORD not in str(entry) for entry in logs)
