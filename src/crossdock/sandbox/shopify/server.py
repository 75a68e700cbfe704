"""Start-up of a sandbox shop from the command line: its state (a seed file, a saved state, or generated),
plan, credentials, and the HTTP server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crossdock.sandbox.shopify.api import ShopifySandbox
from crossdock.sandbox.shopify.plans import PLANS, PlanName
from crossdock.sandbox.shopify.seed import generate, load_seed, load_state
from crossdock.sandbox.shopify.shop_state import ShopState
from crossdock.sandbox.shopify.webhooks.delivery import DEFAULT_APP_SECRET, DeliveryFaults, WebhookService

DEFAULT_ACCESS_TOKEN = "shpat_crossdock_sandbox"
# Shopify delivers a shop's webhooks in parallel; one at a time, a busy receiver makes them queue up in the
# sandbox (measured with benchmarks/order_latency.py at 20 orders/s: a third of the orders were still
# waiting for their orders/create delivery a minute after the load ended).
DEFAULT_WEBHOOK_WORKERS = 8


@dataclass(frozen=True)
class SandboxSettings:
    plan: PlanName = "standard"
    seed: Path | None = None
    state_file: Path | None = None
    skus: int = 20
    locations: int = 2
    access_token: str = DEFAULT_ACCESS_TOKEN
    app_secret: str = DEFAULT_APP_SECRET
    throttled_status: int = 200
    faults: DeliveryFaults = field(default_factory=DeliveryFaults)
    webhook_workers: int = DEFAULT_WEBHOOK_WORKERS


def initial_state(settings: SandboxSettings) -> ShopState:
    """A saved state wins (the sandbox picks up where it stopped), then a seed file, then generated data."""
    if settings.state_file is not None and settings.state_file.exists():
        return load_state(settings.state_file)
    if settings.seed is not None:
        return load_seed(settings.seed)
    return generate(settings.skus, settings.locations)


def build_sandbox(settings: SandboxSettings) -> ShopifySandbox:
    return ShopifySandbox(
        initial_state(settings),
        PLANS[settings.plan],
        throttled_status=settings.throttled_status,
        webhooks=WebhookService(
            settings.app_secret, faults=settings.faults, workers=settings.webhook_workers
        ),
    )
