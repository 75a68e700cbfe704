"""Text searched for with SQL LIKE, its wildcards taken literally (a SKU may hold "_" or "%")."""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def escaped_for_like(text: str) -> str:
    """``text`` with LIKE's wildcards and the escape character escaped by ``LIKE_ESCAPE``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
