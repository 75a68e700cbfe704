"""GET /api/stock/{sku}?account=acme: why a SKU shows what it shows at each Shopify location that sells it
(the report `crossdock stock show` prints)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from crossdock.flows.stock_report import stock_report
from crossdock.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/stock", tags=["stock"])


@router.get("/{sku}", summary="A SKU's available-to-sell term by term at each location, and its ledger")
def stock(
    request: Request,
    sku: str,
    account: Annotated[str, Query(min_length=1, description="the account id, as in [[accounts]]")],
) -> dict[str, Any]:
    hub = request.app.state.hub
    with UnitOfWork(hub.engine) as uow:
        report = stock_report(uow, hub.settings, account, sku)
    if report is None:
        raise HTTPException(status_code=404, detail=f"no SKU {sku} in account {account}")
    return report
