"""Rehearsals before go-live: `crossdock scenarios` runs the seed's edge cases end to end — against the
Shopify sandbox, the X12 3PL sandbox and a hub wired to both, each from a clean state — and checks what each
side ends with."""
