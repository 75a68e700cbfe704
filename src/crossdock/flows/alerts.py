"""Alerts: exceptions opened or seen again go to the webhooks and e-mail addresses of the rules they match,
grouped so that a burst makes one message per rule and channel per window (``[alerts] group_seconds``).

Every five seconds ``alerts.tick`` asks one ``alerts.deliver`` job per rule and channel for the window that
closed last (flows.alert_windows). The job reads the open exceptions seen since the channel's cursor — where
its previous message ended — up to the end of that window, claims the message in alert_deliveries, records
the attempt in outbound_calls, sends it, and records the outcome and moves the cursor in one transaction.

A job run again (retried, or resumed after a crash) finds the cursor past its window and sends nothing; a
job of a later window finds a message another job is sending claimed and leaves it, and the exceptions it
would have added to it go with the next window. Only a crash between the far side's answer and the record of
it sends a message twice (nothing tells whether it arrived); the e-mail then keeps its Message-ID.

A failure that another attempt may fix (connection, timeout, 429, 5xx, SMTP 4xx) is retried by the job
engine a few times within the window; if the last attempt fails too, an ``alert_delivery_failed`` exception
is raised and the cursor stays, so the next window's message carries these exceptions as well. A refusal
(another 4xx, SMTP 5xx) is not retried: the exception is raised, and the cursor moves past the message, which
would be refused again. A successful delivery resolves the channel's alert_delivery_failed exception.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from crossdock.config import AlertRuleSettings, Settings
from crossdock.flows.alert_email import compose, send_email
from crossdock.flows.alert_groups import (
    DELIVER_ALERTS,
    DELIVERY_FAILED,
    DELIVERY_FAILED_SUBJECT,
    AlertGroup,
    channel_subject,
    channels_of,
    group_for,
    severities_from,
)
from crossdock.flows.alert_messages import email_body, email_subject, slack_payload
from crossdock.flows.alert_outcomes import DeliveryFailed, DeliveryReceipt
from crossdock.flows.alert_webhook import post_webhook, webhook_host
from crossdock.flows.alert_windows import due_deliveries
from crossdock.jobs.context import JobContext
from crossdock.jobs.queues import MAINTENANCE
from crossdock.jobs.registry import job
from crossdock.jobs.retry import RetryPolicy
from crossdock.jobs.schedules import schedule
from crossdock.store.alert_deliveries import AlertChannel, DeliveryStatus
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import JobRequest, UnitOfWork

log = structlog.get_logger("crossdock.alerts")

ALERTS_TICK = "alerts.tick"
CURSOR_SOURCE = "alerts"
# A message claimed by another job this long ago is taken over: far longer than a send may take (each
# exchange times out within a minute), so only the claim of a job that died while sending is taken.
CLAIM_LEASE = timedelta(minutes=10)
# Four attempts, 2 + 4 + 8 s apart at least: within a one-minute window, before the next window's job.
DELIVERY_RETRY = RetryPolicy(max_attempts=4, base_seconds=2.0, max_seconds=30.0)

schedule(ALERTS_TICK, cron="*/5 * * * * *", job=ALERTS_TICK)


class AlertDeliveryRetry(Exception):
    """An alert did not get through, in a way that another attempt may fix: the job engine tries again."""


@job(ALERTS_TICK, queue=MAINTENANCE)
def enqueue_due_deliveries(ctx: JobContext) -> list[str]:
    due = due_deliveries(ctx.settings().alerts, utc_now())
    with ctx.unit_of_work() as uow:
        for delivery in due:
            uow.enqueue(JobRequest(job=DELIVER_ALERTS, key=delivery.key, args=delivery.args))
        uow.commit()
    return [delivery.key for delivery in due]


@job(DELIVER_ALERTS, queue=MAINTENANCE, retry=DELIVERY_RETRY)
def deliver_alerts(ctx: JobContext, rule: str, channel: str, seen_until: str) -> dict[str, Any]:
    settings = ctx.settings()
    try:
        rule_settings = settings.alerts.rule(rule)
    except LookupError:  # the rule left the configuration after the job was asked for
        log.info("alert rule no longer configured; nothing delivered", rule=rule, channel=channel)
        return {"status": "rule_not_configured"}
    if channel not in channels_of(rule_settings):
        log.info("alert channel no longer configured; nothing delivered", rule=rule, channel=channel)
        return {"status": "channel_not_configured"}
    delivery = Delivery(
        settings=settings,
        rule=rule_settings,
        channel=channel,
        seen_until=datetime.fromisoformat(seen_until),
        claimant=ctx.key,
        job_id=ctx.job_id,
        last_attempt=not DELIVERY_RETRY.should_retry(ctx.attempt),
    )
    return delivery.run(ctx.unit_of_work)


@dataclass(frozen=True)
class Delivery:
    """One rule's message on one channel for the window ending at ``seen_until``."""

    settings: Settings
    rule: AlertRuleSettings
    channel: AlertChannel
    seen_until: datetime
    # The key of the job: the same for each of its attempts, so a retry takes its own claim back.
    claimant: str
    job_id: str
    last_attempt: bool

    @property
    def cursor(self) -> str:
        return channel_subject(self.rule.name, self.channel)

    @property
    def target(self) -> str:
        return f"alerts.{self.channel}:{self.rule.name}"

    def run(self, open_uow: Callable[[], UnitOfWork]) -> dict[str, Any]:
        with open_uow() as uow:
            stored = uow.sync_cursors.get(CURSOR_SOURCE, self.cursor)
            seen_from = (
                datetime.fromisoformat(stored)
                if stored is not None
                else self.seen_until - timedelta(seconds=self.settings.alerts.group_seconds)
            )
            if seen_from >= self.seen_until:
                return {"status": "already_covered", "cursor": seen_from.isoformat()}
            candidates = uow.exceptions.open_seen_between(
                seen_from,
                self.seen_until,
                types=self.rule.types,
                severities=severities_from(self.rule.min_severity),
                account_ids=self.rule.accounts,
            )
            group = group_for(self.rule, self.channel, seen_from, self.seen_until, candidates)
            if not group.exceptions:
                self._advance_cursor(uow)
                uow.commit()
                return {"status": "nothing_to_send"}
            claimed = uow.alert_deliveries.claim(
                rule=self.rule.name,
                channel=self.channel,
                seen_from=seen_from,
                seen_until=self.seen_until,
                exception_count=len(group.exceptions),
                claimed_by=self.claimant,
                now=utc_now(),
                lease=CLAIM_LEASE,
            )
            uow.commit()
        if not claimed:
            log.info("alert message claimed by another job", rule=self.rule.name, channel=self.channel)
            return {"status": "claimed_elsewhere", "seen_from": seen_from.isoformat()}
        return self._send(open_uow, group)

    # -- sending --------------------------------------------------------------------------------------

    def _send(self, open_uow: Callable[[], UnitOfWork], group: AlertGroup) -> dict[str, Any]:
        idempotency_key = f"alert:{self.rule.name}:{self.channel}:{group.seen_from.isoformat()}"
        destination, request_summary, send = self._outgoing(group, idempotency_key)
        with open_uow() as uow:
            call_id = uow.outbound_calls.start(
                target=self.target,
                operation="send_alert",
                idempotency_key=idempotency_key,
                request_summary=request_summary,
                job_id=self.job_id,
            )
            uow.commit()
        started = time.perf_counter()
        try:
            receipt = send()
        except DeliveryFailed as failure:
            duration_ms = (time.perf_counter() - started) * 1000
            self._record_failure(open_uow, group, call_id, duration_ms, failure, destination)
            if failure.retriable and not self.last_attempt:
                raise AlertDeliveryRetry(f"{self.target} to {destination}: {failure.description}") from None
            return {"status": "failed" if failure.retriable else "dropped", "error": failure.description}
        duration_ms = (time.perf_counter() - started) * 1000
        self._record_success(open_uow, group, call_id, duration_ms, receipt, destination)
        return {"status": "sent", "exceptions": len(group.exceptions), "destination": destination}

    def _outgoing(
        self, group: AlertGroup, idempotency_key: str
    ) -> tuple[str, dict[str, Any], Callable[[], DeliveryReceipt]]:
        """Where the message goes (never a secret), what outbound_calls records of it, and how to send it."""
        public_url = self.settings.web.public_url
        covered = {
            "exceptions": len(group.exceptions),
            "seen_from": group.seen_from.isoformat(),
            "seen_until": group.seen_until.isoformat(),
        }
        if self.channel == "webhook":
            assert self.rule.webhook_url is not None  # channels_of() offers the webhook only when it is set
            url = self.rule.webhook_url.get_secret_value()
            payload = slack_payload(group, public_url)
            host = webhook_host(url)
            summary = {"host": host, "bytes": len(json.dumps(payload)), **covered}
            timeout = self.settings.alerts.webhook_timeout_seconds
            return host, summary, lambda: post_webhook(url, payload, timeout_seconds=timeout)
        smtp = self.settings.alerts.smtp
        assert smtp is not None  # the settings refuse email_to without [alerts.smtp]
        message = compose(
            smtp,
            self.rule.email_to,
            email_subject(group),
            email_body(group, public_url),
            _message_id(idempotency_key, group, smtp.sender),
        )
        server = f"{smtp.host}:{smtp.port}"
        summary = {"server": server, "recipients": list(self.rule.email_to), **covered}
        return server, summary, lambda: send_email(smtp, message, self.rule.email_to)

    # -- recording ------------------------------------------------------------------------------------

    def _record_success(
        self,
        open_uow: Callable[[], UnitOfWork],
        group: AlertGroup,
        call_id: int,
        duration_ms: float,
        receipt: DeliveryReceipt,
        destination: str,
    ) -> None:
        with open_uow() as uow:
            uow.outbound_calls.finish(
                call_id,
                status="succeeded",
                duration_ms=duration_ms,
                response_summary=receipt.response_summary,
            )
            self._finish_claim(uow, group, "sent")
            self._advance_cursor(uow)
            if receipt.refused:
                refusal = DeliveryFailed(
                    f"the server refused {', '.join(receipt.refused)}",
                    retriable=False,
                    response_summary=receipt.response_summary,
                )
                self._raise_delivery_failed(uow, group, refusal, destination)
            else:
                uow.exceptions.resolve_subject(
                    type=DELIVERY_FAILED,
                    subject_type=DELIVERY_FAILED_SUBJECT,
                    subject_id=self.cursor,
                    by=f"job {self.job_id}",
                )
            uow.commit()
        log.info(
            "alert sent",
            rule=self.rule.name,
            channel=self.channel,
            destination=destination,
            exceptions=len(group.exceptions),
        )

    def _record_failure(
        self,
        open_uow: Callable[[], UnitOfWork],
        group: AlertGroup,
        call_id: int,
        duration_ms: float,
        failure: DeliveryFailed,
        destination: str,
    ) -> None:
        with open_uow() as uow:
            uow.outbound_calls.finish(
                call_id,
                status="retriable_error" if failure.retriable else "fatal_error",
                duration_ms=duration_ms,
                response_summary=failure.response_summary,
                error=failure.description,
            )
            self._finish_claim(uow, group, "failed" if failure.retriable else "dropped")
            if not failure.retriable:
                self._advance_cursor(uow)
            if not failure.retriable or self.last_attempt:
                self._raise_delivery_failed(uow, group, failure, destination)
            uow.commit()
        log.warning(
            "alert not delivered",
            rule=self.rule.name,
            channel=self.channel,
            destination=destination,
            retriable=failure.retriable,
            error=failure.description,
        )

    def _raise_delivery_failed(
        self, uow: UnitOfWork, group: AlertGroup, failure: DeliveryFailed, destination: str
    ) -> None:
        consequence = (
            "they go with the next message of this channel"
            if failure.retriable
            else "the far side refused the message for good, so it is not sent again; check the rule"
        )
        uow.exceptions.raise_(
            type=DELIVERY_FAILED,
            severity="error",
            subject_type=DELIVERY_FAILED_SUBJECT,
            subject_id=self.cursor,
            message=(
                f"Alert rule {self.rule.name} could not send {len(group.exceptions)} exception(s) by "
                f"{self.channel} to {destination}: {failure.description}; {consequence}."
            ),
            details={
                "rule": self.rule.name,
                "channel": self.channel,
                "destination": destination,
                "exceptions": len(group.exceptions),
                "seen_from": group.seen_from.isoformat(),
                "seen_until": group.seen_until.isoformat(),
                "retriable": failure.retriable,
                "error": failure.description,
                "response": failure.response_summary,
            },
            actions=["resolve", "ignore"],
        )

    def _finish_claim(self, uow: UnitOfWork, group: AlertGroup, status: DeliveryStatus) -> None:
        uow.alert_deliveries.finish(
            rule=self.rule.name, channel=self.channel, seen_from=group.seen_from, status=status, now=utc_now()
        )

    def _advance_cursor(self, uow: UnitOfWork) -> None:
        """Move the channel's cursor to the end of this window, never back (a later window's job may have
        moved it further already)."""
        stored = uow.sync_cursors.get(CURSOR_SOURCE, self.cursor)
        if stored is None or datetime.fromisoformat(stored) < self.seen_until:
            uow.sync_cursors.set(CURSOR_SOURCE, self.cursor, self.seen_until.isoformat())


def _message_id(idempotency_key: str, group: AlertGroup, sender: str) -> str:
    """The same for the same message sent again, different for any other."""
    digest = hashlib.sha256(f"{idempotency_key}|{group.seen_until.isoformat()}".encode()).hexdigest()
    return f"<alert.{digest[:32]}@{sender.rpartition('@')[2]}>"
