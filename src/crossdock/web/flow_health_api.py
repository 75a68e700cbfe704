"""GET /api/health/flows: the health of every flow (lag p50/p95 over the last hour, backlog, call errors), the
last contact with each shop and warehouse, and orders in and out per minute — for the caller's accounts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from crossdock.flows.flow_health import flow_health_overview
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import ApiPrincipal, visible_account

router = APIRouter(prefix="/api/health", tags=["operations"])


@router.get("/flows", summary="Lag, backlog and errors per flow; last contact per shop and warehouse")
def flows(
    request: Request,
    principal: ApiPrincipal,
    account: Annotated[str | None, Query(description="only this account's")] = None,
) -> dict[str, Any]:
    account = visible_account(principal, account)
    with UnitOfWork(request.app.state.hub.engine) as uow:
        overview = flow_health_overview(
            uow, now=utc_now(), account_ids=None if account is None else frozenset({account})
        )
    return {
        "at": overview.at.isoformat(),
        "flows": [{**asdict(flow), "error_rate": flow.error_rate} for flow in overview.flows],
        "contacts": [{**asdict(item.contact), "state": item.state} for item in overview.contacts],
        "throughput": [asdict(minute) for minute in overview.throughput],
    }
