"""/stock: SKUs and what Shopify shows for them; /stock/{account}/{sku}: each term of the available-to-sell
sum at each location, the value last pushed, Shopify's value and any discrepancy (the report of `crossdock
stock show`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from crossdock.flows.stock_report import stock_report
from crossdock.store.sku_search import search_skus
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import DashboardPrincipal
from crossdock.web.dashboard.templating import render

router = APIRouter()


@router.get("/stock", response_class=HTMLResponse)
def stock_page(
    request: Request, principal: DashboardPrincipal, q: Annotated[str, Query(max_length=255)] = ""
) -> HTMLResponse:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        found = search_skus(uow.connection, text=q, account_id=principal.account_id, limit=200)
    return render(
        request, "stock.html", principal=principal, current="/stock", title="Stock", skus=found, q=q
    )


@router.get("/stock/{account_id}/{sku}", response_class=HTMLResponse)
def sku_page(request: Request, principal: DashboardPrincipal, account_id: str, sku: str) -> HTMLResponse:
    hub = request.app.state.hub
    report = None
    if principal.sees(account_id):
        with UnitOfWork(hub.engine) as uow:
            report = stock_report(uow, hub.settings, account_id, sku)
    if report is None:
        raise HTTPException(status_code=404, detail=f"no SKU {sku} in account {account_id}")
    return render(
        request, "sku.html", principal=principal, current="/stock", title=f"Stock of {sku}", report=report
    )
