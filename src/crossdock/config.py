"""crossdock configuration: crossdock.toml, an optional secrets file and CROSSDOCK_* environment variables.

The three sources are merged by hand (defaults < crossdock.toml < secrets file < environment) and validated
once with pydantic, so that each problem can be reported against the key or variable the user actually wrote.
"""

import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from crossdock.redaction import has_url_password, mask_url_passwords

__all__ = [
    "AccountSettings",
    "AlertRuleSettings",
    "AlertSettings",
    "ConfigError",
    "DatabaseSettings",
    "JobSettings",
    "LogSettings",
    "Settings",
    "SftpSettings",
    "ShopSettings",
    "ShopifySettings",
    "SmtpSettings",
    "WarehouseSettings",
    "WebSettings",
    "X12FolderSettings",
    "X12PartnerSettings",
    "describe",
    "example_config",
    "load_settings",
]

Loc = tuple[str | int, ...]

_ENV_ALIASES: dict[str, tuple[str, str]] = {
    "CROSSDOCK_DATABASE_URL": ("database", "url"),
    "CROSSDOCK_EXECUTOR_ID": ("jobs", "executor_id"),
}
_ModuleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")]
_PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False, description="a number greater than 0")]
_DB_URL_FORMS = "'sqlite:///<path>' or 'postgresql+psycopg://<user>@<host>/<database>'"
_SLUG = r"^[a-z0-9-]{1,63}$"
_SLUG_TEXT = "a slug of 1 to 63 lowercase letters, digits or '-'"
# Environment variables that set one field of one shop: CROSSDOCK_SHOPS__<KEY>__<FIELD>, where <KEY> is the
# shop's key in [shops.<key>] upper-cased with '-' written '_' (variable names cannot hold a dash).
_SHOP_ENV_PREFIX = "CROSSDOCK_SHOPS__"
# The one secret of a warehouse, its SFTP password: CROSSDOCK_WAREHOUSES__<KEY>__SFTP_PASSWORD.
_WAREHOUSE_ENV_PREFIX = "CROSSDOCK_WAREHOUSES__"
_WAREHOUSE_PASSWORD_FIELD = "SFTP_PASSWORD"
# The secrets of alerts: the SMTP password, and each rule's webhook URL (a Slack incoming webhook's URL is its
# credential): CROSSDOCK_ALERTS__SMTP__PASSWORD and CROSSDOCK_ALERTS__RULES__<NAME>__WEBHOOK_URL.
_SMTP_PASSWORD_ENV = "CROSSDOCK_ALERTS__SMTP__PASSWORD"
_SMTP_ENV_PREFIX = "CROSSDOCK_ALERTS__SMTP__"
_RULE_ENV_PREFIX = "CROSSDOCK_ALERTS__RULES__"
_RULE_WEBHOOK_FIELD = "WEBHOOK_URL"


