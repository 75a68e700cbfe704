"""`crossdock users` (people who log in to the dashboard) and `crossdock tokens` (machines that call the
API). The rules live in crossdock.access; this module parses, opens the database and prints."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from crossdock.access.api_tokens import create_token
from crossdock.access.users import add_user
from crossdock.flows.command_errors import CommandRefused
from crossdock.operator_cli import _fail, _settings, _unit_of_work

users_app = typer.Typer(help="People who log in to the dashboard.", no_args_is_help=True)
tokens_app = typer.Typer(help="Bearer tokens of the machines that call /api.", no_args_is_help=True)

ScopeOption = Annotated[
    str | None,
    typer.Option(
        "--account", help="the account (as in [[accounts]]) it sees; leave out for the whole hub (operators)"
    ),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="the email the user logs in with")],
    account: ScopeOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
) -> None:
    """Add a user; the password is asked for (12 characters at least) and kept as an argon2 hash."""
    password = _password(password_stdin)
    with _unit_of_work(_settings()) as uow:
        try:
            user_id = add_user(uow, email=email, password=password, account_id=account)
        except CommandRefused as refused:
            raise _fail(str(refused), refused.exit_code) from None
        uow.commit()
    typer.echo(f"user {user_id} {email.strip().lower()} added, sees {account or 'every account'}")


@users_app.command("list")
def users_list() -> None:
    """The users, their account and their last login."""
    with _unit_of_work(_settings()) as uow:
        users = uow.users.list()
    typer.echo(f"{'ID':>4}  {'EMAIL':<40} {'ACCOUNT':<16} {'LAST LOGIN (UTC)':<19}  STATE")
    for user in users:
        login = user.last_login_at.strftime("%Y-%m-%d %H:%M:%S") if user.last_login_at else "never"
        state = "active" if user.active else "disabled"
        typer.echo(f"{user.id:>4}  {user.email:<40} {user.account_id or '(all)':<16} {login:<19}  {state}")


def _set_disabled(email: str, disabled: bool) -> None:
    with _unit_of_work(_settings()) as uow:
        user = uow.users.by_email(email)
        if user is None:
            raise _fail(f"no user {email}", 1)
        uow.users.set_disabled(user.id, disabled)
        uow.commit()
    typer.echo(f"user {user.email} {'disabled: their sessions end now' if disabled else 'enabled'}")


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="the user's email")]) -> None:
    """Stop a user from logging in; their open sessions stop working at once."""
    _set_disabled(email, True)


@users_app.command("enable")
def users_enable(email: Annotated[str, typer.Argument(help="the user's email")]) -> None:
    """Let a disabled user log in again."""
    _set_disabled(email, False)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="what uses it, e.g. 'erp-sync'")], account: ScopeOption = None
) -> None:
    """Make a token and print it once: only its hash is kept, so it cannot be shown again."""
    with _unit_of_work(_settings()) as uow:
        try:
            token_id, made = create_token(uow, name=name, account_id=account, by="cli")
        except CommandRefused as refused:
            raise _fail(str(refused), refused.exit_code) from None
        uow.commit()
    typer.echo(
        f"token {token_id} {name!r} sees {account or 'every account'}; keep it now, it is not shown again:"
    )
    typer.echo(made.token)


@tokens_app.command("list")
def tokens_list() -> None:
    """The tokens (by the first characters only), their account and when each was last used."""
    with _unit_of_work(_settings()) as uow:
        tokens = uow.api_tokens.list()
    typer.echo(f"{'ID':>4}  {'NAME':<24} {'STARTS WITH':<12} {'ACCOUNT':<16} {'LAST USED (UTC)':<19}  STATE")
    for token in tokens:
        used = token.last_used_at.strftime("%Y-%m-%d %H:%M:%S") if token.last_used_at else "never"
        state = "revoked" if token.revoked_at else "active"
        typer.echo(
            f"{token.id:>4}  {token.name:<24} {token.prefix + '…':<12} {token.account_id or '(all)':<16} "
            f"{used:<19}  {state}"
        )


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="the token's id (tokens list)")]) -> None:
    """Revoke a token: calls with it are refused from now on."""
    with _unit_of_work(_settings()) as uow:
        revoked = uow.api_tokens.revoke(token_id)
        uow.commit()
    if not revoked:
        raise _fail(f"no active token {token_id}", 1)
    typer.echo(f"token {token_id} revoked")
