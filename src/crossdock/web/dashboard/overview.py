"""/ (Overview): per flow the lag p50/p95 over the last hour, backlog and error rate; last contact per shop
and warehouse; orders in and out per minute. /connectors: each connector's state, last contact and errors."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from crossdock.flows.flow_health import FlowHealthOverview, flow_health_overview
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import DashboardPrincipal
from crossdock.web.dashboard import chart
from crossdock.web.dashboard.templating import render

router = APIRouter()


def _overview(request: Request, principal: DashboardPrincipal) -> FlowHealthOverview:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        return flow_health_overview(uow, now=utc_now(), account_ids=principal.account_ids)


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, principal: DashboardPrincipal) -> HTMLResponse:
    overview = _overview(request, principal)
    with UnitOfWork(request.app.state.hub.engine) as uow:
        open_exceptions = sum(uow.exceptions.count_open_by_type(principal.account_id).values())
    drawn, top = chart.bars(overview.throughput)
    return render(
        request,
        "overview.html",
        principal=principal,
        current="/",
        title="Overview",
        overview=overview,
        open_exceptions=open_exceptions,
        bars=drawn,
        chart_top=top,
        chart_width=chart.WIDTH,
        chart_height=chart.HEIGHT,
    )


@router.get("/connectors", response_class=HTMLResponse)
def connectors_page(request: Request, principal: DashboardPrincipal) -> HTMLResponse:
    return render(
        request,
        "connectors.html",
        principal=principal,
        current="/connectors",
        title="Connectors",
        overview=_overview(request, principal),
    )
