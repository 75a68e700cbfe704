"""``POST /webhooks/shopify``: verify, store, enqueue, answer — nothing else, and never a call to Shopify.

| delivery                                                          | answer | stored                     |
| ----------------------------------------------------------------- | ------ | -------------------------- |
| unknown shop, shop without app secret, missing or wrong signature | 401    | counted: see below         |
| signed, but no topic, or a header too long to store               | 400    | nothing                    |
| a body larger than ``MAX_BODY_BYTES``                             | 413    | nothing                    |
| another method than POST                                          | 405    | nothing                    |
| a topic the hub does not subscribe to                             | 200    | inbox row, ``ignored``     |
| a repeated ``X-Shopify-Webhook-Id``                               | 200    | nothing new                |
| anything else                                                     | 200    | inbox row + job, committed |
| the inbox could not be written                                    | 503    | nothing (Shopify retries)  |

Refused deliveries are counted in memory and written every few seconds as ``signature_failures`` exceptions
(crossdock.flows.refused_deliveries), never one write per request.

Shopify gives up on a delivery that takes more than 5 s and removes subscriptions that fail repeatedly, so the
handler does the least it can: no JSON parsing (the body is stored as received, parsed by the job), one HMAC,
and the write goes through the process's ``InboxWriter`` (group commit).

It is a plain ASGI application that the hub's app (``web/app.py``) calls before FastAPI's own stack: with
uvicorn's HTTP parsing, FastAPI's middleware, routing and Request/Response objects were half of the CPU a
delivery cost in the intake benchmark, and deliveries are most of the hub's traffic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from starlette.types import Receive, Scope, Send

from crossdock.config import Settings
from crossdock.connectors.shopify.topics import SUBSCRIBED_TOPICS
from crossdock.connectors.shopify.webhook_signature import is_signed_by
from crossdock.flows.inbox_writer import InboxWriter
from crossdock.flows.intake import Input
from crossdock.flows.refused_deliveries import RefusalTally
from crossdock.metrics import WEBHOOKS_RECEIVED

log = structlog.get_logger("crossdock.webhooks")

WEBHOOK_PATH = "/webhooks/shopify"
SOURCE = "shopify"

# The headers kept with the input, under the names handlers read them by (entry.headers["X-Shopify-Topic"]).
STORED_HEADERS: dict[bytes, str] = {
    name.lower().encode("latin-1"): name
    for name in (
        "X-Shopify-Topic",
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
        "X-Shopify-Event-Id",
        "X-Shopify-Triggered-At",
        "X-Shopify-API-Version",
    )
}
_SHOPIFY_HEADER_PREFIX = b"x-shopify-"
_TOPIC, _DOMAIN, _WEBHOOK_ID, _HMAC = (
    b"x-shopify-topic",
    b"x-shopify-shop-domain",
    b"x-shopify-webhook-id",
    b"x-shopify-hmac-sha256",
)
# The inbox's kind and dedupe_key columns hold 100 and 255 characters.
MAX_TOPIC_LENGTH = 100
MAX_WEBHOOK_ID_LENGTH = 255
# An order of a few hundred lines is a few hundred KB; nothing Shopify sends comes near this.
MAX_BODY_BYTES = 16 * 1024 * 1024

_OK = b'{"ok":true}'
_JSON_HEADERS = [(b"content-type", b"application/json")]
_counted = {
    outcome: WEBHOOKS_RECEIVED.labels(SOURCE, outcome)
    for outcome in ("stored", "duplicate", "ignored", "unauthorized", "invalid", "unavailable")
}


@dataclass(frozen=True)
class WebhookShop:
    domain: str
    account_id: str
    # None: the shop is declared without an app secret, so none of its webhooks can be verified.
    app_secret: bytes | None


def shops_by_domain(settings: Settings) -> dict[str, WebhookShop]:
    return {
        shop.domain: WebhookShop(
            domain=shop.domain,
            account_id=shop.account,
            app_secret=None if shop.app_secret is None else shop.app_secret.get_secret_value().encode(),
        )
        for shop in settings.shops.values()
    }


class BodyTooLarge(Exception):
    pass


class ShopifyWebhookIntake:
    """The ASGI application of ``WEBHOOK_PATH``. ``writer`` gives the process's ``InboxWriter``, which the
    app's lifespan starts after this object is built."""

    def __init__(
        self, settings: Settings, writer: Callable[[], InboxWriter], refusals: RefusalTally | None = None
    ) -> None:
        self._shops = shops_by_domain(settings)
        self._writer = writer
        self._refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _answer(send, 405, _error_body("only POST is accepted"), extra=((b"allow", b"POST"),))
            return
        shopify_headers = {
            name: value for name, value in scope["headers"] if name.startswith(_SHOPIFY_HEADER_PREFIX)
        }
        domain = shopify_headers.get(_DOMAIN, b"").decode("latin-1").lower()
        shop = self._shops.get(domain)
        if shop is None:
            self._count_refusal(domain, "unknown shop", None)
            await _refused(send, 401, "unknown shop", domain)
            return
        if shop.app_secret is None:
            self._count_refusal(domain, "no app secret configured", shop)
            await _refused(send, 401, "the shop has no app secret to verify its webhooks with", domain)
            return
        try:
            body = await _read_body(receive)
        except BodyTooLarge:
            await _refused(send, 413, f"body larger than {MAX_BODY_BYTES} bytes", domain, outcome="invalid")
            return
        signature = shopify_headers.get(_HMAC)
        if not is_signed_by(
            shop.app_secret, body, None if signature is None else signature.decode("latin-1")
        ):
            self._count_refusal(
                domain, "missing signature" if signature is None else "invalid signature", shop
            )
            await _refused(send, 401, "invalid signature", domain)
            return

        topic = shopify_headers.get(_TOPIC, b"").decode("latin-1")
        webhook_id = shopify_headers.get(_WEBHOOK_ID, b"").decode("latin-1")
        if not topic or len(topic) > MAX_TOPIC_LENGTH or len(webhook_id) > MAX_WEBHOOK_ID_LENGTH:
            await _refused(
                send, 400, "missing topic, or a topic or webhook id too long", domain, outcome="invalid"
            )
            return
        # Without a webhook id, the same event signed twice is still the same input.
        dedupe_key = webhook_id or "sha256:" + hashlib.sha256(topic.encode() + body).hexdigest()
        subscribed = topic in SUBSCRIBED_TOPICS
        received = Input(
            source=SOURCE,
            kind=topic,
            dedupe_key=dedupe_key,
            payload=body,
            headers={
                STORED_HEADERS[name]: value.decode("latin-1")
                for name, value in shopify_headers.items()
                if name in STORED_HEADERS
            },
            account_id=shop.account_id,
            ignored_because=None if subscribed else f"topic {topic} is not one the hub subscribes to",
        )
        try:
            recorded = await self._writer().submit(received)
        except Exception as error:
            _counted["unavailable"].inc()
            log.error("shopify webhook not stored", shop_domain=domain, topic=topic, error=repr(error))
            await _answer(send, 503, _error_body("not stored, retry later"))
            return
        _counted["duplicate" if not recorded.is_new else "stored" if subscribed else "ignored"].inc()
        await _answer(send, 200, _OK)

    def _count_refusal(self, domain: str, reason: str, shop: WebhookShop | None) -> None:
        if self._refusals is not None:
            self._refusals.count(
                claimed_domain=domain,
                reason=reason,
                shop_account=None if shop is None else shop.account_id,
                known=shop is not None,
            )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _answer(
    send: Send, status: int, body: bytes, *, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode()), *extra],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _error_body(reason: str) -> bytes:
    return json.dumps({"error": reason}).encode()


async def _refused(
    send: Send, status: int, reason: str, domain: str, *, outcome: str = "unauthorized"
) -> None:
    _counted[outcome].inc()
    # The domain is not authenticated (headers are not signed): logged as what the request claimed.
    log.warning("shopify webhook refused", reason=reason, claimed_shop_domain=domain[:255])
    await _answer(send, status, _error_body(reason))
