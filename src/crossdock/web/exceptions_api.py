"""/api/exceptions: the problems the hub raised, as `crossdock exceptions list|show --json` prints them, and
the actions on them (resolve, ignore, retry) that `crossdock exceptions` and the dashboard take — all through
crossdock.flows.exception_actions, limited to the accounts the caller sees."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from crossdock.flows.command_errors import CommandRefused
from crossdock.flows.exception_actions import Action, act, act_on_each
from crossdock.flows.exception_report import exception_as_dict
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.authentication import ApiPrincipal, visible_account

router = APIRouter(prefix="/api/exceptions", tags=["exceptions"])


@router.get("", summary="Exceptions, most recently seen first")
def exceptions_list(
    request: Request,
    principal: ApiPrincipal,
    status: Annotated[Literal["open", "resolved", "ignored", "all"], Query()] = "open",
    type: Annotated[str | None, Query(description="only this type, e.g. unknown_sku")] = None,
    account: Annotated[str | None, Query(description="only this account's")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    account = visible_account(principal, account)
    with UnitOfWork(request.app.state.hub.engine) as uow:
        records = uow.exceptions.list(
            status=None if status == "all" else status, type=type, account_id=account, limit=limit
        )
    return [exception_as_dict(record) for record in records]


@router.get("/{exception_id}", summary="One exception: what, about what, how often, details, actions")
def exception(request: Request, principal: ApiPrincipal, exception_id: int) -> dict[str, Any]:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        record = uow.exceptions.get(exception_id)
    if record is None or not principal.sees(record.account_id):
        raise HTTPException(status_code=404, detail=f"no exception {exception_id}")
    return exception_as_dict(record)


class ActionDone(BaseModel):
    exception_id: int
    action: str
    message: str = Field(description="what the hub did, e.g. 'the job runs again as …'")


WarehouseQuery = Annotated[
    str | None, Query(description="reroute only: the code of the warehouse the order goes to")
]


@router.post(
    "/{exception_id}/{action}",
    summary="Resolve, ignore, retry, release or re-route one exception",
    description="Only an action the exception lists in `actions` is taken. 404: no such exception (or one of "
    "an account the caller does not see); 409: the exception is closed, does not offer the action, or the "
    "action is refused (e.g. a re-route to a warehouse that does not serve the order's account).",
    responses={404: {"description": "no such exception"}, 409: {"description": "the action is refused"}},
)
async def exception_action(
    request: Request,
    principal: ApiPrincipal,
    exception_id: int,
    action: Action,
    warehouse: WarehouseQuery = None,
) -> ActionDone:
    try:
        outcome = await run_in_threadpool(
            act,
            _unit_of_work(request),
            exception_id,
            action,
            by=principal.name,
            scope=principal,
            warehouse=warehouse,
        )
    except CommandRefused as refused:
        raise HTTPException(status_code=404 if refused.exit_code == 1 else 409, detail=str(refused)) from None
    return ActionDone(exception_id=exception_id, action=action, message=outcome.message)


class BulkAction(BaseModel):
    action: Action
    ids: list[int] = Field(min_length=1, max_length=1000)
    warehouse: str | None = Field(default=None, description="reroute only: the warehouse the orders go to")


class BulkActionResult(BaseModel):
    exception_id: int
    done: bool
    message: str


@router.post(
    "/actions",
    summary="Take one action on several exceptions",
    description="Each exception is acted on in its own transaction; the answer says, per exception, whether "
    "it was done and why not.",
)
async def exceptions_bulk_action(
    request: Request, principal: ApiPrincipal, body: BulkAction
) -> list[BulkActionResult]:
    outcomes = await run_in_threadpool(
        act_on_each,
        _unit_of_work(request),
        body.ids,
        body.action,
        by=principal.name,
        scope=principal,
        warehouse=body.warehouse,
    )
    return [BulkActionResult(exception_id=o.exception_id, done=o.done, message=o.message) for o in outcomes]


def _unit_of_work(request: Request) -> Any:
    engine, enqueuer = request.app.state.hub.engine, request.app.state.enqueuer
    return lambda: UnitOfWork(engine, enqueuer)
