"""Shopify's two shapes of an order, mapped onto the one canonical ``Order``.

A webhook (orders/create, updated, paid, cancelled) carries the order in the REST shape: snake_case keys,
numeric ids beside an ``admin_graphql_api_id``, lower-case enums, tags joined by ", ", times with the shop's
UTC offset, and "" where GraphQL says null. The reconciliation poll reads GraphQL nodes (the selection of
``queries/OrdersUpdatedSince.graphql`` and ``queries/OrderById.graphql``): camelCase, global ids, upper-case
enums, tags as a list, times in UTC. Both must give equal orders for the same version of an order, or the
hub would see a change where there is none.

What the hub needs to act on an order is required: its id, name, version (updated_at), creation time,
currency, and lines with their id, title, current quantity and whether they ship. Everything else may be
absent (a digital order has no address, a guest checkout no email) and is then None — never guessed.
Every missing or malformed field is reported, by its path in the payload, in one ``OrderPayloadError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from crossdock.domain.catalog import normalise_sku
from crossdock.domain.orders import (
    FINANCIAL_STATUSES,
    Address,
    FinancialStatus,
    InvalidOrder,
    Order,
    OrderLine,
    ShippingMethod,
    normalise_tags,
)

T = TypeVar("T")

# The path that names the payload itself when it is not an object at all.
BODY = "(body)"


class OrderPayloadError(ValueError):
    """The payload lacks what the hub needs (``missing``) or holds values it cannot read (``invalid``), each
    named by its path, e.g. ``line_items[2].current_quantity``."""

    def __init__(self, missing: list[str], invalid: list[str], reasons: Mapping[str, str] | None = None):
        self.missing = list(missing)
        self.invalid = list(invalid)
        self.reasons = dict(reasons or {})
        parts = []
        if self.missing:
            parts.append("missing " + ", ".join(self.missing))
        if self.invalid:
            described = [
                f"{path} ({self.reasons[path]})" if path in self.reasons else path for path in self.invalid
            ]
            parts.append("invalid " + ", ".join(described))
        super().__init__("order payload unusable: " + "; ".join(parts))


class _Unreadable(Exception):
    """Raised by a value parser; the reader records the field as invalid with this reason."""


@dataclass
class _Reader:
    """Reads fields while collecting every problem, so one error can name them all."""

    missing: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)

    def required(self, source: Mapping[str, Any], key: str, path: str, parse: Callable[[Any], T]) -> T | None:
        value = source.get(key)
        if value is None:
            self.missing.append(path)
            return None
        return self._parse(value, path, parse)

    def optional(self, source: Mapping[str, Any], key: str, path: str, parse: Callable[[Any], T]) -> T | None:
        value = source.get(key)
        if value is None:
            return None
        return self._parse(value, path, parse)

    def object(self, source: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
        value = source.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.invalid[path] = "not an object"
            return None
        return value

    def _parse(self, value: Any, path: str, parse: Callable[[Any], T]) -> T | None:
        try:
            return parse(value)
        except _Unreadable as problem:
            self.invalid[path] = str(problem)
            return None

    def fail_if_any(self) -> None:
        if self.missing or self.invalid:
            raise OrderPayloadError(self.missing, list(self.invalid), self.invalid)


# -- value parsers -------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Unreadable(f"expected a string, got {type(value).__name__}")
    return value


def _non_blank_text(value: Any) -> str:
    text = _text(value)
    if not text.strip():
        raise _Unreadable("empty")
    return text


def _text_or_none(value: Any) -> str | None:
    """REST writes "" where GraphQL writes null (an address without a company, an order without email)."""
    text = _text(value)
    return text if text.strip() else None


def _time(value: Any) -> datetime:
    text = _text(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Unreadable(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise _Unreadable(f"a time without its UTC offset: {text!r}")
    return moment.astimezone(UTC)


def _quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Unreadable(f"expected a whole number, got {value!r}")
    if value < 0:
        raise _Unreadable(f"negative: {value}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Unreadable(f"expected true or false, got {value!r}")
    return value


def _number(value: Any) -> str:
    """A REST numeric id (a JSON number, or its digits as a string) as the digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    raise _Unreadable(f"not a numeric id: {value!r}")


def _global_id(kind: str) -> Callable[[Any], str]:
    pattern = re.compile(rf"^gid://shopify/{kind}/([0-9]+)$")

    def parse(value: Any) -> str:
        match = pattern.match(_text(value))
        if match is None:
            raise _Unreadable(f"not a Shopify {kind} global id: {value!r}")
        return match.group(1)

    return parse


def _financial_status(value: Any) -> FinancialStatus:
    """REST's lower-case status, or GraphQL's OrderDisplayFinancialStatus (PARTIALLY_PAID)."""
    status = _text(value).lower()
    if status not in FINANCIAL_STATUSES:
        raise _Unreadable(f"unknown financial status {value!r}")
    return cast(FinancialStatus, status)


def _lower_text(value: Any) -> str:
    return _text(value).lower()


