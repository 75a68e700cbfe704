"""The merchant's side of the sandbox, under ``/_sandbox/`` (not part of Shopify's API): place, edit, pay and
cancel orders, send fulfillment and cancellation requests, change stock by hand, read the webhook delivery
log and set its faults. Every change fires the webhooks Shopify fires for it."""

from __future__ import annotations

import dataclasses
import hmac
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from crossdock.sandbox.shopify import events
from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.ids import gid, number_of
from crossdock.sandbox.shopify.order_edits import edit_order
from crossdock.sandbox.shopify.orders import (
    MailingAddress,
    OrderError,
    cancel_order,
    get_order,
    place_order,
    request_cancellation,
    request_fulfillment,
)
from crossdock.sandbox.shopify.returns import (
    ReturnLineRequest,
    approve_return_request,
    request_return,
    returnable_quantity,
)
from crossdock.sandbox.shopify.webhooks.delivery import DeliveryFaults


class Line(BaseModel):
    sku: str
    quantity: int = Field(gt=0)


class NewOrder(BaseModel):
    lines: list[Line] = Field(min_length=1)
    email: str | None = None
    financial_status: str = "PAID"
    shipping_address: MailingAddress | None = None
    location_id: str | None = None
    tags: list[str] = []
    note: str | None = None


class OrderChange(BaseModel):
    # Line item id (number or gid) -> new quantity; 0 removes the line.
    set_quantities: dict[str, int] = {}
    add_lines: list[Line] = []
    shipping_address: MailingAddress | None = None


class Cancellation(BaseModel):
    reason: str = "CUSTOMER"
    restock: bool = True


class Request_(BaseModel):
    message: str | None = None


class ReturnedLine(BaseModel):
    sku: str
    quantity: int = Field(gt=0)
    reason: str = "UNKNOWN"  # a ReturnReason value: DEFECTIVE, SIZE_TOO_SMALL, UNWANTED, …
    customer_note: str | None = None


class ReturnRequest(BaseModel):
    lines: list[ReturnedLine] = Field(min_length=1)


class StockChange(BaseModel):
    sku: str
    location: str  # a location's name, number or gid
    available: int | None = None
    delta: int | None = None


class Faults(BaseModel):
    time_scale: float = Field(default=1.0, gt=0)
    duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    reorder: bool = False
    reorder_window_seconds: float = Field(default=0.5, ge=0)
    delay_seconds: float = Field(default=0.0, ge=0)
    timeout_seconds: float = Field(default=5.0, gt=0)
    seed: int = 0


def _number(value: str, type_name: str) -> int:
    number = int(value) if value.isdigit() else number_of(value, type_name)
    if number is None:
        raise HTTPException(status_code=422, detail=f"not a {type_name} id: {value!r}")
    return number


def _refused(error: OrderError) -> HTTPException:
    return HTTPException(
        status_code=422, detail={"field": error.field, "message": error.message, "code": error.code}
    )


