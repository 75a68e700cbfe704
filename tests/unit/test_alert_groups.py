"""Which exceptions an alert rule sends, how they are grouped, and which deliveries a window makes: pure
functions, checked on every combination hypothesis finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crossdock.config import AlertRuleSettings, AlertSettings, SmtpSettings
from crossdock.flows.alert_groups import (
    DELIVER_ALERTS,
    DELIVERY_FAILED,
    DELIVERY_FAILED_SUBJECT,
    SEVERITIES,
    channels_of,
    group_for,
    rule_matches,
    severities_from,
)
from crossdock.flows.alert_windows import SETTLE, due_deliveries, last_closed_window_end
from crossdock.store.exceptions import ExceptionRecord, Severity

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
TYPES = ("dead_letter", "executor_lost", "stock_discrepancy", "unacknowledged_document")
ACCOUNTS = (None, "acme", "globex")


def exception(
    id: int = 1,
    *,
    type: str = "dead_letter",
    severity: Severity = "error",
    account_id: str | None = "acme",
    seconds: float = 0,
    subject: tuple[str, str] = ("order", "1001"),
    details: dict[str, Any] | None = None,
) -> ExceptionRecord:
    seen = T0 + timedelta(seconds=seconds)
    return ExceptionRecord(
        id=id,
        account_id=account_id,
        type=type,
        severity=severity,
        status="open",
        subject_type=subject[0],
        subject_id=subject[1],
        message=f"problem {id}",
        details=details or {},
        actions=["resolve"],
        occurrences=1,
        first_seen_at=seen,
        last_seen_at=seen,
        closed_at=None,
        closed_by=None,
    )


def rule(**values: Any) -> AlertRuleSettings:
    return AlertRuleSettings.model_validate(
        {"name": "ops", "webhook_url": "https://hooks.example/x", **values}
    )


exceptions_strategy = st.lists(
    st.builds(
        exception,
        id=st.integers(min_value=1, max_value=10_000),
        type=st.sampled_from(TYPES),
        severity=st.sampled_from(SEVERITIES),
        account_id=st.sampled_from(ACCOUNTS),
        seconds=st.floats(min_value=0, max_value=600, allow_nan=False),
    ),
    max_size=60,
)
rules_strategy = st.builds(
    rule,
    types=st.lists(st.sampled_from(TYPES), unique=True, max_size=3),
    min_severity=st.sampled_from(SEVERITIES),
    accounts=st.lists(st.sampled_from(["acme", "globex"]), unique=True, max_size=2),
)


def test_a_rule_matches_by_type_severity_and_account() -> None:
    errors_of_acme = rule(types=["dead_letter"], min_severity="error", accounts=["acme"])
    assert rule_matches(errors_of_acme, "webhook", exception())
    assert rule_matches(errors_of_acme, "webhook", exception(severity="critical"))
    assert not rule_matches(errors_of_acme, "webhook", exception(severity="warning"))
    assert not rule_matches(errors_of_acme, "webhook", exception(type="executor_lost"))
    assert not rule_matches(errors_of_acme, "webhook", exception(account_id="globex"))
    # A rule limited to accounts leaves out the hub's own exceptions, which belong to none.
    assert not rule_matches(errors_of_acme, "webhook", exception(account_id=None))
    everything = rule(min_severity="info")
    assert all(
        rule_matches(everything, "email", exception(type=type_, severity=severity, account_id=account))
        for type_ in TYPES
        for severity in SEVERITIES
        for account in ACCOUNTS
    )


def test_severities_from_the_least_severe_up() -> None:
    assert severities_from("info") == SEVERITIES
    assert severities_from("error") == ("error", "critical")
    assert severities_from("critical") == ("critical",)


def test_a_channel_never_sends_its_own_failures_but_the_other_channel_does() -> None:
    everything = rule(min_severity="info", email_to=["ops@example.com"])
    webhook_failed = exception(
        type=DELIVERY_FAILED, account_id=None, subject=(DELIVERY_FAILED_SUBJECT, "ops/webhook")
    )
    other_rule_failed = exception(
        type=DELIVERY_FAILED, account_id=None, subject=(DELIVERY_FAILED_SUBJECT, "billing/webhook")
    )
    delivery_dead = exception(
        type="dead_letter",
        details={"job": DELIVER_ALERTS, "args": {"rule": "ops", "channel": "webhook"}},
    )
    other_dead = exception(type="dead_letter", details={"job": "x12.collect", "args": {"warehouse": "east"}})

    assert not rule_matches(everything, "webhook", webhook_failed)
    assert not rule_matches(everything, "webhook", delivery_dead)
    assert rule_matches(everything, "email", webhook_failed)
    assert rule_matches(everything, "email", delivery_dead)
    assert rule_matches(everything, "webhook", other_rule_failed)
    assert rule_matches(everything, "webhook", other_dead)
    # Even a rule that asks for alert_delivery_failed by name does not get its own channel's.
    assert not rule_matches(rule(types=[DELIVERY_FAILED]), "webhook", webhook_failed)


def test_a_rule_sends_on_the_channels_it_has() -> None:
    assert channels_of(rule()) == ("webhook",)
    assert channels_of(rule(webhook_url=None, email_to=["ops@example.com"])) == ("email",)
    assert channels_of(rule(email_to=["ops@example.com"])) == ("webhook", "email")
    assert channels_of(rule(webhook_url=None)) == ()


@given(
    exceptions=exceptions_strategy,
    alert_rule=rules_strategy,
    cuts=st.lists(st.floats(min_value=1, max_value=599, allow_nan=False), max_size=8),
)
def test_successive_windows_carry_every_matching_exception_exactly_once(
    exceptions: list[ExceptionRecord], alert_rule: AlertRuleSettings, cuts: list[float]
) -> None:
    bounds = [T0, *sorted(T0 + timedelta(seconds=cut) for cut in set(cuts)), T0 + timedelta(seconds=601)]
    groups = [group_for(alert_rule, "webhook", start, end, exceptions) for start, end in pairwise(bounds)]

    carried = [item for group in groups for item in group.exceptions]
    expected = [item for item in exceptions if rule_matches(alert_rule, "webhook", item)]
    # Nothing dropped, nothing twice (an exception object appears as often as it was given).
    assert sorted(map(id, carried)) == sorted(map(id, expected))
    for group in groups:
        assert all(group.seen_from <= item.last_seen_at < group.seen_until for item in group.exceptions)
        counted = sum(sum(counts.values()) for counts in group.counts().values())
        assert counted == len(group.exceptions) == sum(group.severity_counts().values())
        assert sorted(map(id, group.most_pressing())) == sorted(map(id, group.exceptions))


def test_the_most_pressing_come_first() -> None:
    group = group_for(
        rule(min_severity="info"),
        "webhook",
        T0,
        T0 + timedelta(minutes=1),
        [
            exception(1, severity="warning", seconds=1),
            exception(2, severity="critical", seconds=5),
            exception(3, severity="critical", seconds=2),
            exception(4, severity="info", seconds=0),
        ],
    )
    assert [item.id for item in group.most_pressing()] == [3, 2, 1, 4]
    assert group.counts() == {"dead_letter": {"warning": 1, "critical": 2, "info": 1}}


def alert_settings(*rules: AlertRuleSettings, group_seconds: int = 60) -> AlertSettings:
    smtp = SmtpSettings(host="127.0.0.1", sender="hub@example.com")
    return AlertSettings(group_seconds=group_seconds, smtp=smtp, rules=list(rules))


@given(
    offset=st.floats(min_value=0, max_value=86_400 * 3, allow_nan=False),
    group_seconds=st.integers(min_value=10, max_value=86_400),
)
def test_the_closed_window_is_the_latest_that_ended_a_settling_delay_ago(
    offset: float, group_seconds: int
) -> None:
    now = T0 + timedelta(seconds=offset)
    end = last_closed_window_end(now, group_seconds)
    assert end.timestamp() % group_seconds == 0
    assert end <= now - SETTLE < end + timedelta(seconds=group_seconds)


@given(
    ticks=st.lists(st.floats(min_value=0, max_value=3_600, allow_nan=False), min_size=1, max_size=40),
    group_seconds=st.sampled_from([10, 60, 300]),
)
def test_every_tick_of_a_window_asks_the_same_single_delivery_per_rule_and_channel(
    ticks: list[float], group_seconds: int
) -> None:
    both = rule(name="ops", email_to=["ops@example.com"])
    webhook_only = rule(name="acme-errors", accounts=["acme"])
    silent = rule(name="not-yet", webhook_url=None)
    alerts = alert_settings(both, webhook_only, silent, group_seconds=group_seconds)

    asked: dict[datetime, set[str]] = {}
    for tick in ticks:
        now = T0 + timedelta(seconds=tick)
        due = due_deliveries(alerts, now)
        assert [(item.rule, item.channel) for item in due] == [
            ("ops", "webhook"),
            ("ops", "email"),
            ("acme-errors", "webhook"),
        ]
        end = last_closed_window_end(now, group_seconds)
        assert {item.seen_until for item in due} == {end}
        asked.setdefault(end, set()).update(item.key for item in due)
    # The job engine runs one job per key: one per rule and channel for each window, whatever the ticks.
    for end, keys in asked.items():
        assert len(keys) == 3
        assert all(key.endswith(f"@{end:%Y%m%dT%H%M%SZ}") for key in keys)


def test_a_delivery_carries_its_window_in_its_key_and_args() -> None:
    alerts = alert_settings(rule(name="ops"))
    (due,) = due_deliveries(alerts, datetime(2026, 11, 1, 9, 1, 7, tzinfo=UTC))
    assert due.key == "ops/webhook@20261101T090100Z"
    assert due.args == {"rule": "ops", "channel": "webhook", "seen_until": "2026-11-01T09:01:00+00:00"}
    # Five seconds after the end of a window it is not yet settled: the one before is the latest.
    (early,) = due_deliveries(alerts, datetime(2026, 11, 1, 9, 1, 4, tzinfo=UTC))
    assert early.seen_until == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
