"""The X12 connector keeps the warehouse contract against the X12 3PL sandbox, through the running hub.

Everything is real: the sandbox serves SFTP on a free port from a background event loop, the hub runs with
its job engine, and the connector uploads 940s and 180s and collects 945/846/947/944/870/997 files over
SFTP. What the connector "reports" is what the hub journaled after its intake processed the collected files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from crossdock.config import Settings, X12PartnerSettings
from crossdock.connectors.x12.collection import collect_into_inbox
from crossdock.connectors.x12.connector import X12Warehouse
from crossdock.connectors.x12.warehouses import x12_warehouse
from crossdock.domain.warehouse import WarehouseEvent
from crossdock.hub import Hub
from crossdock.sandbox.warehouse import SimulationKnobs
from crossdock.sandbox.x12_3pl import X12ThreePlSandbox
from crossdock.scenarios.background_loop import BackgroundLoop
from crossdock.store.unit_of_work import UnitOfWork
from tests.conftest import write_config
from tests.contract.warehouse_contract import WarehouseConnectorContract
from tests.integration.conftest import ClientSide

T = TypeVar("T")

WAREHOUSE = "sandbox-3pl"
USERNAME = "hub"
PASSWORD = "contract-s3cret"
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="SANDBOX3PL", usage="T")
# The tests decide when the site picks, ships and receives returns; it acknowledges at once.
KNOBS = SimulationKnobs(
    acknowledge_delay_seconds=0,
    pick_delay_seconds=3600,
    ship_delay_seconds=3600,
    snapshot_interval_seconds=0,
    adjustment_rate=0,
    return_delay_seconds=3600,
)


@pytest.fixture
def background() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture
def sandbox(tmp_path: Path, background: BackgroundLoop) -> Iterator[tuple[X12ThreePlSandbox, int]]:
    site = X12ThreePlSandbox.open(
        tmp_path / "3pl",
        partner=PARTNER,
        warehouse=WAREHOUSE,
        knobs=KNOBS,
        username=USERNAME,
        password=PASSWORD,
        poll_seconds=0.1,
    )
    port = background.run(site.start("127.0.0.1", 0))
    try:
        yield site, port
    finally:
        background.run(site.stop())


@pytest.fixture
def config_path(tmp_path: Path, sandbox: tuple[X12ThreePlSandbox, int]) -> Path:
    site, port = sandbox
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(site.sftp.known_hosts_line("127.0.0.1", port), encoding="utf-8")
    path = write_config(tmp_path)
    with path.open("a", encoding="utf-8") as config:
        config.write(
            f"""
[warehouses.{WAREHOUSE}]
name = "Sandbox 3PL"
accounts = ["acme"]

[warehouses.{WAREHOUSE}.sftp]
host = "127.0.0.1"
port = {port}
username = "{USERNAME}"
known_hosts_file = "{known_hosts}"