def create_control_router(sandbox: ShopifySandbox, access_token: str) -> APIRouter:
    def authorised(request: Request) -> None:
        given = request.headers.get("x-shopify-access-token", "")
        if not hmac.compare_digest(given.encode(), access_token.encode()):
            raise HTTPException(status_code=401, detail="the control API takes the sandbox's access token")

    router = APIRouter(prefix="/_sandbox", dependencies=[Depends(authorised)], tags=["sandbox control"])
    state = sandbox.state

    def locked(action: Any) -> Any:
        # The same lock as GraphQL requests: the shop changes one request at a time.
        with sandbox._lock:
            try:
                return action()
            except OrderError as error:
                raise _refused(error) from None

    @router.post("/orders", status_code=201)
    def create_order(body: NewOrder) -> dict[str, Any]:
        def act() -> dict[str, Any]:
            order = place_order(
                state,
                [(line.sku, line.quantity) for line in body.lines],
                shipping_address=body.shipping_address,
                email=body.email,
                financial_status=body.financial_status,
                location_id=_number(body.location_id, "Location") if body.location_id else None,
                tags=body.tags,
                note=body.note,
            )
            events.order_created(sandbox, order)
            return {"id": gid("Order", order.id), "name": order.name}

        return locked(act)  # type: ignore[no-any-return]

    @router.post("/orders/{order_id:path}/edit")
    def change_order(order_id: str, body: OrderChange) -> dict[str, Any]:
        def act() -> dict[str, Any]:
            number = _number(order_id, "Order")
            edit = edit_order(
                state,
                number,
                set_quantities={
                    _number(key, "LineItem"): value for key, value in body.set_quantities.items()
                },
                add_lines=[(line.sku, line.quantity) for line in body.add_lines],
                shipping_address=body.shipping_address,
            )
            events.order_edited(sandbox, get_order(state, number), edit)
            return {
                "additions": [dataclasses.asdict(delta) for delta in edit.additions],
                "removals": [dataclasses.asdict(delta) for delta in edit.removals],
                "address_changed": edit.address_changed,
            }

        return locked(act)  # type: ignore[no-any-return]

    @router.post("/orders/{order_id:path}/pay")
    def pay_order(order_id: str) -> dict[str, Any]:
        def act() -> dict[str, Any]:
            order = get_order(state, _number(order_id, "Order"))
            order.financial_status = "PAID"
            order.updated_at = state.clock()
            events.order_paid(sandbox, order)
            return {"financial_status": order.financial_status}

        return locked(act)  # type: ignore[no-any-return]

    @router.post("/orders/{order_id:path}/cancel")
    def cancel(order_id: str, body: Cancellation) -> dict[str, Any]:
        def act() -> dict[str, Any]:
            order = cancel_order(state, _number(order_id, "Order"), body.reason, body.restock)
            events.order_cancelled(sandbox, order)
            return {"cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None}

        return locked(act)  # type: ignore[no-any-return]

    @router.post("/fulfillment-orders/{fulfillment_order_id:path}/request-fulfillment")
    def send_fulfillment_request(fulfillment_order_id: str, body: Request_) -> dict[str, Any]:
        def act() -> dict[str, Any]:
            fulfillment_order = request_fulfillment(
                state, _number(fulfillment_order_id, "FulfillmentOrder"), body.message
            )
            events.fulfillment_requested(sandbox, fulfillment_order, kind="FULFILLMENT_REQUEST")
            return {"status": fulfillment_order.status, "request_status": fulfillment_order.request_status}

        return locked(act)  # type: ignore[no-any-return]

    @router.post("/fulfillment-orders/{fulfillment_order_id:path}/request-cancellation")
    def send_cancellation_request(fulfillment_order_id: str, body: Request_) -> dict[str, Any]:
        def act() -> dict[str, Any]:
            fulfillment_order = request_cancellation(
                state, _number(fulfillment_order_id, "FulfillmentOrder"), body.message
            )
            events.fulfillment_requested(sandbox, fulfillment_order, kind="CANCELLATION_REQUEST")
            return {"status": fulfillment_order.status, "request_status": fulfillment_order.request_status}

        return locked(act)  # type: ignore[no-any-return]

    @router.post("/orders/{order_id:path}/returns", status_code=201)
    def ask_for_return(order_id: str, body: ReturnRequest) -> dict[str, Any]:
        """The customer asks to send units back, naming SKUs; they are matched to the units shipped."""

        def act() -> dict[str, Any]:
            order = get_order(state, _number(order_id, "Order"))
            requested = []
            for wanted in body.lines:
                left = wanted.quantity
                for fulfillment_id in order.fulfillment_ids:
                    for shipped in state.fulfillments[fulfillment_id].line_items:
                        if left and order.line_item(shipped.line_item_id).sku == wanted.sku:
                            take = min(left, returnable_quantity(state, shipped.id))
                            if take:
                                requested.append(
                                    ReturnLineRequest(
                                        shipped.id, take, wanted.reason, "", wanted.customer_note
                                    )
                                )
                                left -= take
                if left:
                    raise HTTPException(
                        status_code=422, detail=f"{wanted.quantity} unit(s) of {wanted.sku} were not shipped"
                    )
            returned = request_return(state, order.id, requested)
            events.return_changed(sandbox, returned, "returns/request")
            return {"id": gid("Return", returned.id), "name": returned.name, "status": returned.status}

        return locked(act)  # type: ignore[no-any-return]

    @router.post("/returns/{return_id:path}/approve")
    def approve_return(return_id: str) -> dict[str, Any]:
        """The merchant approves a customer's return request (as returnApproveRequest does in the admin)."""

        def act() -> dict[str, Any]:
            returned = approve_return_request(state, _number(return_id, "Return"))
            events.return_changed(sandbox, returned, "returns/approve")
            return {"id": gid("Return", returned.id), "name": returned.name, "status": returned.status}

        return locked(act)  # type: ignore[no-any-return]

    @router.post("/inventory")
    def change_stock(body: StockChange) -> dict[str, Any]:
        def act() -> dict[str, Any]:
            if (body.available is None) == (body.delta is None):
                raise HTTPException(status_code=422, detail="give either available or delta")
            variant = state.variant_by_sku(body.sku)
            if variant is None:
                raise HTTPException(status_code=404, detail=f"no variant has SKU {body.sku}")
            location = next(
                (
                    loc
                    for loc in state.locations.values()
                    if body.location in (loc.name, str(loc.id), gid("Location", loc.id))
                ),
                None,
            )
            if location is None:
                raise HTTPException(status_code=404, detail=f"no location {body.location!r}")
            level = state.level(variant.inventory_item_id, location.id)
            if level is None:
                raise HTTPException(status_code=422, detail=f"{body.sku} is not stocked at {location.name}")
            if body.available is not None:
                level.set("available", body.available)
            else:
                level.adjust("available", body.delta or 0)
            state.touch_level(variant.inventory_item_id, location.id)
            events.inventory_level_changed(sandbox, variant.inventory_item_id, location.id)
            return level.as_dict()

        return locked(act)  # type: ignore[no-any-return]

    @router.get("/webhooks/deliveries")
    def deliveries() -> list[dict[str, Any]]:
        return sandbox.webhooks.attempts_json()

    @router.put("/webhooks/faults")
    def set_faults(body: Faults) -> dict[str, Any]:
        sandbox.webhooks.faults = DeliveryFaults(**body.model_dump())
        return body.model_dump()

    return router