class ConfigError(Exception):
    """The configuration cannot be used; ``str()`` lists every problem, one per line, secrets masked."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


def _problem(message: str, *subloc: str | int) -> PydanticCustomError:
    """A validation error shown as is; ``subloc`` points below the location of the validator raising it."""
    return PydanticCustomError("crossdock", message, {"subloc": subloc})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = Field(default="sqlite:///crossdock.db", description=_DB_URL_FORMS)

    @field_validator("url")
    @classmethod
    def _normalise_url(cls, url: str) -> str:
        for alias in ("postgresql://", "postgres://"):
            if url.startswith(alias):
                return "postgresql+psycopg://" + url.removeprefix(alias)
        if url.startswith("postgresql+psycopg://"):
            return url
        if url.startswith("sqlite:///"):
            if url.removeprefix("sqlite:///").partition("?")[0] in ("", ":memory:"):
                raise _problem(
                    "an in-memory SQLite database cannot be used because the job engine needs a file; "
                    "expected 'sqlite:///<path>', e.g. 'sqlite:///crossdock.db'"
                )
            return url
        raise _problem(f"expected {_DB_URL_FORMS}")

    @property
    def password_free_url(self) -> str:
        return mask_url_passwords(self.url)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        yield "url", self.password_free_url


class WebSettings(_Section):
    host: str = Field(default="127.0.0.1", min_length=1, description="a host name or IP address to listen on")
    port: int = Field(default=8000, ge=1, le=65535, description="an integer from 1 to 65535")
    session_secret: SecretStr | None = Field(default=None, description="a string")
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/\s]+(/[^\s]*)?$",
        description="an http(s) URL such as 'https://hub.example.com'",
    )

    @field_validator("public_url")
    @classmethod
    def _strip_trailing_slash(cls, url: str | None) -> str | None:
        return None if url is None else url.rstrip("/")


class JobSettings(_Section):
    executor_id: str | None = Field(default=None, min_length=1, description="a non-empty string")
    poll_interval_ms: int = Field(default=50, ge=1, le=5000, description="an integer from 1 to 5000")
    worker_concurrency: int = Field(default=16, ge=1, le=512, description="an integer from 1 to 512")
    max_attempts: int = Field(default=5, ge=1, le=100, description="an integer from 1 to 100")
    retry_base_seconds: _PositiveNumber = 2.0
    retry_max_seconds: _PositiveNumber = 900.0
    heartbeat_seconds: _PositiveNumber = 5.0
    extra_modules: list[_ModuleName] = Field(
        default_factory=list, description="a list of dotted module names, e.g. ['myplugin.jobs']"
    )

    @model_validator(mode="after")
    def _check_retry_bounds(self) -> Self:
        if self.retry_max_seconds < self.retry_base_seconds:
            raise _problem(
                f"expected a number at least retry_base_seconds ({self.retry_base_seconds}) "
                f"(got {self.retry_max_seconds})",
                "retry_max_seconds",
            )
        return self


class LogSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"


_ReleasingPaymentStatus = Literal["paid", "partially_paid", "authorized", "pending", "partially_refunded"]


class AccountSettings(_Section):
    id: str = Field(pattern=_SLUG, description=_SLUG_TEXT)
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        description="a non-empty string"
    )
    # Governance of this account's orders: the Shopify payment states that release an order to a warehouse
    # (others hold it until paid), whether one order may be split across warehouses, and whether the buyer
    # gets Shopify's shipping e-mail when a fulfillment is created.
    release_payment_statuses: list[_ReleasingPaymentStatus] = Field(
        default_factory=lambda: list[_ReleasingPaymentStatus](["paid"]),
        min_length=1,
        description="a non-empty list of payment states",
    )
    split_orders: bool = False
    notify_customer: bool = True


class ShopifySettings(_Section):
    """How the hub talks to every Shopify store (each store is a [shops.<key>] table)."""

    poll_interval_seconds: int = Field(
        default=300, ge=10, le=86_400, description="an integer from 10 to 86400 (seconds)"
    )
    poll_overlap_seconds: int = Field(default=300, ge=0, le=86_400, description="an integer from 0 to 86400")
    request_timeout_seconds: _PositiveNumber = 30.0
    max_attempts: int = Field(default=5, ge=1, le=20, description="an integer from 1 to 20")


class ShopSettings(_Section):
    domain: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$",
        description="the shop's permanent domain, e.g. 'acme-outdoor.myshopify.com'",
    )
    account: str = Field(pattern=_SLUG, description="the id of an [[accounts]] table")
    api_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/\s]+$",
        description="an http(s) URL without a path, e.g. 'http://127.0.0.1:8001' (a sandbox)",
    )
    access_token: SecretStr | None = Field(default=None, description="the Admin API access token")
    app_secret: SecretStr | None = Field(default=None, description="the app's client secret")
    # The merchant installed crossdock as the store's fulfillment service: the warehouse's location belongs
    # to the app, and the merchant's fulfillment and cancellation requests on fulfillment orders come to
    # crossdock, which accepts or rejects them as the warehouse answers the order.
    fulfillment_service: bool = False

    @property
    def base_url(self) -> str:
        """Where the Admin API is: the shop's own domain unless api_url points elsewhere (a sandbox)."""
        return self.api_url or f"https://{self.domain}"


_X12_ID = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 ._-]{1,15}$")]
_X12_QUALIFIER = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{2}$")]
_X12_GS_CODE = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 ._-]{2,15}$")]
_REMOTE_FOLDER = Annotated[str, StringConstraints(pattern=r"^/[^\s]*$")]


class SftpSettings(_Section):
    """The partner's SFTP server, where both sides drop their files."""

    host: str = Field(min_length=1, description="a host name or address")
    port: int = Field(default=22, ge=1, le=65_535, description="an integer from 1 to 65535")
    username: str = Field(min_length=1, description="a non-empty string")
    password: SecretStr | None = Field(default=None, description="the SFTP password")
    private_key_file: Path | None = Field(default=None, description="a path to an OpenSSH private key")
    # A known_hosts file listing the server's key. Unset: the key is not checked, which is only acceptable
    # on a local network or against the sandbox; `crossdock x12 check` warns about it.
    known_hosts_file: Path | None = Field(default=None, description="a path to a known_hosts file")
    timeout_seconds: _PositiveNumber = 30.0


class X12FolderSettings(_Section):
    """Remote folders, as absolute paths on the SFTP server."""

    outbound: _REMOTE_FOLDER = Field(default="/in", description="where the hub uploads (the 3PL's inbox)")
    inbound: _REMOTE_FOLDER = Field(default="/out", description="where the 3PL drops files for the hub")
    archive: _REMOTE_FOLDER = Field(default="/out/archive", description="where processed files are moved")
    error: _REMOTE_FOLDER = Field(default="/out/error", description="where unreadable files are moved")


