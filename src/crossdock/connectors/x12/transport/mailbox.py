"""The partner's SFTP server as the hub uses it: drop a file in the partner's inbox, take the complete files
out of the hub's inbox, read them, archive them.

- Uploads are atomic: the bytes go to a temporary dot-name ending in ``.part`` (which every reader, the
  partner's and ours, ignores), then are renamed onto the final name. A connection lost mid-upload leaves
  only that ``.part`` file, overwritten by the next attempt.
- Uploads are idempotent: the same name with the same bytes again succeeds without writing; the same name
  with other bytes raises ``RemoteFileConflict`` (a partner's file is never overwritten silently).
- Moves (archive, error folder) never overwrite and never delete: on a name clash the file gets a timestamp,
  then a counter.
- Every connection or SFTP failure becomes ``WarehouseUnavailable`` (retry later) with the cause chained and
  the server, the operation and the path in the message; a refused login or an unknown host key is
  ``SftpAuthenticationFailed`` (fatal).

A mailbox is one SSH connection, opened by ``async with`` and closed at its end. Each operation is bounded
by ``timeout_seconds`` (files here are small documents, not bulk transfers).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType

import asyncssh
import structlog

from crossdock.config import SftpSettings
from crossdock.connectors.base import WarehouseUnavailable
from crossdock.connectors.x12.transport.errors import (
    RemoteFileConflict,
    RemoteFileNotFound,
    SftpAuthenticationFailed,
    SftpHostKeyNotVerified,
)
from crossdock.connectors.x12.transport.stability import FileObservations, RemoteFile

log = structlog.get_logger("crossdock.connectors.x12.transport")

# Names a writer uses while a file is not finished (ours: ".<name>.part"); a reader never takes them.
_IN_FLIGHT_SUFFIXES = (".part", ".tmp")
# How many "<name>.<timestamp>-<n><ext>" names a move tries before it gives up.
_MAX_CLASHING_NAMES = 100

# The connector opens a new mailbox for every poll, while the size-stability check needs the listing of the
# previous poll: by default every mailbox of one server (host, port, user) in this process shares one memory.
_observations_by_server: dict[tuple[str, int, str], FileObservations] = {}


def is_in_flight(name: str) -> bool:
    """A dot-file, or a ``.part``/``.tmp`` name: being written, not to be read."""
    return name.startswith(".") or name.lower().endswith(_IN_FLIGHT_SUFFIXES)


class SftpMailbox:
    """``async with SftpMailbox(settings) as mailbox: ...``; ``observations`` replaces the memory of
    earlier listings shared per server (see ``stability``)."""

    def __init__(self, settings: SftpSettings, *, observations: FileObservations | None = None) -> None:
        self._settings = settings
        self._server = f"{settings.username}@{settings.host}:{settings.port}"
        server_key = (settings.host, settings.port, settings.username)
        if observations is None:
            observations = _observations_by_server.setdefault(server_key, FileObservations())
        self._observations = observations
        self._connection: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        # Folders made sure of during this session: a collection moves many files into the same folder.
        self._folders_present: set[str] = set()

    # --- connection ------------------------------------------------------------------------------------

    async def __aenter__(self) -> SftpMailbox:
        if self._connection is not None:
            raise RuntimeError(f"the SFTP mailbox {self._server} is already open")
        settings = self._settings
        known_hosts = self._known_hosts()
        client_keys = self._client_keys()
        password = settings.password.get_secret_value() if settings.password else None
        try:
            async with asyncio.timeout(settings.timeout_seconds):
                connection = await asyncssh.connect(
                    settings.host,
                    settings.port,
                    username=settings.username,
                    password=password,
                    client_keys=client_keys,
                    known_hosts=known_hosts,
                    # Only what the settings say: no ssh-agent, no ~/.ssh/config, no default keys.
                    agent_path=None,
                    config=None,
                )
        except asyncssh.HostKeyNotVerifiable as error:
            raise SftpHostKeyNotVerified(
                f"SFTP {self._server}: the server's host key is not the one in {settings.known_hosts_file}: "
                f"{error}"
            ) from error
        except asyncssh.PermissionDenied as error:
            raise SftpAuthenticationFailed(f"SFTP {self._server}: login refused: {error}") from error
        except (asyncssh.Error, OSError) as error:
            raise WarehouseUnavailable(f"SFTP {self._server}: cannot connect: {_describe(error)}") from error
        try:
            async with asyncio.timeout(settings.timeout_seconds):
                self._sftp = await connection.start_sftp_client()
        except (asyncssh.Error, OSError) as error:
            connection.abort()
            raise WarehouseUnavailable(
                f"SFTP {self._server}: the SFTP session cannot be started: {_describe(error)}"
            ) from error
        self._connection = connection
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, self._connection, self._sftp = self._connection, None, None
        self._folders_present.clear()
        if connection is not None:
            connection.close()
            await connection.wait_closed()

    def _known_hosts(self) -> asyncssh.SSHKnownHosts | None:
        path = self._settings.known_hosts_file
        if path is None:
            return None
        try:
            return asyncssh.read_known_hosts(str(path))
        except (OSError, ValueError) as error:
            raise SftpHostKeyNotVerified(
                f"SFTP {self._server}: the known_hosts file {path} cannot be read: {error}"
            ) from error

    def _client_keys(self) -> list[asyncssh.SSHKey] | None:
        path = self._settings.private_key_file
        if path is None:
            return None
        try:
            return [asyncssh.read_private_key(path)]
        except (OSError, ValueError) as error:
            # KeyImportError (a ValueError): not a key, or protected by a passphrase the settings lack.
            raise SftpAuthenticationFailed(
                f"SFTP {self._server}: the private key file {path} cannot be read: {error}"
            ) from error

    @asynccontextmanager
    async def _operation(self, operation: str, path: str) -> AsyncIterator[asyncssh.SFTPClient]:
        """The SFTP session for one operation, bounded by the timeout, its failures translated."""
        if self._sftp is None:
            raise RuntimeError(f"the SFTP mailbox {self._server} is not open: use it in 'async with'")
        try:
            async with asyncio.timeout(self._settings.timeout_seconds):
                yield self._sftp
        except asyncssh.SFTPNoSuchFile as error:
            raise RemoteFileNotFound(
                f"SFTP {self._server}: {operation} {path} failed: no such file or folder ({error})", path=path
            ) from error
        except TimeoutError as error:
            raise WarehouseUnavailable(
                f"SFTP {self._server}: {operation} {path} failed: no answer within "
                f"{self._settings.timeout_seconds:g} s"
            ) from error
        except (asyncssh.Error, OSError) as error:
            raise WarehouseUnavailable(
                f"SFTP {self._server}: {operation} {path} failed: {_describe(error)}"
            ) from error

    # --- operations ------------------------------------------------------------------------------------

    async def upload(self, folder: str, name: str, data: bytes) -> str:
        """Put ``data`` at ``folder``/``name`` atomically; returns the path. Idempotent for the same bytes."""
        _check_file_name(name)
        final = posixpath.join(folder, name)
        temporary = posixpath.join(folder, f".{name}.part")
        if await self._holds(final, data):
            log.info("sftp upload already done", server=self._server, path=final, bytes=len(data))
            return final
        async with (
            self._operation("upload (write)", temporary) as sftp,
            sftp.open(temporary, "wb", encoding=None) as file,
        ):
            await file.write(data)
        try:
            async with self._operation("upload (rename into place)", final) as sftp:
                renamed = await _rename_into_place(sftp, temporary, final)
        except RemoteFileNotFound:
            # Another upload of the same file (a second collection beside this one uploading the same
            # pending 997) renamed the shared temporary file into place first: done, if those are our bytes.
            if await self._holds(final, data):
                log.info("sftp upload done by another session", server=self._server, path=final)
                return final
            raise
        if not renamed:
            # Plain rename (the server lacks posix-rename) found the name taken since the check above.
            if not await self._holds(final, data):
                raise RemoteFileConflict(_conflict_message(self._server, final, len(data)))
            async with self._operation("upload (remove temporary file)", temporary) as sftp:
                await sftp.remove(temporary)
        log.info("sftp file uploaded", server=self._server, path=final, bytes=len(data))
        return final

    async def _holds(self, path: str, data: bytes) -> bool:
        """Whether ``path`` exists with exactly ``data``; False when it does not exist; raises
        ``RemoteFileConflict`` when it exists with anything else."""
        async with self._operation("upload (look for an earlier upload)", path) as sftp:
            try:
                attributes = await sftp.stat(path)
            except asyncssh.SFTPNoSuchFile:
                return False
            same = attributes.type == asyncssh.FILEXFER_TYPE_REGULAR and attributes.size == len(data)
            if same:
                async with sftp.open(path, "rb", encoding=None) as file:
                    same = await _read_all(file) == data
        if not same:
            raise RemoteFileConflict(_conflict_message(self._server, path, len(data)))
        return True

    async def complete_files(self, folder: str, stable_seconds: float) -> list[RemoteFile]:
        """The regular files of ``folder`` that are complete (see ``stability``), oldest first. Dot-files,
        ``.part``/``.tmp`` names, folders and links are never returned."""
        async with self._operation("list", folder) as sftp:
            entries = await sftp.readdir(folder)
        listing = [
            RemoteFile(
                name=entry.filename,
                path=posixpath.join(folder, entry.filename),
                size=entry.attrs.size or 0,
                modified=datetime.fromtimestamp(entry.attrs.mtime, UTC) if entry.attrs.mtime else None,
            )
            for entry in entries
            if isinstance(entry.filename, str)
            and not is_in_flight(entry.filename)
            # Listings report links as links (lstat): only plain files are documents.
            and entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
        ]
        complete = self._observations.complete(posixpath.normpath(folder), listing, stable_seconds)
        return sorted(complete, key=lambda remote: (remote.modified or _EPOCH, remote.name))

    async def read(self, path: str) -> bytes:
        async with self._operation("read", path) as sftp, sftp.open(path, "rb", encoding=None) as file:
            data = await _read_all(file)
        return data

    async def ensure_folders(self, *folders: str) -> None:
        for folder in folders:
            if folder in self._folders_present:
                continue
            async with self._operation("create folder", folder) as sftp:
                await sftp.makedirs(folder, exist_ok=True)
            self._folders_present.add(folder)

    async def move(self, path: str, folder: str) -> str:
        """Move ``path`` into ``folder`` (created if missing) and return its new path. A name already taken
        there gets a timestamp, then a counter; nothing is overwritten. Raises ``RemoteFileNotFound`` when
        ``path`` is not there (an earlier attempt may have moved it)."""
        await self.ensure_folders(folder)
        name = posixpath.basename(path)
        for candidate in _free_name_candidates(name, datetime.now(UTC)):
            target = posixpath.join(folder, candidate)
            async with self._operation("move", path) as sftp:
                if await sftp.exists(target):
                    continue
                try:
                    # Plain rename refuses an existing target (posix-rename would replace it).
                    await sftp.rename(path, target)
                except asyncssh.SFTPFileAlreadyExists:
                    continue
            log.info("sftp file moved", server=self._server, path=path, new_path=target)
            return target
        raise RemoteFileConflict(
            f"SFTP {self._server}: move {path} to {folder} failed: {_MAX_CLASHING_NAMES + 1} names are taken"
        )


_EPOCH = datetime.fromtimestamp(0, UTC)


async def _rename_into_place(sftp: asyncssh.SFTPClient, temporary: str, final: str) -> bool:
    """posix-rename (atomic, replaces) where the server has it, else plain rename; False when plain rename
    found ``final`` taken."""
    try:
        await sftp.posix_rename(temporary, final)
    except asyncssh.SFTPOpUnsupported:
        try:
            await sftp.rename(temporary, final)
        except asyncssh.SFTPFileAlreadyExists:
            return False
    return True


async def _read_all(file: asyncssh.SFTPClientFile) -> bytes:
    # asyncssh types read() as str or bytes; a file opened in binary mode without an encoding gives bytes.
    data: bytes | str = await file.read()
    if isinstance(data, str):
        raise TypeError("an SFTP file opened in binary mode returned text")
    return data


def _free_name_candidates(name: str, now: datetime) -> Iterator[str]:
    stem, extension = posixpath.splitext(name)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    yield name
    yield f"{stem}.{stamp}{extension}"
    for counter in range(2, _MAX_CLASHING_NAMES + 1):
        yield f"{stem}.{stamp}-{counter}{extension}"


def _check_file_name(name: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"an upload needs a plain file name, not {name!r}")
    if is_in_flight(name):
        raise ValueError(
            f"upload name {name!r} would be ignored by readers (a dot-file or a .part/.tmp name)"
        )


def _conflict_message(server: str, path: str, size: int) -> str:
    return (
        f"SFTP {server}: upload {path} refused: a file of that name is already there with other contents "
        f"(not the {size} bytes being sent); it is never overwritten"
    )


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
