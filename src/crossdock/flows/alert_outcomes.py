"""What sending an alert comes to: a receipt worth recording, or a failure that says whether trying again
may help. Neither ever holds a secret (a webhook URL, an SMTP password): both are written to outbound_calls,
exceptions and logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeliveryReceipt:
    # What the far side answered, as outbound_calls records it.
    response_summary: dict[str, Any]
    # E-mail recipients the server refused while it took the message for the others.
    refused: tuple[str, ...] = field(default=())


class DeliveryFailed(Exception):
    """The message did not get through. ``retriable``: a later attempt may succeed (a timeout, a lost
    connection, 429, 5xx, an SMTP 4xx); otherwise the far side refused it for good (another 4xx, SMTP 5xx)."""

    def __init__(self, description: str, *, retriable: bool, response_summary: dict[str, Any] | None = None):
        super().__init__(description)
        self.description = description
        self.retriable = retriable
        self.response_summary = response_summary
