"""Resolvers of the order and fulfillment fields: the queries ``order``, ``orders``, ``fulfillment``,
``fulfillmentOrder``, ``fulfillmentOrders``, ``assignedFulfillmentOrders`` and ``return``, and the
fulfillment, hold, cancellation, tag and return mutations. Each mutation answers its payload; a refused one
carries user errors in the payload's error type and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from crossdock.sandbox.shopify import events, orders, returns
from crossdock.sandbox.shopify.connections import page
from crossdock.sandbox.shopify.fulfillment_services import service_location_ids
from crossdock.sandbox.shopify.ids import gid, number_of
from crossdock.sandbox.shopify.order_views import (
    fo_search_fields,
    fulfillment_order_view,
    fulfillment_view,
    order_search_fields,
    order_view,
    return_view,
)
from crossdock.sandbox.shopify.orders import OrderError, TrackingInfo
from crossdock.sandbox.shopify.search_query import matches, parse_search
from crossdock.sandbox.shopify.shop_state import ShopState
from crossdock.sandbox.shopify.views import View, paging_arguments

# assignedFulfillmentOrders(assignmentStatus:) names request statuses from the fulfillment service's side.
ASSIGNMENT_STATUS_REQUEST_STATUS = {
    "FULFILLMENT_UNSUBMITTED": "UNSUBMITTED",
    "FULFILLMENT_REQUESTED": "SUBMITTED",
    "FULFILLMENT_ACCEPTED": "ACCEPTED",
    "CANCELLATION_REQUESTED": "CANCELLATION_REQUESTED",
}
FINISHED_STATUSES = ("CLOSED", "CANCELLED")


def _state(info: GraphQLResolveInfo) -> ShopState:
    state: ShopState = info.context.state
    return state


# -- queries ----------------------------------------------------------------------------------------------


def resolve_order(_root: Any, info: GraphQLResolveInfo, id: str) -> View | None:
    state = _state(info)
    number = number_of(id, "Order")
    order = state.orders.get(number) if number is not None else None
    return None if order is None else order_view(state, order)


def resolve_orders(_root: Any, info: GraphQLResolveInfo, **arguments: Any) -> View:
    state = _state(info)
    terms = parse_search(arguments.get("query"))
    # Tags are a list, which the generic matcher does not compare: `tag:` terms are checked here.
    tag_terms = [term for term in terms if term.field == "tag"]
    listed = [
        order
        for order in state.orders.values()
        if matches(terms, order_search_fields(state, order))
        and all(term.value.lower() in (tag.lower() for tag in order.tags) for term in tag_terms)
    ]
    sort_key = arguments.get("sortKey", "PROCESSED_AT")
    sort_values: dict[str, Callable[[orders.Order], Any]] = {
        "CREATED_AT": lambda order: order.created_at,
        "UPDATED_AT": lambda order: order.updated_at,
        "PROCESSED_AT": lambda order: order.processed_at,
        "ORDER_NUMBER": lambda order: order.number,
        "TOTAL_PRICE": lambda order: order.total_price(),
    }
    return page(
        listed,
        id_of=lambda order: order.id,
        sort_value=sort_values.get(sort_key, lambda order: order.id),
        render=lambda order: order_view(state, order),
        **paging_arguments(arguments),
    )


def resolve_fulfillment(_root: Any, info: GraphQLResolveInfo, id: str) -> View | None:
    state = _state(info)
    number = number_of(id, "Fulfillment")
    fulfillment = state.fulfillments.get(number) if number is not None else None
    return None if fulfillment is None else fulfillment_view(state, fulfillment)


def resolve_fulfillment_order(_root: Any, info: GraphQLResolveInfo, id: str) -> View | None:
    state = _state(info)
    number = number_of(id, "FulfillmentOrder")
    fulfillment_order = state.fulfillment_orders.get(number) if number is not None else None
    return None if fulfillment_order is None else fulfillment_order_view(state, fulfillment_order)


def _fulfillment_order_page(
    state: ShopState, listed: list[orders.FulfillmentOrder], arguments: dict[str, Any]
) -> View:
    by_updated_at = arguments.get("sortKey") == "UPDATED_AT"
    return page(
        listed,
        id_of=lambda fo: fo.id,
        sort_value=lambda fo: fo.updated_at if by_updated_at else fo.id,
        render=lambda fo: fulfillment_order_view(state, fo),
        **paging_arguments(arguments),
    )


def resolve_fulfillment_orders(_root: Any, info: GraphQLResolveInfo, **arguments: Any) -> View:
    state = _state(info)
    terms = parse_search(arguments.get("query"))
    listed = [
        fo
        for fo in state.fulfillment_orders.values()
        if (arguments.get("includeClosed") or fo.status not in FINISHED_STATUSES)
        and matches(terms, fo_search_fields(fo))
    ]
    return _fulfillment_order_page(state, listed, arguments)


def resolve_assigned_fulfillment_orders(_root: Any, info: GraphQLResolveInfo, **arguments: Any) -> View:
    """The work waiting at the app's locations (narrowed to ``locationIds`` when given): fulfillment orders
    not yet closed or cancelled, optionally only those in one request status.

    The app's locations are those of its fulfillment services. A shop with no fulfillment service (a seed
    that models the 3PL's warehouse as a plain location) treats every location as the app's, so that the
    warehouse's work is still found."""
    state = _state(info)
    wanted_request_status = ASSIGNMENT_STATUS_REQUEST_STATUS.get(arguments.get("assignmentStatus") or "")
    location_ids = {number_of(value, "Location") for value in arguments.get("locationIds") or ()}
    own_locations = service_location_ids(state) or set(state.locations)
    listed = [
        fo
        for fo in state.fulfillment_orders.values()
        if fo.status not in FINISHED_STATUSES
        and fo.location_id in own_locations
        and (wanted_request_status is None or fo.request_status == wanted_request_status)
        and (not location_ids or fo.location_id in location_ids)
    ]
    return _fulfillment_order_page(state, listed, arguments)


