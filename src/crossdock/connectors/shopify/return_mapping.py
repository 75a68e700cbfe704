"""Shopify's returns as the hub's canonical values: a ``returns/request`` or ``returns/approve`` webhook as a
``ReturnNotice``, a GraphQL ``Return`` node's lines as ``RequestedLine``s.

The webhooks of API 2026-07 carry the return's id, status and order, never its lines (``return_line_items``
is always empty, ``name`` null): the lines are read with the ``ReturnById`` query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossdock.domain.returns import InvalidReturn, RequestedLine, ReturnNotice, ReturnStatus

# What each topic says of the return; the payload's own status must agree.
TOPIC_STATUS: Mapping[str, tuple[ReturnStatus, str]] = {
    "returns/request": ("requested", "requested"),
    "returns/approve": ("approved", "open"),
}


class ReturnPayloadError(ValueError):
    def __init__(self, message: str, *, missing: list[str], invalid: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
        self.invalid = invalid


def notice_from_webhook(topic: str, payload: Mapping[str, Any]) -> ReturnNotice:
    """The notice a returns/request or returns/approve body gives; ReturnPayloadError names what is wrong."""
    if topic not in TOPIC_STATUS:
        raise ReturnPayloadError(
            f"topic {topic!r} is not a return the hub follows", missing=[], invalid=["topic"]
        )
    status, shopify_status = TOPIC_STATUS[topic]
    if not isinstance(payload, Mapping):
        raise ReturnPayloadError("the body is not a JSON object", missing=[], invalid=["body"])
    missing = [name for name in ("id", "order", "status") if payload.get(name) is None]
    order = payload.get("order")
    if isinstance(order, Mapping) and order.get("id") is None:
        missing.append("order.id")
    if missing:
        raise ReturnPayloadError(f"the return has no {', '.join(missing)}", missing=missing, invalid=[])
    invalid = []
    if not isinstance(order, Mapping):
        invalid.append("order")
    if str(payload["status"]).lower() != shopify_status:
        invalid.append("status")
    if invalid:
        raise ReturnPayloadError(
            f"{topic}: unexpected {', '.join(invalid)} (status {payload.get('status')!r})",
            missing=[],
            invalid=invalid,
        )
    assert isinstance(order, Mapping)
    try:
        return ReturnNotice(str(payload["id"]), str(order["id"]), status)
    except InvalidReturn as error:
        raise ReturnPayloadError(str(error), missing=[], invalid=["id"]) from None


def number_of(gid: str) -> str:
    """``gid://shopify/LineItem/42`` → ``42``."""
    number = str(gid).rsplit("/", 1)[-1]
    if not number.isdigit():
        raise ReturnPayloadError(f"not a Shopify global id: {gid!r}", missing=[], invalid=["id"])
    return number


def requested_lines(nodes: list[Mapping[str, Any]]) -> list[RequestedLine]:
    """The lines of a ``Return.returnLineItems`` page (exchange and unverified lines name no order line and
    carry no goods the hub shipped: they are not the warehouse's to expect)."""
    lines = []
    for node in nodes:
        fulfilled = node.get("fulfillmentLineItem") or {}
        line_item = fulfilled.get("lineItem") or {}
        if not line_item.get("id"):
            continue
        lines.append(
            RequestedLine(
                return_line_id=number_of(node["id"]),
                order_line_id=number_of(line_item["id"]),
                sku=line_item.get("sku"),
                quantity=int(node["quantity"]),
            )
        )
    return lines
