"""The seed's edge cases, one module per theme; importing this package registers them, in this order."""

from crossdock.scenarios.catalog import (  # noqa: F401
    cancellations,
    catalog_fixes,
    edits,
    outages,
    returns,
    shipments,
    stockouts,
    throttling,
    webhooks,
)
