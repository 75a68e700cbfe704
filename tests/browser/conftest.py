"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium; `make test` installs it with apt
where it is missing). Playwright never downloads a browser here: the executable is given."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CROSSDOCK_CHROMIUM", "/usr/bin/chromium"))
# Where the tests leave a screenshot of every page they visit (the README names this folder).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


# Per module, not per session: Playwright's synchronous API keeps an asyncio loop running in the main thread
# while it is open, and code that must not run inside a loop (the job engine's start) would see it in every
# test that follows.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package"
        if os.environ.get("CROSSDOCK_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