class X12PartnerSettings(_Section):
    """One trading partner: who is who in the envelopes, which version, where tracking numbers sit."""

    version: Literal["004010", "005010"] = "004010"
    # ISA-05/06 and ISA-07/08: the hub's and the partner's interchange qualifier and id.
    sender_qualifier: _X12_QUALIFIER = "ZZ"
    sender_id: _X12_ID = Field(description="the hub's interchange id, agreed with the partner")
    receiver_qualifier: _X12_QUALIFIER = "ZZ"
    receiver_id: _X12_ID = Field(description="the partner's interchange id")
    # GS-02/GS-03 application codes; default to the interchange ids.
    application_sender: _X12_GS_CODE | None = None
    application_receiver: _X12_GS_CODE | None = None
    usage: Literal["P", "T"] = Field(default="P", description="'P' production or 'T' test (ISA-15)")
    # The depositor (the merchant) as the 3PL knows it: W05-02 of a 940, N1*DE.
    depositor_code: str | None = None
    # Where a 945 carries each parcel's tracking number: "MAN" (marks and numbers, MAN-02 with MAN-01 "CP")
    # or "N9" (a reference with the qualifier below).
    tracking_location: Literal["MAN", "N9"] = "MAN"
    tracking_n9_qualifier: str = Field(default="2I", min_length=2, max_length=3)
    # SCAC → carrier name as Shopify spells it, added to (and overriding) the built-in table.
    carriers: dict[str, str] = Field(default_factory=dict)
    # How the partner tells the outcome of an order or a cancellation: "870" Order Status Reports (accepted,
    # rejected, picking, cancellation confirmed or refused), or "997" when it sends none and means its 997
    # business-level (an accepted 940 N is an accepted order, an accepted 940 F a done cancellation).
    # Either way a 997 that rejects a 940 means the order or the cancellation did not happen.
    order_outcomes: Literal["870", "997"] = "870"
    # File names the hub writes: {set} (940, 180, 997), {control} (interchange control number), {key}.
    file_name: str = "{set}_{control}.edi"
    # A 940 or 180 not acknowledged by a 997 after this many minutes raises an exception.
    acknowledgment_timeout_minutes: int = Field(default=60, ge=1, le=10_080, description="1 to 10080")
    # How often the inbound folder is read (below a second: several times within each second's collection
    # job, over one session), and how long a file's size must stay the same before a file that was not
    # renamed into place is taken as complete.
    poll_interval_seconds: float = Field(default=60, ge=0.25, le=86_400, description="0.25 to 86400")
    stable_seconds: float = Field(default=2.0, ge=0, le=3_600, description="0 to 3600")

    @property
    def gs_sender(self) -> str:
        return self.application_sender or self.sender_id.strip()

    @property
    def gs_receiver(self) -> str:
        return self.application_receiver or self.receiver_id.strip()


class WarehouseSettings(_Section):
    """A 3PL site reached through one connector. The same warehouse may serve several accounts."""

    name: str = Field(min_length=1, description="a non-empty string")
    accounts: list[str] = Field(min_length=1, description="ids of [[accounts]] tables")
    connector: Literal["x12"] = "x12"
    # Routing: the destination countries it ships to (ISO codes; empty: any), its rank among the account's
    # warehouses (lower first), and the Shopify locations (names or ids) whose orders always go to it.
    countries: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    priority: int = Field(default=100, ge=0, le=10_000, description="an integer from 0 to 10000")
    shopify_locations: list[str] = Field(default_factory=list)
    sftp: SftpSettings
    x12: X12PartnerSettings
    folders: X12FolderSettings = Field(default_factory=X12FolderSettings)


_ShopKey = Annotated[str, StringConstraints(pattern=_SLUG)]


class InventorySettings(_Section):
    """How stock goes to Shopify. Available-to-sell = what the warehouse reports - units of orders it may
    not have counted yet - safety stock, never below zero."""

    # Units kept off sale everywhere, and per SKU (which wins over the default).
    safety_stock: int = Field(default=0, ge=0, le=1_000_000, description="an integer from 0 to 1000000")
    safety_stock_per_sku: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    # When Shopify holds another value than the hub last set (someone changed it there): "warehouse_wins"
    # sets it back to the warehouse's figure, "alert_only" leaves it; both open a stock_discrepancy.
    on_discrepancy: Literal["warehouse_wins", "alert_only"] = "warehouse_wins"
    # Every so often every level is compared with Shopify's, whether or not anything changed.
    full_comparison_minutes: int = Field(default=60, ge=1, le=10_080, description="1 to 10080")


