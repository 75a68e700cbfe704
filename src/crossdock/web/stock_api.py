"""GET /api/stock/{sku}?account=acme: why a SKU shows what it shows at each Shopify location that sells it
(the report `crossdock stock show` prints). A caller of one account may leave the account out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from crossdock.flows.stock_report import stock_report
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import ApiPrincipal, visible_account

router = APIRouter(prefix="/api/stock", tags=["stock"])


@router.get("/{sku}", summary="A SKU's available-to-sell term by term at each location, and its ledger")
def stock(
    request: Request,
    principal: ApiPrincipal,
    sku: str,
    account: Annotated[
        str | None,
        Query(
            min_length=1,
            description="the account id, as in [[accounts]]; required for a "
            "caller that sees several accounts",
        ),
    ] = None,
) -> dict[str, Any]:
    account = visible_account(principal, account)
    if account is None:
        raise HTTPException(status_code=422, detail="name the account: ?account=<id>")
    hub = request.app.state.hub
    with UnitOfWork(hub.engine) as uow:
        report = stock_report(uow, hub.settings, account, sku)
    if report is None:
        raise HTTPException(status_code=404, detail=f"no SKU {sku} in account {account}")
    return report
