"""/orders: find orders by name, SKU or status; /orders/{id}: one order, its timeline and the calls made
for it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from crossdock.domain.order_status import STATUSES
from crossdock.flows.order_report import report_by_id
from crossdock.store.order_search import search_orders
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import DashboardPrincipal
from crossdock.web.dashboard.templating import render

router = APIRouter()


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    principal: DashboardPrincipal,
    q: Annotated[str, Query(max_length=255)] = "",
    status: Annotated[str, Query(max_length=30)] = "",
) -> HTMLResponse:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        found = search_orders(
            uow.connection, text=q, status=status or None, account_id=principal.account_id, limit=100
        )
    return render(
        request,
        "orders.html",
        principal=principal,
        current="/orders",
        title="Orders",
        orders=found,
        q=q,
        status=status,
        statuses=STATUSES,
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, principal: DashboardPrincipal, order_id: int) -> HTMLResponse:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        report = report_by_id(uow, order_id)
    if report is None or not principal.sees(report["account_id"]):
        raise HTTPException(status_code=404, detail=f"no order {order_id}")
    return render(
        request,
        "order.html",
        principal=principal,
        current="/orders",
        title=f"Order {report['name']}",
        order=report,
    )
