"""Shopify's webhook signature: ``X-Shopify-Hmac-Sha256`` is the base64 of the HMAC-SHA256 of the raw
request body, keyed with the app's client secret. Only the body is signed; the headers (shop domain, topic,
webhook id) are trusted only once the body's signature made with *that shop's* secret matches."""

from __future__ import annotations

import base64
import hmac


def webhook_signature(app_secret: bytes, body: bytes) -> bytes:
    return base64.b64encode(hmac.digest(app_secret, body, "sha256"))


def is_signed_by(app_secret: bytes, body: bytes, signature_header: str | None) -> bool:
    """Whether the header carries the body's signature; compared in constant time, so a forger learns nothing
    from how long the refusal took."""
    if not signature_header:
        return False
    try:
        presented = signature_header.encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(webhook_signature(app_secret, body), presented)
