"""Finding and masking passwords written inside URLs, for configuration messages and log lines alike."""

from __future__ import annotations

import re

MASK = "***"

# The userinfo password runs to the last "@" that a host follows, so a password holding "/" or "@" is masked
# whole; a password given as a query parameter ("?password=...") is masked too.
_PASSWORD_PATTERNS = (
    re.compile(r"(?P<keep>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>\S+)(?=@[^@/\s]+)", re.I),
    re.compile(r"(?P<keep>[?&]password=)(?P<secret>[^&\s]*)", re.I),
)


def mask_url_passwords(text: str) -> str:
    for pattern in _PASSWORD_PATTERNS:
        text = pattern.sub(rf"\g<keep>{MASK}", text)
    return text


def has_url_password(text: str) -> bool:
    return any(match["secret"] for pattern in _PASSWORD_PATTERNS for match in pattern.finditer(text))
