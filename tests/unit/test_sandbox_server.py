"""How a sandbox is assembled from its command-line settings."""

from __future__ import annotations

from pathlib import Path

from crossdock.sandbox.shopify.seed import save_state
from crossdock.sandbox.shopify.server import SandboxSettings, build_sandbox
from crossdock.sandbox.shopify.webhooks.delivery import DeliveryFaults


def test_the_app_secret_and_faults_reach_the_webhook_deliveries() -> None:
    sandbox = build_sandbox(
        SandboxSettings(app_secret="s3cret", faults=DeliveryFaults(drop_rate=0.5, seed=7))
    )
    assert sandbox.webhooks.app_secret == "s3cret"
    assert (sandbox.webhooks.faults.drop_rate, sandbox.webhooks.faults.seed) == (0.5, 7)
    assert sandbox.plan.name == "standard"
    assert (len(sandbox.state.locations), len(sandbox.state.variants)) == (2, 20)


def test_a_saved_state_wins_over_a_seed_and_generated_data(tmp_path: Path) -> None:
    first = build_sandbox(SandboxSettings(skus=3, locations=1))
    state_file = tmp_path / "state.json"
    save_state(first.state, state_file)
    again = build_sandbox(SandboxSettings(skus=50, locations=4, state_file=state_file))
    assert sorted(variant.sku for variant in again.state.variants.values()) == sorted(
        variant.sku for variant in first.state.variants.values()
    )
