"""The SFTP failures a caller must tell apart from "the server is unavailable, retry later"
(``crossdock.connectors.base.WarehouseUnavailable``, raised for every other connection or SFTP failure)."""

from __future__ import annotations

from crossdock.connectors.base import WarehouseUnavailable


class SftpAuthenticationFailed(Exception):
    """The server refused the login (wrong user name, password or key), or the credentials could not be
    loaded. Fatal: retrying with the same settings fails the same way, the configuration must change."""


class SftpHostKeyNotVerified(SftpAuthenticationFailed):
    """The server's host key is not the one in the configured known_hosts file (or that file cannot be
    read): it may not be the partner's server. Fatal, like a refused login."""


class RemoteFileConflict(Exception):
    """A file of that name already exists on the server with other contents. The hub never overwrites a
    file it did not write in the same attempt: the partner may already be reading it."""


class RemoteFileNotFound(WarehouseUnavailable):
    """The path is not (or no longer) on the server: moved by an earlier attempt, or removed by the partner.
    A kind of WarehouseUnavailable so that a caller that did not expect it retries; a caller for which a
    missing file means "already done" (archiving a settled file) catches it."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path
