"""GET /api/orders/{order_id}: everything the hub knows of an order (the report `crossdock orders show`
prints); GET /api/orders?name=%231001: which orders carry a name, as two shops may both have a #1001. Both
see only the caller's account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from crossdock.flows.order_report import header, report_by_id, reports_by_name
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import ApiPrincipal, visible_account

router = APIRouter(prefix="/api/orders", tags=["orders"])


@router.get("", summary="Orders with this name, newest first")
def orders_named(
    request: Request,
    principal: ApiPrincipal,
    name: Annotated[str, Query(min_length=1, description='"#1001" or "1001"')],
    account: Annotated[str | None, Query(description="only this account's orders")] = None,
) -> list[dict[str, Any]]:
    account = visible_account(principal, account)
    with UnitOfWork(request.app.state.hub.engine) as uow:
        return [header(report) for report in reports_by_name(uow, name, account)]


@router.get("/{order_id}", summary="An order, its warehouse orders, shipments, open exceptions and timeline")
def order(request: Request, principal: ApiPrincipal, order_id: int) -> dict[str, Any]:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        report = report_by_id(uow, order_id)
    # Another account's order answers as a missing one: its existence is not the caller's to know.
    if report is None or not principal.sees(report["account_id"]):
        raise HTTPException(status_code=404, detail=f"no order {order_id}")
    return report
