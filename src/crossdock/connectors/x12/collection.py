"""One collection from a partner's SFTP server, over one SFTP session: upload what the hub owes it (the 997s
recorded since the last collection), then store every complete inbound file in the inbox — all in one
transaction, with one job to process them in order — and only then archive each (or move it to the error
folder when it is unreadable).

A crash between storing and archiving leaves the file in place: the next collection stores it again, which
the inbox recognises (same sender and interchange control number) and answers with nothing new.
"""

from __future__ import annotations

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

    def as_dict(self) -> dict[str, int]:
        return {
            "uploaded": self.uploaded,
            "files": self.files,
            "new": self.new,
            "unreadable": self.unreadable,
        }


async def collect_into_inbox(
    connector: X12Warehouse, unit_of_work: Callable[[], UnitOfWork]
) -> CollectionReport:
    async with connector.connection():
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