# -- mutations --------------------------------------------------------------------------------------------


def _user_error(error: OrderError, with_code: bool) -> View:
    shaped: View = {"field": error.field, "message": error.message}
    if with_code:
        shaped["code"] = error.code
    return shaped


def _fulfillment_order_id(value: str) -> int:
    number = number_of(value, "FulfillmentOrder")
    if number is None:
        raise OrderError(["id"], "Fulfillment order does not exist.", "FULFILLMENT_ORDER_NOT_FOUND")
    return number


def _tracking(tracking_input: dict[str, Any] | None) -> list[TrackingInfo]:
    """One tracking record per number: ``numbers`` and ``urls`` pair up by position; ``number`` is one."""
    if not tracking_input:
        return []
    company = tracking_input.get("company")
    numbers = tracking_input.get("numbers") or []
    urls = tracking_input.get("urls") or []
    if numbers:
        return [
            TrackingInfo(company, number, urls[index] if index < len(urls) else None)
            for index, number in enumerate(numbers)
        ]
    number, url = tracking_input.get("number"), tracking_input.get("url")
    if number is None and url is None and company is None:
        return []
    return [TrackingInfo(company, number, url)]


def resolve_fulfillment_create(
    _root: Any, info: GraphQLResolveInfo, fulfillment: dict[str, Any], message: str | None = None
) -> View:
    state = _state(info)
    try:
        requested: list[orders.FulfillmentRequest] = []
        for group in fulfillment["lineItemsByFulfillmentOrder"]:
            fulfillment_order_id = number_of(group["fulfillmentOrderId"], "FulfillmentOrder")
            if fulfillment_order_id is None:
                raise OrderError(["fulfillment"], "Fulfillment order does not exist.")
            lines = group.get("fulfillmentOrderLineItems")
            requested.append(
                (
                    fulfillment_order_id,
                    None
                    if lines is None
                    else [
                        (number_of(line["id"], "FulfillmentOrderLineItem") or 0, line["quantity"])
                        for line in lines
                    ],
                )
            )
        created = orders.create_fulfillment(
            state,
            requested,
            _tracking(fulfillment.get("trackingInfo")),
            bool(fulfillment.get("notifyCustomer")),
        )
    except OrderError as error:
        return {"fulfillment": None, "userErrors": [_user_error(error, with_code=False)]}
    events.fulfillment_created(info.context, state.orders[created.order_id])
    return {"fulfillment": fulfillment_view(state, created), "userErrors": []}


