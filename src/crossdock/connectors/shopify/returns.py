"""The shop side of the returns flow: reading a return's lines (the webhooks carry none) and closing a return
the warehouse received.

Both jobs run on the shop-calls queue, partitioned by shop, and read what they need from the database.
``returnClose`` has no ``@idempotent`` in Shopify's API: the job reads the return first, and one closed
already (by an earlier run whose answer was lost, or by the merchant) is recorded as closed without a call.
The call carries an idempotency key all the same, so its attempts group in ``outbound_calls``.
"""

from __future__ import annotations

from typing import Any

from crossdock.connectors.shopify.client import ShopifyClient
from crossdock.connectors.shopify.clients import run_sync, shop_client
from crossdock.connectors.shopify.errors import ShopifyUserErrors
from crossdock.connectors.shopify.return_mapping import requested_lines
from crossdock.domain.orders import SHOPIFY_ORDER_GID_PREFIX
from crossdock.domain.returns import RequestedLine
from crossdock.flows.return_intake import record_return_lines
from crossdock.flows.return_jobs import CLOSE_RETURN, READ_RETURN
from crossdock.flows.return_receipts import record_return_closed
from crossdock.jobs.context import JobContext
from crossdock.jobs.errors import FatalJobError
from crossdock.jobs.queues import SHOP_CALLS
from crossdock.jobs.registry import job
from crossdock.store.returns import StoredReturn

CLOSED = "CLOSED"


class UnknownReturn(FatalJobError):
    def __init__(self, return_gid: str) -> None:
        super().__init__(f"Shopify has no return {return_gid}")


@job(READ_RETURN, queue=SHOP_CALLS)
def read_return(ctx: JobContext, return_id: int) -> str:
    returned, domain = _return_and_shop(ctx, return_id)
    if returned.lines_read:
        return f"the lines of return {returned.value.shopify_return_id} were read already"
    client = shop_client(ctx.settings(), ctx.runtime.engine, domain)
    _, lines = run_sync(read_shopify_return(client, returned.value.shopify_global_id, _order_gid(returned)))
    with ctx.unit_of_work() as uow:
        outcome = record_return_lines(uow, return_id, lines)
        uow.commit()
    return outcome


@job(CLOSE_RETURN, queue=SHOP_CALLS)
def close_return(ctx: JobContext, return_id: int) -> str:
    returned, domain = _return_and_shop(ctx, return_id)
    if returned.status == "closed":
        return f"return {returned.value.shopify_return_id} was closed already"
    client = shop_client(ctx.settings(), ctx.runtime.engine, domain)
    already = run_sync(close_shopify_return(client, returned.value.shopify_global_id, _order_gid(returned)))
    with ctx.unit_of_work() as uow:
        outcome = record_return_closed(uow, return_id, already=already)
        uow.commit()
    return outcome


async def read_shopify_return(
    client: ShopifyClient, return_gid: str, subject: str
) -> tuple[str, list[RequestedLine]]:
    """The return's status and every one of its lines (page after page); ``subject`` (the order's GID) is
    what the calls are recorded about, so that the order's page lists them."""
    lines: list[RequestedLine] = []
    after: str | None = None
    status = ""
    while True:
        found = await _read(client, return_gid, after, subject)
        status = found["status"]
        page = found["returnLineItems"]
        lines += requested_lines(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return status, lines
        after = page["pageInfo"]["endCursor"]


async def close_shopify_return(client: ShopifyClient, return_gid: str, subject: str) -> bool:
    """Close the return; True when it was closed already (nothing was asked of Shopify)."""
    found = await _read(client, return_gid, None, subject)
    if found["status"] == CLOSED:
        return True
    try:
        await client.execute(
            "ReturnClose", {"id": return_gid}, idempotency_key=f"return-close-{return_gid}", subject=subject
        )
    except ShopifyUserErrors:
        # Closed meanwhile (by the merchant, or by this call's lost first answer): then it is done.
        if (await _read(client, return_gid, None, subject))["status"] != CLOSED:
            raise
        return True
    return False


async def _read(client: ShopifyClient, return_gid: str, after: str | None, subject: str) -> dict[str, Any]:
    data = await client.execute("ReturnById", {"id": return_gid, "after": after}, subject=subject)
    found = data.get("return")
    if found is None:
        raise UnknownReturn(return_gid)
    return dict(found)


def _return_and_shop(ctx: JobContext, return_id: int) -> tuple[StoredReturn, str]:
    with ctx.unit_of_work() as uow:
        returned = uow.returns.get(return_id)
        if returned is None:
            raise FatalJobError(f"no return {return_id}")
        shop = uow.shops.by_id(returned.shop_id)
        assert shop is not None
    return returned, shop.domain


def _order_gid(returned: StoredReturn) -> str:
    return f"{SHOPIFY_ORDER_GID_PREFIX}{returned.value.shopify_order_id}"
