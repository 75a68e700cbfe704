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
