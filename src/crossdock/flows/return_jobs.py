"""The jobs of the returns flow, by name: the flow enqueues them, and those that call Shopify are implemented
by the shop side (``connectors.shopify.returns``), which the core never imports."""

from __future__ import annotations

# Read a return's lines from Shopify, then hand them to ``flows.return_intake.record_return_lines``.
READ_RETURN = "shop.read_return"
# Announce an approved return to the warehouse that shipped its goods (an RMA: an X12 180).
AUTHORISE_RETURN = "returns.authorise"
# Close a received return in Shopify, then ``flows.return_receipts.record_return_closed``.
CLOSE_RETURN = "shop.close_return"
