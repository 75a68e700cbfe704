"""The windows alerts are grouped in, and the deliveries due once one closes.

Time is cut into windows of ``[alerts] group_seconds`` counted from the epoch. A frequent tick asks, for the
latest window that closed, one delivery job per rule and channel, keyed by rule, channel and the window's end:
however many ticks and processes ask, each window makes at most one job, hence one message, per rule and
channel. The job covers every exception seen since where the channel's previous message ended, so windows
that had no job (the hub was down) are folded into the next one rather than lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crossdock.config import AlertSettings
from crossdock.flows.alert_groups import channels_of
from crossdock.store.alert_deliveries import AlertChannel

# A window is delivered this long after it ends: an exception raised by a transaction that began before the
# end commits by then, instead of landing behind the channel's cursor unseen.
SETTLE = timedelta(seconds=5)


def last_closed_window_end(now: datetime, group_seconds: int) -> datetime:
    """The end of the latest window that ended at least SETTLE before ``now``."""
    settled = (now - SETTLE).timestamp()
    return datetime.fromtimestamp(settled // group_seconds * group_seconds, UTC)


@dataclass(frozen=True)
class DueDelivery:
    rule: str
    channel: AlertChannel
    seen_until: datetime

    @property
    def key(self) -> str:
        return f"{self.rule}/{self.channel}@{self.seen_until:%Y%m%dT%H%M%SZ}"

    @property
    def args(self) -> dict[str, Any]:
        return {"rule": self.rule, "channel": self.channel, "seen_until": self.seen_until.isoformat()}


def due_deliveries(alerts: AlertSettings, now: datetime) -> list[DueDelivery]:
    """One delivery per rule and channel for the latest closed window."""
    end = last_closed_window_end(now, alerts.group_seconds)
    return [
        DueDelivery(rule=rule.name, channel=channel, seen_until=end)
        for rule in alerts.rules
        for channel in channels_of(rule)
    ]
