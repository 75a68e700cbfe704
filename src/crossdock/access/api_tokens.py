"""Creating, checking and revoking API bearer tokens."""

from __future__ import annotations

from crossdock.access.principal import Principal
from crossdock.access.tokens import NewToken, new_token, token_hash
from crossdock.flows.command_errors import CommandRefused
from crossdock.store.unit_of_work import UnitOfWork


def create_token(uow: UnitOfWork, *, name: str, account_id: str | None, by: str) -> tuple[int, NewToken]:
    """A new token for ``account_id`` (None: the whole hub); the caller commits and shows the token once."""
    if not name.strip():
        raise CommandRefused("a token needs a name, e.g. the system that uses it")
    if account_id is not None and account_id not in uow.accounts.names():
        raise CommandRefused(f"no account {account_id!r}: declare it in [[accounts]] and start the hub once")
    made = new_token()
    token_id = uow.api_tokens.add(
        name=name.strip(),
        account_id=account_id,
        token_hash=made.token_hash,
        prefix=made.prefix,
        created_by=by,
    )
    return token_id, made


def token_principal(uow: UnitOfWork, token: str) -> Principal | None:
    """Who an ``Authorization: Bearer`` token is, if it is active; records its use (the caller commits)."""
    record = uow.api_tokens.active_by_hash(token_hash(token))
    if record is None:
        return None
    uow.api_tokens.record_use(record.id)
    return Principal(kind="token", id=record.id, name=f"token:{record.name}", account_id=record.account_id)