# The severities of crossdock.store.exceptions.Severity (the settings do not import the store).
_Severity = Literal["info", "warning", "error", "critical"]
_ExceptionType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
_EmailAddress = Annotated[str, StringConstraints(pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")]
_WEBHOOK_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")


class SmtpSettings(_Section):
    """The mail server alerts are sent through."""

    host: str = Field(min_length=1, description="a host name or address")
    port: int = Field(default=25, ge=1, le=65_535, description="an integer from 1 to 65535")
    sender: _EmailAddress = Field(description="an e-mail address, e.g. 'crossdock@example.com'")
    username: str | None = Field(default=None, min_length=1, description="a non-empty string")
    password: SecretStr | None = Field(default=None, description="the SMTP password")
    starttls: bool = False
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, allow_inf_nan=False, description="a number above 0, at most 60"
    )

    @model_validator(mode="after")
    def _check_credentials_come_together(self) -> Self:
        if self.password is not None and self.username is None:
            raise _problem("a password needs a username", "username")
        if self.username is not None and self.password is None:
            raise _problem(
                f"a username needs a password, from the environment ({_SMTP_PASSWORD_ENV}) or the secrets "
                "file",
                "password",
            )
        return self


class AlertRuleSettings(_Section):
    """Which exceptions go where: those of the listed types (all when empty), at least as severe as
    min_severity, of the listed accounts (all when empty), to a webhook, to e-mail addresses, or both."""

    name: str = Field(pattern=_SLUG, description=_SLUG_TEXT)
    types: list[_ExceptionType] = Field(
        default_factory=list, description="a list of exception types, e.g. ['dead_letter', 'executor_lost']"
    )
    min_severity: _Severity = "error"
    accounts: list[str] = Field(default_factory=list, description="ids of [[accounts]] tables")
    webhook_url: SecretStr | None = Field(
        default=None, description="an http(s) URL, e.g. a Slack incoming webhook's"
    )
    email_to: list[_EmailAddress] = Field(
        default_factory=list, description="a list of e-mail addresses, e.g. ['ops@example.com']"
    )

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not _WEBHOOK_URL.match(url.get_secret_value()):
            raise _problem("expected an http(s) URL, e.g. 'https://hooks.slack.com/services/…'")
        return url


class AlertSettings(_Section):
    """Alerts: exceptions opened or seen again are sent, per rule, in one message per window."""

    group_seconds: int = Field(default=60, ge=10, le=86_400, description="an integer from 10 to 86400")
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, allow_inf_nan=False, description="a number above 0, at most 60"
    )
    smtp: SmtpSettings | None = Field(default=None, description="an [alerts.smtp] table")
    rules: list[AlertRuleSettings] = Field(default_factory=list, description="a list of [[alerts.rules]]")

    @model_validator(mode="after")
    def _check_rules(self) -> Self:
        seen: set[str] = set()
        for index, rule in enumerate(self.rules):
            if rule.name in seen:
                raise _problem(f"duplicate rule name {rule.name!r}", "rules", index, "name")
            seen.add(rule.name)
            if rule.email_to and self.smtp is None:
                raise _problem("sending e-mail needs an [alerts.smtp] table", "rules", index, "email_to")
        return self

    def rule(self, name: str) -> AlertRuleSettings:
        """The rule of this name; LookupError names the known ones."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(rule.name for rule in self.rules) or "none"
        raise LookupError(f"no alert rule {name!r} in the configuration; known rules: {known}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description="a [database] table")
    web: WebSettings = Field(default_factory=WebSettings, description="a [web] table")
    jobs: JobSettings = Field(default_factory=JobSettings, description="a [jobs] table")
    log: LogSettings = Field(default_factory=LogSettings, description="a [log] table")
    accounts: list[AccountSettings] = Field(default_factory=list, description="a list of [[accounts]] tables")
    shopify: ShopifySettings = Field(default_factory=ShopifySettings, description="a [shopify] table")
    shops: dict[_ShopKey, ShopSettings] = Field(
        default_factory=dict, description=f"[shops.<key>] tables, each key {_SLUG_TEXT}"
    )
    warehouses: dict[_ShopKey, WarehouseSettings] = Field(
        default_factory=dict, description=f"[warehouses.<key>] tables, each key {_SLUG_TEXT}"
    )
    inventory: InventorySettings = Field(
        default_factory=InventorySettings, description="an [inventory] table"
    )
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="an [alerts] table")
    config_file: Path | None = None

    @model_validator(mode="after")
    def _check_shops(self) -> Self:
        accounts = {account.id for account in self.accounts}
        domains: dict[str, str] = {}
        for key, shop in self.shops.items():
            if shop.account not in accounts:
                known = ", ".join(sorted(accounts)) or "none is declared"
                raise _problem(
                    f"no [[accounts]] table has id {shop.account!r} ({known})", "shops", key, "account"
                )
            if shop.domain in domains:
                raise _problem(f"shop {domains[shop.domain]!r} has the same domain", "shops", key, "domain")
            domains[shop.domain] = key
        return self

    @model_validator(mode="after")
    def _check_warehouses(self) -> Self:
        accounts = {account.id for account in self.accounts}
        for key, warehouse in self.warehouses.items():
            for index, account in enumerate(warehouse.accounts):
                if account not in accounts:
                    known = ", ".join(sorted(accounts)) or "none is declared"
                    problem = f"no [[accounts]] table has id {account!r} ({known})"
                    raise _problem(problem, "warehouses", key, "accounts", index)
        return self

    @model_validator(mode="after")
    def _check_alert_accounts(self) -> Self:
        accounts = {account.id for account in self.accounts}
        for index, rule in enumerate(self.alerts.rules):
            for position, account in enumerate(rule.accounts):
                if account not in accounts:
                    known = ", ".join(sorted(accounts)) or "none is declared"
                    problem = f"no [[accounts]] table has id {account!r} ({known})"
                    raise _problem(problem, "alerts", "rules", index, "accounts", position)
        return self

    def warehouse(self, key: str) -> WarehouseSettings:
        """The warehouse named by its key; LookupError names the known ones."""
        if key in self.warehouses:
            return self.warehouses[key]
        known = ", ".join(sorted(self.warehouses)) or "none"
        raise LookupError(f"no warehouse {key!r} in the configuration; known warehouses: {known}")

    def shop(self, key_or_domain: str) -> tuple[str, ShopSettings]:
        """The shop named by its key or its domain; LookupError names the known ones."""
        for key, shop in self.shops.items():
            if key_or_domain in (key, shop.domain):
                return key, shop
        known = ", ".join(f"{key} ({shop.domain})" for key, shop in self.shops.items()) or "none"
        raise LookupError(f"no shop {key_or_domain!r} in the configuration; known shops: {known}")

    @model_validator(mode="after")
    def _check_unique_account_ids(self) -> Self:
        seen: set[str] = set()
        for index, account in enumerate(self.accounts):
            if account.id in seen:
                raise _problem(f"duplicate account id {account.id!r}", "accounts", index, "id")
            seen.add(account.id)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings() owns the merging; a bare Settings(...) must not read the process environment.
        return (init_settings,)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) in (Union, UnionType):  # an optional table: `SmtpSettings | None`
        members = [member for member in get_args(annotation) if member is not type(None)]
        annotation = members[0] if len(members) == 1 else annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    elif get_origin(annotation) is dict:
        annotation = get_args(annotation)[1]
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _walk(loc: Loc) -> tuple[FieldInfo | None, type[BaseModel] | None]:
    """The field a location points at (list indexes skipped) and the model found there, if any."""
    field: FieldInfo | None = None
    model: type[BaseModel] | None = Settings
    keyed = False  # the previous part was a table of tables: this part is a key, not a field
    for part in loc:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        if model is None or part not in model.model_fields:
            return None, None
        field = model.model_fields[part]
        model = _model_in(field.annotation)
        keyed = get_origin(field.annotation) is dict
    return field, model


def _is_secret(field: FieldInfo | None) -> bool:
    return field is not None and SecretStr in (field.annotation, *get_args(field.annotation))


def _env_locs() -> Iterator[tuple[str, str]]:
    """(section, key) of every setting that an environment variable can set (not the tables inside a
    section, such as [alerts.smtp], whose secrets have variables of their own)."""
    for section, section_field in Settings.model_fields.items():
        model = _model_in(section_field.annotation)
        if model is not None and get_origin(section_field.annotation) not in (list, dict):
            yield from (
                (section, key)
                for key, field in model.model_fields.items()
                if _model_in(field.annotation) is None
            )


def _env_name(loc: tuple[str, str]) -> str:
    aliases = {alias_loc: alias for alias, alias_loc in _ENV_ALIASES.items()}
    return aliases.get(loc, f"CROSSDOCK_{loc[0]}__{loc[1]}".upper())


def _dotted(loc: Loc) -> str:
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" if i else part for i, part in enumerate(loc)
    )


def _known_keys(table: Loc) -> str:
    model = _walk(table)[1]
    keys = ", ".join(key for key in (model.model_fields if model else ()) if key != "config_file")
    if not table:
        return f"known top-level keys: {keys}"
    name = ".".join(str(part) for part in table if isinstance(part, str))
    return f"known keys in {f'[[{name}]]' if isinstance(table[-1], int) else f'[{name}]'}: {keys}"


def _shop_secret_keys() -> list[str]:
    return [key for key, field in ShopSettings.model_fields.items() if _is_secret(field)]


def _describe_error(error: ErrorDetails, env_names: Mapping[Loc, str]) -> str:
    loc: Loc = (*error["loc"], *(error.get("ctx") or {}).get("subloc", ()))
    source = next((env_names[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in env_names), _dotted(loc))
    if error["type"] == "missing":
        return f"{source}: required"
    if error["type"] == "extra_forbidden":
        return f"{source}: unknown key ({_known_keys(loc[:-1])})"
    field = _walk(loc)[0]
    if error["type"] == "crossdock":
        text = error["msg"]
    elif field is not None and field.description:
        text = f"expected {field.description}"
    elif field is not None and get_origin(field.annotation) is Literal:
        text = "expected one of " + ", ".join(repr(choice) for choice in get_args(field.annotation))
    else:
        text = error["msg"]
    # Tables and lists are left out: they are long, and a misplaced one could carry a secret.
    if not isinstance(error["input"], dict | list | BaseModel):
        shown = "'***'" if _is_secret(field) else mask_url_passwords(repr(error["input"]))
        text += f" (got {shown})"
    return f"{source}: {text}"


def _read_toml(path: Path, what: str, named_by: str | None) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        named = f" (named by {named_by})" if named_by else ""
        raise ConfigError([f"{what} not found: {path}{named}"]) from None
    except tomllib.TOMLDecodeError as error:
        # Python 3.11 has no lineno/colno attributes; the position is only in the message.
        where = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(error))
        if where is None:
            raise ConfigError([f"{path}: invalid TOML: {error}"]) from None
        reason = str(error)[: where.start()]
        raise ConfigError([f"{path}:{where[1]}:{where[2]}: invalid TOML: {reason}"]) from None
    except OSError as error:
        raise ConfigError([f"{path}: cannot read {what}: {error.strerror}"]) from None


def _check_file(data: dict[str, Any], *, refuse_secrets: bool) -> list[str]:
    """Problems the model cannot see: a file trying to set config_file, and secrets in crossdock.toml.

    Offending keys are removed so that validation can still report everything else in the same run.
    """
    problems = []
    if data.pop("config_file", None) is not None:
        problems.append(f"config_file: unknown key ({_known_keys(())})")
    for loc in _env_locs() if refuse_secrets else ():
        table, key = data.get(loc[0]), loc[1]
        if not isinstance(table, dict) or key not in table:
            continue
        if _is_secret(_walk(loc)[0]):
            reason = "is a secret"
        elif loc == ("database", "url") and isinstance(table[key], str) and has_url_password(table[key]):
            reason = "contains a password"
        else:
            continue
        del table[key]
        problems.append(
            f"{_dotted(loc)}: {reason}; secrets may only come from the environment ({_env_name(loc)}) "
            "or the secrets file"
        )
    shops = data.get("shops") if refuse_secrets else None
    for shop_key, shop in shops.items() if isinstance(shops, dict) else ():
        for key in _shop_secret_keys():
            if isinstance(shop, dict) and key in shop:
                del shop[key]
                variable = _shop_env_name(str(shop_key), key)
                problems.append(
                    f"shops.{shop_key}.{key}: is a secret; secrets may only come from the environment "
                    f"({variable}) or the secrets file"
                )
    warehouses = data.get("warehouses") if refuse_secrets else None
    for warehouse_key, warehouse in warehouses.items() if isinstance(warehouses, dict) else ():
        sftp = warehouse.get("sftp") if isinstance(warehouse, dict) else None
        if isinstance(sftp, dict) and "password" in sftp:
            del sftp["password"]
            problems.append(
                f"warehouses.{warehouse_key}.sftp.password: is a secret; secrets may only come from the "
                f"environment ({_warehouse_password_env_name(str(warehouse_key))}) or the secrets file"
            )
    if refuse_secrets:
        problems += _refuse_alert_secrets(data.get("alerts"))
    return problems


def _refuse_alert_secrets(alerts: Any) -> list[str]:
    """The SMTP password and the rules' webhook URLs, removed from crossdock.toml with a problem each."""
    if not isinstance(alerts, dict):
        return []
    problems = []
    smtp = alerts.get("smtp")
    if isinstance(smtp, dict) and "password" in smtp:
        del smtp["password"]
        problems.append(
            f"alerts.smtp.password: is a secret; secrets may only come from the environment "
            f"({_SMTP_PASSWORD_ENV}) or the secrets file"
        )
    rules = alerts.get("rules")
    for index, rule in enumerate(rules) if isinstance(rules, list) else ():
        if isinstance(rule, dict) and "webhook_url" in rule:
            del rule["webhook_url"]
            name = rule.get("name")
            variable = _rule_webhook_env_name(name if isinstance(name, str) else "<name>")
            problems.append(
                f"alerts.rules[{index}].webhook_url: is a secret; secrets may only come from the environment "
                f"({variable}) or the secrets file"
            )
    return problems


