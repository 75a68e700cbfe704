"""The X12 3PL sandbox end to end: a real SFTP server and control API on free ports, a hub played by an
asyncssh client uploading 940s the way the hub's mailbox does (dot-name, then rename)."""

from __future__ import annotations

import asyncio
import json
import os
import time
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from crossdock.config import WarehouseSettings, X12PartnerSettings
from crossdock.connectors.x12.codec import X12Error, build_interchange, read_interchange, write_interchange
from crossdock.connectors.x12.documents.context import ReadContext
from crossdock.connectors.x12.documents.functional_ack_997 import read_997
from crossdock.connectors.x12.documents.order_status_870 import read_870
from crossdock.connectors.x12.documents.return_authorisation_180 import write_180
from crossdock.connectors.x12.documents.shipping_advice_945 import read_945
from crossdock.connectors.x12.documents.shipping_order_940 import Purpose, write_940
from crossdock.connectors.x12.model import Interchange, Party
from crossdock.domain.orders import Address
from crossdock.domain.warehouse import (
    OrderAcknowledged,
    OrderRejected,
    ReturnLine,
    WarehouseOrder,
    WarehouseOrderLine,
    WarehouseReturn,
)
from crossdock.sandbox.x12_3pl import ControlServer, X12ThreePlSandbox
from crossdock.sandbox.x12_3pl.server import hub_settings_toml
from tests.support.x12_validator import validate_x12

USERNAME = "hub"
PASSWORD = "s3cret-sandbox"
PARTNER = X12PartnerSettings(sender_id="CROSSDOCK", receiver_id="SANDBOX3PL", usage="T")
ORDER = WarehouseOrder(
    key="1001-A",
    warehouse="sandbox-3pl",
    shopify_order_id="gid://shopify/Order/1001",
    order_name="#1001",
    ordered_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    ship_to_name="Ada Lovelace",
    ship_to=Address(address1="1 Main St", city="Austin", province_code="TX", zip="78701", country_code="US"),
    lines=(WarehouseOrderLine(1, "MUG", 2), WarehouseOrderLine(2, "TEE", 1)),
    carrier_code="UPSN",
)


def hub_file(
    order: WarehouseOrder, purpose: Purpose, control: int, *, partner: X12PartnerSettings = PARTNER
) -> bytes:
    interchange = build_interchange(
        sender=Party("ZZ", partner.sender_id),
        receiver=Party("ZZ", partner.receiver_id),
        gs_sender=partner.gs_sender,
        gs_receiver=partner.gs_receiver,
        version=partner.version,
        usage="T",
        interchange_control=control,
        group_control=control,
        sets=[("940", "OW", write_940(order, purpose, partner=partner))],
        now=datetime.now(UTC),
    )
    return write_interchange(interchange)


@asynccontextmanager
async def hub_sftp(port: int) -> AsyncIterator[asyncssh.SFTPClient]:
    async with (
        asyncssh.connect(
            "127.0.0.1",
            port,
            username=USERNAME,
            password=PASSWORD,
            known_hosts=None,
            client_keys=None,
            agent_path=None,
            config=None,
        ) as connection,
        connection.start_sftp_client() as sftp,
    ):
        yield sftp


async def upload(sftp: asyncssh.SFTPClient, name: str, data: bytes) -> None:
    async with sftp.open(f"/in/.{name}.part", "wb") as file:
        await file.write(data)
    await sftp.posix_rename(f"/in/.{name}.part", f"/in/{name}")


