"""A real SFTP server for the sandboxes of file-based warehouses (the X12 3PL now, the CSV one later).

It serves one local directory as ``/``: every path a client names is mapped under that root and resolved
(symbolic links included) before it is used, and a path that would land outside is refused, so neither
``..`` nor a link found in the root can reach the rest of the disk. Clients cannot create links at all.

The host key is generated at the first start and kept next to the root (never inside it, where a client
could read it), so the fingerprint a hub pinned in its known_hosts file survives restarts.

Fault knobs, switchable while the server runs, let tests and rehearsals show what the hub does when the
partner's server misbehaves: ``outage`` (new connections are cut before the SSH handshake and existing ones
are dropped), ``drop_after_bytes`` (the next file opened for writing gets that many bytes, then the
connection is cut: a disconnect mid-upload), ``latency_ms`` (added to the login and to every request) and
``posix_rename_supported`` (off: behave like a server without OpenSSH's posix-rename extension).
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import io
import os
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
import structlog

log = structlog.get_logger("crossdock.sandbox.sftp")

_HOST_KEY_ALGORITHM = "ssh-ed25519"
_T = TypeVar("_T")


@dataclass
class _Faults:
    outage: bool = False
    drop_after_bytes: int | None = None
    latency_ms: int = 0
    # Off: answer posix-rename requests with "unsupported", like servers that lack the OpenSSH extension.
    posix_rename: bool = True

    async def delay(self) -> None:
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)


@dataclass
class _Upload:
    """A file a client opened for writing: what it is called on the server and how much it received."""

    path: str
    received: int = 0
    # Set when the drop_after_bytes knob was armed as this file was opened.
    cut_after: int | None = None
    cut: bool = False


@dataclass
class _Session:
    """What the SSH layer knows of one client connection, shared with its SFTP session for the logs."""

    peer: str
    username: str | None = None


@dataclass
class _Sandbox:
    """State shared by the listener, every connection and every SFTP session of one server."""

    root: bytes
    username: str
    password: str
    authorized_key: asyncssh.SSHKey | None
    faults: _Faults = field(default_factory=_Faults)
    connections: dict[asyncssh.SSHServerConnection, _Session] = field(default_factory=dict)

    def drop_connections(self, reason: str) -> None:
        for connection, session in list(self.connections.items()):
            log.info("sftp connection dropped", peer=session.peer, username=session.username, reason=reason)
            connection.abort()
        self.connections.clear()


class SftpSandboxServer:
    """An SFTP server with password (and optionally public key) login for one user, chrooted to ``root``.

    ``host_key_path`` defaults to ``<root's parent>/<root's name>.ssh_host_key``; it must not lie inside
    ``root``. ``authorized_key_path`` names an OpenSSH public key that may log in as ``username`` too.
    """

    def __init__(
        self,
        root: Path,
        *,
        username: str,
        password: str,
        authorized_key_path: Path | None = None,
        host_key_path: Path | None = None,
    ) -> None:
        self.root = root.resolve()
        self.host_key_path = (host_key_path or self.root.parent / f"{self.root.name}.ssh_host_key").resolve()
        if self.host_key_path.is_relative_to(self.root):
            raise ValueError(
                f"the host key {self.host_key_path} must not be inside the served root {self.root}: "
                "a client could download it"
            )
        authorized_key = asyncssh.read_public_key(authorized_key_path) if authorized_key_path else None
        self._sandbox = _Sandbox(
            root=os.fsencode(self.root), username=username, password=password, authorized_key=authorized_key
        )
        self._listener: asyncssh.SSHAcceptor | None = None
        self._host_key: asyncssh.SSHKey | None = None

    # --- fault knobs -----------------------------------------------------------------------------------

    @property
    def outage(self) -> bool:
        return self._sandbox.faults.outage

    @outage.setter
    def outage(self, value: bool) -> None:
        self._sandbox.faults.outage = value
        log.info("sftp outage switched", outage=value)
        if value:
            self._sandbox.drop_connections("outage")

    @property
    def drop_after_bytes(self) -> int | None:
        """Armed: the next file opened for writing receives this many bytes, then the connection is cut.
        The knob disarms itself when a file takes it, so that a retried upload goes through."""
        return self._sandbox.faults.drop_after_bytes

    @drop_after_bytes.setter
    def drop_after_bytes(self, value: int | None) -> None:
        if value is not None and value < 0:
            raise ValueError(f"drop_after_bytes must be a number of bytes >= 0 or None, not {value}")
        self._sandbox.faults.drop_after_bytes = value

    @property
    def latency_ms(self) -> int:
        return self._sandbox.faults.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: int) -> None:
        if value < 0:
            raise ValueError(f"latency_ms must be >= 0, not {value}")
        self._sandbox.faults.latency_ms = value

    @property
    def posix_rename_supported(self) -> bool:
        return self._sandbox.faults.posix_rename

    @posix_rename_supported.setter
    def posix_rename_supported(self, value: bool) -> None:
        self._sandbox.faults.posix_rename = value

    # --- life cycle ------------------------------------------------------------------------------------

    @property
    def host_key_fingerprint(self) -> str:
        """The SHA256 fingerprint of the host key, as ``ssh-keygen -l`` prints it."""
        return self._load_host_key().get_fingerprint()

    def known_hosts_line(self, host: str, port: int) -> str:
        """The known_hosts line a client needs to check this server's key at ``host``:``port``."""
        public_key = self._load_host_key().export_public_key().decode("ascii").strip()
        address = host if port == 22 else f"[{host}]:{port}"
        return f"{address} {public_key}\n"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host``:``port`` (0: any free port) and return the port."""
        if self._listener is not None:
            raise RuntimeError("the SFTP sandbox server is already started")
        self.root.mkdir(parents=True, exist_ok=True)
        sandbox = self._sandbox
        self._listener = await asyncssh.listen(
            host,
            port,
            server_host_keys=[self._load_host_key()],
            server_factory=lambda: _SshServer(sandbox),
            sftp_factory=lambda channel: _ChrootedSftpServer(channel, sandbox),
            allow_scp=False,
            # No shell, exec or port forwarding: the SFTP subsystem is all a partner server offers here.
            allow_pty=False,
            agent_forwarding=False,
            x11_forwarding=False,
        )
        bound_port: int = self._listener.sockets[0].getsockname()[1]
        log.info("sftp sandbox started", host=host, port=bound_port, root=str(self.root))
        return bound_port

    async def stop(self) -> None:
        if self._listener is None:
            return
        self._sandbox.drop_connections("server stopped")
        self._listener.close()
        await self._listener.wait_closed()
        self._listener = None
        log.info("sftp sandbox stopped", root=str(self.root))

    def _load_host_key(self) -> asyncssh.SSHKey:
        if self._host_key is None:
            if self.host_key_path.exists():
                self._host_key = asyncssh.read_private_key(self.host_key_path)
            else:
                self._host_key = asyncssh.generate_private_key(_HOST_KEY_ALGORITHM)
                self.host_key_path.parent.mkdir(parents=True, exist_ok=True)
                self._host_key.write_private_key(self.host_key_path)
                self.host_key_path.chmod(0o600)
                log.info("sftp host key generated", path=str(self.host_key_path))
        return self._host_key


class _SshServer(asyncssh.SSHServer):
    """One client connection: the outage knob, the login of the one configured user, the logs."""

    def __init__(self, sandbox: _Sandbox) -> None:
        self._sandbox = sandbox
        self._connection: asyncssh.SSHServerConnection | None = None
        self._session = _Session(peer="unknown")

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername")
        self._session = _Session(peer=f"{peer[0]}:{peer[1]}" if peer else "unknown")
        if self._sandbox.faults.outage:
            log.info("sftp connection refused", peer=self._session.peer, reason="outage")
            conn.abort()
            return
        self._connection = conn
        self._sandbox.connections[conn] = self._session
        conn.set_extra_info(crossdock_session=self._session)
        log.info("sftp connection opened", peer=self._session.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._connection is not None:
            self._sandbox.connections.pop(self._connection, None)
            log.info(
                "sftp connection closed",
                peer=self._session.peer,
                username=self._session.username,
                error=str(exc) if exc else None,
            )

    def begin_auth(self, username: str) -> bool:
        self._session.username = username
        # Always ask for credentials, even for an unknown user, so that a wrong name fails like a wrong
        # password and does not reveal which users exist.
        return True

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        await self._sandbox.faults.delay()
        accepted = _same(username, self._sandbox.username) & _same(password, self._sandbox.password)
        if not accepted:
            log.info("sftp login refused", peer=self._session.peer, username=username, method="password")
        return accepted

    def public_key_auth_supported(self) -> bool:
        return self._sandbox.authorized_key is not None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        authorized = self._sandbox.authorized_key
        accepted = (
            authorized is not None
            and _same(username, self._sandbox.username)
            and key.public_data == authorized.public_data
        )
        if not accepted:
            log.info("sftp login refused", peer=self._session.peer, username=username, method="publickey")
        return accepted

    def auth_completed(self) -> None:
        log.info("sftp client logged in", peer=self._session.peer, username=self._session.username)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class _ChrootedSftpServer(asyncssh.SFTPServer):
    """One SFTP session: asyncssh's local-file server with a strict chroot, the fault knobs and logs."""

    def __init__(self, channel: asyncssh.SSHServerChannel[bytes], sandbox: _Sandbox) -> None:
        super().__init__(channel, chroot=sandbox.root)
        self._sandbox = sandbox
        self._uploads: dict[int, _Upload] = {}
        session = channel.get_connection().get_extra_info("crossdock_session")
        self._session: _Session = session if isinstance(session, _Session) else _Session(peer="unknown")

    # asyncssh's chroot normalises ".." away but follows links that already exist inside the root (its
    # documentation says so); resolving every mapped path and checking it closes that hole.
    def map_path(self, path: bytes) -> bytes:
        mapped = super().map_path(path)
        resolved = os.path.realpath(mapped)
        root = self._sandbox.root
        if resolved != root and not resolved.startswith(root + b"/"):
            log.warning("sftp path outside the root refused", peer=self._session.peer, path=_text(path))
            raise asyncssh.SFTPPermissionDenied(f"{_text(path)} is outside the served directory")
        return mapped

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("links cannot be created on this server")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("links cannot be created on this server")

    async def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        await self._sandbox.faults.delay()
        file_obj = await _settle(super().open(path, pflags, attrs))
        if pflags & asyncssh.FXF_WRITE:
            faults = self._sandbox.faults
            self._uploads[id(file_obj)] = _Upload(path=_text(path), cut_after=faults.drop_after_bytes)
            faults.drop_after_bytes = None
        return file_obj

    async def write(self, file_obj: object, offset: int, data: bytes) -> int:
        await self._sandbox.faults.delay()
        upload = self._uploads.get(id(file_obj))
        if upload is not None and upload.cut_after is not None:
            room = max(upload.cut_after - upload.received, 0)
            if len(data) > room:
                written = await _settle(super().write(file_obj, offset, data[:room]))
                upload.received += written
                upload.cut = True
                _flush(file_obj)
                log.info(
                    "sftp connection cut mid-upload",
                    peer=self._session.peer,
                    path=upload.path,
                    bytes_received=upload.received,
                )
                self.connection.abort()
                raise asyncssh.SFTPConnectionLost("connection cut by the drop_after_bytes knob")
        written = await _settle(super().write(file_obj, offset, data))
        if upload is not None:
            upload.received += written
        return written

    async def close(self, file_obj: object) -> None:
        await self._sandbox.faults.delay()
        await _settle(super().close(file_obj))
        upload = self._uploads.pop(id(file_obj), None)
        if upload is not None:
            log.info(
                "sftp file written",
                peer=self._session.peer,
                username=self._session.username,
                path=upload.path,
                bytes=upload.received,
                # Closed by the server's clean-up after the connection was cut: the file is truncated.
                interrupted=upload.cut,
            )

    async def read(self, file_obj: object, offset: int, size: int) -> bytes:
        await self._sandbox.faults.delay()
        return await _settle(super().read(file_obj, offset, size))

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self._sandbox.faults.delay()
        await _settle(super().rename(oldpath, newpath))
        self._log_rename(oldpath, newpath, replacing=False)

    async def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self._sandbox.faults.delay()
        if not self._sandbox.faults.posix_rename:
            raise asyncssh.SFTPOpUnsupported("posix-rename is switched off on this server")
        await _settle(super().posix_rename(oldpath, newpath))
        self._log_rename(oldpath, newpath, replacing=True)

    def _log_rename(self, oldpath: bytes, newpath: bytes, *, replacing: bool) -> None:
        log.info(
            "sftp file renamed",
            peer=self._session.peer,
            username=self._session.username,
            path=_text(oldpath),
            new_path=_text(newpath),
            posix=replacing,
        )

    async def stat(self, path: bytes) -> Any:
        await self._sandbox.faults.delay()
        return await _settle(super().stat(path))

    async def lstat(self, path: bytes) -> Any:
        await self._sandbox.faults.delay()
        return await _settle(super().lstat(path))

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        await self._sandbox.faults.delay()
        async for name in super().scandir(path):
            yield name

    async def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        await self._sandbox.faults.delay()
        await _settle(super().mkdir(path, attrs))
        log.info("sftp folder created", peer=self._session.peer, path=_text(path))

    async def remove(self, path: bytes) -> None:
        await self._sandbox.faults.delay()
        await _settle(super().remove(path))
        log.info(
            "sftp file removed", peer=self._session.peer, username=self._session.username, path=_text(path)
        )


async def _settle(result: _T | Awaitable[_T]) -> _T:
    """asyncssh's server methods may answer directly or with an awaitable; the base class answers directly."""
    if inspect.isawaitable(result):
        return await result
    return result


def _flush(file_obj: object) -> None:
    # What reached the server before the cut is on disk, as it would be on a real server.
    if isinstance(file_obj, io.IOBase):
        file_obj.flush()


def _text(path: bytes) -> str:
    return path.decode("utf-8", "backslashreplace")