[warehouses.{WAREHOUSE}.x12]
sender_id = "{PARTNER.sender_id}"
receiver_id = "{PARTNER.receiver_id}"
usage = "T"
poll_interval_seconds = 1
stable_seconds = 0
"""
        )
    return path


@pytest.fixture
def hub_environ(database_url: str) -> dict[str, str]:
    return {
        "CROSSDOCK_DATABASE_URL": database_url,
        "CROSSDOCK_WAREHOUSES__SANDBOX_3PL__SFTP_PASSWORD": PASSWORD,
    }


class X12Harness:
    """The contract's hands on the sandbox and its eyes on the hub's journal."""

    warehouse = WAREHOUSE

    def __init__(
        self, site: X12ThreePlSandbox, background: BackgroundLoop, settings: Settings, client: ClientSide
    ) -> None:
        self._site = site
        self._background = background
        self._client = client
        self.connector: X12Warehouse = x12_warehouse(settings, WAREHOUSE, client.unit_of_work)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._background.run(coroutine)

    def events(
        self, until: Callable[[Sequence[WarehouseEvent]], bool], *, timeout: float = 20.0
    ) -> list[WarehouseEvent]:
        deadline = time.monotonic() + timeout
        while True:
            # Collect now rather than wait for the hub's scheduled collection (it runs too, harmlessly).
            self.run(collect_into_inbox(self.connector, self._client.unit_of_work))
            seen = self.journal()
            if until(seen):
                return seen
            if time.monotonic() > deadline:
                kinds = [type(event).__name__ for event in seen]
                pytest.fail(f"the condition did not hold within {timeout} s; journal: {kinds}")
            time.sleep(0.2)

    def journal(self) -> list[WarehouseEvent]:
        with UnitOfWork(self._client.engine) as uow:
            record = uow.warehouses.by_code(WAREHOUSE)
            assert record is not None
            return [entry.event for entry in uow.warehouse_events.list(record.id)]

    def set_stock(self, sku: str, units: int) -> None:
        self._background.call(lambda: self._site.simulation.set_stock(sku, units))

    def pick(self, order_key: str) -> None:
        self._background.call(lambda: self._site.simulation.pick_now(order_key))

    def ship(self, order_key: str, quantities: Mapping[str, int] | None = None) -> None:
        self._background.call(lambda: self._site.simulation.ship_now(order_key, quantities))

    def snapshot(self) -> None:
        self._background.call(self._site.simulation.snapshot_now)

    def adjust(self, sku: str, delta: int, reason: str) -> None:
        self._background.call(lambda: self._site.simulation.adjust(sku, delta, reason))  # type: ignore[arg-type]

    def receive_return(self, return_key: str, damaged: Mapping[str, int] | None = None) -> None:
        # The 180 reaches the site at its next poll; the goods can only arrive once it is expected.
        deadline = time.monotonic() + 20

        def expected() -> bool:
            return any(known.authorisation.key == return_key for known in self._site.simulation.returns())

        while not self._background.call(expected):
            assert time.monotonic() < deadline, f"the sandbox never received the return {return_key}"
            time.sleep(0.1)
        self._background.call(lambda: self._site.simulation.receive_return_now(return_key, damaged))

    def orders_at_warehouse(self) -> dict[str, int]:
        """How many new-order 940s the site took per order key (a second one would count 2)."""
        received: dict[str, int] = {}
        for entry in self._background.call(self._site.events):
            if entry["kind"] in ("order received", "order already known"):
                received[entry["key"]] = received.get(entry["key"], 0) + 1
        return received

    def lines_at_warehouse(self, order_key: str) -> dict[str, int]:
        order = self._background.call(lambda: self._site.simulation.order(order_key).order)
        return {line.sku: line.quantity for line in order.lines}


class TestX12WarehouseContract(WarehouseConnectorContract):
    @pytest.fixture
    def harness(
        self,
        hub: Hub,
        sandbox: tuple[X12ThreePlSandbox, int],
        background: BackgroundLoop,
        settings: Settings,
        client_side: ClientSide,
    ) -> X12Harness:
        return X12Harness(sandbox[0], background, settings, client_side)


def test_every_inbound_file_is_archived_and_answered_with_a_997(
    hub: Hub,
    sandbox: tuple[X12ThreePlSandbox, int],
    background: BackgroundLoop,
    settings: Settings,
    client_side: ClientSide,
) -> None:
    harness = X12Harness(sandbox[0], background, settings, client_side)
    harness.set_stock("TENT-2P", 5)
    harness.snapshot()
    harness.events(lambda seen: any(type(event).__name__ == "StockSnapshot" for event in seen))
    site_root = sandbox[0].root / "sftp"
    deadline = time.monotonic() + 20
    # The hub answers the 846 with a 997, which the site reads from its inbox.
    while not any(entry["kind"] == "997 received" for entry in background.call(sandbox[0].events)):
        assert time.monotonic() < deadline, "the hub never answered the 846 with a 997"
        time.sleep(0.2)
    assert not [path for path in (site_root / "out").iterdir() if path.is_file()]
    assert any((site_root / "out" / "archive").iterdir())
    query = sa.text("SELECT state, count(*) FROM inbox WHERE source = 'x12' GROUP BY state")
    while True:
        with client_side.engine.connect() as connection:
            states = {state: count for state, count in connection.execute(query)}
        # Files the scheduled collection stored meanwhile may still be in the workers' hands.
        if set(states) == {"processed"} or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert set(states) == {"processed"}, states
