"""``@idempotent(key:)``: a mutation repeated with the same key and the same arguments returns the first
result and applies nothing again; the same key with other arguments is refused."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


def fingerprint(mutation: str, arguments: dict[str, Any]) -> str:
    canonical = json.dumps({"mutation": mutation, "arguments": arguments}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Remembered:
    fingerprint: str
    result: Any


class IdempotencyRegistry:
    def __init__(self) -> None:
        self._by_key: dict[str, Remembered] = {}

    def lookup(self, key: str, mutation: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
        """(False, None) for a new key; (True, first result) for a repeat; raises on a mismatch."""
        remembered = self._by_key.get(key)
        if remembered is None:
            return False, None
        if remembered.fingerprint != fingerprint(mutation, arguments):
            raise IdempotencyKeyMismatch(key)
        return True, remembered.result

    def remember(self, key: str, mutation: str, arguments: dict[str, Any], result: Any) -> None:
        self._by_key.setdefault(key, Remembered(fingerprint(mutation, arguments), result))


class IdempotencyKeyMismatch(ValueError):
    pass
