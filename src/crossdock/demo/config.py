"""The files of a demo folder: the shop's seed, the warehouse's opening stock, the hub's crossdock.toml and
the environment that carries the hub's secrets."""

from __future__ import annotations

import json
import secrets
import shlex
import socket
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

SHOP_KEY = "demo-shop"
SHOP_DOMAIN = "summit-outfitters.myshopify.com"
WAREHOUSE_KEY = "sandbox-3pl"
ACCOUNT = "demo"
SFTP_USER = "crossdock"
LOCATION = "Sandbox 3PL"
# Large enough that neither Shopify nor the 3PL runs short during a long demo or a benchmark at 50 orders/s:
# a shortage would turn orders into rejections and the figures would measure those instead.
OPENING_STOCK = 100_000


@dataclass(frozen=True)
class Product:
    title: str
    variants: tuple[tuple[str, str], ...]  # (SKU, price)


CATALOG: tuple[Product, ...] = (
    Product("Trail tent", (("TENT-2P", "199.00"), ("TENT-4P", "329.00"))),
    Product("Backpacking stove", (("STOVE-TI", "59.00"),)),
    Product("Enamel mug", (("MUG-ENAMEL", "14.00"),)),
    Product("Down sleeping bag", (("BAG-20F", "249.00"),)),
    Product("Headlamp", (("LAMP-300", "39.00"),)),
    Product("Folding camp chair", (("CHAIR-LITE", "89.00"),)),
    Product("Squeeze water filter", (("FILTER-SQ", "44.00"),)),
)
SKUS: tuple[str, ...] = tuple(sku for product in CATALOG for sku, _ in product.variants)


@dataclass(frozen=True)
class Ports:
    shop: int
    hub: int
    sftp: int
    control: int


def choose_ports() -> Ports:
    """Four distinct free ports; the probes stay bound until all are chosen so that none is picked twice."""
    with ExitStack() as stack:
        chosen = []
        for _ in range(4):
            probe = stack.enter_context(socket.socket())
            probe.bind(("127.0.0.1", 0))
            chosen.append(int(probe.getsockname()[1]))
    return Ports(*chosen)


@dataclass(frozen=True)
class WarehouseKnobs:
    """How fast the sandbox 3PL works: a demo wants to see shipments within seconds, not hours."""

    pick_delay_seconds: float = 2.0
    ship_delay_seconds: float = 4.0
    partial_share: float = 0.2
    multi_parcel_share: float = 0.2
    acknowledge_delay_seconds: float = 0.0
    # The 3PL reads its inbound folder this often; the hub's own collection runs every second at best.
    poll_seconds: float = 0.25


@dataclass(frozen=True)
class DemoConfig:
    folder: Path
    ports: Ports
    access_token: str
    app_secret: str
    sftp_password: str
    plan: str
    # The hub's database: SQLite in the folder unless another is given (a benchmark on PostgreSQL).
    database: str | None = None

    @property
    def hub_config(self) -> Path:
        return self.folder / "crossdock.toml"

    @property
    def environment_file(self) -> Path:
        return self.folder / "hub.env"

    @property
    def shop_seed(self) -> Path:
        return self.folder / "shop-seed.json"

    @property
    def warehouse_stock(self) -> Path:
        return self.folder / "3pl-stock.json"

    @property
    def warehouse_root(self) -> Path:
        return self.folder / "3pl"

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.folder / 'crossdock.db'}"

    @property
    def shop_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.shop}"

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.hub}"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.control}"

    def hub_environment(self) -> dict[str, str]:
        """What the hub and its CLI need besides crossdock.toml: secrets are refused in the file."""
        shop, warehouse = _env_key(SHOP_KEY), _env_key(WAREHOUSE_KEY)
        return {
            "CROSSDOCK_DATABASE_URL": self.database_url,
            f"CROSSDOCK_SHOPS__{shop}__ACCESS_TOKEN": self.access_token,
            f"CROSSDOCK_SHOPS__{shop}__APP_SECRET": self.app_secret,
            f"CROSSDOCK_WAREHOUSES__{warehouse}__SFTP_PASSWORD": self.sftp_password,
        }


def _env_key(key: str) -> str:
    return key.upper().replace("-", "_")


def write_demo_files(
    folder: Path, ports: Ports, *, log_level: str = "info", plan: str = "plus", database: str | None = None
) -> DemoConfig:
    """Write every file the three processes read into ``folder`` (which must exist) and describe them."""
    folder = folder.resolve()
    config = DemoConfig(
        folder=folder,
        ports=ports,
        # Fresh each run: the sandboxes are throwaway, but nothing should look like a reusable credential.
        access_token=f"shpat_{secrets.token_hex(16)}",
        app_secret=secrets.token_hex(16),
        sftp_password=secrets.token_urlsafe(12),
        plan=plan,
        database=database,
    )
    config.shop_seed.write_text(json.dumps(_shop_seed(), indent=2) + "\n", encoding="utf-8")
    config.warehouse_stock.write_text(
        json.dumps({sku: OPENING_STOCK for sku in SKUS}, indent=2) + "\n", encoding="utf-8"
    )
    config.hub_config.write_text(_hub_toml(config, log_level), encoding="utf-8")
    # For an operator who wants to use the CLI on the running demo: `set -a; . .demo/hub.env; set +a`.
    config.environment_file.write_text(
        "".join(f"{name}={shlex.quote(value)}\n" for name, value in config.hub_environment().items()),
        encoding="utf-8",
    )
    config.environment_file.chmod(0o600)
    return config


def _shop_seed() -> dict[str, object]:
    return {
        "shop": {"name": "Summit Outfitters", "domain": SHOP_DOMAIN, "timezone": "America/Denver"},
        "locations": [{"name": LOCATION}],
        "products": [
            {
                "title": product.title,
                "variants": [
                    {"sku": sku, "price": price, "stock": {LOCATION: OPENING_STOCK}}
                    for sku, price in product.variants
                ],
            }
            for product in CATALOG
        ],
    }


def _hub_toml(config: DemoConfig, log_level: str) -> str:
    def text(value: object) -> str:
        return json.dumps(str(value))

    return f"""\
# Written by `python -m crossdock.demo`; secrets are in hub.env next to this file.

[web]
host = "127.0.0.1"
port = {config.ports.hub}
public_url = {text(config.hub_url)}

[log]
level = {text(log_level)}

[[accounts]]
id = {text(ACCOUNT)}
name = "Summit Outfitters"

[shops.{SHOP_KEY}]
domain = {text(SHOP_DOMAIN)}
account = {text(ACCOUNT)}
api_url = {text(config.shop_url)}

[warehouses.{WAREHOUSE_KEY}]
name = {text(LOCATION)}
accounts = [{text(ACCOUNT)}]

[warehouses.{WAREHOUSE_KEY}.sftp]
host = "127.0.0.1"
port = {config.ports.sftp}
username = {text(SFTP_USER)}
known_hosts_file = {text(config.warehouse_root / "known_hosts")}

[warehouses.{WAREHOUSE_KEY}.x12]
sender_id = "CROSSDOCK"
receiver_id = "SANDBOX3PL"
usage = "T"
# The fastest the hub collects; the sandbox renames its files into place, so they are complete when listed.
poll_interval_seconds = 0.25
stable_seconds = 0
"""
