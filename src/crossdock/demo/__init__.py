"""``python -m crossdock.demo``: the hub, a Shopify sandbox and an X12 3PL sandbox started together in one
folder, orders placed at a steady rate, and a status line each second that follows them to the warehouse
and back to Shopify."""
