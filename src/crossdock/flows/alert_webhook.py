"""Alerts to a webhook: one Slack-compatible JSON message POSTed with httpx.

The URL is the webhook's credential (whoever knows it can post), so only its host ever leaves this module:
in outcomes, in errors, in what the caller records and logs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from crossdock.flows.alert_outcomes import DeliveryFailed, DeliveryReceipt

# Enough of an answer to tell why a webhook refused a message (Slack answers "invalid_payload",
# "no_service", ...), short enough for outbound_calls.
_BODY_SHOWN = 200


def webhook_host(url: str) -> str:
    return urlsplit(url).hostname or "unknown host"


def without_url(text: str, url: str) -> str:
    """``text`` with the URL (and its path, which is what makes it secret) replaced by the host."""
    host = webhook_host(url)
    path = urlsplit(url).path
    text = text.replace(url, host)
    return text.replace(path, "/***") if len(path) > 1 else text


def post_webhook(url: str, payload: dict[str, Any], *, timeout_seconds: float) -> DeliveryReceipt:
    """POST ``payload``; a 2xx answer is a receipt, anything else raises DeliveryFailed."""
    try:
        response = httpx.post(url, json=payload, timeout=timeout_seconds)
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as error:
        description = without_url(f"{type(error).__name__}: {error}", url)
        raise DeliveryFailed(description, retriable=True) from None
    except httpx.HTTPError as error:  # an unusable URL or a protocol the client refuses: no retry helps
        description = without_url(f"{type(error).__name__}: {error}", url)
        raise DeliveryFailed(description, retriable=False) from None
    summary = {"status_code": response.status_code, "body": without_url(response.text[:_BODY_SHOWN], url)}
    if response.is_success:
        return DeliveryReceipt(response_summary=summary)
    retriable = response.status_code == 429 or response.status_code >= 500
    description = f"{webhook_host(url)} answered HTTP {response.status_code}"
    raise DeliveryFailed(description, retriable=retriable, response_summary=summary)
