"""crossdock: orchestration hub between Shopify stores and 3PL warehouses."""

__version__ = "0.1.0"