async def wait_for_file(
    sftp: asyncssh.SFTPClient, prefix: str, seen: set[str], timeout: float = 5.0
) -> bytes:
    """The next complete file of /out whose name starts with ``prefix`` and is not in ``seen``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = sorted(name for name in await sftp.listdir("/out") if name.startswith(prefix))
        fresh = [name for name in names if name not in seen]
        if fresh:
            seen.add(fresh[0])
            async with sftp.open(f"/out/{fresh[0]}", "rb") as file:
                data: bytes = await file.read()
            return data
        await asyncio.sleep(0.05)
    raise AssertionError(f"no new {prefix}* file in /out after {timeout} s (seen: {sorted(seen)})")


async def wait_for_event(client: httpx.AsyncClient, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = (await client.get("/_sandbox/events")).json()
        found = [event for event in events if event["kind"] == kind]
        if found:
            return found[-1]  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} event in the control API's log after {timeout} s")


def context_of(interchange: Interchange) -> ReadContext:
    return ReadContext("sandbox-3pl", PARTNER, interchange, interchange.groups[0], None)


def run_sandbox(
    root: Path,
    scenario: Callable[[X12ThreePlSandbox, int, httpx.AsyncClient], Awaitable[None]],
) -> X12ThreePlSandbox:
    sandbox = X12ThreePlSandbox.open(
        root,
        partner=PARTNER,
        initial_stock={"MUG": 5, "TEE": 3},
        username=USERNAME,
        password=PASSWORD,
        poll_seconds=0.1,
    )
    # The order waits at picking until the test ships it.
    sandbox.set_knobs(acknowledge_delay_seconds=0, pick_delay_seconds=600, ship_delay_seconds=600)

    async def main() -> None:
        control = ControlServer(sandbox)
        sftp_port = await sandbox.start()
        control_port = await control.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{control_port}") as client:
                await scenario(sandbox, sftp_port, client)
        finally:
            await control.stop()
            await sandbox.stop()

    asyncio.run(main())
    return sandbox


def test_a_940_is_acknowledged_shipped_as_a_945_and_a_late_cancel_is_refused(tmp_path: Path) -> None:
    async def scenario(sandbox: X12ThreePlSandbox, port: int, client: httpx.AsyncClient) -> None:
        seen: set[str] = set()
        async with hub_sftp(port) as sftp:
            await upload(sftp, "940_000000001.edi", hub_file(ORDER, "N", 1))
            acknowledgment_bytes = await wait_for_file(sftp, "997_", seen)
            assert validate_x12(acknowledgment_bytes) == []
            acknowledgment_file = read_interchange(acknowledgment_bytes)
            # The sandbox writes as the warehouse, to the hub.
            assert acknowledgment_file.sender.identifier == "SANDBOX3PL"
            assert acknowledgment_file.receiver.identifier == "CROSSDOCK"
            (ack_group,) = acknowledgment_file.groups
            assert ack_group.functional_id == "FA"
            acknowledgment = read_997(ack_group.transaction_sets[0], context_of(acknowledgment_file))
            assert acknowledgment.group_status == "A"
            assert int(acknowledgment.group_control_number) == 1

            await wait_for_event(client, "OrderAcknowledged")
            picked = await client.post("/_sandbox/orders/1001-A/pick")
            assert picked.status_code == 200 and picked.json()["status"] == "picking"

            await upload(sftp, "940_000000002.edi", hub_file(ORDER, "F", 2))
            await wait_for_file(sftp, "997_", seen)
            refused = await wait_for_event(client, "CancelRefused")
            assert refused["order_key"] == "1001-A" and "picking" in refused["reason"]

            shipped = await client.post("/_sandbox/orders/1001-A/ship")
            assert shipped.status_code == 200
            shipment_id = shipped.json()["shipment_id"]
            advice_bytes = await wait_for_file(sftp, "945_", seen)
            assert validate_x12(advice_bytes) == []
            advice_file = read_interchange(advice_bytes)
            (advice_group,) = advice_file.groups
            assert advice_group.functional_id == "SW"
            advice = read_945(advice_group.transaction_sets[0], context_of(advice_file))
            assert advice.order_key == "1001-A" and advice.shipment_id == shipment_id
            assert [(line.sku, line.quantity_shipped) for line in advice.lines] == [("MUG", 2), ("TEE", 1)]
            assert advice.parcels and all(
                parcel.tracking_number.startswith("1Z") for parcel in advice.parcels
            )
            # The 870s in between (accepted, picking, cancel refused) take their own numbers.
            statuses = [name for name in await sftp.listdir("/out") if name.startswith("870_")]
            assert len(statuses) >= 2

        state = (await client.get("/_sandbox/state")).json()
        (order,) = state["orders"]
        assert order["status"] == "shipped" and order["shipments"] == [shipment_id]
        assert {level["sku"]: level["on_hand"] for level in state["stock"]} == {"MUG": 3, "TEE": 2}
        assert [record["outcome"] for record in state["files_seen"]] == ["processed", "processed"]

    sandbox = run_sandbox(tmp_path / "sandbox", scenario)
    assert sorted(path.name for path in sandbox.inbox.joinpath("archive").iterdir()) == [
        "940_000000001.edi",
        "940_000000002.edi",
    ]
    # Control numbers increase across every file written, without a gap.
    controls = sorted(int(name.split("_")[1].split(".")[0]) for name in written(sandbox))
    assert controls == list(range(1, len(controls) + 1))
    saved = json.loads((tmp_path / "sandbox" / "state.json").read_text())
    assert saved["x12"]["interchange_control"] == len(controls)

    # A restarted sandbox continues the numbering and knows the order.
    restarted = X12ThreePlSandbox.open(
        tmp_path / "sandbox", partner=PARTNER, username=USERNAME, password=PASSWORD
    )
    assert restarted.simulation.order("1001-A").status == "shipped"
    restarted.simulation.snapshot_now()
    restarted.step()
    assert (restarted.outbox / f"846_{len(controls) + 1:09d}.edi").exists()


def test_an_accepted_and_a_refused_order_are_reported_in_870s(tmp_path: Path) -> None:
    # Asks for more mugs than the site holds (5): with reject_when_short on, the site refuses it.
    too_many = replace(ORDER, key="1002-A", order_name="#1002", lines=(WarehouseOrderLine(1, "MUG", 9),))

    async def scenario(sandbox: X12ThreePlSandbox, port: int, client: httpx.AsyncClient) -> None:
        seen: set[str] = set()
        async with hub_sftp(port) as sftp:
            await upload(sftp, "940_000000001.edi", hub_file(ORDER, "N", 1))
            accepted_bytes = await wait_for_file(sftp, "870_", seen)
            await upload(sftp, "940_000000002.edi", hub_file(too_many, "N", 2))
            refused_bytes = await wait_for_file(sftp, "870_", seen)

        events = []
        for data in (accepted_bytes, refused_bytes):
            assert validate_x12(data) == []
            status_file = read_interchange(data)
            (group,) = status_file.groups
            assert group.functional_id == "RS"
            (event,) = read_870(group.transaction_sets[0], context_of(status_file))
            events.append(event)
        accepted, refused = events
        assert isinstance(accepted, OrderAcknowledged)
        assert accepted.order_key == "1001-A" and accepted.warehouse_reference
        assert isinstance(refused, OrderRejected)
        assert refused.order_key == "1002-A" and refused.skus == ("MUG",)
        assert "insufficient stock" in refused.reason and "MUG" in refused.reason
        state = (await client.get("/_sandbox/state")).json()
        assert {order["key"]: order["status"] for order in state["orders"]} == {
            "1001-A": "acknowledged",
            "1002-A": "rejected",
        }

    run_sandbox(tmp_path / "sandbox", scenario)


def test_unreadable_files_go_to_error_and_broken_sets_are_rejected_by_the_997(tmp_path: Path) -> None:
    async def scenario(sandbox: X12ThreePlSandbox, port: int, client: httpx.AsyncClient) -> None:
        seen: set[str] = set()
        async with hub_sftp(port) as sftp:
            await upload(sftp, "garbage.edi", b"this is not X12 at all")
            # W76 total that disagrees with the lines: the 940 reader refuses the set.
            broken = hub_file(ORDER, "N", 7).replace(b"W76*3", b"W76*4")
            assert broken != hub_file(ORDER, "N", 7)
            await upload(sftp, "940_000000007.edi", broken)
            acknowledgment_file = read_interchange(await wait_for_file(sftp, "997_", seen))
            acknowledgment = read_997(
                acknowledgment_file.groups[0].transaction_sets[0], context_of(acknowledgment_file)
            )
            assert acknowledgment.group_status == "R"
            (result,) = acknowledgment.set_results
            assert result.errors

            # The next file is written broken on request, then the knob disarms itself.
            knobs = await client.post("/_sandbox/knobs", json={"malformed_next": "bad-counts"})
            assert knobs.json()["malformed_next"] == "bad-counts"
            await client.post("/_sandbox/snapshot")
            bad = await wait_for_file(sftp, "846_", seen)
            with pytest.raises(X12Error, match=r"\[segment-count\]"):
                read_interchange(bad)
            await client.post("/_sandbox/snapshot")
            read_interchange(await wait_for_file(sftp, "846_", seen))
            refused = await client.post("/_sandbox/knobs", json={"partial_share": 2})
            assert refused.status_code == 422 and "partial_share" in refused.json()["detail"]

        state = (await client.get("/_sandbox/state")).json()
        assert state["orders"] == []
        outcomes = {record["name"]: record["outcome"] for record in state["files_seen"]}
        assert outcomes == {"garbage.edi": "error", "940_000000007.edi": "processed"}

    sandbox = run_sandbox(tmp_path / "sandbox", scenario)
    assert [path.name for path in sandbox.inbox.joinpath("error").iterdir()] == ["garbage.edi"]


def test_the_printed_hub_block_is_a_valid_warehouse_configuration(tmp_path: Path) -> None:
    block = hub_settings_toml(
        key="sandbox-3pl",
        name="Sandbox 3PL",
        account="main",
        host="127.0.0.1",
        port=2222,
        username=USERNAME,
        password=PASSWORD,
        known_hosts_file=tmp_path / "known_hosts",
        partner=PARTNER.model_copy(update={"version": "005010"}),
    )
    table = tomllib.loads(block)["warehouses"]["sandbox-3pl"]
    settings = WarehouseSettings.model_validate(table)
    assert settings.sftp.port == 2222 and settings.sftp.password is not None
    assert settings.sftp.password.get_secret_value() == PASSWORD
    assert (settings.x12.sender_id, settings.x12.receiver_id, settings.x12.version) == (
        "CROSSDOCK",
        "SANDBOX3PL",
        "005010",
    )
    assert (settings.folders.outbound, settings.folders.inbound) == ("/in", "/out")
    assert (settings.x12.stable_seconds, settings.x12.poll_interval_seconds) == (0, 5)


class SteppedClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def drop(sandbox: X12ThreePlSandbox, name: str, data: bytes) -> None:
    """A file the hub finished uploading a while ago (older than the poll interval)."""
    path = sandbox.inbox / name
    path.write_bytes(data)
    old = time.time() - 10
    os.utime(path, (old, old))


def written(sandbox: X12ThreePlSandbox) -> list[str]:
    return sorted(path.name for path in sandbox.outbox.iterdir() if path.is_file())


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_duplicates_changes_returns_and_adjustments_through_the_files(tmp_path: Path, version: str) -> None:
    partner = PARTNER.model_copy(update={"version": version})
    clock = SteppedClock()
    sandbox = X12ThreePlSandbox.open(
        tmp_path / "sandbox",
        partner=partner,
        initial_stock={"MUG": 5, "TEE": 3},
        clock=clock,
        poll_seconds=0.1,
    )
    sandbox.set_knobs(acknowledge_delay_seconds=1, pick_delay_seconds=60, return_delay_seconds=30)
    sandbox.step()
    drop(sandbox, "940_000000001.edi", hub_file(ORDER, "N", 1, partner=partner))
    sandbox.step()
    assert written(sandbox) == ["997_000000001.edi"]

    # The same interchange again (a hub retry under another name): answered again, not fed twice.
    drop(sandbox, "940_000000001-again.edi", hub_file(ORDER, "N", 1, partner=partner))
    changed = replace(ORDER, lines=(WarehouseOrderLine(1, "MUG", 1), WarehouseOrderLine(2, "TEE", 2)))
    drop(sandbox, "940_000000002.edi", hub_file(changed, "R", 2, partner=partner))
    sandbox.step()
    assert written(sandbox) == ["997_000000001.edi", "997_000000002.edi", "997_000000003.edi"]
    assert len(sandbox.simulation.orders()) == 1
    assert sandbox.simulation.order("1001-A").order.lines == changed.lines
    kinds = [event["kind"] for event in sandbox.events()]
    assert kinds.count("order received") == 1 and "change applied" in kinds
    outcomes = [record["outcome"] for record in sandbox.describe()["files_seen"]]
    assert sorted(outcomes) == ["duplicate", "processed", "processed"]

    authorisation = WarehouseReturn(
        key="RMA-1001-1",
        warehouse="sandbox-3pl",
        order_key="1001-A",
        shopify_return_id="gid://shopify/Return/9",
        authorised_at=clock.now,
        customer_name="Ada Lovelace",
        ship_from=ORDER.ship_to,
        lines=(ReturnLine(1, "MUG", 1, "unwanted"),),
    )
    rma = build_interchange(
        sender=Party("ZZ", partner.sender_id),
        receiver=Party("ZZ", partner.receiver_id),
        gs_sender=partner.gs_sender,
        gs_receiver=partner.gs_receiver,
        version=partner.version,
        usage="T",
        interchange_control=3,
        group_control=3,
        sets=[("180", "AN", write_180(authorisation, partner=partner))],
        now=clock.now,
    )
    drop(sandbox, "180_000000003.edi", write_interchange(rma))
    misaddressed = hub_file(ORDER, "N", 4, partner=partner).replace(b"SANDBOX3PL", b"OTHER3PL  ")
    drop(sandbox, "940_000000004.edi", misaddressed)
    sandbox.simulation.adjust("MUG", -1, "damaged")
    sandbox.simulation.adjust("TEE", 2, "found")
    before = set(written(sandbox))
    sandbox.step()
    assert [path.name for path in (sandbox.inbox / "error").iterdir()] == ["940_000000004.edi"]
    # The 180's 997, then one 947 for both adjustments.
    assert set(written(sandbox)) - before == {"997_000000004.edi", "947_000000005.edi"}

    clock.advance(31)
    before = set(written(sandbox))
    sandbox.step()
    # The return's receipt, and the order, acknowledged once its delay passed, reported in an 870.
    assert set(written(sandbox)) - before == {"944_000000006.edi", "870_000000007.edi"}
    status_bytes = (sandbox.outbox / "870_000000007.edi").read_bytes()
    assert validate_x12(status_bytes) == []
    status_file = read_interchange(status_bytes)
    (acknowledged,) = read_870(status_file.groups[0].transaction_sets[0], context_of(status_file))
    assert isinstance(acknowledged, OrderAcknowledged) and acknowledged.order_key == "1001-A"
    for name in written(sandbox):
        interchange = read_interchange((sandbox.outbox / name).read_bytes())
        assert (interchange.sender.identifier, interchange.receiver.identifier) == ("SANDBOX3PL", "CROSSDOCK")
        assert int(interchange.control_number) == int(name.split("_")[1].split(".")[0])
    assert [expected.received for expected in sandbox.simulation.returns()] == [True]
