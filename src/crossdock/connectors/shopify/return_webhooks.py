"""What the hub does with each stored ``returns/request`` and ``returns/approve`` webhook: find the shop, read
the notice, and hand it to the return intake in one transaction.

A body the hub cannot use (not JSON, no return id, a status the topic does not announce), a shop it does
not know, or an order it never received is rejected with ``InputRejected``: intake keeps the input, marked
failed with the message, and opens an ``input_rejected`` exception. Retrying could not mend it.
"""

from __future__ import annotations

import json

from crossdock.connectors.shopify.input_handlers import SOURCE, shop_of_input
from crossdock.connectors.shopify.return_mapping import ReturnPayloadError, notice_from_webhook
from crossdock.connectors.shopify.topics import RETURN_TOPICS
from crossdock.domain.returns import ReturnNotice
from crossdock.flows.input_handlers import handles
from crossdock.flows.intake import InputRejected
from crossdock.flows.return_intake import UnknownReturnOrder, receive_return_notice
from crossdock.jobs.context import JobContext
from crossdock.store.inbox import InboxEntry


def receive_return_webhook(ctx: JobContext, entry: InboxEntry) -> str:
    notice = read_notice(entry.kind, entry.payload)
    with ctx.unit_of_work() as uow:
        shop = shop_of_input(uow, entry)
        try:
            outcome = receive_return_notice(
                uow, shop, notice, inbox_id=entry.id, origin=f"{entry.kind} webhook"
            )
        except UnknownReturnOrder as error:
            raise InputRejected(str(error), details={"order_id": notice.shopify_order_id}) from None
        uow.commit()
    return outcome


for _topic in RETURN_TOPICS:
    handles(SOURCE, _topic)(receive_return_webhook)


def read_notice(topic: str, body: bytes) -> ReturnNotice:
    """The notice in a stored body; InputRejected names what is missing or unreadable."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputRejected(
            f"the body is not JSON: {error}", details={"missing": [], "invalid": ["body"]}
        ) from None
    try:
        return notice_from_webhook(topic, payload)
    except ReturnPayloadError as error:
        raise InputRejected(
            str(error), details={"missing": error.missing, "invalid": error.invalid}
        ) from None
