"""One collection from a partner's SFTP server, over one SFTP session: upload what the hub owes it (the 997s
recorded since the last collection), then store every complete inbound file in the inbox — all in one
transaction, with one job to process them in order — and only then archive each (or move it to the error
folder when it is unreadable).

A crash between storing and archiving leaves the file in place: the next collection stores it again, which
the inbox recognises (same sender and interchange control number) and answers with nothing new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from crossdock.connectors.x12.connector import UNREADABLE, X12Warehouse
from crossdock.connectors.x12.input_handlers import FILE_NAME_HEADER, SOURCE, WAREHOUSE_HEADER
from crossdock.flows.intake import Input, record_inputs
from crossdock.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CollectionReport:
    uploaded: int
    files: int
    new: int
    unreadable: int

    def __add__(self, other: CollectionReport) -> CollectionReport:
        return CollectionReport(
            uploaded=self.uploaded + other.uploaded,
            files=self.files + other.files,
            new=self.new + other.new,
            unreadable=self.unreadable + other.unreadable,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "uploaded": self.uploaded,
            "files": self.files,
            "new": self.new,
            "unreadable": self.unreadable,
        }


async def collect_into_inbox(
    connector: X12Warehouse, unit_of_work: Callable[[], UnitOfWork], *, times: int = 1, every: float = 0.0
) -> CollectionReport:
    """``times`` collections, ``every`` seconds apart (start to start), over one SFTP session: the report
    adds them up."""
    total = CollectionReport(uploaded=0, files=0, new=0, unreadable=0)
    loop = asyncio.get_running_loop()
    async with connector.connection():
        for round_ in range(times):
            started = loop.time()
            total = total + await _collect_once(connector, unit_of_work)
            if round_ + 1 < times:
                await asyncio.sleep(max(0.0, every - (loop.time() - started)))
    return total


async def _collect_once(connector: X12Warehouse, unit_of_work: Callable[[], UnitOfWork]) -> CollectionReport:
    uploaded = await connector.upload_pending()
    documents = await connector.collect()
    if documents:
        with unit_of_work() as uow:
            recorded = record_inputs(
                uow,
                [
                    Input(
                        source=SOURCE,
                        kind=document.kind,
                        dedupe_key=document.dedupe_key,
                        payload=document.body,
                        headers={
                            WAREHOUSE_HEADER: connector.key,
                            FILE_NAME_HEADER: document.received_from,
                        },
                    )
                    for document in documents
                ],
            )
            uow.commit()
        await connector.settle_all(documents)
    else:
        recorded = []
    new = sum(int(outcome.is_new) for outcome in recorded)
    unreadable = sum(1 for document in documents if document.kind == UNREADABLE)
    return CollectionReport(uploaded=len(uploaded), files=len(documents), new=new, unreadable=unreadable)