def _rest_tags(value: Any) -> tuple[str, ...]:
    return normalise_tags(_text(value).split(","))


def _tag_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise _Unreadable("expected a list of strings")
    return normalise_tags(value)


def _sku(value: Any) -> str | None:
    return normalise_sku(_text(value))


def _items(reader: _Reader, source: Mapping[str, Any], key: str, path: str) -> list[Any]:
    """The order's lines: a list, never empty (Shopify keeps even the lines an edit removed)."""
    value = source.get(key)
    if value is None:
        reader.missing.append(path)
        return []
    if not isinstance(value, list):
        reader.invalid[path] = "not a list"
        return []
    if not value:
        reader.invalid[path] = "an order without lines"
    return value


def _address(
    reader: _Reader, raw: Mapping[str, Any] | None, path: str, keys: Sequence[str]
) -> Address | None:
    """``keys``: the payload's names for first name, last name, company, address1, address2, city, province
    code, zip, country code, phone — in that order."""
    if raw is None:
        return None
    values = [reader.optional(raw, key, f"{path}.{key}", _text_or_none) for key in keys]
    if all(value is None for value in values):
        # An address of empty strings is no address: the webhook schema has no null address, so an order that
        # ships nowhere can come with one where GraphQL says null.
        return None
    return Address(*values)


def _order(reader: _Reader, lines_path: str, **values: Any) -> Order:
    """The order, once every field was read; every problem found is raised together."""
    reader.fail_if_any()
    try:
        return Order(**values)
    except InvalidOrder as problem:
        # The fields read well one by one but not together (a line listed twice).
        raise OrderPayloadError([], [lines_path], {lines_path: str(problem)}) from None


def _line(
    line_id: str | None,
    quantity: int | None,
    title: str | None,
    requires_shipping: bool | None,
    **optional: Any,
) -> OrderLine | None:
    """The line when its required fields were read (the reader has recorded what was not)."""
    if line_id is None or quantity is None or title is None or requires_shipping is None:
        return None
    return OrderLine(
        line_id=line_id, quantity=quantity, title=title, requires_shipping=requires_shipping, **optional
    )


# -- the webhook (REST) shape --------------------------------------------------------------------------------

_REST_ADDRESS_KEYS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "province_code",
    "zip",
    "country_code",
    "phone",
)


def order_from_webhook(payload: Mapping[str, Any]) -> Order:
    """The order of an orders/create, orders/updated, orders/paid or orders/cancelled webhook body."""
    if not isinstance(payload, Mapping):
        raise OrderPayloadError([], [BODY], {BODY: "not a JSON object"})
    reader = _Reader()
    lines = []
    for index, raw in enumerate(_items(reader, payload, "line_items", "line_items")):
        path = f"line_items[{index}]"
        if not isinstance(raw, Mapping):
            reader.invalid[path] = "not an object"
            continue
        line = _line(
            _rest_id(reader, raw, f"{path}.", "LineItem"),
            reader.required(raw, "current_quantity", f"{path}.current_quantity", _quantity),
            reader.required(raw, "title", f"{path}.title", _text),
            reader.required(raw, "requires_shipping", f"{path}.requires_shipping", _flag),
            sku=reader.optional(raw, "sku", f"{path}.sku", _sku),
            # A line item names its variant by number only; real deliveries carry it exactly.
            variant_id=reader.optional(raw, "variant_id", f"{path}.variant_id", _number),
            variant_title=reader.optional(raw, "variant_title", f"{path}.variant_title", _text_or_none),
        )
        if line is not None:
            lines.append(line)
    return _order(
        reader,
        "line_items",
        shopify_order_id=_rest_id(reader, payload, "", "Order"),
        name=reader.required(payload, "name", "name", _non_blank_text),
        source_version=reader.required(payload, "updated_at", "updated_at", _time),
        created_at=reader.required(payload, "created_at", "created_at", _time),
        currency=reader.required(payload, "currency", "currency", _non_blank_text),
        email=reader.optional(payload, "email", "email", _text_or_none),
        lines=tuple(lines),
        shipping_address=_address(
            reader,
            reader.object(payload, "shipping_address", "shipping_address"),
            "shipping_address",
            _REST_ADDRESS_KEYS,
        ),
        shipping_method=_rest_shipping_method(reader, payload),
        tags=reader.optional(payload, "tags", "tags", _rest_tags) or (),
        financial_status=reader.optional(payload, "financial_status", "financial_status", _financial_status),
        cancelled_at=reader.optional(payload, "cancelled_at", "cancelled_at", _time),
        cancel_reason=reader.optional(payload, "cancel_reason", "cancel_reason", _lower_text),
        note=reader.optional(payload, "note", "note", _text_or_none),
    )


