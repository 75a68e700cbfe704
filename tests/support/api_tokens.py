"""Bearer tokens for tests that call /api, made the way `crossdock tokens create` makes them."""

from __future__ import annotations

import sqlalchemy as sa

from crossdock.access.api_tokens import create_token
from crossdock.store.unit_of_work import UnitOfWork


def bearer(engine: sa.Engine, *, account: str | None = None, name: str = "tests") -> dict[str, str]:
    """Headers carrying a new token that sees ``account`` (None: every account)."""
    with UnitOfWork(engine) as uow:
        _, made = create_token(uow, name=name, account_id=account, by="tests")
        uow.commit()
    return {"Authorization": f"Bearer {made.token}"}
