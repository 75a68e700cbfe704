"""The partner's SFTP server seen as a mailbox: atomic uploads, complete files only, moves that never
overwrite (``mailbox``), the failures a caller tells apart (``errors``) and the memory of earlier listings
that tells a file still being written from a complete one (``stability``)."""

from crossdock.connectors.x12.transport.errors import (
    RemoteFileConflict,
    RemoteFileNotFound,
    SftpAuthenticationFailed,
    SftpHostKeyNotVerified,
)
from crossdock.connectors.x12.transport.mailbox import SftpMailbox, is_in_flight
from crossdock.connectors.x12.transport.stability import FileObservations, RemoteFile

__all__ = [
    "FileObservations",
    "RemoteFile",
    "RemoteFileConflict",
    "RemoteFileNotFound",
    "SftpAuthenticationFailed",
    "SftpHostKeyNotVerified",
    "SftpMailbox",
    "is_in_flight",
]
