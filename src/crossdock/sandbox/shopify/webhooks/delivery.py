"""Delivery of webhook events as Shopify does it: a signed JSON POST per subscription, retried on failure,
at least once and in no guaranteed order — plus faults (duplicates, reordering, delays, drops) that a test
switches on to prove a receiver copes with what Shopify is allowed to do.

A delivery succeeds on a 2xx answer within ``timeout_seconds`` (Shopify: 5 s). Anything else — another
status, a redirect (not followed), a connection error, a slow answer — fails the attempt. The first attempt
is followed by up to 8 retries; retry *n* starts ``RETRY_DELAYS_SECONDS[n - 1] * time_scale`` after attempt
*n* ends:

    retry:       1     2     3      4      5      6      7      8
    delay:      1 m   2 m   5 m   10 m   20 m   30 m    1 h    2 h     (total 4 h 8 min, 14,880 s)

Shopify documents "8 retries over 4 hours" but not the individual delays; these grow roughly geometrically
and add up to about 4 hours. With ``time_scale=0.001`` the whole schedule takes about 15 s. After the 9th
failed attempt the delivery is given up and the log notes that Shopify would remove the subscription; the
sandbox removes it only when ``remove_after_given_up`` is set (after that many consecutive given-up
deliveries to it).

Every attempt of one delivery — and a deliberate duplicate of it — carries the same ``X-Shopify-Webhook-Id``;
every delivery of one event carries the same ``X-Shopify-Event-Id``.

``workers`` threads send, each one request at a time, taking deliveries in due-time order. Shopify sends in
parallel, so deliveries due together may arrive in any order, and a receiver that hangs holds back only the
worker it holds. One worker (the default, for tests that read the log in sequence) sends strictly in
due-time order, and a receiver that hangs until the timeout holds back every delivery due behind it.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from crossdock.sandbox.shopify.webhooks.subscriptions import SubscriptionRegistry, WebhookSubscription

RETRY_DELAYS_SECONDS: tuple[float, ...] = (60, 120, 300, 600, 1200, 1800, 3600, 7200)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS_SECONDS)
API_VERSION = "2026-07"
DEFAULT_APP_SECRET = "crossdock-sandbox-app-secret"
WOULD_BE_REMOVED = "subscription would be removed"
REMOVED = "subscription removed"

Outcome = Literal["delivered", "retry_scheduled", "given_up", "dropped", "duplicate"]


def wall_clock() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def signature(app_secret: str, body: bytes) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 of the HMAC-SHA256 of the raw body, keyed with the app's secret."""
    return base64.b64encode(hmac.new(app_secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class DeliveryFaults:
    """What may go wrong, switched at run time by assigning a new instance to ``WebhookService.faults``.

    Rates are probabilities per delivery, drawn from ``rng`` (seeded with ``seed``) so a run is reproducible.
    ``delay_seconds`` and ``reorder_window_seconds`` are real seconds; ``time_scale`` stretches only the
    retry schedule; ``timeout_seconds`` is real (a receiver's slowness is real)."""

    time_scale: float = 1.0
    duplicate_rate: float = 0.0
    drop_rate: float = 0.0
    # Reordering holds each first attempt an extra random 0..window seconds, so deliveries emitted within
    # one window go out in a shuffled order.
    reorder: bool = False
    reorder_window_seconds: float = 0.5
    delay_seconds: float = 0.0
    timeout_seconds: float = 5.0
    seed: int = 0
    rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("duplicate_rate", "drop_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.time_scale <= 0 or self.timeout_seconds <= 0:
            raise ValueError("time_scale and timeout_seconds must be positive")
        if self.delay_seconds < 0 or self.reorder_window_seconds < 0:
            raise ValueError("delay_seconds and reorder_window_seconds cannot be negative")
        self.rng = random.Random(self.seed)


@dataclass(frozen=True)
class Delivery:
    """One event for one subscription; retried and duplicated under the same ``webhook_id``."""

    webhook_id: str
    event_id: str
    topic: str
    subscription_id: int
    uri: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class AttemptRecord:
    webhook_id: str
    event_id: str
    topic: str
    uri: str
    attempt: int  # 1 for the first try, 2..9 for the retries; 0 for a dropped delivery, never attempted
    started_at: datetime
    status_code: int | None
    error: str | None
    duration_seconds: float
    outcome: Outcome
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "webhookId": self.webhook_id,
            "eventId": self.event_id,
            "topic": self.topic,
            "uri": self.uri,
            "attempt": self.attempt,
            "startedAt": iso_utc(self.started_at),
            "statusCode": self.status_code,
            "error": self.error,
            "durationSeconds": round(self.duration_seconds, 6),
            "outcome": self.outcome,
            "note": self.note,
        }


@dataclass(order=True)
class _Job:
    due: float
    sequence: int
    delivery: Delivery = field(compare=False)
    attempt: int = field(compare=False)
    is_duplicate: bool = field(compare=False, default=False)


class WebhookService:
    """The shop's webhook subscriptions and their deliveries. ``emit`` never blocks on the network: the
    deliveries are queued for a worker thread, started on the first emit and ended by ``stop``."""

    def __init__(
        self,
        app_secret: str = DEFAULT_APP_SECRET,
        *,
        faults: DeliveryFaults | None = None,
        remove_after_given_up: int | None = None,
        clock: Callable[[], datetime] = wall_clock,
        workers: int = 1,
    ) -> None:
        if workers < 1:
            raise ValueError("a webhook service needs at least one delivery worker")
        self.app_secret = app_secret
        self.faults = faults or DeliveryFaults()
        self.remove_after_given_up = remove_after_given_up
        self.subscriptions = SubscriptionRegistry()
        self._clock = clock
        self._queue: list[_Job] = []
        self._sequence = itertools.count()
        self._log: list[AttemptRecord] = []
        self._given_up_in_a_row: dict[int, int] = {}
        self._in_flight = 0
        self._condition = threading.Condition()
        self._worker_count = workers
        self._workers: list[threading.Thread] = []
        self._stopped = False

    # -- the caller's side ----------------------------------------------------------------------------

    def emit(self, topic: str, payload: dict[str, Any], shop_domain: str) -> list[Delivery]:
        """Queue one delivery of ``payload`` per subscription to ``topic`` (e.g. ``orders/create``) whose
        filter it passes; return them, dropped ones included (they are logged, never sent)."""
        event_id = str(uuid.uuid4())
        triggered_at = iso_utc(self._clock())
        deliveries = [
            self._delivery(subscription, topic, payload, shop_domain, event_id, triggered_at)
            for subscription in self.subscriptions.for_topic(topic)
            if subscription.accepts(payload)
        ]
        with self._condition:
            if self._stopped:
                raise RuntimeError("the webhook service is stopped")
            faults = self.faults
            now = time.monotonic()
            for delivery in deliveries:
                if faults.rng.random() < faults.drop_rate:
                    self._log.append(self._unattempted(delivery, "dropped"))
                    continue
                due = now + faults.delay_seconds
                if faults.reorder:
                    due += faults.rng.uniform(0.0, faults.reorder_window_seconds)
                self._push(_Job(due, next(self._sequence), delivery, attempt=1))
                if faults.rng.random() < faults.duplicate_rate:
                    # Queued after the original (same due time, later sequence): a second copy, same id.
                    self._push(_Job(due, next(self._sequence), delivery, attempt=1, is_duplicate=True))
            self._start_workers()
            self._condition.notify_all()
        return deliveries

    def attempts(self) -> list[AttemptRecord]:
        """The delivery log, oldest first: every attempt, and every dropped delivery."""
        with self._condition:
            return list(self._log)

    def attempts_json(self) -> list[dict[str, Any]]:
        return [record.to_json() for record in self.attempts()]

    def pending(self) -> int:
        """Deliveries queued (first attempts, retries, duplicates) or being sent right now."""
        with self._condition:
            return len(self._queue) + self._in_flight

    def stop(self, timeout: float = 10.0) -> None:
        """End the worker; queued deliveries and retries are abandoned (not logged)."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
            workers = list(self._workers)
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    # -- building deliveries --------------------------------------------------------------------------

    def _delivery(
        self,
        subscription: WebhookSubscription,
        topic: str,
        payload: dict[str, Any],
        shop_domain: str,
        event_id: str,
        triggered_at: str,
    ) -> Delivery:
        body = json.dumps(subscription.shape(payload), separators=(",", ":")).encode()
        webhook_id = str(uuid.uuid4())
        return Delivery(
            webhook_id=webhook_id,
            event_id=event_id,
            topic=topic,
            subscription_id=subscription.id,
            uri=subscription.uri,
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": signature(self.app_secret, body),
                "X-Shopify-Shop-Domain": shop_domain,
                "X-Shopify-API-Version": API_VERSION,
                "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered_at,
            },
        )

    def _unattempted(self, delivery: Delivery, outcome: Outcome) -> AttemptRecord:
        return AttemptRecord(
            webhook_id=delivery.webhook_id,
            event_id=delivery.event_id,
            topic=delivery.topic,
            uri=delivery.uri,
            attempt=0,
            started_at=self._clock(),
            status_code=None,
            error=None,
            duration_seconds=0.0,
            outcome=outcome,
        )

    # -- the worker's side ----------------------------------------------------------------------------

    def _push(self, job: _Job) -> None:
        heapq.heappush(self._queue, job)

    def _start_workers(self) -> None:
        if not self._workers:
            for number in range(self._worker_count):
                worker = threading.Thread(
                    target=self._work, name=f"sandbox-webhook-delivery-{number}", daemon=True
                )
                self._workers.append(worker)
                worker.start()

    def _next_due_job(self) -> _Job | None:
        """Wait for the earliest job to fall due; None once stopped."""
        with self._condition:
            while not self._stopped:
                if self._queue:
                    wait = self._queue[0].due - time.monotonic()
                    if wait <= 0:
                        self._in_flight += 1
                        return heapq.heappop(self._queue)
                    self._condition.wait(wait)
                else:
                    self._condition.wait()
            return None

    def _work(self) -> None:
        with httpx.Client(follow_redirects=False) as client:
            while (job := self._next_due_job()) is not None:
                try:
                    self._attempt(client, job)
                finally:
                    with self._condition:
                        self._in_flight -= 1

    def _attempt(self, client: httpx.Client, job: _Job) -> None:
        delivery = job.delivery
        timeout = self.faults.timeout_seconds
        started_at = self._clock()
        began = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        try:
            response = client.post(
                delivery.uri, content=delivery.body, headers=delivery.headers, timeout=timeout
            )
            status_code = response.status_code
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        duration = time.monotonic() - began
        if error is None and duration > timeout:
            # httpx times each read and write; Shopify bounds the whole exchange.
            error = "timeout"
        succeeded = error is None and status_code is not None and 200 <= status_code < 300

        with self._condition:
            note: str | None = None
            if job.is_duplicate:
                outcome: Outcome = "duplicate"
            elif succeeded:
                outcome = "delivered"
                self._given_up_in_a_row.pop(delivery.subscription_id, None)
            elif job.attempt < MAX_ATTEMPTS:
                outcome = "retry_scheduled"
                delay = RETRY_DELAYS_SECONDS[job.attempt - 1] * self.faults.time_scale
                self._push(_Job(time.monotonic() + delay, next(self._sequence), delivery, job.attempt + 1))
                self._condition.notify_all()
            else:
                outcome = "given_up"
                note = self._after_giving_up(delivery.subscription_id)
            self._log.append(
                AttemptRecord(
                    webhook_id=delivery.webhook_id,
                    event_id=delivery.event_id,
                    topic=delivery.topic,
                    uri=delivery.uri,
                    attempt=job.attempt,
                    started_at=started_at,
                    status_code=status_code,
                    error=error,
                    duration_seconds=duration,
                    outcome=outcome,
                    note=note,
                )
            )

    def _after_giving_up(self, subscription_id: int) -> str:
        count = self._given_up_in_a_row.get(subscription_id, 0) + 1
        self._given_up_in_a_row[subscription_id] = count
        if self.remove_after_given_up is not None and count >= self.remove_after_given_up:
            self.subscriptions.delete(subscription_id)
            self._given_up_in_a_row.pop(subscription_id, None)
            return REMOVED
        return WOULD_BE_REMOVED