def resolve_fulfillment_tracking_info_update(
    _root: Any,
    info: GraphQLResolveInfo,
    fulfillmentId: str,
    trackingInfoInput: dict[str, Any],
    notifyCustomer: bool | None = None,
) -> View:
    state = _state(info)
    try:
        number = number_of(fulfillmentId, "Fulfillment")
        if number is None:
            raise OrderError(["fulfillmentId"], "Fulfillment does not exist.")
        updated = orders.update_tracking(state, number, _tracking(trackingInfoInput), bool(notifyCustomer))
    except OrderError as error:
        return {"fulfillment": None, "userErrors": [_user_error(error, with_code=False)]}
    return {"fulfillment": fulfillment_view(state, updated), "userErrors": []}


def _fulfillment_order_mutation(
    operation: Callable[[ShopState, int, str | None], orders.FulfillmentOrder], topic: str
) -> Callable[..., View]:
    """A resolver for the request dialogue: ``(id, message)`` in, ``{fulfillmentOrder, userErrors}`` out."""

    def resolve(_root: Any, info: GraphQLResolveInfo, id: str, message: str | None = None, **_: Any) -> View:
        state = _state(info)
        try:
            changed = operation(state, _fulfillment_order_id(id), message)
        except OrderError as error:
            return {"fulfillmentOrder": None, "userErrors": [_user_error(error, with_code=False)]}
        if topic.endswith("_submitted"):  # the service is told as well
            kind = "CANCELLATION_REQUEST" if "cancellation" in topic else "FULFILLMENT_REQUEST"
            events.fulfillment_requested(info.context, changed, kind=kind)
        else:
            events.fulfillment_order_changed(info.context, changed, topic, message)
        return {"fulfillmentOrder": fulfillment_order_view(state, changed), "userErrors": []}

    return resolve


def resolve_fulfillment_order_submit_fulfillment_request(
    _root: Any, info: GraphQLResolveInfo, id: str, message: str | None = None, **_: Any
) -> View:
    state = _state(info)
    try:
        submitted = orders.request_fulfillment(state, _fulfillment_order_id(id), message)
    except OrderError as error:
        return {
            "originalFulfillmentOrder": None,
            "submittedFulfillmentOrder": None,
            "unsubmittedFulfillmentOrder": None,
            "userErrors": [_user_error(error, with_code=False)],
        }
    events.fulfillment_requested(info.context, submitted, kind="FULFILLMENT_REQUEST")
    view = fulfillment_order_view(state, submitted)
    # The whole fulfillment order is submitted: nothing is split off unsubmitted.
    return {
        "originalFulfillmentOrder": view,
        "submittedFulfillmentOrder": view,
        "unsubmittedFulfillmentOrder": None,
        "userErrors": [],
    }


def resolve_fulfillment_order_hold(
    _root: Any, info: GraphQLResolveInfo, id: str, fulfillmentHold: dict[str, Any]
) -> View:
    state = _state(info)
    try:
        fulfillment_order_id = _fulfillment_order_id(id)
        partial = fulfillmentHold.get("fulfillmentOrderLineItems") or []
        if partial:
            # Holding some lines splits the fulfillment order in Shopify; the sandbox holds whole ones only.
            raise OrderError(
                ["fulfillmentHold", "fulfillmentOrderLineItems"],
                "The sandbox holds whole fulfillment orders only.",
                "FULFILLMENT_ORDER_NOT_SPLITTABLE",
            )
        placed = orders.hold(
            state,
            fulfillment_order_id,
            fulfillmentHold["reason"],
            fulfillmentHold.get("reasonNotes"),
            fulfillmentHold.get("handle") or "",
        )
    except OrderError as error:
        return {
            "fulfillmentHold": None,
            "fulfillmentOrder": None,
            "remainingFulfillmentOrder": None,
            "userErrors": [_user_error(error, with_code=True)],
        }
    held = state.fulfillment_orders[fulfillment_order_id]
    events.fulfillment_order_changed(info.context, held, "fulfillment_orders/placed_on_hold")
    view = fulfillment_order_view(state, held)
    hold_view = next(
        shown for shown in view["fulfillmentHolds"] if shown["id"] == gid("FulfillmentHold", placed.id)
    )
    return {
        "fulfillmentHold": hold_view,
        "fulfillmentOrder": view,
        "remainingFulfillmentOrder": None,
        "userErrors": [],
    }


