from __future__ import annotations

from collections.abc import Iterator

import pytest

from crossdock.config import Settings
from crossdock.hub import Hub, start_hub, stop_hub


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    """The hub as `crossdock run` starts it (job engine included), in this test process."""
    started = start_hub(settings, role="run")
    try:
        yield started
    finally:
        stop_hub(started)
