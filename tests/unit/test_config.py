import json
import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from crossdock.config import (
    AlertRuleSettings,
    ConfigError,
    DatabaseSettings,
    JobSettings,
    LogSettings,
    Settings,
    SftpSettings,
    ShopSettings,
    SmtpSettings,
    WarehouseSettings,
    WebSettings,
    X12FolderSettings,
    X12PartnerSettings,
    describe,
    example_config,
    load_settings,
)

PASSWORD = "hunter2-pw"
SESSION_SECRET = "s3ssion-secret-value"
TOML_WITH_SECRETS = f"""
[database]
url = "postgresql://hub:{PASSWORD}@db/hub"
[web]
session_secret = "{SESSION_SECRET}"
"""
DB_URL_FORMS = "'sqlite:///<path>' or 'postgresql+psycopg://<user>@<host>/<database>'"


def write(folder: Path, text: str, name: str = "crossdock.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(config_file: Path | None, environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(config_file, environ=environ)
    return caught.value.problems


def test_no_file_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.config_file is None
    assert settings.database == DatabaseSettings(url="sqlite:///crossdock.db")
    assert settings.web == WebSettings(host="127.0.0.1", port=8000, session_secret=None)
    assert settings.jobs == JobSettings(
        executor_id=None,
        poll_interval_ms=50,
        worker_concurrency=16,
        max_attempts=5,
        retry_base_seconds=2.0,
        retry_max_seconds=900.0,
        heartbeat_seconds=5.0,
        extra_modules=[],
    )
    assert settings.log == LogSettings(level="info", format="json")
    assert settings.accounts == []


def test_crossdock_toml_in_working_folder_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[web]\nport = 8123\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.web.port == 8123
    assert settings.config_file == Path("crossdock.toml")


def test_file_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [database]
        url = "sqlite:///data/hub.db"
        [web]
        host = "0.0.0.0"
        port = 9001
        [jobs]
        executor_id = "worker-a"
        poll_interval_ms = 200
        retry_base_seconds = 1.5
        extra_modules = ["myplugin.jobs"]
        [log]
        level = "debug"
        format = "console"
        [[accounts]]
        id = "acme"
        name = "ACME"
        [[accounts]]
        id = "globex-2"
        name = "Globex"
        """,
    )
    settings = load_settings(path, environ={})
    assert settings.config_file == path
    assert settings.database.url == "sqlite:///data/hub.db"
    assert (settings.web.host, settings.web.port) == ("0.0.0.0", 9001)
    assert settings.jobs.executor_id == "worker-a"
    assert settings.jobs.poll_interval_ms == 200
    assert settings.jobs.retry_base_seconds == 1.5
    assert settings.jobs.extra_modules == ["myplugin.jobs"]
    assert settings.jobs.max_attempts == 5
    assert (settings.log.level, settings.log.format) == ("debug", "console")
    assert [(account.id, account.name) for account in settings.accounts] == [
        ("acme", "ACME"),
        ("globex-2", "Globex"),
    ]


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[jobs]\nmax_attempts = 7\n", name="other.toml")
    settings = load_settings(environ={"CROSSDOCK_CONFIG": str(path)})
    assert settings.jobs.max_attempts == 7
    assert settings.config_file == path


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = 9001\nhost = '0.0.0.0'\n[jobs]\nmax_attempts = 7\n")
    environ = {
        "CROSSDOCK_WEB__PORT": "9000",
        "CROSSDOCK_JOBS__MAX_ATTEMPTS": "3",
        "CROSSDOCK_JOBS__EXTRA_MODULES": "a.jobs, b.jobs",
        "CROSSDOCK_LOG__LEVEL": "",
        "CROSSDOCK_SOMETHING_UNKNOWN": "ignored",
    }
    settings = load_settings(path, environ=environ)
    assert settings.web.port == 9000
    assert settings.web.host == "0.0.0.0"
    assert settings.jobs.max_attempts == 3
    assert settings.jobs.extra_modules == ["a.jobs", "b.jobs"]
    assert settings.log.level == "info"


def test_short_aliases(tmp_path: Path) -> None:
    path = write(tmp_path, "[jobs]\nexecutor_id = 'from-file'\n")
    environ = {"CROSSDOCK_DATABASE_URL": "sqlite:///alias.db", "CROSSDOCK_EXECUTOR_ID": "from-env"}
    settings = load_settings(path, environ=environ)
    assert settings.database.url == "sqlite:///alias.db"
    assert settings.jobs.executor_id == "from-env"


def test_alias_and_long_name_together_are_refused(tmp_path: Path) -> None:
    environ = {"CROSSDOCK_EXECUTOR_ID": "a", "CROSSDOCK_JOBS__EXECUTOR_ID": "b"}
    assert problems_of(None, environ) == [
        "CROSSDOCK_JOBS__EXECUTOR_ID: sets jobs.executor_id like CROSSDOCK_EXECUTOR_ID does; "
        "set only one of them"
    ]


def test_os_environ_is_not_read_when_environ_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CROSSDOCK_WEB__PORT", "9999")
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).web.port == 8000
    assert Settings().web.port == 8000


@pytest.mark.parametrize(
    "url",
    ["postgres://crossdock@db/hub", "postgresql://crossdock@db/hub", "postgresql+psycopg://crossdock@db/hub"],
)
def test_postgres_urls_are_normalised(url: str, tmp_path: Path) -> None:
    from_env = load_settings(write(tmp_path, ""), environ={"CROSSDOCK_DATABASE_URL": url})
    from_file = load_settings(write(tmp_path, f"[database]\nurl = '{url}'\n"), environ={})
    assert from_env.database.url == "postgresql+psycopg://crossdock@db/hub"
    assert from_file.database.url == "postgresql+psycopg://crossdock@db/hub"


def test_in_memory_sqlite_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\nurl = 'sqlite:///:memory:'\n")
    assert problems_of(path, {}) == [
        "database.url: an in-memory SQLite database cannot be used because the job engine needs a file; "
        "expected 'sqlite:///<path>', e.g. 'sqlite:///crossdock.db' (got 'sqlite:///:memory:')"
    ]


def test_unsupported_database_scheme(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\nurl = 'mysql://db/hub'\n")
    assert problems_of(path, {}) == [f"database.url: expected {DB_URL_FORMS} (got 'mysql://db/hub')"]


def test_unknown_key_names_dotted_key_and_known_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "[jobs]\npol_interval_ms = 10\n")
    assert problems_of(path, {}) == [
        "jobs.pol_interval_ms: unknown key (known keys in [jobs]: executor_id, poll_interval_ms, "
        "worker_concurrency, max_attempts, retry_base_seconds, retry_max_seconds, heartbeat_seconds, "
        "extra_modules)"
    ]


def test_unknown_table_and_account_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[webb]\nport = 1\n[[accounts]]\nid = 'acme'\nname = 'A'\nnmae = 'B'\n")
    assert problems_of(path, {}) == [
        "accounts[0].nmae: unknown key (known keys in [[accounts]]: id, name, release_payment_statuses, "
        "split_orders, notify_customer)",
        "webb: unknown key (known top-level keys: database, web, jobs, log, accounts, shopify, shops, "
        "warehouses, inventory, alerts)",
    ]


def test_config_file_key_cannot_be_set_in_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "config_file = 'elsewhere.toml'\n")
    assert problems_of(path, {}) == [
        "config_file: unknown key (known top-level keys: database, web, jobs, log, accounts, shopify, shops, "
        "warehouses, inventory, alerts)"
    ]


def test_wrong_types_in_file_name_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[web]\nport = 'abc'\n[jobs]\npoll_interval_ms = 0\nheartbeat_seconds = -1\n[log]\nformat = 'xml'\n",
    )
    assert problems_of(path, {}) == [
        "web.port: expected an integer from 1 to 65535 (got 'abc')",
        "jobs.poll_interval_ms: expected an integer from 1 to 5000 (got 0)",
        "jobs.heartbeat_seconds: expected a number greater than 0 (got -1)",
        "log.format: expected one of 'json', 'console' (got 'xml')",
    ]


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs = 5\n")
    assert problems_of(path, {}) == ["jobs: expected a [jobs] table (got 5)"]


def test_wrong_env_value_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = 9001\n")
    environ = {"CROSSDOCK_WEB__PORT": "abc", "CROSSDOCK_JOBS__EXTRA_MODULES": "ok.module,2bad"}
    assert problems_of(path, environ) == [
        "CROSSDOCK_WEB__PORT: expected an integer from 1 to 65535 (got 'abc')",
        "CROSSDOCK_JOBS__EXTRA_MODULES: expected a list of dotted module names, e.g. ['myplugin.jobs'] "
        "(got '2bad')",
    ]


def test_retry_max_below_retry_base(tmp_path: Path) -> None:
    path = write(tmp_path, "[jobs]\nretry_base_seconds = 10.0\n")
    assert problems_of(path, {"CROSSDOCK_JOBS__RETRY_MAX_SECONDS": "5"}) == [
        "CROSSDOCK_JOBS__RETRY_MAX_SECONDS: expected a number at least retry_base_seconds (10.0) (got 5.0)"
    ]


def test_missing_and_invalid_account_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "[[accounts]]\nid = 'acme'\n[[accounts]]\nid = 'Not A Slug'\nname = 'X'\n")
    assert problems_of(path, {}) == [
        "accounts[0].name: required",
        "accounts[1].id: expected a slug of 1 to 63 lowercase letters, digits or '-' (got 'Not A Slug')",
    ]


def test_duplicate_account_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "[[accounts]]\nid = 'acme'\nname = 'A'\n[[accounts]]\nid = 'acme'\nname = 'B'\n")
    assert problems_of(path, {}) == ["accounts[1].id: duplicate account id 'acme'"]


def test_every_problem_is_listed_one_per_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = 0\n[log]\nlevel = 'loud'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert str(caught.value) == (
        "web.port: expected an integer from 1 to 65535 (got 0)\n"
        "log.level: expected one of 'debug', 'info', 'warning', 'error' (got 'loud')"
    )


def test_invalid_toml_gives_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "[jobs]\npoll_interval_ms = \n")
    assert problems_of(path, {}) == [f"{path}:2:20: invalid TOML: Invalid value"]


def test_explicit_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert problems_of(missing, {}) == [f"config file not found: {missing}"]
    assert problems_of(None, {"CROSSDOCK_CONFIG": str(missing)}) == [
        f"config file not found: {missing} (named by CROSSDOCK_CONFIG)"
    ]


def test_secrets_in_toml_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, TOML_WITH_SECRETS)
    problems = problems_of(path, {})
    assert problems == [
        "database.url: contains a password; secrets may only come from the environment "
        "(CROSSDOCK_DATABASE_URL) or the secrets file",
        "web.session_secret: is a secret; secrets may only come from the environment "
        "(CROSSDOCK_WEB__SESSION_SECRET) or the secrets file",
    ]


def test_secrets_file_overrides_toml_and_env_overrides_secrets_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\nurl = 'postgresql://hub@db/hub'\n[web]\nport = 9001\n")
    secrets = write(
        tmp_path,
        f"[database]\nurl = 'postgresql://hub:{PASSWORD}@db/hub'\n"
        f"[web]\nsession_secret = '{SESSION_SECRET}'\nport = 9002\n",
        name="secrets.toml",
    )
    settings = load_settings(path, environ={"CROSSDOCK_SECRETS_FILE": str(secrets)})
    assert settings.database.url == f"postgresql+psycopg://hub:{PASSWORD}@db/hub"
    assert settings.web.session_secret is not None
    assert settings.web.session_secret.get_secret_value() == SESSION_SECRET
    assert settings.web.port == 9002

    environ = {"CROSSDOCK_SECRETS_FILE": str(secrets), "CROSSDOCK_WEB__SESSION_SECRET": "from-env"}
    settings = load_settings(path, environ=environ)
    assert settings.web.session_secret is not None
    assert settings.web.session_secret.get_secret_value() == "from-env"


def test_missing_secrets_file(tmp_path: Path) -> None:
    missing = tmp_path / "secrets.toml"
    assert problems_of(None, {"CROSSDOCK_SECRETS_FILE": str(missing)}) == [
        f"secrets file not found: {missing} (named by CROSSDOCK_SECRETS_FILE)"
    ]


def test_secrets_never_appear_in_errors(tmp_path: Path) -> None:
    path = write(tmp_path, TOML_WITH_SECRETS)
    secrets = write(tmp_path, f"[web]\nsession_secret = 42\nhost = ['{SESSION_SECRET}']\n", name="s.toml")
    environ = {
        "CROSSDOCK_SECRETS_FILE": str(secrets),
        "CROSSDOCK_DATABASE_URL": f"mysql://hub:{PASSWORD}@db/hub",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ)
    message = str(caught.value)
    assert (
        f"CROSSDOCK_DATABASE_URL: expected {DB_URL_FORMS} (got 'mysql://hub:***@db/hub')"
        in caught.value.problems
    )
    assert "web.session_secret: expected a string (got '***')" in caught.value.problems
    for text in (message, repr(caught.value)):
        assert PASSWORD not in text
        assert SESSION_SECRET not in text


def test_secrets_never_appear_in_settings_views(tmp_path: Path) -> None:
    environ = {
        "CROSSDOCK_DATABASE_URL": f"postgres://hub:{PASSWORD}@db/hub?password={PASSWORD}",
        "CROSSDOCK_WEB__SESSION_SECRET": SESSION_SECRET,
    }
    settings = load_settings(write(tmp_path, ""), environ=environ)
    view = describe(settings)
    assert view["database"] == {"url": "postgresql+psycopg://hub:***@db/hub?password=***"}
    assert view["web"]["session_secret"] == "***"
    assert settings.database.password_free_url == "postgresql+psycopg://hub:***@db/hub?password=***"
    for text in (repr(settings), str(settings), repr(settings.database), json.dumps(view)):
        assert PASSWORD not in text
        assert SESSION_SECRET not in text


def test_describe_is_json_ready(tmp_path: Path) -> None:
    path = write(tmp_path, "[[accounts]]\nid = 'acme'\nname = 'ACME'\n")
    view = describe(load_settings(path, environ={}))
    assert json.loads(json.dumps(view)) == view
    assert view["config_file"] == str(path)
    assert view["accounts"] == [
        {
            "id": "acme",
            "name": "ACME",
            "release_payment_statuses": ["paid"],
            "split_orders": False,
            "notify_customer": True,
        }
    ]
    assert view["web"] == {"host": "127.0.0.1", "port": 8000, "session_secret": None, "public_url": None}


def test_example_config_loads_to_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, example_config())
    loaded = load_settings(path, environ={})
    assert loaded.model_dump(exclude={"config_file"}) == Settings().model_dump(exclude={"config_file"})


def test_example_config_shows_every_key() -> None:
    text = example_config()
    written = tomllib.loads(text)
    for section, field in Settings.model_fields.items():
        if section in ("config_file", "accounts", "shops", "warehouses"):
            continue
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        for key in model.model_fields:
            assert key in written[section] or f"# {key}" in text, f"{section}.{key} missing from the example"
    assert "session_secret" not in written["web"]
    assert "# [[accounts]]" in text
    for key in ShopSettings.model_fields:
        assert f"# {key}" in text, f"shops.<key>.{key} missing from the example"
    assert "CROSSDOCK_SECRETS_FILE" in text
    for model in (WarehouseSettings, SftpSettings, X12PartnerSettings, X12FolderSettings):
        for key in model.model_fields:
            shown = f"# {key}" in text or f".{key}]" in text
            assert shown, f"warehouses.<key>.{model.__name__}.{key} missing from the example"


SHOP_CONFIG = """
[[accounts]]
id = "acme"
name = "Acme"

[shops.acme-main]
domain = "acme-main.myshopify.com"
account = "acme"
api_url = "http://127.0.0.1:8001"
"""


def test_shop_secrets_come_from_the_environment_by_shop_key(tmp_path: Path) -> None:
    path = write(tmp_path, SHOP_CONFIG)
    settings = load_settings(
        path,
        environ={
            "CROSSDOCK_SHOPS__ACME_MAIN__ACCESS_TOKEN": "shpat_secret",
            "CROSSDOCK_SHOPS__ACME_MAIN__APP_SECRET": "app-secret",
        },
    )
    key, shop = settings.shop("acme-main.myshopify.com")
    assert key == "acme-main" and settings.shop("acme-main")[1] is shop
    assert shop.access_token is not None and shop.access_token.get_secret_value() == "shpat_secret"
    assert shop.app_secret is not None and shop.app_secret.get_secret_value() == "app-secret"
    assert shop.base_url == "http://127.0.0.1:8001"
    assert describe(settings)["shops"]["acme-main"]["access_token"] == "***"
    with pytest.raises(LookupError, match=re.escape("known shops: acme-main (acme-main.myshopify.com)")):
        settings.shop("other.myshopify.com")


def test_shop_secrets_in_the_config_file_and_unknown_shop_variables_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, SHOP_CONFIG + 'access_token = "shpat_leaked"\n')
    assert problems_of(path, {"CROSSDOCK_SHOPS__ACME_MAINN__APP_SECRET": "x"}) == [
        "shops.acme-main.access_token: is a secret; secrets may only come from the environment "
        "(CROSSDOCK_SHOPS__ACME_MAIN__ACCESS_TOKEN) or the secrets file",
        "CROSSDOCK_SHOPS__ACME_MAINN__APP_SECRET: no [shops.<key>] table has this key "
        "(declared shops: acme-main)",
    ]


def test_a_shop_must_belong_to_a_declared_account(tmp_path: Path) -> None:
    path = write(tmp_path, SHOP_CONFIG.replace('account = "acme"', 'account = "acme-eu"'))
    assert problems_of(path, {}) == ["shops.acme-main.account: no [[accounts]] table has id 'acme-eu' (acme)"]


def test_shop_secrets_from_the_secrets_file(tmp_path: Path) -> None:
    path = write(tmp_path, SHOP_CONFIG)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[shops.acme-main]\napp_secret = "from-file"\n')
    settings = load_settings(path, environ={"CROSSDOCK_SECRETS_FILE": str(secrets)})
    secret = settings.shops["acme-main"].app_secret
    assert secret is not None and secret.get_secret_value() == "from-file"


def _example_warehouse_block() -> str:
    """The commented [warehouses.east-3pl…] tables of the example, uncommented: its table headers and
    ``key = value`` lines (the prose, and the password line, stay out)."""
    text = example_config()
    block = text[text.index("# [warehouses.east-3pl]") :]
    lines = [line.removeprefix("# ") for line in block.splitlines()]
    return "\n".join(line for line in lines if line.startswith("[") or re.match(r"^\w+ = ", line))


WAREHOUSE_ACCOUNT = """
[[accounts]]
id = "acme"
name = "Acme"
"""


def test_example_warehouse_tables_load(tmp_path: Path) -> None:
    path = write(tmp_path, WAREHOUSE_ACCOUNT + _example_warehouse_block())
    settings = load_settings(path, environ={"CROSSDOCK_WAREHOUSES__EAST_3PL__SFTP_PASSWORD": "s3cret"})
    warehouse = settings.warehouse("east-3pl")
    assert warehouse.x12.receiver_id == "EAST3PL" and warehouse.x12.carriers == {"ABCD": "Local Courier"}
    assert warehouse.sftp.password is not None and warehouse.sftp.password.get_secret_value() == "s3cret"
    assert describe(settings)["warehouses"]["east-3pl"]["sftp"]["password"] == "***"


def test_the_readme_warehouse_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## 3PL warehouses") :]
    example = section[
        section.index("```toml") + len("```toml") : section.index("```\n", section.index("```toml") + 7)
    ]
    path = write(tmp_path, WAREHOUSE_ACCOUNT + example)
    settings = load_settings(path, environ={"CROSSDOCK_WAREHOUSES__EAST_3PL__SFTP_PASSWORD": "s3cret"})
    warehouse = settings.warehouse("east-3pl")
    assert warehouse.folders.inbound == "/out" and warehouse.x12.order_outcomes == "870"


def test_warehouse_password_is_refused_in_the_config_file(tmp_path: Path) -> None:
    block = _example_warehouse_block().replace('username = "acme"', 'username = "acme"\npassword = "oops"')
    path = write(tmp_path, WAREHOUSE_ACCOUNT + block)
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={})
    assert "warehouses.east-3pl.sftp.password: is a secret" in str(raised.value)
    assert "CROSSDOCK_WAREHOUSES__EAST_3PL__SFTP_PASSWORD" in str(raised.value)
    assert "oops" not in str(raised.value)


def test_warehouse_needs_a_declared_account_and_a_known_key(tmp_path: Path) -> None:
    path = write(tmp_path, _example_warehouse_block())
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={"CROSSDOCK_WAREHOUSES__WEST__SFTP_PASSWORD": "x"})
    problems = str(raised.value)
    assert "warehouses.east-3pl.accounts[0]: no [[accounts]] table has id 'acme'" in problems
    unknown = "CROSSDOCK_WAREHOUSES__WEST__SFTP_PASSWORD: not the SFTP password of a declared warehouse"
    assert unknown in problems
    with pytest.raises(LookupError, match="known warehouses: none"):
        Settings().warehouse("east-3pl")


def _example_alerts_block() -> str:
    """The commented [alerts.smtp] and [[alerts.rules]] tables of the example, uncommented."""
    text = example_config()
    block = text[text.index("# [alerts.smtp]") : text.index("# [[accounts]]")]
    lines = [line.removeprefix("# ") for line in block.splitlines()]
    return "\n".join(line for line in lines if line.startswith("[") or re.match(r"^\w+ = ", line))


ALERT_WEBHOOK = "https://hooks.slack.com/services/T0001/B0001/sEcReTtOkEn"


def test_example_alert_tables_load_with_their_secrets_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, _example_alerts_block())
    environ = {
        "CROSSDOCK_ALERTS__SMTP__PASSWORD": "smtp-pw-1",
        "CROSSDOCK_ALERTS__RULES__OPS__WEBHOOK_URL": ALERT_WEBHOOK,
        "CROSSDOCK_ALERTS__GROUP_SECONDS": "120",
    }
    settings = load_settings(path, environ=environ)
    alerts = settings.alerts
    assert alerts.group_seconds == 120
    assert alerts.smtp is not None and alerts.smtp.port == 25 and alerts.smtp.username == "crossdock"
    assert alerts.smtp.password is not None and alerts.smtp.password.get_secret_value() == "smtp-pw-1"
    ops = alerts.rule("ops")
    assert (ops.types, ops.min_severity, ops.accounts, ops.email_to) == ([], "error", [], ["ops@example.com"])
    assert ops.webhook_url is not None and ops.webhook_url.get_secret_value() == ALERT_WEBHOOK
    view = json.dumps(describe(settings))
    assert ALERT_WEBHOOK not in view and "smtp-pw-1" not in view
    assert describe(settings)["alerts"]["rules"][0]["webhook_url"] == "***"
    with pytest.raises(LookupError, match="known rules: ops"):
        alerts.rule("billing")


def test_example_config_shows_every_alert_key() -> None:
    block = _example_alerts_block()
    for model in (SmtpSettings, AlertRuleSettings):
        for key in model.model_fields:
            shown = f"\n{key} = " in f"\n{block}" or f"# {key}:" in example_config()
            assert shown, f"{model.__name__}.{key} missing from the example"


ALERT_RULES = """
[[accounts]]
id = "acme"
name = "Acme"

[alerts.smtp]
host = "127.0.0.1"
sender = "hub@example.com"

[[alerts.rules]]
name = "ops"
email_to = ["ops@example.com"]

[[alerts.rules]]
name = "acme-errors"
accounts = ["acme"]
"""


def test_alert_secrets_in_the_config_file_are_refused_and_named_by_their_variables(tmp_path: Path) -> None:
    text = ALERT_RULES.replace(
        'sender = "hub@example.com"', 'sender = "hub@example.com"\npassword = "leak-1"'
    )
    text = text.replace('accounts = ["acme"]', f'accounts = ["acme"]\nwebhook_url = "{ALERT_WEBHOOK}"')
    with pytest.raises(ConfigError) as raised:
        load_settings(write(tmp_path, text), environ={})
    assert raised.value.problems == [
        "alerts.smtp.password: is a secret; secrets may only come from the environment "
        "(CROSSDOCK_ALERTS__SMTP__PASSWORD) or the secrets file",
        "alerts.rules[1].webhook_url: is a secret; secrets may only come from the environment "
        "(CROSSDOCK_ALERTS__RULES__ACME_ERRORS__WEBHOOK_URL) or the secrets file",
    ]
    assert "leak-1" not in str(raised.value) and ALERT_WEBHOOK not in str(raised.value)


def test_alert_webhooks_come_from_the_secrets_file_by_rule_name(tmp_path: Path) -> None:
    path = write(tmp_path, ALERT_RULES)
    secrets = write(
        tmp_path,
        f'[[alerts.rules]]\nname = "acme-errors"\nwebhook_url = "{ALERT_WEBHOOK}"\n',
        name="secrets.toml",
    )
    settings = load_settings(path, environ={"CROSSDOCK_SECRETS_FILE": str(secrets)})
    acme = settings.alerts.rule("acme-errors")
    assert acme.webhook_url is not None and acme.webhook_url.get_secret_value() == ALERT_WEBHOOK
    assert acme.accounts == ["acme"]  # the config file's rule, completed rather than replaced
    assert settings.alerts.rule("ops").webhook_url is None

    secrets.write_text(f'[[alerts.rules]]\nname = "billing"\nwebhook_url = "{ALERT_WEBHOOK}"\n')
    assert problems_of(path, {"CROSSDOCK_SECRETS_FILE": str(secrets)}) == [
        "alerts.rules[0] of the secrets file: no [[alerts.rules]] table of the config file has the name "
        "'billing' (declared rules: acme-errors, ops)"
    ]


def test_alert_variables_must_name_a_declared_rule_and_a_secret(tmp_path: Path) -> None:
    path = write(tmp_path, ALERT_RULES)
    environ = {
        "CROSSDOCK_ALERTS__RULES__OPZ__WEBHOOK_URL": ALERT_WEBHOOK,
        "CROSSDOCK_ALERTS__SMTP__HOST": "mail.example.com",
        "CROSSDOCK_ALERTS__RULES__OPS__WEBHOOK_URL": "ftp://not-a-webhook/sEcReT",
    }
    problems = problems_of(path, environ)
    assert problems == [
        "CROSSDOCK_ALERTS__RULES__OPZ__WEBHOOK_URL: not the webhook URL of a declared rule "
        "(CROSSDOCK_ALERTS__RULES__<NAME>__WEBHOOK_URL; declared rules: acme-errors, ops)",
        "CROSSDOCK_ALERTS__SMTP__HOST: only the SMTP password comes from the environment "
        "(CROSSDOCK_ALERTS__SMTP__PASSWORD); set the other [alerts.smtp] keys in the config file",
        "CROSSDOCK_ALERTS__RULES__OPS__WEBHOOK_URL: expected an http(s) URL, e.g. "
        "'https://hooks.slack.com/services/…' (got '***')",
    ]


def test_alert_rules_are_checked_against_each_other_the_accounts_and_smtp(tmp_path: Path) -> None:
    no_smtp = ALERT_RULES.replace('[alerts.smtp]\nhost = "127.0.0.1"\nsender = "hub@example.com"\n', "")
    assert problems_of(write(tmp_path, no_smtp), {}) == [
        "alerts.rules[0].email_to: sending e-mail needs an [alerts.smtp] table"
    ]
    twice = ALERT_RULES.replace('name = "acme-errors"', 'name = "ops"')
    assert problems_of(write(tmp_path, twice), {}) == ["alerts.rules[1].name: duplicate rule name 'ops'"]
    stranger = ALERT_RULES.replace('accounts = ["acme"]', 'accounts = ["acme", "globex"]')
    assert problems_of(write(tmp_path, stranger), {}) == [
        "alerts.rules[1].accounts[1]: no [[accounts]] table has id 'globex' (acme)"
    ]
    wrong = ALERT_RULES.replace('email_to = ["ops@example.com"]', 'email_to = ["ops"]\nmin_severity = "high"')
    assert problems_of(write(tmp_path, wrong), {}) == [
        "alerts.rules[0].min_severity: expected one of 'info', 'warning', 'error', 'critical' (got 'high')",
        "alerts.rules[0].email_to[0]: expected a list of e-mail addresses, e.g. ['ops@example.com'] "
        "(got 'ops')",
    ]


def test_an_smtp_login_needs_both_username_and_password(tmp_path: Path) -> None:
    with_user = ALERT_RULES.replace(
        'sender = "hub@example.com"', 'sender = "hub@example.com"\nusername = "hub"'
    )
    assert problems_of(write(tmp_path, with_user), {}) == [
        "alerts.smtp.password: a username needs a password, from the environment "
        "(CROSSDOCK_ALERTS__SMTP__PASSWORD) or the secrets file"
    ]
    assert problems_of(write(tmp_path, ALERT_RULES), {"CROSSDOCK_ALERTS__SMTP__PASSWORD": "pw-2"}) == [
        "alerts.smtp.username: a password needs a username"
    ]
    settings = load_settings(write(tmp_path, with_user), environ={"CROSSDOCK_ALERTS__SMTP__PASSWORD": "pw-2"})
    assert settings.alerts.smtp is not None and settings.alerts.smtp.username == "hub"