def _rule_webhook_env_name(rule_name: str) -> str:
    return f"{_RULE_ENV_PREFIX}{rule_name.upper().replace('-', '_')}__{_RULE_WEBHOOK_FIELD}"


def _merge_secret_rules(file_data: dict[str, Any], secrets_data: dict[str, Any]) -> list[str]:
    """Fold the secrets file's [[alerts.rules]] tables into the config file's rules of the same names (merged
    as they are, the secrets file's list would replace the config file's whole). Problems: unknown names."""
    secret_alerts = secrets_data.get("alerts")
    if not isinstance(secret_alerts, dict) or "rules" not in secret_alerts:
        return []
    secret_rules = secret_alerts.pop("rules")
    if not isinstance(secret_rules, list):
        return ["alerts.rules of the secrets file: expected [[alerts.rules]] tables"]
    file_alerts = file_data.get("alerts")
    file_rules = file_alerts.get("rules") if isinstance(file_alerts, dict) else None
    by_name = {
        rule["name"]: rule
        for rule in (file_rules if isinstance(file_rules, list) else [])
        if isinstance(rule, dict) and isinstance(rule.get("name"), str)
    }
    problems = []
    for index, secret_rule in enumerate(secret_rules):
        name = secret_rule.get("name") if isinstance(secret_rule, dict) else None
        target = by_name.get(name) if isinstance(name, str) else None
        if target is None:
            declared = ", ".join(sorted(by_name)) or "none"
            problems.append(
                f"alerts.rules[{index}] of the secrets file: no [[alerts.rules]] table of the config file "
                f"has the name {name!r} (declared rules: {declared})"
            )
            continue
        target.update(secret_rule)
    return problems


