"""GET /api/exceptions and GET /api/exceptions/{id}: the problems the hub raised, as `crossdock exceptions
list|show --json` prints them. Acting on them (resolve, ignore, retry) is `crossdock exceptions` until the API
has its access control (tokens scoped by account)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from crossdock.flows.exception_report import exception_as_dict
from crossdock.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/exceptions", tags=["exceptions"])


@router.get("", summary="Exceptions, most recently seen first")
def exceptions_list(
    request: Request,
    status: Annotated[Literal["open", "resolved", "ignored", "all"], Query()] = "open",
    type: Annotated[str | None, Query(description="only this type, e.g. unknown_sku")] = None,
    account: Annotated[str | None, Query(description="only this account's")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        records = uow.exceptions.list(
            status=None if status == "all" else status, type=type, account_id=account, limit=limit
        )
    return [exception_as_dict(record) for record in records]


@router.get("/{exception_id}", summary="One exception: what, about what, how often, details, actions")
def exception(request: Request, exception_id: int) -> dict[str, Any]:
    with UnitOfWork(request.app.state.hub.engine) as uow:
        record = uow.exceptions.get(exception_id)
    if record is None:
        raise HTTPException(status_code=404, detail=f"no exception {exception_id}")
    return exception_as_dict(record)
