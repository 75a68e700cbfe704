"""People who log in to the dashboard. Emails are kept lower-case: one person, one row, however they
type it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crossdock.store.schema import users
from crossdock.store.types import utc_now


@dataclass(frozen=True)
class UserRecord:
    id: int
    email: str
    account_id: str | None
    password_hash: str
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class UserRepository:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def add(self, *, email: str, account_id: str | None, password_hash: str) -> int:
        return int(
            self._connection.execute(
                sa.insert(users)
                .values(
                    email=email.strip().lower(),
                    account_id=account_id,
                    password_hash=password_hash,
                    created_at=utc_now(),
                )
                .returning(users.c.id)
            ).scalar_one()
        )

    def by_email(self, email: str) -> UserRecord | None:
        row = self._connection.execute(
            sa.select(users).where(users.c.email == email.strip().lower())
        ).one_or_none()
        return None if row is None else UserRecord(**row._mapping)

    def get(self, user_id: int) -> UserRecord | None:
        row = self._connection.execute(sa.select(users).where(users.c.id == user_id)).one_or_none()
        return None if row is None else UserRecord(**row._mapping)

    def list(self) -> list[UserRecord]:
        rows = self._connection.execute(sa.select(users).order_by(users.c.email))
        return [UserRecord(**row._mapping) for row in rows]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._connection.execute(
            sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        )

    def record_login(self, user_id: int) -> None:
        self._connection.execute(
            sa.update(users).where(users.c.id == user_id).values(last_login_at=utc_now())
        )

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        self._connection.execute(
            sa.update(users).where(users.c.id == user_id).values(disabled_at=utc_now() if disabled else None)
        )
