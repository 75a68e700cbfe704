"""Webhooks as Shopify runs them: subscriptions managed over GraphQL, and signed, retried, at-least-once
deliveries of events to the subscribers' HTTP endpoints, with faults that can be switched on for tests."""
