"""/exceptions: the open problems, filtered, with their actions — one at a time or in bulk — taken through
crossdock.flows.exception_actions as `crossdock exceptions` and the API take them. With htmx the list is
replaced in place; without it, the form posts and the page comes back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from crossdock.access.principal import Principal
from crossdock.flows.exception_actions import ACTIONS, Action, act_on_each
from crossdock.store.exceptions import ExceptionStatus, Severity
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import DashboardPrincipal, require_csrf
from crossdock.web.dashboard.templating import render

router = APIRouter()

StatusFilter = Literal["open", "resolved", "ignored", "all"]
SeverityFilter = Literal["", "info", "warning", "error", "critical"]


def _page(
    request: Request,
    principal: Principal,
    *,
    status: StatusFilter,
    type_: str,
    severity: SeverityFilter,
    outcomes: list[Any] | None = None,
    notice: str = "",
) -> HTMLResponse:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        records = uow.exceptions.list(
            status=None if status == "all" else _status(status),
            type=type_ or None,
            severity=_severity(severity),
            account_id=principal.account_id,
            limit=500,
        )
        open_types = uow.exceptions.count_open_by_type(principal.account_id)
    fragment = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "exception_list.html" if fragment else "exceptions.html",
        principal=principal,
        current="/exceptions",
        title="Exceptions",
        exceptions=records,
        status=status,
        type=type_,
        severity=severity,
        open_types=sorted(open_types.items()),
        outcomes=outcomes or [],
        notice=notice,
        actions=ACTIONS,
        warehouses=_warehouses(request, principal, None),
    )


def _warehouses(request: Request, principal: Principal, account_id: str | None) -> list[str]:
    """The warehouses an order may be re-routed to: those serving ``account_id``, or any account the
    principal sees."""
    settings = request.app.state.hub.settings
    return sorted(
        code
        for code, warehouse in settings.warehouses.items()
        if any(
            principal.sees(account) and (account_id is None or account == account_id)
            for account in warehouse.accounts
        )
    )


def _status(status: StatusFilter) -> ExceptionStatus:
    return "open" if status == "open" else "resolved" if status == "resolved" else "ignored"


def _action(name: str) -> Action:
    return next(action for action in ACTIONS if action == name)


def _severity(severity: SeverityFilter) -> Severity | None:
    return None if severity == "" else severity


@router.get("/exceptions", response_class=HTMLResponse)
def exceptions_page(
    request: Request,
    principal: DashboardPrincipal,
    status: Annotated[StatusFilter, Query()] = "open",
    type: Annotated[str, Query(max_length=63)] = "",
    severity: Annotated[SeverityFilter, Query()] = "",
) -> HTMLResponse:
    return _page(request, principal, status=status, type_=type, severity=severity)


@router.post("/exceptions/actions", response_class=HTMLResponse)
async def exceptions_act(
    request: Request,
    principal: DashboardPrincipal,
    action: Annotated[Action | None, Form()] = None,
    ids: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    row_action: Annotated[str, Form(description="'<action>:<id>': a row's own button")] = "",
    warehouse: Annotated[str, Form(max_length=63)] = "",
    csrf_token: Annotated[str, Form()] = "",
    status: Annotated[StatusFilter, Form()] = "open",
    type: Annotated[str, Form(max_length=63)] = "",
    severity: Annotated[SeverityFilter, Form()] = "",
) -> HTMLResponse:
    """One action on the exceptions ticked, or a row's own action on its exception; the list comes back with
    what was done to each."""
    require_csrf(request, csrf_token)
    if row_action:
        named, _, row_id = row_action.partition(":")
        if named not in ACTIONS or not row_id.isdigit():
            raise HTTPException(status_code=422, detail=f"unknown row action {row_action!r}")
        action, ids = _action(named), [int(row_id)]
    if action is None:
        raise HTTPException(status_code=422, detail="no action chosen")
    engine, enqueuer = request.app.state.hub.engine, request.app.state.enqueuer
    if not ids:
        return _page(
            request, principal, status=status, type_=type, severity=severity, notice="Tick at least one."
        )
    outcomes = await run_in_threadpool(
        act_on_each,
        lambda: UnitOfWork(engine, enqueuer),
        ids,
        action,
        by=principal.name,
        scope=principal,
        warehouse=warehouse or None,
    )
    return _page(request, principal, status=status, type_=type, severity=severity, outcomes=outcomes)


@router.get("/exceptions/{exception_id}", response_class=HTMLResponse)
def exception_page(request: Request, principal: DashboardPrincipal, exception_id: int) -> HTMLResponse:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        record = uow.exceptions.get(exception_id)
    if record is None or not principal.sees(record.account_id):
        raise HTTPException(status_code=404, detail=f"no exception {exception_id}")
    return render(
        request,
        "exception.html",
        principal=principal,
        current="/exceptions",
        title=f"Exception {exception_id}",
        exception=record,
        warehouses=_warehouses(request, principal, record.account_id),
    )
