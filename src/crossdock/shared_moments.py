"""Moments that the processes of one ``crossdock run`` tell each other through a small shared file.

``crossdock run`` serves the web in one process and runs the job engine in a child
(``jobs/worker_process.py``). The two still need a few facts from each other, each a moment in
``time.monotonic()``: on Linux that is CLOCK_MONOTONIC, one clock for every process of the machine, so a
moment written by one process means the same in the other.

- ``intake_saturated``: when the web process's inbox writer last found inputs queued up behind a commit
  (``flows/intake_activity.py``); the child's batch jobs wait while it is recent;
- ``inbox_committed``: when that writer last committed inputs awaiting their job; the child's inbox relay
  (``flows/inbox_relay.py``) looks for them as soon as it changes, rather than at its next poll;
- ``worker_alive``: when the child's job engine last reported itself running with a working heartbeat;
  the web process's ``/healthz`` reads it.

The file is eight bytes a moment, mapped into memory by both: reading or writing one is a memory access, no
system call and no lock, which matters because the inbox writer notes a moment for every batch. A moment is
one aligned 8-byte double, written and read whole on the machines we run on; even a torn value would only
make a batch job wait or go on early, never lose an input.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path
from typing import Literal

Slot = Literal["intake_saturated", "inbox_committed", "worker_alive"]
SLOTS: tuple[Slot, ...] = ("intake_saturated", "inbox_committed", "worker_alive")
_MOMENT = struct.Struct("d")
_SIZE = _MOMENT.size * len(SLOTS)
NEVER = float("-inf")


class SharedMoments:
    def __init__(self, buffer: bytearray | mmap.mmap) -> None:
        self._buffer = buffer

    @classmethod
    def in_memory(cls) -> SharedMoments:
        """Moments seen by this process alone."""
        return cls._never(bytearray(_SIZE))

    @classmethod
    def create(cls, path: Path) -> SharedMoments:
        """A new file at ``path`` (which must not exist: it is made with O_EXCL), every moment at NEVER."""
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(descriptor, _SIZE)
            return cls._never(mmap.mmap(descriptor, _SIZE))
        finally:
            os.close(descriptor)  # the mapping stays valid without the descriptor

    @classmethod
    def attach(cls, path: Path) -> SharedMoments:
        """The moments another process created at ``path``."""
        descriptor = os.open(path, os.O_RDWR)
        try:
            size = os.fstat(descriptor).st_size
            if size != _SIZE:
                raise ValueError(f"{path} holds {size} bytes, not the {_SIZE} expected")
            return cls(mmap.mmap(descriptor, size))
        finally:
            os.close(descriptor)

    @classmethod
    def _never(cls, buffer: bytearray | mmap.mmap) -> SharedMoments:
        moments = cls(buffer)
        for slot in SLOTS:
            moments.set(slot, NEVER)
        return moments

    def get(self, slot: Slot) -> float:
        (moment,) = _MOMENT.unpack_from(self._buffer, _offset(slot))
        return float(moment)

    def set(self, slot: Slot, moment: float) -> None:
        _MOMENT.pack_into(self._buffer, _offset(slot), moment)


def _offset(slot: Slot) -> int:
    return SLOTS.index(slot) * _MOMENT.size
