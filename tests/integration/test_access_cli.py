"""`crossdock users` and `crossdock tokens`: adding people and machines, each scoped to an account or to the
hub, with the password hashed and the token shown once."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from crossdock.access.api_tokens import token_principal
from crossdock.access.users import authenticated_user
from crossdock.cli import app as cli
from crossdock.config import Settings
from crossdock.hub import prepare_database
from crossdock.store.unit_of_work import UnitOfWork


def run(config_path: Path, environ: dict[str, str], *arguments: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_path), *arguments], env=environ, input=stdin)
    return result.exit_code, result.output


def test_users_are_added_listed_disabled_and_enabled(
    config_path: Path, hub_environ: dict[str, str], settings: Settings
) -> None:
    def users(*arguments: str, stdin: str = "") -> tuple[int, str]:
        return run(config_path, hub_environ, "users", *arguments, stdin=stdin)

    code, output = users(
        "add", "Ada@Acme.example", "--account", "acme", "--password-stdin", stdin="long enough pw\n"
    )
    assert code == 0, output
    assert "user 1 ada@acme.example added, sees acme" in output
    code, output = users("add", "ada@acme.example", "--password-stdin", stdin="another long pw\n")
    assert code == 2 and "a user ada@acme.example exists already" in output
    code, output = users("add", "bob@acme.example", "--password-stdin", stdin="short\n")
    assert code == 2 and "at least 12 characters" in output
    code, output = users(
        "add", "bob@acme.example", "--account", "nope", "--password-stdin", stdin="long enough pw\n"
    )
    assert code == 2 and "no account 'nope'" in output
    code, output = users("add", "not-an-email", "--password-stdin", stdin="long enough pw\n")
    assert code == 2 and "is not an email address" in output
    # Asked at the prompt, typed twice.
    code, output = users("add", "ops@hub.example", stdin="operator password\noperator password\n")
    assert code == 0 and "sees every account" in output

    code, output = users("list")
    assert code == 0
    assert "ada@acme.example" in output and "(all)" in output and "long enough pw" not in output

    engine = prepare_database(settings)
    try:
        with UnitOfWork(engine) as uow:
            principal = authenticated_user(uow, "ada@acme.example", "long enough pw")
            assert principal is not None and principal.account_id == "acme"
        assert users("disable", "ada@acme.example")[0] == 0
        with UnitOfWork(engine) as uow:
            assert authenticated_user(uow, "ada@acme.example", "long enough pw") is None
        assert users("enable", "ada@acme.example")[0] == 0
        with UnitOfWork(engine) as uow:
            assert authenticated_user(uow, "ada@acme.example", "long enough pw") is not None
            assert authenticated_user(uow, "ada@acme.example", "wrong password") is None
    finally:
        engine.dispose()
    assert users("disable", "nobody@acme.example")[0] == 1


def test_a_token_is_shown_once_listed_by_its_prefix_and_revoked(
    config_path: Path, hub_environ: dict[str, str], settings: Settings
) -> None:
    code, output = run(config_path, hub_environ, "tokens", "create", "erp-sync", "--account", "acme")
    assert code == 0, output
    token = output.strip().splitlines()[-1]
    assert token.startswith("cdk_") and len(token) > 40

    code, listed = run(config_path, hub_environ, "tokens", "list")
    assert code == 0 and "erp-sync" in listed and token[:10] in listed and token not in listed

    engine = prepare_database(settings)
    try:
        with UnitOfWork(engine) as uow:
            principal = token_principal(uow, token)
            assert (
                principal is not None
                and principal.name == "token:erp-sync"
                and principal.account_id == "acme"
            )
        assert run(config_path, hub_environ, "tokens", "revoke", "1")[0] == 0
        with UnitOfWork(engine) as uow:
            assert token_principal(uow, token) is None
            stored = [record.token_hash for record in uow.api_tokens.list()]
        assert token not in stored
    finally:
        engine.dispose()
    code, output = run(config_path, hub_environ, "tokens", "revoke", "1")
    assert code == 1 and "no active token 1" in output
    code, output = run(config_path, hub_environ, "tokens", "create", "x", "--account", "nope")
    assert code == 2 and "no account 'nope'" in output
