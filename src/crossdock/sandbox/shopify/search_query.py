"""Shopify's search syntax for ``query:`` arguments, the part integrations use: ``field:value`` terms joined
by spaces or AND, values compared with ``:``, ``:>``, ``:>=``, ``:<``, ``:<=``, quotes around values."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Term:
    field: str
    comparator: str
    value: str


def parse_search(query: str | None) -> list[Term]:
    if not query:
        return []
    terms = []
    for token in shlex.split(query):
        if token.upper() == "AND" or ":" not in token:
            continue
        field, _, rest = token.partition(":")
        comparator = "="
        for candidate in (">=", "<=", ">", "<"):
            if rest.startswith(candidate):
                comparator, rest = candidate, rest[len(candidate) :]
                break
        terms.append(Term(field.lower(), comparator, rest))
    return terms


def _comparable(value: Any, text: str) -> tuple[Any, Any]:
    if isinstance(value, datetime):
        return value, datetime.fromisoformat(text.replace("Z", "+00:00"))
    if isinstance(value, int):
        return value, int(text)
    return str(value).lower(), text.lower()


def matches(terms: list[Term], fields: Mapping[str, Any]) -> bool:
    """True when the item satisfies every term on a field it knows (others are ignored, as Shopify does)."""
    for term in terms:
        if term.field not in fields:
            continue
        actual = fields[term.field]
        if actual is None:
            return False
        if not _holds(term.comparator, *_comparable(actual, term.value)):
            return False
    return True


def _holds(comparator: str, left: Any, right: Any) -> bool:
    if comparator == "=":
        return bool(left == right or (isinstance(left, str) and _wildcard(left, right)))
    return bool({">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[comparator])


def _wildcard(actual: str, pattern: str) -> bool:
    return pattern.endswith("*") and actual.startswith(pattern[:-1])