def resolve_fulfillment_order_release_hold(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    holdIds: list[str] | None = None,
    externalId: str | None = None,
) -> View:
    state = _state(info)
    try:
        hold_ids = (
            None if holdIds is None else [number_of(value, "FulfillmentHold") or 0 for value in holdIds]
        )
        released = orders.release_hold(state, _fulfillment_order_id(id), hold_ids)
    except OrderError as error:
        # The release payload's codes know only a missing fulfillment order and access; other refusals
        # carry no code.
        code = error.code if error.code == "FULFILLMENT_ORDER_NOT_FOUND" else None
        return {
            "fulfillmentOrder": None,
            "userErrors": [{"field": error.field, "message": error.message, "code": code}],
        }
    events.fulfillment_order_changed(info.context, released, "fulfillment_orders/hold_released")
    return {"fulfillmentOrder": fulfillment_order_view(state, released), "userErrors": []}


def resolve_order_cancel(
    _root: Any, info: GraphQLResolveInfo, orderId: str, restock: bool, reason: str, **_: Any
) -> View:
    state = _state(info)
    try:
        number = number_of(orderId, "Order")
        if number is None:
            raise OrderError(["orderId"], "Order does not exist.", "NOT_FOUND")
        cancelled = orders.cancel_order(state, number, reason, restock)
    except OrderError as error:
        field = ["orderId"] if error.field == ["id"] else error.field
        return {
            "job": None,
            "orderCancelUserErrors": [{"field": field, "message": error.message, "code": error.code}],
            "userErrors": [{"field": field, "message": error.message}],
        }
    events.order_cancelled(info.context, cancelled)
    # Shopify cancels in a background job; the sandbox has already finished when it answers.
    return {
        "job": {"id": gid("Job", state.next_id()), "done": True},
        "orderCancelUserErrors": [],
        "userErrors": [],
    }


def _tags_mutation(operation: Callable[[ShopState, int, list[str]], orders.Order]) -> Callable[..., View]:
    def resolve(_root: Any, info: GraphQLResolveInfo, id: str, tags: list[str]) -> View:
        state = _state(info)
        number = number_of(id, "Order")
        try:
            if number is None or number not in state.orders:
                # Only orders carry tags in the sandbox.
                raise OrderError(["id"], "Node does not exist.")
            changed = operation(state, number, tags)
        except OrderError as error:
            return {"node": None, "userErrors": [_user_error(error, with_code=False)]}
        events.order_updated(info.context, changed)
        return {"node": order_view(state, changed), "userErrors": []}

    return resolve


# -- returns ----------------------------------------------------------------------------------------------


def resolve_return(_root: Any, info: GraphQLResolveInfo, id: str) -> View | None:
    state = _state(info)
    number = number_of(id, "Return")
    returned = state.returns.get(number) if number is not None else None
    return None if returned is None else return_view(state, returned)


def _return_payload(
    info: GraphQLResolveInfo, outcome: Callable[[], returns.Return], topic: str | None
) -> View:
    """``{return, userErrors}``: the return made or moved by ``outcome``, or its refusal; ``topic`` is the
    webhook a success fires."""
    state = _state(info)
    try:
        returned = outcome()
    except OrderError as error:
        return {"return": None, "userErrors": [_user_error(error, with_code=True)]}
    if topic is not None:
        events.return_changed(info.context, returned, topic)
    return {"return": return_view(state, returned), "userErrors": []}


def _return_lines(
    state: ShopState, input_field: str, data: dict[str, Any]
) -> tuple[int, list[returns.ReturnLineRequest]]:
    order_id = number_of(data["orderId"], "Order")
    if order_id is None or order_id not in state.orders:
        raise OrderError([input_field, "orderId"], "Order does not exist.", "NOT_FOUND")
    return order_id, [
        returns.ReturnLineRequest(
            # An id of another type names no fulfillment line item: 0 is refused as one that does not exist.
            fulfillment_line_item_id=number_of(line["fulfillmentLineItemId"], "FulfillmentLineItem") or 0,
            quantity=line["quantity"],
            return_reason=line.get("returnReason"),
            return_reason_note=line.get("returnReasonNote") or "",
            customer_note=line.get("customerNote"),
        )
        for line in data["returnLineItems"]
    ]


def _return_id(value: str, field: list[str]) -> int:
    number = number_of(value, "Return")
    if number is None:
        raise OrderError(field, "Return does not exist.", "NOT_FOUND")
    return number


def _in_input(error: OrderError) -> OrderError:
    """Errors about the return's id point into the ``input`` argument, where the id was given."""
    if error.field == ["id"]:
        error.field = ["input", "id"]
    return error


