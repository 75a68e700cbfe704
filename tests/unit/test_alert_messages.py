"""An alert group rendered as a Slack-compatible message and as a plain-text e-mail, with the same content."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from crossdock.flows.alert_groups import AlertGroup
from crossdock.flows.alert_messages import (
    FIRST_SHOWN,
    email_body,
    email_subject,
    exceptions_link,
    headline,
    slack_payload,
)
from crossdock.store.exceptions import Severity
from tests.unit.test_alert_groups import T0, exception

PUBLIC_URL = "https://hub.example.com"


def burst(count: int) -> AlertGroup:
    """``count`` exceptions: every fifth critical executor_lost, the others dead letters in error."""
    exceptions = []
    for index in range(1, count + 1):
        severity: Severity = "critical" if index % 5 == 0 else "error"
        exceptions.append(
            exception(
                index,
                type="executor_lost" if severity == "critical" else "dead_letter",
                severity=severity,
                seconds=index,
                subject=("job", f"job-{index}"),
            )
        )
    return AlertGroup("ops", "webhook", T0, T0 + timedelta(minutes=1), tuple(exceptions))


def texts(payload: dict[str, Any]) -> list[str]:
    """Every text of the blocks, in order."""
    found = []
    for block in payload["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"] for element in block.get("elements", [])]
    return found


def test_the_slack_message_counts_types_and_severities_and_shows_the_first_ten() -> None:
    payload = slack_payload(burst(50), PUBLIC_URL)

    assert payload["text"] == "crossdock: 50 exceptions: 10 critical, 40 error (alert rule ops)"
    blocks = payload["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "50 exceptions: 10 critical, 40 error"},
    }
    shown = [block for block in blocks if block["type"] == "section"][1:]
    assert len(shown) == FIRST_SHOWN
    # The ten criticals first, oldest first.
    assert shown[0]["text"]["text"] == "*[critical] executor_lost* job:job-5 (account acme)\nproblem 5"
    assert all(block["text"]["text"].startswith("*[critical]") for block in shown)
    all_text = "\n".join(texts(payload))
    assert f"• <{PUBLIC_URL}/exceptions?type=dead_letter|dead_letter>: 40 error" in all_text
    assert f"• <{PUBLIC_URL}/exceptions?type=executor_lost|executor_lost>: 10 critical" in all_text
    assert f"and 40 more · <{PUBLIC_URL}/exceptions|all exceptions>" in all_text
    assert "2026-11-01 09:00:00 to 2026-11-01 09:01:00 UTC" in all_text
    json.dumps(payload)  # what httpx sends


def test_without_a_public_url_there_are_no_links_and_a_small_group_has_no_more() -> None:
    payload = slack_payload(burst(3), None)
    all_text = "\n".join(texts(payload))
    assert "http" not in all_text
    assert "more" not in all_text
    assert "• `dead_letter`: 3 error" in all_text
    assert len([block for block in payload["blocks"] if block["type"] == "section"]) == 1 + 3


def test_markup_in_messages_shows_as_text_and_long_messages_are_cut() -> None:
    noisy = replace(exception(1, subject=("order", "<#1001>")), message="a <b> & <!channel> " + "x" * 5000)
    payload = slack_payload(AlertGroup("ops", "webhook", T0, T0, (noisy,)), None)
    section = payload["blocks"][4]["text"]["text"]
    assert "order:&lt;#1001&gt;" in section
    assert "a &lt;b&gt; &amp; &lt;!channel&gt; " in section
    assert "<!channel>" not in section
    assert len(section) < 700 and section.endswith("…")


def test_the_email_says_the_same_in_plain_text() -> None:
    group = burst(50)
    assert email_subject(group) == "[crossdock] 50 exceptions: 10 critical, 40 error (alert rule ops)"
    body = email_body(group, PUBLIC_URL)
    assert body.startswith(f"{headline(group)}.\nOpened or seen again from 2026-11-01 09:00:00 to ")
    assert "  dead_letter: 40 error\n    https://hub.example.com/exceptions?type=dead_letter\n" in body
    assert "  executor_lost: 10 critical\n" in body
    assert "The first 10:\n  [critical] executor_lost job:job-5 (account acme)\n      problem 5\n" in body
    assert body.count("[critical]") == 10 and "[error]" not in body
    assert body.endswith("\nand 40 more.\n\nAll exceptions: https://hub.example.com/exceptions\n")


def test_a_small_email_lists_each_exception_and_has_no_links_without_a_public_url() -> None:
    body = email_body(burst(2), None)
    assert "Each of them:\n" in body
    assert "http" not in body and "more" not in body
    assert body.count("[error] dead_letter") == 2


def test_links_quote_the_type() -> None:
    assert exceptions_link(None, "dead_letter") is None
    assert exceptions_link(PUBLIC_URL, "a b&c") == f"{PUBLIC_URL}/exceptions?type=a+b%26c"
