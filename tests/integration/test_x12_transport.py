"""SftpMailbox against a real SftpSandboxServer on 127.0.0.1: atomic and idempotent uploads, complete files
only, moves that never overwrite, and each failure raised as the exception the connector tells apart."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from crossdock.config import SftpSettings
from crossdock.connectors.base import WarehouseUnavailable
from crossdock.connectors.x12.transport import (
    FileObservations,
    RemoteFile,
    RemoteFileConflict,
    RemoteFileNotFound,
    SftpAuthenticationFailed,
    SftpHostKeyNotVerified,
    SftpMailbox,
)
from crossdock.sandbox.sftp_server import SftpSandboxServer

USERNAME = "hub"
PASSWORD = "sandbox-password"
ORDER = b"ISA*00*          *00*          *ZZ*HUB            *ZZ*3PL            *~" * 40


@dataclass
class Sandbox:
    server: SftpSandboxServer
    root: Path
    settings: SftpSettings

    def mailbox(self, observations: FileObservations | None = None) -> SftpMailbox:
        # A fresh memory per mailbox unless a test shares one: tests never see each other's listings.
        return SftpMailbox(self.settings, observations=observations or FileObservations())

    def local(self, remote_path: str) -> Path:
        return self.root / remote_path.lstrip("/")


@asynccontextmanager
async def sandbox(tmp_path: Path, **settings: object) -> AsyncIterator[Sandbox]:
    root = tmp_path / "root"
    server = SftpSandboxServer(root, username=USERNAME, password=PASSWORD)
    port = await server.start()
    for folder in ("in", "out"):
        (root / folder).mkdir(exist_ok=True)
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "username": USERNAME,
        "password": SecretStr(PASSWORD),
        "timeout_seconds": 5.0,
        **settings,
    }
    try:
        yield Sandbox(server, root, SftpSettings.model_validate(values))
    finally:
        await server.stop()


def run(tmp_path: Path, scenario: Callable[[Sandbox], Awaitable[None]], **settings: object) -> None:
    async def main() -> None:
        async with sandbox(tmp_path, **settings) as box:
            await scenario(box)

    asyncio.run(main())


def test_upload_list_read_and_move(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        async with box.mailbox() as mailbox:
            path = await mailbox.upload("/out", "945_000000001.edi", ORDER)
            assert path == "/out/945_000000001.edi"
            assert box.local(path).read_bytes() == ORDER
            assert sorted(os.listdir(box.root / "out")) == ["945_000000001.edi"]

            [remote] = await mailbox.complete_files("/out", 0)
            assert (remote.name, remote.path, remote.size) == ("945_000000001.edi", path, len(ORDER))
            assert remote.modified is not None
            assert await mailbox.read(remote.path) == ORDER

            archived = await mailbox.move(remote.path, "/out/archive/2026")
            assert archived == "/out/archive/2026/945_000000001.edi"
            assert box.local(archived).read_bytes() == ORDER
            assert await mailbox.complete_files("/out", 0) == []

    run(tmp_path, scenario)


def test_listing_ignores_files_in_flight_folders_and_links(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        out = box.root / "out"
        for name in ("945_2.edi", "846_1.EDI", ".hidden", ".945_3.edi.part", "945_4.edi.part", "947.TMP"):
            (out / name).write_bytes(b"x")
        (out / "archive").mkdir()
        (out / "link.edi").symlink_to(out / "945_2.edi")
        # Oldest first: the order in which the partner wrote them.
        os.utime(out / "945_2.edi", (1_700_000_100, 1_700_000_100))
        os.utime(out / "846_1.EDI", (1_700_000_000, 1_700_000_000))
        async with box.mailbox() as mailbox:
            names = [remote.name for remote in await mailbox.complete_files("/out", 0)]
        assert names == ["846_1.EDI", "945_2.edi"]

    run(tmp_path, scenario)


def test_upload_is_idempotent_and_never_overwrites_other_bytes(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        async with box.mailbox() as mailbox:
            await mailbox.upload("/in", "940_000000007.edi", ORDER)
            first_written = box.local("/in/940_000000007.edi").stat().st_mtime_ns
            assert await mailbox.upload("/in", "940_000000007.edi", ORDER) == "/in/940_000000007.edi"
            # Nothing was written again.
            assert box.local("/in/940_000000007.edi").stat().st_mtime_ns == first_written

            with pytest.raises(RemoteFileConflict, match=r"/in/940_000000007\.edi refused.*other contents"):
                await mailbox.upload("/in", "940_000000007.edi", ORDER + b"changed")
            # Same length, other bytes: still a conflict.
            with pytest.raises(RemoteFileConflict):
                await mailbox.upload("/in", "940_000000007.edi", ORDER.replace(b"HUB", b"BUH"))
        assert box.local("/in/940_000000007.edi").read_bytes() == ORDER
        assert sorted(os.listdir(box.root / "in")) == ["940_000000007.edi"]

    run(tmp_path, scenario)


def test_two_sessions_uploading_the_same_file_at_once_both_succeed(tmp_path: Path) -> None:
    # Two collections of one warehouse (the hub's, and `crossdock x12 poll` or a test's beside it) upload
    # the same pending 997: one renames the shared temporary file into place before the other can.
    async def scenario(box: Sandbox) -> None:
        async with box.mailbox() as first, box.mailbox() as second:
            paths = await asyncio.gather(
                *(
                    mailbox.upload("/in", "997_000000005.edi", ORDER)
                    for _ in range(3)
                    for mailbox in (first, second)
                )
            )
        assert set(paths) == {"/in/997_000000005.edi"}
        assert sorted(path.name for path in (box.root / "in").iterdir()) == ["997_000000005.edi"]
        assert (box.root / "in" / "997_000000005.edi").read_bytes() == ORDER

    run(tmp_path, scenario)


def test_upload_falls_back_to_plain_rename_without_posix_rename(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        box.server.posix_rename_supported = False
        async with box.mailbox() as mailbox:
            await mailbox.upload("/in", "180_000000003.edi", ORDER)
            await mailbox.upload("/in", "180_000000003.edi", ORDER)
            with pytest.raises(RemoteFileConflict):
                await mailbox.upload("/in", "180_000000003.edi", b"other")
        assert os.listdir(box.root / "in") == ["180_000000003.edi"]
        assert box.local("/in/180_000000003.edi").read_bytes() == ORDER

    with capture_logs() as logs:
        run(tmp_path, scenario)
    renames = [entry for entry in logs if entry["event"] == "sftp file renamed"]
    assert [(entry["new_path"], entry["posix"]) for entry in renames] == [("/in/180_000000003.edi", False)]


@pytest.mark.parametrize("name", ["", "../940.edi", "a/940.edi", ".940.edi", "940.edi.part", "940.tmp"])
def test_upload_refuses_names_readers_would_skip_or_paths(tmp_path: Path, name: str) -> None:
    async def scenario(box: Sandbox) -> None:
        async with box.mailbox() as mailbox:
            with pytest.raises(ValueError, match="name"):
                await mailbox.upload("/in", name, ORDER)

    run(tmp_path, scenario)


def test_a_reader_listing_during_an_upload_never_sees_the_partial_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1024  # 256 KiB: many write requests, each delayed by the server
    seen_part_on_disk = False
    listings_during_upload = 0
    listings: list[list[RemoteFile]] = []

    async def scenario(box: Sandbox) -> None:
        nonlocal seen_part_on_disk, listings_during_upload
        box.server.latency_ms = 20
        async with box.mailbox() as writer, box.mailbox() as reader:
            upload = asyncio.create_task(writer.upload("/in", "940_000000042.edi", data))
            while not upload.done():
                seen_part_on_disk |= box.local("/in/.940_000000042.edi.part").exists()
                listing = await reader.complete_files("/in", 0)
                listings_during_upload += not upload.done()
                listings.append(listing)
            await upload
            listings.append(await reader.complete_files("/in", 0))

    run(tmp_path, scenario)
    for listing in listings:
        assert all(remote.size == len(data) for remote in listing), listing
    assert listings_during_upload > 0, "the reader never listed during the upload: the test proves nothing"
    assert seen_part_on_disk
    assert [remote.name for remote in listings[-1]] == ["940_000000042.edi"]


def test_a_disconnect_mid_upload_leaves_only_a_part_file_and_the_retry_succeeds(tmp_path: Path) -> None:
    data = b"W05*N*ORDER-1~" * 2000

    async def scenario(box: Sandbox) -> None:
        box.server.drop_after_bytes = 1000
        with pytest.raises(WarehouseUnavailable, match=r"SFTP hub@127\.0\.0\.1:\d+: upload") as caught:
            async with box.mailbox() as mailbox:
                await mailbox.upload("/in", "940_000000009.edi", data)
        assert caught.value.__cause__ is not None
        part = box.local("/in/.940_000000009.edi.part")
        assert os.listdir(box.root / "in") == [part.name]
        assert 0 < part.stat().st_size < len(data)

        # Whatever the stability window, the reader never takes the .part file.
        observations = FileObservations()
        for stable_seconds in (0, 0.05, 0.05):
            async with box.mailbox(observations) as mailbox:
                assert await mailbox.complete_files("/in", stable_seconds) == []
            await asyncio.sleep(0.06)

        async with box.mailbox() as mailbox:
            assert await mailbox.upload("/in", "940_000000009.edi", data) == "/in/940_000000009.edi"
        assert os.listdir(box.root / "in") == ["940_000000009.edi"]
        assert box.local("/in/940_000000009.edi").read_bytes() == data

    run(tmp_path, scenario)


def test_a_file_written_in_place_is_complete_once_its_size_stays_the_same(tmp_path: Path) -> None:
    stable_seconds = 0.3

    async def scenario(box: Sandbox) -> None:
        target = box.local("/out/846_000000005.edi")

        async def poll() -> list[str]:
            # A new mailbox per poll, as the connector opens one: the memory is shared per server.
            async with SftpMailbox(box.settings) as mailbox:
                return [remote.name for remote in await mailbox.complete_files("/out", stable_seconds)]

        target.write_bytes(b"ISA*00*")
        assert await poll() == []  # just appeared
        await asyncio.sleep(stable_seconds + 0.05)
        with target.open("ab") as partner:
            partner.write(b"LIN*1*SK*SKU-1~")
        assert await poll() == []  # grew since the last poll
        await asyncio.sleep(stable_seconds / 2)
        assert await poll() == []  # unchanged, but not for long enough yet
        await asyncio.sleep(stable_seconds / 2 + 0.05)
        assert await poll() == ["846_000000005.edi"]  # stable across the window

    run(tmp_path, scenario)


def test_move_never_overwrites_and_reports_a_missing_file(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        archive = box.root / "out" / "archive"
        archive.mkdir()
        (archive / "945_1.edi").write_bytes(b"archived earlier")
        (archive / "945_1.20200101T000000Z.edi").write_bytes(b"unrelated")
        async with box.mailbox() as mailbox:
            moved = []
            for body in (b"second copy", b"third copy", b"fourth copy"):
                box.local("/out/945_1.edi").write_bytes(body)
                moved.append(await mailbox.move("/out/945_1.edi", "/out/archive"))

            with pytest.raises(RemoteFileNotFound, match=r"move /out/945_1\.edi failed") as caught:
                await mailbox.move("/out/945_1.edi", "/out/archive")
            assert caught.value.path == "/out/945_1.edi"
            assert isinstance(caught.value, WarehouseUnavailable)

        assert len(set(moved)) == 3
        # The name taken, then the name with a timestamp, then with a counter too.
        assert all(re.fullmatch(r"/out/archive/945_1\.\d{8}T\d{6}Z(-\d+)?\.edi", path) for path in moved), (
            moved
        )
        assert [box.local(path).read_bytes() for path in moved] == [
            b"second copy",
            b"third copy",
            b"fourth copy",
        ]
        assert (archive / "945_1.edi").read_bytes() == b"archived earlier"
        assert len(os.listdir(archive)) == 5

    run(tmp_path, scenario)


def test_ensure_folders_creates_missing_folders_and_keeps_existing_ones(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        (box.root / "out" / "keep.edi").write_bytes(b"x")
        async with box.mailbox() as mailbox:
            await mailbox.ensure_folders("/out", "/out/archive", "/out/error/deep")
            await mailbox.ensure_folders("/out/archive")
        assert (box.root / "out" / "archive").is_dir() and (box.root / "out" / "error" / "deep").is_dir()
        assert (box.root / "out" / "keep.edi").read_bytes() == b"x"

    run(tmp_path, scenario)


def test_outage_is_warehouse_unavailable_and_recovers(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        box.server.outage = True
        with pytest.raises(WarehouseUnavailable, match=r"SFTP hub@127\.0\.0\.1:\d+: cannot connect"):
            async with box.mailbox():
                pass

        box.server.outage = False
        async with box.mailbox() as mailbox:
            assert await mailbox.complete_files("/in", 0) == []
            # The outage starts while the hub is connected: the next operation fails, named.
            box.server.outage = True
            with pytest.raises(WarehouseUnavailable, match=r"list /out failed") as caught:
                await mailbox.complete_files("/out", 0)
            assert not isinstance(caught.value, RemoteFileNotFound)

        box.server.outage = False
        async with box.mailbox() as mailbox:
            await mailbox.upload("/in", "940_000000010.edi", ORDER)

    run(tmp_path, scenario)


def test_nothing_listening_is_warehouse_unavailable(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        await box.server.stop()
        with pytest.raises(WarehouseUnavailable, match="cannot connect") as caught:
            async with box.mailbox():
                pass
        assert isinstance(caught.value.__cause__, OSError)

    run(tmp_path, scenario)


def test_a_slow_server_times_out_as_warehouse_unavailable(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        async with box.mailbox() as mailbox:
            box.server.latency_ms = 800
            with pytest.raises(
                WarehouseUnavailable, match=r"read /out/x\.edi failed: no answer within 0\.5 s"
            ):
                await mailbox.read("/out/x.edi")
            box.server.latency_ms = 0

    run(tmp_path, scenario, timeout_seconds=0.5)


@pytest.mark.parametrize(("username", "password"), [(USERNAME, "wrong"), ("someone-else", PASSWORD)])
def test_a_refused_login_is_an_authentication_failure(tmp_path: Path, username: str, password: str) -> None:
    async def scenario(box: Sandbox) -> None:
        with pytest.raises(
            SftpAuthenticationFailed, match=rf"SFTP {username}@127\.0\.0\.1:\d+: login refused"
        ):
            async with box.mailbox():
                pass

    run(tmp_path, scenario, username=username, password=SecretStr(password))


def test_the_host_key_is_checked_against_known_hosts(tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    unknown = tmp_path / "other_known_hosts"

    async def scenario(box: Sandbox) -> None:
        port = box.settings.port
        known_hosts.write_text(box.server.known_hosts_line("127.0.0.1", port))
        other = SftpSandboxServer(tmp_path / "other-root", username=USERNAME, password=PASSWORD)
        unknown.write_text(other.known_hosts_line("127.0.0.1", port))

        trusting = box.settings.model_copy(update={"known_hosts_file": known_hosts})
        async with SftpMailbox(trusting, observations=FileObservations()) as mailbox:
            assert await mailbox.complete_files("/in", 0) == []

        wrong = box.settings.model_copy(update={"known_hosts_file": unknown})
        with pytest.raises(SftpHostKeyNotVerified, match="host key is not the one in"):
            async with SftpMailbox(wrong):
                pass

        missing = box.settings.model_copy(update={"known_hosts_file": tmp_path / "absent"})
        with pytest.raises(SftpHostKeyNotVerified, match="cannot be read"):
            async with SftpMailbox(missing):
                pass

    run(tmp_path, scenario)


def test_operations_outside_async_with_are_refused(tmp_path: Path) -> None:
    async def scenario(box: Sandbox) -> None:
        with pytest.raises(RuntimeError, match="not open"):
            await box.mailbox().read("/out/x.edi")

    run(tmp_path, scenario)


def test_file_observations_need_an_unchanged_file_across_the_window() -> None:
    now = [100.0]
    observations = FileObservations(clock=lambda: now[0])

    def seen(size: int) -> list[RemoteFile]:
        return [RemoteFile(name="a.edi", path="/out/a.edi", size=size, modified=None)]

    assert observations.complete("/out", seen(10), 2) == []
    now[0] += 1.9
    assert observations.complete("/out", seen(10), 2) == []
    now[0] += 0.1
    assert observations.complete("/out", seen(10), 2) == seen(10)
    now[0] += 5
    assert observations.complete("/out", seen(11), 2) == []  # changed: the window starts again
    assert observations.complete("/out", [], 2) == []  # gone: forgotten
    now[0] += 5
    assert observations.complete("/out", seen(11), 2) == []
    assert observations.complete("/out", seen(11), 0) == seen(11)
    with pytest.raises(ValueError, match="stable_seconds"):
        observations.complete("/out", seen(11), -1)
