"""Shopify's webhook signature: ``X-Shopify-Hmac-Sha256`` is the base64 of the HMAC-SHA256 of the raw
request body, keyed with the app's client secret. Only the body is signed; the headers (shop domain, topic,
webhook id) are trusted only once the body's signature made with *that shop's* secret matches."""

from __future__ import annotations

import base64
import hmac

# hashlib lets go of the GIL to hash more than 2047 bytes at once. For a webhook body (a few KB, hashed in
# microseconds) that is a loss: the event loop thread then waits to get the GIL back from the job threads,
# up to the 5 ms switch interval per request, under load. Fed in smaller pieces, the hash keeps the GIL.
_GIL_KEPT_BELOW = 2048


def webhook_signature(app_secret: bytes, body: bytes) -> bytes:
    mac = hmac.new(app_secret, digestmod="sha256")
    view = memoryview(body)
    for start in range(0, len(view), _GIL_KEPT_BELOW - 1):
        mac.update(view[start : start + _GIL_KEPT_BELOW - 1])
    return base64.b64encode(mac.digest())


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
