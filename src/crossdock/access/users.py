"""Adding dashboard users and checking their passwords."""

from __future__ import annotations

import re

from crossdock.access.passwords import hash_password, needs_rehash, password_matches
from crossdock.access.principal import Principal
from crossdock.flows.command_errors import CommandRefused
from crossdock.store.unit_of_work import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_user(uow: UnitOfWork, *, email: str, password: str, account_id: str | None) -> int:
    """Add a user of ``account_id`` (None: a hub operator, who sees every account); the caller commits."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise CommandRefused(f"{email!r} is not an email address")
    if account_id is not None and account_id not in uow.accounts.names():
        raise CommandRefused(f"no account {account_id!r}: declare it in [[accounts]] and start the hub once")
    if uow.users.by_email(email) is not None:
        raise CommandRefused(f"a user {email} exists already")
    try:
        password_hash = hash_password(password)
    except ValueError as error:
        raise CommandRefused(str(error)) from None
    return uow.users.add(email=email, account_id=account_id, password_hash=password_hash)


def authenticated_user(uow: UnitOfWork, email: str, password: str) -> Principal | None:
    """The user these credentials name, if the password matches and the user is active; records the login
    (the caller commits). A hash made with weaker parameters than today's is replaced."""
    user = uow.users.by_email(email)
    if not password_matches(None if user is None else user.password_hash, password):
        return None
    assert user is not None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        uow.users.set_password_hash(user.id, hash_password(password))
    uow.users.record_login(user.id)
    return Principal(kind="user", id=user.id, name=user.email, account_id=user.account_id)


def active_user(uow: UnitOfWork, user_id: int) -> Principal | None:
    """The user a session names, while still active (a disabled user's sessions stop working at once)."""
    user = uow.users.get(user_id)
    if user is None or not user.active:
        return None
    return Principal(kind="user", id=user.id, name=user.email, account_id=user.account_id)