def _alerts_from_environment(
    environ: Mapping[str, str], rules: Any
) -> tuple[dict[str, Any], dict[int, str], dict[Loc, str], list[str]]:
    """CROSSDOCK_ALERTS__SMTP__PASSWORD, and the CROSSDOCK_ALERTS__RULES__<NAME>__WEBHOOK_URL variables
    matched to the rules the files declare: the [alerts] data, the webhook URLs by rule position, which
    variable set what, and problems."""
    by_env_name = {
        _rule_webhook_env_name(rule["name"]): index
        for index, rule in enumerate(rules if isinstance(rules, list) else [])
        if isinstance(rule, dict) and isinstance(rule.get("name"), str)
    }
    data: dict[str, Any] = {}
    webhook_urls: dict[int, str] = {}
    names: dict[Loc, str] = {}
    problems = []
    for variable, raw in sorted(environ.items()):
        upper = variable.upper()
        if raw == "":
            continue
        if upper.startswith(_SMTP_ENV_PREFIX):
            if upper != _SMTP_PASSWORD_ENV:
                problems.append(
                    f"{variable}: only the SMTP password comes from the environment ({_SMTP_PASSWORD_ENV}); "
                    "set the other [alerts.smtp] keys in the config file"
                )
                continue
            data["smtp"] = {"password": raw}
            names[("alerts", "smtp", "password")] = variable
        elif upper.startswith(_RULE_ENV_PREFIX):
            index = by_env_name.get(upper)
            if index is None:
                declared = ", ".join(sorted(rules[i]["name"] for i in by_env_name.values())) or "none"
                problems.append(
                    f"{variable}: not the webhook URL of a declared rule "
                    f"({_RULE_ENV_PREFIX}<NAME>__{_RULE_WEBHOOK_FIELD}; declared rules: {declared})"
                )
                continue
            webhook_urls[index] = raw
            names[("alerts", "rules", index, "webhook_url")] = variable
    return data, webhook_urls, names, problems


