"""API bearer tokens: 256 random bits, shown once; only their SHA-256 is stored. A fast hash is enough here
(unlike passwords): the token is random, so there is nothing to guess from its hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "cdk_"


@dataclass(frozen=True)
class NewToken:
    token: str
    token_hash: str
    # The first characters, kept to name the token in lists without revealing it.
    prefix: str


def new_token() -> NewToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewToken(token=token, token_hash=token_hash(token), prefix=token[: len(TOKEN_PREFIX) + 6])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
