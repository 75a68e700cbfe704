"""Alerts end to end: exceptions in the hub's database (SQLite, or PostgreSQL when CROSSDOCK_TEST_DATABASE_URL
is set), the delivery job run as the job engine runs it, a real HTTP receiver for the webhooks and a real
SMTP server (aiosmtpd) for the e-mails, both on 127.0.0.1."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from crossdock import logs
from crossdock.config import Settings
from crossdock.flows.alert_groups import DELIVER_ALERTS, DELIVERY_FAILED
from crossdock.flows.alert_windows import SETTLE, DueDelivery
from crossdock.flows.alerts import (
    ALERTS_TICK,
    CLAIM_LEASE,
    CURSOR_SOURCE,
    DELIVERY_RETRY,
    AlertDeliveryRetry,
    deliver_alerts,
    enqueue_due_deliveries,
)
from crossdock.hub import prepare_database
from crossdock.jobs.context import JobContext
from crossdock.jobs.retry import RetryPolicy
from crossdock.jobs.runtime import JobRuntime
from crossdock.store.engine import create_engine
from crossdock.store.exceptions import ExceptionRecord, Severity
from crossdock.store.migrate import upgrade_to_head
from crossdock.store.outbound_calls import OutboundCall
from crossdock.store.schema import alert_deliveries, exceptions, outbound_calls
from crossdock.store.types import utc_now
from crossdock.store.unit_of_work import UnitOfWork
from tests.support.enqueuers import RecordingEnqueuer
from tests.support.http_receiver import HttpReceiver, http_receiver
from tests.support.smtp_server import SmtpRecorder, smtp_server
from tests.unit.test_logs import json_logs

# What makes a Slack webhook URL secret is its path; the SMTP password is the other secret of alerts.
WEBHOOK_TOKEN = "T0001/B0001/xoxb-sEcReT-42"
SMTP_PASSWORD = "smtp-pa55-w0rd"
PUBLIC_URL = "https://hub.example.com"
TYPES = ("dead_letter", "executor_lost", "stock_discrepancy", "unacknowledged_document")
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error", "critical")
ACCOUNTS = ("acme", "globex", None)

# The test SMTP server asks for a login over plain text, which aiosmtpd warns about: it is on the loopback.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as started:
        yield started


@pytest.fixture
def mail() -> Iterator[SmtpRecorder]:
    with smtp_server(username="hub", password=SMTP_PASSWORD) as started:
        yield started


def webhook_path(rule: str) -> str:
    return f"/services/{rule}/{WEBHOOK_TOKEN}"


@dataclass
class Hub:
    settings: Settings
    engine: sa.Engine
    receiver: HttpReceiver
    mail: SmtpRecorder

    def raise_exception(
        self, number: int, type: str, severity: Severity, account: str | None, message: str = ""
    ) -> None:
        with UnitOfWork(self.engine) as uow:
            uow.exceptions.raise_(
                type=type,
                severity=severity,
                subject_type="order",
                subject_id=str(number),
                message=message or f"Problem with order {number}",
                details={"number": number},
                actions=["resolve"],
                account_id=account,
            )
            uow.commit()

    def close_window(self) -> datetime:
        """The end of a window holding every exception raised so far, and none raised after."""
        end = utc_now() + timedelta(microseconds=1)
        time.sleep(0.002)
        return end

    def deliver(self, rule: str, channel: str, seen_until: datetime, attempt: int = 1) -> dict[str, Any]:
        """Run the delivery job as the job engine runs the given attempt of it."""
        due = DueDelivery(rule=rule, channel=channel, seen_until=seen_until)  # type: ignore[arg-type]
        runtime = JobRuntime(
            engine=self.engine,
            enqueuer=RecordingEnqueuer(),
            default_retry=RetryPolicy(),
            settings=self.settings,
        )
        context = JobContext(
            job_id=f"{DELIVER_ALERTS}:{due.key}#{attempt}",
            job=DELIVER_ALERTS,
            key=due.key,
            attempt=attempt,
            runtime=runtime,
        )
        result: dict[str, Any] = deliver_alerts(context, **due.args)
        return result

    def calls(self) -> list[OutboundCall]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(outbound_calls).order_by(outbound_calls.c.id))
            return [OutboundCall(**row._mapping) for row in rows]

    def open_exceptions(self, type: str) -> list[ExceptionRecord]:
        with UnitOfWork(self.engine) as uow:
            return uow.exceptions.list(status="open", type=type)

    def cursor(self, rule: str, channel: str) -> str | None:
        with UnitOfWork(self.engine) as uow:
            return uow.sync_cursors.get(CURSOR_SOURCE, f"{rule}/{channel}")


def with_webhook(receiver: HttpReceiver, rule: dict[str, Any]) -> dict[str, Any]:
    """The rule with a webhook on the receiver, under a path of its own, unless it says ``webhook=False``."""
    settings = {key: value for key, value in rule.items() if key != "webhook"}
    if rule.get("webhook", True):
        settings["webhook_url"] = receiver.base_url + webhook_path(rule["name"])
    return settings


def settings_for(
    database_url: str, receiver: HttpReceiver, mail: SmtpRecorder, *rules: dict[str, Any]
) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": database_url},
            "web": {"public_url": PUBLIC_URL},
            "accounts": [{"id": "acme", "name": "Acme"}, {"id": "globex", "name": "Globex"}],
            "alerts": {
                "group_seconds": 60,
                "webhook_timeout_seconds": 5,
                "smtp": {
                    "host": mail.host,
                    "port": mail.port,
                    "sender": "crossdock@hub.example.com",
                    "username": "hub",
                    "password": SMTP_PASSWORD,
                    "timeout_seconds": 5,
                },
                "rules": [with_webhook(receiver, rule) for rule in rules],
            },
        }
    )


@pytest.fixture
def make_hub(database_url: str, receiver: HttpReceiver, mail: SmtpRecorder) -> Iterator[Any]:
    engines: list[sa.Engine] = []

    def make(*rules: dict[str, Any]) -> Hub:
        settings = settings_for(database_url, receiver, mail, *rules)
        engine = create_engine(database_url)
        engines.append(engine)
        upgrade_to_head(engine)
        with UnitOfWork(engine) as uow:
            uow.accounts.ensure([("acme", "Acme"), ("globex", "Globex")])
            uow.commit()
        return Hub(settings, engine, receiver, mail)

    yield make
    for engine in engines:
        engine.dispose()


def headline(counts: Counter[str]) -> str:
    total = sum(counts.values())
    parts = [
        f"{counts[severity]} {severity}"
        for severity in ("critical", "error", "warning", "info")
        if counts[severity]
    ]
    return f"{total} exception{'s' if total != 1 else ''}: {', '.join(parts)}"


def blocks_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload["blocks"])


# --- Grouping -----------------------------------------------------------------------------------------


def test_a_burst_of_fifty_makes_one_post_and_one_email_per_rule_with_its_counts(make_hub: Any) -> None:
    hub: Hub = make_hub(
        {"name": "ops", "min_severity": "warning", "email_to": ["ops@example.com"]},
        {
            "name": "acme-warnings",
            "accounts": ["acme"],
            "min_severity": "warning",
            "email_to": ["acme@example.com", "oncall@example.com"],
        },
    )
    burst = [(TYPES[i % 4], SEVERITIES[(i // 4) % 4], ACCOUNTS[i % 3]) for i in range(50)]
    for number, (type_, severity, account) in enumerate(burst):
        hub.raise_exception(number, type_, severity, account)
    end = hub.close_window()

    for rule in ("ops", "acme-warnings"):
        for channel in ("webhook", "email"):
            assert hub.deliver(rule, channel, end)["status"] == "sent"

    expected = {
        "ops": [item for item in burst if item[1] != "info"],
        "acme-warnings": [item for item in burst if item[2] == "acme" and item[1] != "info"],
    }
    assert len(hub.receiver.requests) == 2
    assert len(hub.mail.mails) == 2
    for rule, matching in expected.items():
        (post,) = hub.receiver.to(webhook_path(rule))
        payload = post.json()
        assert set(payload) == {"text", "blocks"}
        assert payload["blocks"][0]["text"]["text"] == headline(
            Counter(severity for _, severity, _ in matching)
        )
        for type_ in TYPES:
            per_type = Counter(severity for kind, severity, _ in matching if kind == type_)
            line = f"<{PUBLIC_URL}/exceptions?type={type_}|{type_}>: {headline(per_type).split(': ')[1]}"
            assert line in blocks_text(payload)
        assert f"and {len(matching) - 10} more" in blocks_text(payload)
        assert len([block for block in payload["blocks"] if block["type"] == "section"]) == 1 + 10
    ops_mail, acme_mail = sorted(hub.mail.mails, key=lambda mail: mail.recipients[0], reverse=True)
    assert ops_mail.recipients == ["ops@example.com"]
    assert acme_mail.recipients == ["acme@example.com", "oncall@example.com"]
    # Python folds a long subject onto the next line whole; read back, it keeps the fold's leading space.
    assert (
        ops_mail.message["Subject"].strip()
        == f"[crossdock] {headline(Counter(s for _, s, _ in expected['ops']))} (alert rule ops)"
    )
    assert ops_mail.message["From"] == "crossdock@hub.example.com"
    assert f"and {len(expected['acme-warnings']) - 10} more." in acme_mail.body
    assert f"{PUBLIC_URL}/exceptions?type=dead_letter" in acme_mail.body
    assert hub.mail.logins == ["hub", "hub"]
    calls = hub.calls()
    assert sorted(call.target for call in calls) == [
        "alerts.email:acme-warnings",
        "alerts.email:ops",
        "alerts.webhook:acme-warnings",
        "alerts.webhook:ops",
    ]
    assert all(call.status == "succeeded" and call.duration_ms is not None for call in calls)
    webhook_call = next(call for call in calls if call.target == "alerts.webhook:ops")
    assert webhook_call.request_summary["exceptions"] == len(expected["ops"])
    assert webhook_call.response_summary == {"status_code": 200, "body": "ok"}


def test_only_exceptions_at_least_as_severe_as_the_rule_asks_are_sent(make_hub: Any) -> None:
    hub: Hub = make_hub({"name": "critical-only", "min_severity": "critical"})
    for number, severity in enumerate(["warning", "error", "critical", "error", "info"]):
        hub.raise_exception(number, "dead_letter", severity, "acme")
    first = hub.close_window()
    assert hub.deliver("critical-only", "webhook", first)["status"] == "sent"
    (post,) = hub.receiver.requests
    assert post.json()["blocks"][0]["text"]["text"] == "1 exception: 1 critical"
    assert "order:2" in blocks_text(post.json())

    hub.raise_exception(10, "dead_letter", "error", "acme")
    second = hub.close_window()
    assert hub.deliver("critical-only", "webhook", second) == {"status": "nothing_to_send"}
    assert len(hub.receiver.requests) == 1
    assert hub.cursor("critical-only", "webhook") == second.isoformat()


def test_a_rule_for_some_accounts_sends_only_theirs(make_hub: Any) -> None:
    hub: Hub = make_hub({"name": "globex-team", "accounts": ["globex"], "min_severity": "info"})
    for number, account in enumerate(["acme", "globex", None, "globex", "acme"]):
        hub.raise_exception(number, "stock_discrepancy", "warning", account)
    assert hub.deliver("globex-team", "webhook", hub.close_window())["status"] == "sent"
    (post,) = hub.receiver.requests
    text = blocks_text(post.json())
    assert post.json()["blocks"][0]["text"]["text"] == "2 exceptions: 2 warning"
    assert "order:1" in text and "order:3" in text and "order:0" not in text and "order:2" not in text


# --- Failures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 429])
def test_a_retriable_answer_is_retried_and_the_message_arrives_once(make_hub: Any, status: int) -> None:
    hub: Hub = make_hub({"name": "ops"})
    hub.raise_exception(1, "dead_letter", "error", "acme")
    end = hub.close_window()
    hub.receiver.answer_next(status)

    with pytest.raises(AlertDeliveryRetry, match=f"answered HTTP {status}"):
        hub.deliver("ops", "webhook", end, attempt=1)
    assert hub.deliver("ops", "webhook", end, attempt=2)["status"] == "sent"
    assert hub.deliver("ops", "webhook", end, attempt=3)["status"] == "already_covered"

    assert [request.answered for request in hub.receiver.requests] == [status, 200]
    assert hub.receiver.requests[0].body == hub.receiver.requests[1].body
    calls = hub.calls()
    assert [(call.attempt, call.status) for call in calls] == [(1, "retriable_error"), (2, "succeeded")]
    assert len({call.idempotency_key for call in calls}) == 1
    assert calls[0].error == f"127.0.0.1 answered HTTP {status}"
    assert hub.open_exceptions(DELIVERY_FAILED) == []


def test_a_refusal_is_not_retried_and_the_webhook_never_reports_its_own_failure(make_hub: Any) -> None:
    hub: Hub = make_hub({"name": "ops", "email_to": ["ops@example.com"]})
    hub.raise_exception(1, "dead_letter", "error", "acme")
    first = hub.close_window()
    hub.receiver.answer_next(400)

    result = hub.deliver("ops", "webhook", first)

    assert result == {"status": "dropped", "error": "127.0.0.1 answered HTTP 400"}
    assert [call.status for call in hub.calls()] == ["fatal_error"]
    assert hub.calls()[0].response_summary == {"status_code": 400, "body": "invalid_payload"}
    (failed,) = hub.open_exceptions(DELIVERY_FAILED)
    assert (failed.severity, failed.subject_type, failed.subject_id) == (
        "error",
        "alert_channel",
        "ops/webhook",
    )
    assert failed.details["retriable"] is False and failed.details["destination"] == "127.0.0.1"
    assert "refused the message for good" in failed.message
    # The refused message is not tried again.
    assert hub.deliver("ops", "webhook", first)["status"] == "already_covered"

    hub.raise_exception(2, "executor_lost", "critical", None)
    second = hub.close_window()
    # The e-mail of the same rule reports the webhook's failure...
    assert hub.deliver("ops", "email", second)["status"] == "sent"
    (mail,) = hub.mail.mails
    assert "alert_delivery_failed alert_channel:ops/webhook" in mail.body
    # ...the webhook itself does not, and once it delivers again its failure is resolved.
    assert hub.deliver("ops", "webhook", second)["status"] == "sent"
    assert len(hub.receiver.requests) == 2
    payload = hub.receiver.requests[1].json()
    assert payload["blocks"][0]["text"]["text"] == "1 exception: 1 critical"
    assert DELIVERY_FAILED not in blocks_text(payload)
    assert hub.open_exceptions(DELIVERY_FAILED) == []


def test_when_every_attempt_fails_the_next_window_carries_the_backlog(make_hub: Any) -> None:
    hub: Hub = make_hub({"name": "ops"})
    for number in range(3):
        hub.raise_exception(number, "dead_letter", "error", "acme")
    first = hub.close_window()
    hub.receiver.answer_always(503)

    for attempt in range(1, DELIVERY_RETRY.max_attempts):
        with pytest.raises(AlertDeliveryRetry):
            hub.deliver("ops", "webhook", first, attempt=attempt)
    last = hub.deliver("ops", "webhook", first, attempt=DELIVERY_RETRY.max_attempts)

    assert last["status"] == "failed"
    (failed,) = hub.open_exceptions(DELIVERY_FAILED)
    assert failed.details["retriable"] is True and failed.details["exceptions"] == 3
    assert hub.cursor("ops", "webhook") is None

    hub.receiver.answer_always(200)
    hub.raise_exception(9, "dead_letter", "critical", "acme")
    assert hub.deliver("ops", "webhook", hub.close_window())["status"] == "sent"
    statuses = [request.answered for request in hub.receiver.requests]
    assert statuses == [503] * DELIVERY_RETRY.max_attempts + [200]
    assert (
        hub.receiver.requests[-1].json()["blocks"][0]["text"]["text"] == "4 exceptions: 1 critical, 3 error"
    )
    assert hub.open_exceptions(DELIVERY_FAILED) == []


def test_smtp_temporary_refusals_are_retried_and_permanent_ones_are_not(make_hub: Any) -> None:
    hub: Hub = make_hub({"name": "ops", "webhook": False, "email_to": ["ops@example.com"]})
    hub.raise_exception(1, "dead_letter", "error", "acme")
    end = hub.close_window()
    hub.mail.refusals["ops@example.com"] = "450 4.2.1 Mailbox busy"

    with pytest.raises(AlertDeliveryRetry, match=re.escape("450 4.2.1 Mailbox busy")):
        hub.deliver("ops", "email", end, attempt=1)
    hub.mail.refusals["ops@example.com"] = "550 5.1.1 No such user"
    result = hub.deliver("ops", "email", end, attempt=2)

    assert result["status"] == "dropped" and "550 5.1.1 No such user" in result["error"]
    assert hub.mail.mails == []
    assert [(call.attempt, call.status) for call in hub.calls()] == [
        (1, "retriable_error"),
        (2, "fatal_error"),
    ]
    (failed,) = hub.open_exceptions(DELIVERY_FAILED)
    assert (
        failed.subject_id == "ops/email"
        and failed.details["destination"] == f"{hub.mail.host}:{hub.mail.port}"
    )


def test_a_recipient_refused_among_others_gets_an_exception_while_the_others_get_the_mail(
    make_hub: Any,
) -> None:
    hub: Hub = make_hub(
        {"name": "ops", "webhook": False, "email_to": ["ops@example.com", "gone@example.com"]}
    )
    hub.mail.refusals["gone@example.com"] = "550 5.1.1 No such user"
    hub.raise_exception(1, "dead_letter", "error", "acme")

    assert hub.deliver("ops", "email", hub.close_window())["status"] == "sent"

    (mail,) = hub.mail.mails
    assert mail.recipients == ["ops@example.com"]
    (call,) = hub.calls()
    assert call.status == "succeeded"
    assert call.response_summary == {"accepted": 1, "refused": {"gone@example.com": "550 5.1.1 No such user"}}
    (failed,) = hub.open_exceptions(DELIVERY_FAILED)
    assert "gone@example.com" in failed.message


def test_an_unreachable_webhook_is_retried(make_hub: Any) -> None:
    hub: Hub = make_hub({"name": "ops"})
    # Nothing listens on port 1 of the loopback: the connection is refused.
    hub.settings.alerts.rules[0].webhook_url = SecretStr(f"http://127.0.0.1:1{webhook_path('ops')}")
    hub.raise_exception(1, "dead_letter", "error", "acme")

    with pytest.raises(AlertDeliveryRetry, match="ConnectError") as raised:
        hub.deliver("ops", "webhook", hub.close_window())

    assert WEBHOOK_TOKEN not in str(raised.value)
    (call,) = hub.calls()
    assert call.status == "retriable_error" and call.error is not None and WEBHOOK_TOKEN not in call.error


# --- Idempotency --------------------------------------------------------------------------------------


def test_a_job_run_again_for_its_window_sends_nothing_more(make_hub: Any) -> None:
    hub: Hub = make_hub({"name": "ops", "email_to": ["ops@example.com"]})
    for number in range(5):
        hub.raise_exception(number, "dead_letter", "error", "acme")
    end = hub.close_window()

    for _ in range(2):
        hub.deliver("ops", "webhook", end)
        hub.deliver("ops", "email", end)

    assert len(hub.receiver.requests) == 1
    assert len(hub.mail.mails) == 1
    with hub.engine.connect() as connection:
        rows = connection.execute(sa.select(alert_deliveries.c.channel, alert_deliveries.c.status)).all()
    assert sorted(tuple(row) for row in rows) == [("email", "sent"), ("webhook", "sent")]
    # The next window holds nothing new: nothing is sent, the cursors move on.
    later = hub.close_window()
    assert hub.deliver("ops", "webhook", later) == {"status": "nothing_to_send"}
    assert hub.cursor("ops", "webhook") == later.isoformat()


def test_a_message_another_job_is_sending_is_left_to_it_until_its_claim_is_stale(make_hub: Any) -> None:
    hub: Hub = make_hub({"name": "ops"})
    hub.raise_exception(1, "dead_letter", "error", "acme")
    end = hub.close_window()
    seen_from = end - timedelta(seconds=hub.settings.alerts.group_seconds)
    with UnitOfWork(hub.engine) as uow:
        claimed = uow.alert_deliveries.claim(
            rule="ops",
            channel="webhook",
            seen_from=seen_from,
            seen_until=end,
            exception_count=1,
            claimed_by="ops/webhook@earlier-window",
            now=utc_now(),
            lease=CLAIM_LEASE,
        )
        uow.commit()
    assert claimed

    assert hub.deliver("ops", "webhook", end)["status"] == "claimed_elsewhere"
    assert hub.receiver.requests == []

    with hub.engine.begin() as connection:
        connection.execute(
            sa.update(alert_deliveries).values(claimed_at=utc_now() - CLAIM_LEASE - timedelta(seconds=1))
        )
    assert hub.deliver("ops", "webhook", end)["status"] == "sent"
    assert len(hub.receiver.requests) == 1


def test_a_job_interrupted_while_sending_sends_again_when_it_resumes(make_hub: Any) -> None:
    """Nothing tells whether a message whose send was interrupted arrived: the job sends it again rather
    than lose it (a copy of an alert costs less than a missing one)."""
    hub: Hub = make_hub({"name": "ops"})
    hub.raise_exception(1, "dead_letter", "error", "acme")
    end = hub.close_window()
    job_key = DueDelivery(rule="ops", channel="webhook", seen_until=end).key
    with UnitOfWork(hub.engine) as uow:  # what the interrupted run left: its claim, still 'sending'
        uow.alert_deliveries.claim(
            rule="ops",
            channel="webhook",
            seen_from=end - timedelta(seconds=hub.settings.alerts.group_seconds),
            seen_until=end,
            exception_count=1,
            claimed_by=job_key,
            now=utc_now(),
            lease=CLAIM_LEASE,
        )
        uow.commit()

    assert hub.deliver("ops", "webhook", end)["status"] == "sent"
    assert hub.deliver("ops", "webhook", end)["status"] == "already_covered"
    assert len(hub.receiver.requests) == 1


def test_the_tick_asks_one_delivery_per_rule_and_channel_for_the_closed_window(make_hub: Any) -> None:
    hub: Hub = make_hub(
        {"name": "ops", "email_to": ["ops@example.com"]},
        {"name": "mail-only", "webhook": False, "email_to": ["ops@example.com"]},
    )
    enqueuer = RecordingEnqueuer()
    runtime = JobRuntime(
        engine=hub.engine, enqueuer=enqueuer, default_retry=RetryPolicy(), settings=hub.settings
    )
    context = JobContext(job_id="tick", job=ALERTS_TICK, key="tick", attempt=1, runtime=runtime)

    keys = enqueue_due_deliveries(context)

    requests = [request for _, request in enqueuer.calls]
    assert [request.job for request in requests] == [DELIVER_ALERTS] * 3
    assert [request.key for request in requests] == keys
    asked = [
        (request.args["rule"], request.args["channel"], datetime.fromisoformat(request.args["seen_until"]))
        for request in requests
    ]
    assert [(rule, channel) for rule, channel, _ in asked] == [
        ("ops", "webhook"),
        ("ops", "email"),
        ("mail-only", "email"),
    ]
    (window_end,) = {end for _, _, end in asked}
    assert window_end <= utc_now() - SETTLE and window_end.timestamp() % 60 == 0
    assert keys[0] == f"ops/webhook@{window_end:%Y%m%dT%H%M%SZ}"


# --- Secrets ------------------------------------------------------------------------------------------


def test_no_secret_reaches_outbound_calls_exceptions_or_logs(
    database_url: str, receiver: HttpReceiver, mail: SmtpRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "_known_secrets", set())
    settings = settings_for(
        database_url, receiver, mail, {"name": "ops", "email_to": ["ops@example.com", "gone@example.com"]}
    )
    mail.refusals["gone@example.com"] = "550 5.1.1 No such user"
    with json_logs("debug") as stream:
        engine = prepare_database(settings)  # as the hub starts: it learns which values to mask
        try:
            hub = Hub(settings, engine, receiver, mail)
            hub.raise_exception(1, "dead_letter", "error", "acme")
            first = hub.close_window()
            receiver.answer_next(500)
            with pytest.raises(AlertDeliveryRetry) as retried:
                hub.deliver("ops", "webhook", first, attempt=1)
            hub.deliver("ops", "webhook", first, attempt=2)
            hub.deliver("ops", "email", first)
            hub.raise_exception(2, "dead_letter", "error", "acme")
            receiver.answer_next(403)
            hub.deliver("ops", "webhook", hub.close_window())
            with engine.connect() as connection:
                stored = [
                    json.dumps([list(row) for row in connection.execute(sa.select(table))], default=str)
                    for table in (outbound_calls, exceptions, alert_deliveries)
                ]
        finally:
            engine.dispose()
    written = stream.getvalue()

    assert len(receiver.requests) == 3 and len(mail.mails) == 1 and mail.logins == ["hub"]
    # What was recorded and logged is there, with the host in place of the URL...
    assert '"host": "127.0.0.1"' in stored[0] and "alert_delivery_failed" in stored[1]
    assert "alert sent" in written and "alert not delivered" in written and "HTTP Request: POST" in written
    # ...and neither secret anywhere.
    for text in (*stored, written, str(retried.value)):
        assert WEBHOOK_TOKEN not in text
        assert "xoxb-sEcReT" not in text
        assert SMTP_PASSWORD not in text
