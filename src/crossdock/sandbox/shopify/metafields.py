"""Metafields and ``metafieldsSet``: values an app attaches to Shopify objects (the hub shows an order's
fulfilment status to support this way). At most 25 per call, checked all together; a value must fit its
type; ``compareDigest`` guards against overwriting a value someone else changed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from crossdock.sandbox.shopify.ids import InvalidGlobalId, gid, parse_gid

if TYPE_CHECKING:
    from crossdock.sandbox.shopify.shop_state import ShopState

MAX_PER_CALL = 25
# Without a namespace, a metafield lives in the calling app's reserved namespace.
APP_NAMESPACE = "$app"
# The types the sandbox checks values for; any other type is refused rather than accepted unchecked.
KNOWN_TYPES = (
    "single_line_text_field",
    "multi_line_text_field",
    "json",
    "number_integer",
    "boolean",
    "date_time",
)
OWNER_TYPES = ("Order", "Product", "ProductVariant", "Location", "Shop")


@dataclass
class Metafield:
    id: int
    owner_id: str
    namespace: str
    key: str
    type: str
    value: str
    created_at: datetime
    updated_at: datetime

    @property
    def compare_digest(self) -> str:
        return hashlib.sha256(f"{self.value}|{self.updated_at.isoformat()}".encode()).hexdigest()


def _value_error(kind: str, value: str) -> str | None:
    if kind == "single_line_text_field" and "\n" in value:
        return "Value must be a single line of text."
    if kind == "json":
        try:
            json.loads(value)
        except ValueError:
            return "Value must be valid JSON."
    if kind == "number_integer":
        try:
            int(value)
        except ValueError:
            return "Value must be an integer."
    if kind == "boolean" and value not in ("true", "false"):
        return "Value must be true or false."
    if kind == "date_time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "Value must be an ISO 8601 date and time."
    return None


def _owner_exists(state: ShopState, owner_id: str) -> bool:
    try:
        type_name, number = parse_gid(owner_id)
    except InvalidGlobalId:
        return False
    tables: dict[str, Any] = {
        "Order": state.orders,
        "Product": state.products,
        "ProductVariant": state.variants,
        "Location": state.locations,
    }
    if type_name == "Shop":
        return number == state.shop.id
    return type_name in tables and number in tables[type_name]


def find(state: ShopState, owner_id: str, namespace: str | None, key: str) -> Metafield | None:
    wanted = namespace or APP_NAMESPACE
    return next(
        (
            field
            for field in state.metafields.values()
            if field.owner_id == owner_id and field.namespace == wanted and field.key == key
        ),
        None,
    )


def set_metafields(
    state: ShopState, inputs: list[dict[str, Any]]
) -> tuple[list[Metafield], list[dict[str, Any]]]:
    if len(inputs) > MAX_PER_CALL:
        return [], [
            _error(
                None,
                ["metafields"],
                f"Exceeded the maximum metafields input limit of {MAX_PER_CALL}.",
                "LESS_THAN_OR_EQUAL_TO",
            )
        ]
    errors = []
    for index, entry in enumerate(inputs):
        existing = find(state, entry["ownerId"], entry.get("namespace"), entry["key"])
        kind = entry.get("type") or (existing.type if existing else None)
        where = ["metafields", str(index)]
        if not _owner_exists(state, entry["ownerId"]):
            errors.append(_error(index, [*where, "ownerId"], "Owner does not exist.", "INVALID"))
        elif kind is None:
            errors.append(_error(index, [*where, "type"], "Type can't be blank.", "BLANK"))
        elif kind not in KNOWN_TYPES:
            errors.append(_error(index, [*where, "type"], f"Type '{kind}' is not supported.", "INVALID_TYPE"))
        elif (problem := _value_error(kind, entry["value"])) is not None:
            errors.append(_error(index, [*where, "value"], problem, "INVALID_VALUE"))
        elif entry.get("compareDigest") is not None and (
            existing is None or existing.compare_digest != entry["compareDigest"]
        ):
            errors.append(
                _error(
                    index,
                    [*where, "compareDigest"],
                    "The resource has been updated since it was loaded.",
                    "STALE_OBJECT",
                )
            )
    if errors:
        return [], errors
    now = state.clock()
    written = []
    for entry in inputs:
        existing = find(state, entry["ownerId"], entry.get("namespace"), entry["key"])
        if existing is None:
            existing = Metafield(
                id=state.next_id(),
                owner_id=entry["ownerId"],
                namespace=entry.get("namespace") or APP_NAMESPACE,
                key=entry["key"],
                type=entry["type"],
                value=entry["value"],
                created_at=now,
                updated_at=now,
            )
            state.metafields[existing.id] = existing
        else:
            existing.value = entry["value"]
            existing.type = entry.get("type") or existing.type
            existing.updated_at = now
        written.append(existing)
    return written, []


def _error(index: int | None, field: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code, "elementIndex": index}


def metafield_view(field: Metafield) -> dict[str, Any]:
    return {
        "id": gid("Metafield", field.id),
        "namespace": field.namespace,
        "key": field.key,
        "type": field.type,
        "value": field.value,
        "compareDigest": field.compare_digest,
        "createdAt": field.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updatedAt": field.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def resolve_metafields_set(
    _root: Any, info: GraphQLResolveInfo, metafields: list[dict[str, Any]]
) -> dict[str, Any]:
    written, errors = set_metafields(info.context.state, metafields)
    return {
        "metafields": [metafield_view(field) for field in written] if not errors else None,
        "userErrors": errors,
    }


def _owner_metafield(type_name: str) -> Any:
    """``metafield(namespace, key)`` on an owner type: the view carries the owner's id."""

    def resolve(
        view: dict[str, Any], info: GraphQLResolveInfo, key: str, namespace: str | None = None
    ) -> Any:
        field = find(info.context.state, view["id"], namespace, key)
        return None if field is None else metafield_view(field)

    return resolve


def install_metafield_resolvers(schema: GraphQLSchema) -> None:
    assert schema.mutation_type is not None
    schema.mutation_type.fields["metafieldsSet"].resolve = resolve_metafields_set
    for type_name in ("Order", "Product", "ProductVariant"):
        owner = schema.type_map.get(type_name)
        if owner is not None and "metafield" in getattr(owner, "fields", {}):
            owner.fields["metafield"].resolve = _owner_metafield(type_name)  # type: ignore[attr-defined]