def _warehouse_password_env_name(warehouse_key: str) -> str:
    return f"{_WAREHOUSE_ENV_PREFIX}{warehouse_key.upper().replace('-', '_')}__{_WAREHOUSE_PASSWORD_FIELD}"


def _warehouses_from_environment(
    environ: Mapping[str, str], declared_keys: Iterable[str]
) -> tuple[dict[str, Any], dict[Loc, str], list[str]]:
    """CROSSDOCK_WAREHOUSES__<KEY>__SFTP_PASSWORD variables, matched to the warehouses the files declare."""
    by_env_name = {_warehouse_password_env_name(key): key for key in declared_keys}
    data: dict[str, Any] = {}
    names: dict[Loc, str] = {}
    problems = []
    for variable, raw in sorted(environ.items()):
        if not variable.upper().startswith(_WAREHOUSE_ENV_PREFIX) or raw == "":
            continue
        warehouse_key = by_env_name.get(variable.upper())
        if warehouse_key is None:
            declared = ", ".join(sorted(by_env_name.values())) or "none"
            problems.append(
                f"{variable}: not the SFTP password of a declared warehouse "
                f"(CROSSDOCK_WAREHOUSES__<KEY>__SFTP_PASSWORD; declared warehouses: {declared})"
            )
            continue
        data[warehouse_key] = {"sftp": {"password": raw}}
        names[("warehouses", warehouse_key, "sftp", "password")] = variable
    return data, names, problems


def _shop_env_name(shop_key: str, field: str) -> str:
    return f"{_SHOP_ENV_PREFIX}{shop_key.upper().replace('-', '_')}__{field.upper()}"


def _shops_from_environment(
    environ: Mapping[str, str], declared_keys: Iterable[str]
) -> tuple[dict[str, Any], dict[Loc, str], list[str]]:
    """CROSSDOCK_SHOPS__<KEY>__<FIELD> variables, matched to the shops that the files declare."""
    by_env_key = {key.upper().replace("-", "_"): key for key in declared_keys}
    data: dict[str, Any] = {}
    names: dict[Loc, str] = {}
    problems = []
    for variable, raw in sorted(environ.items()):
        if not variable.upper().startswith(_SHOP_ENV_PREFIX) or raw == "":
            continue
        env_key, _, field = variable[len(_SHOP_ENV_PREFIX) :].rpartition("__")
        shop_key = by_env_key.get(env_key.upper())
        if shop_key is None:
            declared = ", ".join(sorted(by_env_key.values())) or "none"
            problems.append(f"{variable}: no [shops.<key>] table has this key (declared shops: {declared})")
            continue
        if field.lower() not in ShopSettings.model_fields:
            known = ", ".join(ShopSettings.model_fields)
            problems.append(f"{variable}: unknown shop setting {field.lower()!r} (known: {known})")
            continue
        data.setdefault(shop_key, {})[field.lower()] = raw
        names[("shops", shop_key, field.lower())] = variable
    return data, names, problems


