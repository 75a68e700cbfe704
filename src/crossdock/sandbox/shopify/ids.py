"""Shopify global ids (``gid://shopify/Type/123``)."""

from __future__ import annotations

import re

_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<number>\d+)(?:\?.*)?$")


class InvalidGlobalId(ValueError):
    pass


def gid(type_name: str, number: int) -> str:
    return f"gid://shopify/{type_name}/{number}"


def parse_gid(value: str, expected_type: str | None = None) -> tuple[str, int]:
    match = _GID.match(value)
    if match is None or (expected_type is not None and match["type"] != expected_type):
        raise InvalidGlobalId(value)
    return match["type"], int(match["number"])


def number_of(value: str, type_name: str) -> int | None:
    """The number of a global id of ``type_name``; None when ``value`` is not one (it names nothing)."""
    try:
        return parse_gid(value, type_name)[1]
    except InvalidGlobalId:
        return None
