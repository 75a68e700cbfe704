"""When a file in a partner's folder is complete.

A partner that renames its files into place never shows a half-written one; a partner that writes in place
does, so such a file is taken only once its size and modification time stayed the same across
``stable_seconds``. The hub polls every few seconds, so instead of listing twice in one poll (and holding
the connection open while it waits) the listing of one poll is remembered and compared with the next: a
file first seen, or seen changed, starts its observation; it is complete when a later listing, at least
``stable_seconds`` after the observation started, shows it unchanged. ``stable_seconds`` 0 means "renamed
into place is complete": every listed file is returned at once.

The observation times come from this process's monotonic clock, never from the server's modification time
(its clock may be off), and listings only see a modification time to the second (SFTP version 3), so the
size carries most of the signal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RemoteFile:
    name: str
    # The absolute path on the server (folder + name).
    path: str
    size: int
    # As the server reports it (seconds precision); None when the server sends no time.
    modified: datetime | None


@dataclass(frozen=True)
class _Sighting:
    size: int
    modified: datetime | None
    # When this size and time were first seen (monotonic clock of this process).
    since: float


class FileObservations:
    """What the latest listing of each folder showed, to compare the next listing with. Files that left a
    folder are forgotten at the next listing of that folder."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._folders: dict[str, dict[str, _Sighting]] = {}

    def complete(self, folder: str, listing: Sequence[RemoteFile], stable_seconds: float) -> list[RemoteFile]:
        """Record ``listing`` (every candidate file of ``folder`` now) and return the complete ones."""
        if stable_seconds < 0:
            raise ValueError(f"stable_seconds must be >= 0, not {stable_seconds}")
        now = self._clock()
        previous = self._folders.get(folder, {})
        current: dict[str, _Sighting] = {}
        complete = []
        for remote in listing:
            sighting = previous.get(remote.name)
            if sighting is None or (sighting.size, sighting.modified) != (remote.size, remote.modified):
                sighting = _Sighting(size=remote.size, modified=remote.modified, since=now)
            current[remote.name] = sighting
            if stable_seconds == 0 or now - sighting.since >= stable_seconds:
                complete.append(remote)
        self._folders[folder] = current
        return complete
