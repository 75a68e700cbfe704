"""Imports every module that defines jobs, schedules, job workflows or exception actions, so that each process
that runs or enqueues jobs, or acts on exceptions, knows all of them by name. Such a module is added here."""

from __future__ import annotations

# The catalog is where the application is composed: the core never imports a connector, so a connector's
# handlers and jobs are registered from here.
from crossdock.connectors.shopify import (  # noqa: F401
    input_handlers,
    inventory_webhooks,
    jobs,
    level_reads,
    order_feedback,
    return_webhooks,
    returns,
    stock_push,
    stockout_holds,
    tracking_updates,
)
from crossdock.connectors.x12 import input_handlers as x12_input_handlers  # noqa: F401
from crossdock.connectors.x12 import jobs as x12_jobs  # noqa: F401
from crossdock.flows import (  # noqa: F401
    alerts,
    intake,
    order_dispatch,
    order_holds,
    order_reroute,
    return_authorisation,
    stock_comparison,
    stock_discrepancies,
    stock_levels,
    wake_sweep,
    warehouse_feedback,
)
from crossdock.jobs import builtin, runner, schedules  # noqa: F401
