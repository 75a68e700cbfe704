"""Which exceptions an alert rule sends, and the group one message carries: pure functions over exceptions
already read, so that matching and counting are tested without a database or a network.

A channel never sends its own failures: an ``alert_delivery_failed`` exception about a rule's webhook (or the
dead letter of one of its delivery jobs) goes out by e-mail and by the other rules, never to that webhook,
which would fail again and raise one more — an endless loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from crossdock.config import AlertRuleSettings
from crossdock.store.alert_deliveries import AlertChannel
from crossdock.store.exceptions import ExceptionRecord, Severity

# The job that delivers one rule's messages on one channel, and the exception it raises when it cannot.
DELIVER_ALERTS = "alerts.deliver"
DELIVERY_FAILED = "alert_delivery_failed"
DELIVERY_FAILED_SUBJECT = "alert_channel"

SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error", "critical")
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def severities_from(least: Severity) -> tuple[Severity, ...]:
    """``least`` and every severity above it."""
    return SEVERITIES[_RANK[least] :]


def channels_of(rule: AlertRuleSettings) -> tuple[AlertChannel, ...]:
    """The channels a rule sends on: a webhook once its URL is given, e-mail when it names addresses."""
    channels: list[AlertChannel] = []
    if rule.webhook_url is not None:
        channels.append("webhook")
    if rule.email_to:
        channels.append("email")
    return tuple(channels)


def channel_subject(rule: str, channel: AlertChannel) -> str:
    """What an alert_delivery_failed exception is about: one rule's one channel."""
    return f"{rule}/{channel}"


def is_about_channel(exception: ExceptionRecord, rule: str, channel: AlertChannel) -> bool:
    """Whether the exception reports a failure of this very channel of this rule."""
    if exception.type == DELIVERY_FAILED:
        return (exception.subject_type, exception.subject_id) == (
            DELIVERY_FAILED_SUBJECT,
            channel_subject(rule, channel),
        )
    if exception.type == "dead_letter" and exception.details.get("job") == DELIVER_ALERTS:
        args = exception.details.get("args")
        return isinstance(args, dict) and (args.get("rule"), args.get("channel")) == (rule, channel)
    return False


def rule_matches(rule: AlertRuleSettings, channel: AlertChannel, exception: ExceptionRecord) -> bool:
    return (
        (not rule.types or exception.type in rule.types)
        and _RANK[exception.severity] >= _RANK[rule.min_severity]
        and (not rule.accounts or exception.account_id in rule.accounts)
        and not is_about_channel(exception, rule.name, channel)
    )


@dataclass(frozen=True)
class AlertGroup:
    """The exceptions one message of one rule carries on one channel: those opened or seen again in
    [seen_from, seen_until) that the rule matches."""

    rule: str
    channel: AlertChannel
    seen_from: datetime
    seen_until: datetime
    exceptions: tuple[ExceptionRecord, ...]

    def counts(self) -> dict[str, Counter[Severity]]:
        """How many exceptions of each severity, per type; types in alphabetical order."""
        by_type: dict[str, Counter[Severity]] = {}
        for exception in self.exceptions:
            by_type.setdefault(exception.type, Counter())[exception.severity] += 1
        return dict(sorted(by_type.items()))

    def severity_counts(self) -> Counter[Severity]:
        return Counter(exception.severity for exception in self.exceptions)

    def most_pressing(self) -> list[ExceptionRecord]:
        """Every exception, the most severe first, then in the order they were last seen."""
        return sorted(self.exceptions, key=lambda item: (-_RANK[item.severity], item.last_seen_at, item.id))


def group_for(
    rule: AlertRuleSettings,
    channel: AlertChannel,
    seen_from: datetime,
    seen_until: datetime,
    exceptions: Iterable[ExceptionRecord],
) -> AlertGroup:
    """The group of ``rule`` on ``channel`` among exceptions seen in [seen_from, seen_until)."""
    return AlertGroup(
        rule=rule.name,
        channel=channel,
        seen_from=seen_from,
        seen_until=seen_until,
        exceptions=tuple(
            exception
            for exception in exceptions
            if seen_from <= exception.last_seen_at < seen_until and rule_matches(rule, channel, exception)
        ),
    )