def resolve_return_create(_root: Any, info: GraphQLResolveInfo, returnInput: dict[str, Any]) -> View:
    state = _state(info)

    def outcome() -> returns.Return:
        # requestedAt is not kept: the sandbox dates a return when it is created.
        return returns.create_return(state, *_return_lines(state, "returnInput", returnInput))

    # A return the merchant creates is open at once; no returns/* topic announces it.
    return _return_payload(info, outcome, None)


def resolve_return_request(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> View:
    state = _state(info)
    return _return_payload(
        info, lambda: returns.request_return(state, *_return_lines(state, "input", input)), "returns/request"
    )


def resolve_return_approve_request(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> View:
    state = _state(info)

    def outcome() -> returns.Return:
        try:
            return returns.approve_return_request(state, _return_id(input["id"], ["input", "id"]))
        except OrderError as error:
            raise _in_input(error) from None

    return _return_payload(info, outcome, "returns/approve")


def resolve_return_decline_request(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> View:
    state = _state(info)

    def outcome() -> returns.Return:
        try:
            return returns.decline_return_request(
                state,
                _return_id(input["id"], ["input", "id"]),
                input["declineReason"],
                input.get("declineNote"),
            )
        except OrderError as error:
            raise _in_input(error) from None

    return _return_payload(info, outcome, "returns/decline")


def _return_move(operation: Callable[[ShopState, int], returns.Return], topic: str) -> Callable[..., View]:
    """A resolver for ``returnClose`` / ``returnReopen``: ``(id)`` in, ``{return, userErrors}`` out."""

    def resolve(_root: Any, info: GraphQLResolveInfo, id: str) -> View:
        state = _state(info)
        return _return_payload(info, lambda: operation(state, _return_id(id, ["id"])), topic)

    return resolve


QUERY_RESOLVERS: dict[str, Callable[..., Any]] = {
    "order": resolve_order,
    "orders": resolve_orders,
    "fulfillment": resolve_fulfillment,
    "fulfillmentOrder": resolve_fulfillment_order,
    "fulfillmentOrders": resolve_fulfillment_orders,
    "assignedFulfillmentOrders": resolve_assigned_fulfillment_orders,
    "return": resolve_return,
}

MUTATION_RESOLVERS: dict[str, Callable[..., Any]] = {
    "fulfillmentCreate": resolve_fulfillment_create,
    "fulfillmentTrackingInfoUpdate": resolve_fulfillment_tracking_info_update,
    "fulfillmentOrderSubmitFulfillmentRequest": resolve_fulfillment_order_submit_fulfillment_request,
    "fulfillmentOrderAcceptFulfillmentRequest": _fulfillment_order_mutation(
        orders.accept_fulfillment_request, "fulfillment_orders/fulfillment_request_accepted"
    ),
    "fulfillmentOrderRejectFulfillmentRequest": _fulfillment_order_mutation(
        orders.reject_fulfillment_request, "fulfillment_orders/fulfillment_request_rejected"
    ),
    "fulfillmentOrderSubmitCancellationRequest": _fulfillment_order_mutation(
        orders.request_cancellation, "fulfillment_orders/cancellation_request_submitted"
    ),
    "fulfillmentOrderAcceptCancellationRequest": _fulfillment_order_mutation(
        orders.accept_cancellation_request, "fulfillment_orders/cancellation_request_accepted"
    ),
    "fulfillmentOrderRejectCancellationRequest": _fulfillment_order_mutation(
        orders.reject_cancellation_request, "fulfillment_orders/cancellation_request_rejected"
    ),
    "fulfillmentOrderHold": resolve_fulfillment_order_hold,
    "fulfillmentOrderReleaseHold": resolve_fulfillment_order_release_hold,
    "orderCancel": resolve_order_cancel,
    "tagsAdd": _tags_mutation(orders.add_tags),
    "tagsRemove": _tags_mutation(orders.remove_tags),
    "returnCreate": resolve_return_create,
    "returnRequest": resolve_return_request,
    "returnApproveRequest": resolve_return_approve_request,
    "returnDeclineRequest": resolve_return_decline_request,
    "returnClose": _return_move(returns.close_return, "returns/close"),
    "returnReopen": _return_move(returns.reopen_return, "returns/reopen"),
}


def install_order_resolvers(schema: GraphQLSchema) -> None:
    assert schema.query_type is not None and schema.mutation_type is not None
    for name, resolver in QUERY_RESOLVERS.items():
        schema.query_type.fields[name].resolve = resolver
    for name, resolver in MUTATION_RESOLVERS.items():
        schema.mutation_type.fields[name].resolve = resolver
