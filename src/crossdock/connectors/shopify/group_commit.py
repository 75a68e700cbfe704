"""Group commit for the database adapters of the Shopify client: requests that arrive while a transaction is
in flight wait for it, then all go together in the next one.

Each of the client's records (a reservation, a settlement, the start or the end of an attempt) is a tiny
write whose cost is the commit itself (an fsync: 1 to 5 ms here, SQLite or PostgreSQL). One commit per
record would cap a shop at a few dozen calls per second and, on SQLite, make writers queue on its lock;
grouping keeps one transaction in flight per kind of record and per process, whose size grows with the load.
Requests keep their order, so reservations are still served first come, first served. The transaction runs
in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")


@dataclass
class _Queue(Generic[Request, Result]):
    waiting: list[tuple[Request, asyncio.Future[Result]]] = field(default_factory=list)
    flusher: asyncio.Task[None] | None = None


class GroupCommit(Generic[Request, Result]):
    def __init__(self, run: Callable[[Sequence[Request]], Sequence[Result]]) -> None:
        """``run`` performs a batch in one transaction and returns one result per request, in order."""
        self._run = run
        # Futures belong to a loop: one queue per loop that uses this object.
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[Request, Result]] = (
            weakref.WeakKeyDictionary()
        )

    async def submit(self, request: Request) -> Result:
        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(loop, _Queue())
        future: asyncio.Future[Result] = loop.create_future()
        queue.waiting.append((request, future))
        if queue.flusher is None or queue.flusher.done():
            queue.flusher = loop.create_task(self._flush(queue))
        return await future

    async def _flush(self, queue: _Queue[Request, Result]) -> None:
        while queue.waiting:
            batch, queue.waiting = queue.waiting, []
            try:
                results = await asyncio.to_thread(self._run, [request for request, _ in batch])
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
