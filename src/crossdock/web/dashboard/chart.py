"""The Overview's chart of orders in and out per minute, as SVG drawn on the server (no script, no library):
two bars per minute, scaled to the busiest minute."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crossdock.flows.flow_health import MinuteCount

WIDTH = 960
HEIGHT = 160
_BAR = WIDTH / 60 / 2 - 1


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    kind: str  # "in" or "out"
    title: str


def bars(minutes: Sequence[MinuteCount]) -> tuple[list[Bar], int]:
    """The bars, and the count the chart's full height stands for."""
    top = max([1, *(m.orders_in for m in minutes), *(m.orders_out for m in minutes)])
    drawn = []
    for index, minute in enumerate(minutes):
        label = minute.minute.strftime("%H:%M")
        for offset, (kind, count) in enumerate((("in", minute.orders_in), ("out", minute.orders_out))):
            height = (HEIGHT - 20) * count / top
            what = "received" if kind == "in" else "sent to a warehouse"
            drawn.append(
                Bar(
                    x=round(index * WIDTH / len(minutes) + offset * (_BAR + 1), 1),
                    y=round(HEIGHT - 14 - height, 1),
                    height=round(height, 1),
                    kind=kind,
                    title=f"{label}: {count} order(s) {what}",
                )
            )
    return drawn, top
