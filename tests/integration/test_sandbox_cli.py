"""`crossdock sandbox shopify` as a merchant runs it: a seeded shop on a port, queried over HTTP, saved."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import hub_command_environment
from tests.support.servers import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

SEED = """
shop: {name: "Acme Outdoor", domain: "acme-outdoor.myshopify.com"}
locations:
  - {name: "Main warehouse"}
products:
  - title: "Trail tent"
    variants:
      - {sku: "TENT-2P", price: "199.00", stock: {"Main warehouse": 12}}
"""


def test_help_explains_every_knob() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "sandbox", "shopify", "--help"],
        env=hub_command_environment({"COLUMNS": "200"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    for knob in (
        "--port",
        "--plan",
        "--seed",
        "--access-token",
        "--app-secret",
        "--state-file",
        "--throttled-status",
    ):
        assert knob in shown.stdout


def test_a_seeded_sandbox_serves_its_shop_and_saves_it_on_exit(tmp_path: Path) -> None:
    seed, state_file = tmp_path / "shop.yaml", tmp_path / "state.json"
    seed.write_text(SEED)
    port = free_port()
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crossdock.cli",
            "sandbox",
            "shopify",
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--state-file",
            str(state_file),
            "--plan",
            "plus",
        ],
        env=hub_command_environment({}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/admin/api/2026-07/graphql.json"
    headers = {"X-Shopify-Access-Token": "shpat_crossdock_sandbox"}

    def answer() -> dict[str, object] | None:
        try:
            return httpx.post(
                url,
                json={"query": "{ shop { name } productVariants(first: 5) { nodes { sku } } }"},
                headers=headers,
                timeout=2,
            ).json()
        except httpx.HTTPError:
            return None

    try:
        body = wait_until(answer, timeout=30, what="the sandbox to answer")
    finally:
        sandbox.send_signal(signal.SIGTERM)
        _, stderr = sandbox.communicate(timeout=30)
    assert body["data"] == {  # type: ignore[index]
        "shop": {"name": "Acme Outdoor"},
        "productVariants": {"nodes": [{"sku": "TENT-2P"}]},
    }
    assert body["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 1000.0  # type: ignore[index]
    assert sandbox.returncode == 0, stderr
    assert "access token: shpat_crossdock_sandbox" in stderr
    assert "app secret:   crossdock-sandbox-app-secret" in stderr
    saved = json.loads(state_file.read_text())
    assert "TENT-2P" in json.dumps(saved)


def test_the_x12_3pl_sandbox_runs_and_a_hub_checks_it_with_its_host_key(tmp_path: Path) -> None:
    root, stock = tmp_path / "3pl", tmp_path / "stock.json"
    stock.write_text(json.dumps({"TENT-2P": 12}))
    sftp_port, control_port = free_port(), free_port()
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crossdock.cli",
            "sandbox",
            "x12-3pl",
            "--root",
            str(root),
            "--port",
            str(sftp_port),
            "--control-port",
            str(control_port),
            "--seed",
            str(stock),
            "--password",
            "sandbox-pw",
        ],
        env=hub_command_environment({}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def state() -> dict[str, object] | None:
        try:
            answer = httpx.get(f"http://127.0.0.1:{control_port}/_sandbox/state", timeout=2)
        except httpx.TransportError:
            return None
        return answer.json() if answer.status_code == 200 else None

    try:
        described = wait_until(state, timeout=30, what="the X12 3PL sandbox's control API")
        assert described["stock"]
        config = tmp_path / "crossdock.toml"
        config.write_text(
            f"""
[[accounts]]
id = "main"
name = "Main"

[warehouses.sandbox-3pl]
name = "Sandbox 3PL"
accounts = ["main"]

[warehouses.sandbox-3pl.sftp]
host = "127.0.0.1"
port = {sftp_port}
username = "crossdock"
known_hosts_file = "{root / "known_hosts"}"

[warehouses.sandbox-3pl.x12]
sender_id = "CROSSDOCK"
receiver_id = "SANDBOX3PL"
"""
        )
        checked = subprocess.run(
            [sys.executable, "-m", "crossdock.cli", "--config", str(config), "x12", "check", "sandbox-3pl"],
            env=hub_command_environment({"CROSSDOCK_WAREHOUSES__SANDBOX_3PL__SFTP_PASSWORD": "sandbox-pw"}),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert checked.returncode == 0, checked.stderr
        assert "inbound folder /out: reachable" in checked.stdout
        assert "not checked" not in checked.stdout
    finally:
        sandbox.send_signal(signal.SIGINT)
        _, printed = sandbox.communicate(timeout=30)
    assert sandbox.returncode == 0, printed
    assert "[warehouses.sandbox-3pl]" in printed and "saved the sandbox to" in printed
    assert json.loads((root / "state.json").read_text())["simulation"]