def _rest_id(reader: _Reader, source: Mapping[str, Any], path: str, kind: str) -> str | None:
    """The id from ``admin_graphql_api_id`` wherever the payload has it: Shopify's example payloads carry
    numeric ids above 2**53 that lost precision on the way (line id 487817672276298560 beside
    gid://shopify/LineItem/487817672276298554); the global id never does."""
    if source.get("admin_graphql_api_id") is not None:
        return reader.required(
            source, "admin_graphql_api_id", f"{path}admin_graphql_api_id", _global_id(kind)
        )
    return reader.required(source, "id", f"{path}id", _number)


def _rest_shipping_method(reader: _Reader, payload: Mapping[str, Any]) -> ShippingMethod | None:
    """The first shipping line an edit has not removed, as GraphQL's ``Order.shippingLine`` gives it."""
    shipping_lines = payload.get("shipping_lines")
    if shipping_lines is None:
        return None
    if not isinstance(shipping_lines, list):
        reader.invalid["shipping_lines"] = "not a list"
        return None
    for index, raw in enumerate(shipping_lines):
        path = f"shipping_lines[{index}]"
        if not isinstance(raw, Mapping):
            reader.invalid[path] = "not an object"
            return None
        if raw.get("is_removed") is True:
            continue
        title = reader.required(raw, "title", f"{path}.title", _text)
        code = reader.optional(raw, "code", f"{path}.code", _text_or_none)
        return None if title is None else ShippingMethod(title=title, code=code)
    return None


# -- the GraphQL shape ---------------------------------------------------------------------------------------

_GRAPHQL_ADDRESS_KEYS = (
    "firstName",
    "lastName",
    "company",
    "address1",
    "address2",
    "city",
    "provinceCode",
    "zip",
    "countryCodeV2",
    "phone",
)


def order_from_graphql(node: Mapping[str, Any]) -> Order:
    """The order of an ``Order`` node as OrdersUpdatedSince and OrderById select it."""
    if not isinstance(node, Mapping):
        raise OrderPayloadError([], [BODY], {BODY: "not a JSON object"})
    reader = _Reader()
    lines = []
    connection = reader.object(node, "lineItems", "lineItems")
    if connection is None and "lineItems" not in reader.invalid:
        reader.missing.append("lineItems")
    elif connection is not None:
        page_info = reader.object(connection, "pageInfo", "lineItems.pageInfo")
        if page_info is not None and page_info.get("hasNextPage") is True:
            # An order with more lines than one page holds: mapping the first page would drop lines.
            reader.invalid["lineItems.pageInfo.hasNextPage"] = "the order has more lines than the query reads"
        for index, raw in enumerate(_items(reader, connection, "nodes", "lineItems.nodes")):
            path = f"lineItems.nodes[{index}]"
            if not isinstance(raw, Mapping):
                reader.invalid[path] = "not an object"
                continue
            variant = reader.object(raw, "variant", f"{path}.variant")
            line = _line(
                reader.required(raw, "id", f"{path}.id", _global_id("LineItem")),
                reader.required(raw, "currentQuantity", f"{path}.currentQuantity", _quantity),
                reader.required(raw, "title", f"{path}.title", _text),
                reader.required(raw, "requiresShipping", f"{path}.requiresShipping", _flag),
                sku=reader.optional(raw, "sku", f"{path}.sku", _sku),
                variant_id=None
                if variant is None
                else reader.required(variant, "id", f"{path}.variant.id", _global_id("ProductVariant")),
                variant_title=reader.optional(raw, "variantTitle", f"{path}.variantTitle", _text_or_none),
            )
            if line is not None:
                lines.append(line)
    shipping_line = reader.object(node, "shippingLine", "shippingLine")
    shipping_method = None
    if shipping_line is not None:
        title = reader.required(shipping_line, "title", "shippingLine.title", _text)
        code = reader.optional(shipping_line, "code", "shippingLine.code", _text_or_none)
        shipping_method = None if title is None else ShippingMethod(title=title, code=code)
    return _order(
        reader,
        "lineItems",
        shopify_order_id=reader.required(node, "id", "id", _global_id("Order")),
        name=reader.required(node, "name", "name", _non_blank_text),
        source_version=reader.required(node, "updatedAt", "updatedAt", _time),
        created_at=reader.required(node, "createdAt", "createdAt", _time),
        currency=reader.required(node, "currencyCode", "currencyCode", _non_blank_text),
        email=reader.optional(node, "email", "email", _text_or_none),
        lines=tuple(lines),
        shipping_address=_address(
            reader,
            reader.object(node, "shippingAddress", "shippingAddress"),
            "shippingAddress",
            _GRAPHQL_ADDRESS_KEYS,
        ),
        shipping_method=shipping_method,
        tags=reader.optional(node, "tags", "tags", _tag_list) or (),
        financial_status=reader.optional(
            node, "displayFinancialStatus", "displayFinancialStatus", _financial_status
        ),
        cancelled_at=reader.optional(node, "cancelledAt", "cancelledAt", _time),
        cancel_reason=reader.optional(node, "cancelReason", "cancelReason", _lower_text),
        note=reader.optional(node, "note", "note", _text_or_none),
    )
