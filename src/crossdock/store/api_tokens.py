"""Bearer tokens of the machines that call /api, kept as hashes (crossdock.access.tokens makes and hashes
them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from crossdock.store.schema import api_tokens
from crossdock.store.types import utc_now


@dataclass(frozen=True)
class ApiTokenRecord:
    id: int
    name: str
    account_id: str | None
    token_hash: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def add(self, *, name: str, account_id: str | None, token_hash: str, prefix: str, created_by: str) -> int:
        return int(
            self._connection.execute(
                sa.insert(api_tokens)
                .values(
                    name=name,
                    account_id=account_id,
                    token_hash=token_hash,
                    prefix=prefix,
                    created_by=created_by,
                    created_at=utc_now(),
                )
                .returning(api_tokens.c.id)
            ).scalar_one()
        )

    def active_by_hash(self, token_hash: str) -> ApiTokenRecord | None:
        row = self._connection.execute(
            sa.select(api_tokens).where(
                api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
            )
        ).one_or_none()
        return None if row is None else ApiTokenRecord(**row._mapping)

    def list(self) -> list[ApiTokenRecord]:
        rows = self._connection.execute(sa.select(api_tokens).order_by(api_tokens.c.id))
        return [ApiTokenRecord(**row._mapping) for row in rows]

    def record_use(self, token_id: int) -> None:
        """Note when a token was last used, to the minute: a busy client must not turn every read into a
        write."""
        now = utc_now()
        self._connection.execute(
            sa.update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                sa.or_(
                    api_tokens.c.last_used_at.is_(None),
                    api_tokens.c.last_used_at < now - timedelta(minutes=1),
                ),
            )
            .values(last_used_at=now)
        )

    def revoke(self, token_id: int) -> bool:
        """Revoke an active token; False when there is none with this id (unknown or revoked already)."""
        result = self._connection.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=utc_now())
        )
        return result.rowcount == 1
