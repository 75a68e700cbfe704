"""An alert group as people read it: a Slack-compatible JSON message and a plain-text e-mail with the same
content — counts per type and severity, the first exceptions with their messages, how many more, and links
to the hub's exception list when ``[web] public_url`` is set."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from crossdock.flows.alert_groups import SEVERITIES, AlertGroup
from crossdock.store.exceptions import ExceptionRecord, Severity

FIRST_SHOWN = 10
# Slack refuses a header longer than 150 characters and a section text longer than 3000; a message is cut
# well before, so that ten of them and their headings stay readable.
_HEADER_LIMIT = 150
_SECTION_LIMIT = 3000
_MESSAGE_LIMIT = 500


def severity_summary(counts: Counter[Severity]) -> str:
    """'3 critical, 12 error': the most severe first, absent severities left out."""
    present = [severity for severity in reversed(SEVERITIES) if counts[severity]]
    return ", ".join(f"{counts[severity]} {severity}" for severity in present)


def headline(group: AlertGroup) -> str:
    total = len(group.exceptions)
    noun = "exception" if total == 1 else "exceptions"
    return f"{total} {noun}: {severity_summary(group.severity_counts())}"


def email_subject(group: AlertGroup) -> str:
    return f"[crossdock] {headline(group)} (alert rule {group.rule})"


def exceptions_link(public_url: str | None, exception_type: str | None = None) -> str | None:
    if public_url is None:
        return None
    query = f"?{urlencode({'type': exception_type})}" if exception_type else ""
    return f"{public_url}/exceptions{query}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _period(group: AlertGroup) -> str:
    return f"{_moment(group.seen_from)} to {_moment(group.seen_until)} UTC"


def _moment(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _facts(exception: ExceptionRecord) -> str:
    """Where the exception belongs and how often it happened, e.g. 'account acme, seen 3 times'."""
    facts = [] if exception.account_id is None else [f"account {exception.account_id}"]
    if exception.occurrences > 1:
        facts.append(f"seen {exception.occurrences} times")
    return ", ".join(facts)


def _intro(group: AlertGroup) -> str:
    return f"Opened or seen again from {_period(group)}, alert rule {group.rule}."


def _more(group: AlertGroup) -> int:
    return max(0, len(group.exceptions) - FIRST_SHOWN)


# --- Slack-compatible JSON ----------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup; written as entities they show as themselves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, _SECTION_LIMIT)}}


def slack_payload(group: AlertGroup, public_url: str | None) -> dict[str, Any]:
    """``{"text": ..., "blocks": [...]}`` as a Slack incoming webhook takes it; "text" is what notifications
    show, and what clients that do not render blocks show instead."""
    count_lines = []
    for exception_type, counts in group.counts().items():
        link = exceptions_link(public_url, exception_type)
        name = f"<{link}|{_escape(exception_type)}>" if link else f"`{_escape(exception_type)}`"
        count_lines.append(f"• {name}: {severity_summary(counts)}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(headline(group), _HEADER_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(_intro(group))}]},
        _mrkdwn("*By type*\n" + "\n".join(count_lines)),
        {"type": "divider"},
    ]
    for exception in group.most_pressing()[:FIRST_SHOWN]:
        facts = _facts(exception)
        title = (
            f"*[{exception.severity}] {_escape(exception.type)}* "
            f"{_escape(exception.subject_type)}:{_escape(exception.subject_id)}"
            + (f" ({_escape(facts)})" if facts else "")
        )
        blocks.append(_mrkdwn(f"{title}\n{_escape(_clip(exception.message, _MESSAGE_LIMIT))}"))
    closing = []
    if _more(group):
        closing.append(f"and {_more(group)} more")
    link = exceptions_link(public_url)
    if link:
        closing.append(f"<{link}|all exceptions>")
    if closing:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(closing)}]})
    return {"text": f"crossdock: {headline(group)} (alert rule {group.rule})", "blocks": blocks}


# --- Plain-text e-mail --------------------------------------------------------------------------------


def email_body(group: AlertGroup, public_url: str | None) -> str:
    lines = [f"{headline(group)}.", _intro(group), "", "By type and severity:"]
    for exception_type, counts in group.counts().items():
        lines.append(f"  {exception_type}: {severity_summary(counts)}")
        link = exceptions_link(public_url, exception_type)
        if link:
            lines.append(f"    {link}")
    shown = group.most_pressing()[:FIRST_SHOWN]
    lines += ["", f"The first {len(shown)}:" if _more(group) else "Each of them:"]
    for exception in shown:
        facts = _facts(exception)
        lines.append(
            f"  [{exception.severity}] {exception.type} {exception.subject_type}:{exception.subject_id}"
            + (f" ({facts})" if facts else "")
        )
        lines += [f"      {line}" for line in _clip(exception.message, _MESSAGE_LIMIT).splitlines()]
    if _more(group):
        lines += ["", f"and {_more(group)} more."]
    link = exceptions_link(public_url)
    if link:
        lines += ["", f"All exceptions: {link}"]
    return "\n".join(lines) + "\n"