def _from_environment(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[Loc, str], list[str]]:
    """Settings found in the environment, which variable set each one, and conflicts between variables."""
    known = {f"CROSSDOCK_{loc[0]}__{loc[1]}".upper(): loc for loc in _env_locs()} | _ENV_ALIASES
    data: dict[str, Any] = {}
    names: dict[Loc, str] = {}
    problems = []
    for variable, raw in sorted(environ.items()):
        loc = known.get(variable.upper())
        if loc is None or raw == "":  # empty counts as unset, as docker-compose `FOO=` lines commonly mean
            continue
        if loc in names:
            problems.append(f"{variable}: sets {_dotted(loc)} like {names[loc]} does; set only one of them")
            continue
        names[loc] = variable
        field = _walk(loc)[0]
        is_list = field is not None and get_origin(field.annotation) is list
        value = [item.strip() for item in raw.split(",") if item.strip()] if is_list else raw
        data.setdefault(loc[0], {})[loc[1]] = value
    return data, names, problems


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        both_tables = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _deep_merge(merged[key], value) if both_tables else value
    return merged


def load_settings(config_file: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read crossdock.toml, the secrets file and the environment; raise ConfigError listing every problem."""
    environ = os.environ if environ is None else environ
    named_by = "CROSSDOCK_CONFIG" if config_file is None and environ.get("CROSSDOCK_CONFIG") else None
    if named_by:
        config_file = Path(environ["CROSSDOCK_CONFIG"])
    elif config_file is None and Path("crossdock.toml").is_file():
        config_file = Path("crossdock.toml")
    file_data = {} if config_file is None else _read_toml(Path(config_file), "config file", named_by)
    secrets_path = environ.get("CROSSDOCK_SECRETS_FILE")
    secrets_data = {}
    if secrets_path:
        secrets_data = _read_toml(Path(secrets_path), "secrets file", "CROSSDOCK_SECRETS_FILE")
    env_data, env_names, problems = _from_environment(environ)
    problems += _check_file(file_data, refuse_secrets=True) + _check_file(secrets_data, refuse_secrets=False)
    problems += _merge_secret_rules(file_data, secrets_data)

    merged = _deep_merge(file_data, secrets_data)
    shops_table = merged.get("shops")
    declared_shops = [str(key) for key in shops_table] if isinstance(shops_table, dict) else []
    shop_env, shop_env_names, shop_problems = _shops_from_environment(environ, declared_shops)
    problems += shop_problems
    env_names.update(shop_env_names)
    if shop_env:
        env_data["shops"] = shop_env
    warehouses_table = merged.get("warehouses")
    declared_warehouses = [str(key) for key in warehouses_table] if isinstance(warehouses_table, dict) else []
    warehouse_env, warehouse_env_names, warehouse_problems = _warehouses_from_environment(
        environ, declared_warehouses
    )
    problems += warehouse_problems
    env_names.update(warehouse_env_names)
    if warehouse_env:
        env_data["warehouses"] = warehouse_env
    alerts_table = merged.get("alerts")
    declared_rules = alerts_table.get("rules") if isinstance(alerts_table, dict) else None
    alert_env, webhook_urls, alert_env_names, alert_problems = _alerts_from_environment(
        environ, declared_rules
    )
    problems += alert_problems
    env_names.update(alert_env_names)
    if alert_env:
        env_data["alerts"] = _deep_merge(env_data.get("alerts", {}), alert_env)
    merged = _deep_merge(merged, env_data)
    for index, url in webhook_urls.items():
        merged["alerts"]["rules"][index]["webhook_url"] = url
    settings = None
    try:
        settings = Settings.model_validate({**merged, "config_file": config_file})
    except ValidationError as error:
        problems += [_describe_error(detail, env_names) for detail in error.errors(include_url=False)]
    if problems or settings is None:
        raise ConfigError(problems)
    return settings


def example_config() -> str:
    return resources.files("crossdock").joinpath("crossdock.example.toml").read_text(encoding="utf-8")


def _masked(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "***"
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return str(value) if isinstance(value, Path) else value


def describe(settings: Settings) -> dict[str, Any]:
    """The effective settings as JSON-able data, safe to print or log: secrets are shown as "***"."""
    view: dict[str, Any] = _masked(settings.model_dump())
    view["database"]["url"] = settings.database.password_free_url
    return view
