"""The dashboard in a real browser: log in, open an order's timeline, retry an exception and see it leave the
list, read the stock terms of a SKU — with a screenshot of every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossdock.web.app import create_app
from tests.support.dashboard_world import ACME_USER, OPERATOR, PASSWORD, World, populate, two_account_settings
from tests.support.servers import serving

pytestmark = pytest.mark.slow


@pytest.fixture
def hub_url(tmp_path: Path, database_url: str) -> Iterator[tuple[str, World]]:
    settings = two_account_settings(tmp_path, database_url)
    app = create_app(settings, role=None)
    with serving(app) as url:
        yield url, populate(app.state.hub.engine, settings)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/orders")
    assert page.url.startswith(f"{url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/orders")


def test_log_in_and_open_an_order_s_timeline(
    hub_url: tuple[str, World], page: Any, screenshots: Path
) -> None:
    url, world = hub_url
    page.goto(f"{url}/login")
    page.screenshot(path=screenshots / "login.png", full_page=True)
    log_in(page, url, ACME_USER)
    assert page.get_by_role("link", name="#1001").is_visible()
    assert page.get_by_text("#2001").count() == 0  # another account's order
    page.screenshot(path=screenshots / "orders.png", full_page=True)

    page.get_by_role("link", name="#1001").click()
    page.wait_for_url(f"{url}/orders/{world.acme_order}")
    timeline = page.locator("table.timeline")
    assert "order received by webhook" in timeline.inner_text()
    assert "2 line(s) to ship" in timeline.inner_text()
    calls = page.locator("table.calls")
    assert "OrderFulfillmentOrders" in calls.inner_text() and "142 ms" in calls.inner_text()
    page.screenshot(path=screenshots / "order.png", full_page=True)


def test_retry_an_exception_and_see_it_leave_the_list(
    hub_url: tuple[str, World], page: Any, screenshots: Path
) -> None:
    url, world = hub_url
    log_in(page, url, OPERATOR)
    page.get_by_role("link", name="Exceptions").click()
    page.wait_for_url(f"{url}/exceptions")
    row = page.locator(f"#exception-{world.acme_input_rejected}")
    assert row.is_visible() and "input_rejected" in row.inner_text()
    page.screenshot(path=screenshots / "exceptions.png", full_page=True)

    row.get_by_role("button", name="Retry").click()
    page.get_by_text(f"Exception {world.acme_input_rejected}: ").wait_for()
    assert page.locator(f"#exception-{world.acme_input_rejected}").count() == 0
    assert page.locator(f"#exception-{world.globex_routing}").is_visible()  # the others stay
    assert page.url == f"{url}/exceptions"  # replaced in place by htmx, no page load
    page.screenshot(path=screenshots / "exceptions-after-retry.png", full_page=True)
    page.reload()
    assert page.locator(f"#exception-{world.acme_input_rejected}").count() == 0

    page.goto(f"{url}/exceptions/{world.acme_rejected}")
    page.screenshot(path=screenshots / "exception.png", full_page=True)
    page.get_by_role("button", name="Resolve").click()
    page.get_by_text(f"Exception {world.acme_rejected}: resolved by {OPERATOR}").wait_for()


def test_bulk_ignore_from_the_exceptions_page(hub_url: tuple[str, World], page: Any) -> None:
    url, world = hub_url
    log_in(page, url, OPERATOR)
    page.goto(f"{url}/exceptions")
    for exception_id in (world.acme_unknown_sku, world.hub_wide):
        page.get_by_label(f"tick exception {exception_id}").check()
    page.locator(".bulk").get_by_role("button", name="Ignore").click()
    page.get_by_text(f"Exception {world.hub_wide}: ignored by {OPERATOR}").wait_for()
    assert page.locator(f"#exception-{world.acme_unknown_sku}").count() == 0
    assert page.locator(f"#exception-{world.hub_wide}").count() == 0
    assert page.locator(f"#exception-{world.globex_routing}").is_visible()


def test_read_the_stock_terms_of_a_sku(hub_url: tuple[str, World], page: Any, screenshots: Path) -> None:
    url, _ = hub_url
    log_in(page, url, ACME_USER)
    page.get_by_role("link", name="Stock").click()
    page.wait_for_url(f"{url}/stock")
    mug = page.locator("tr", has_text="MUG")
    assert "1 location(s) differ" in mug.inner_text()
    page.screenshot(path=screenshots / "stock.png", full_page=True)

    page.get_by_role("link", name="TENT-2P").click()
    page.wait_for_url(f"{url}/stock/acme/TENT-2P")
    terms = page.locator("table.terms")
    assert "east" in terms.inner_text() and "12" in terms.inner_text()
    assert page.locator('[data-term="available_to_sell"]').inner_text() == "12"
    assert page.locator('[data-term="shopify_available"]').inner_text() == "12"
    page.screenshot(path=screenshots / "sku.png", full_page=True)


def test_the_overview_shows_every_flow_and_the_connectors_their_contact(
    hub_url: tuple[str, World], page: Any, screenshots: Path
) -> None:
    url, _ = hub_url
    log_in(page, url, OPERATOR)
    page.get_by_role("link", name="Overview").click()
    page.wait_for_url(f"{url}/")
    for flow in ("orders", "statuses", "tracking", "inventory", "returns"):
        assert page.locator(f'[data-flow="{flow}"]').is_visible()
    assert "Not running yet" in page.locator('[data-flow="returns"]').inner_text()
    assert page.locator("svg.chart rect").count() == 120  # two bars a minute for an hour
    page.screenshot(path=screenshots / "overview.png", full_page=True)

    page.get_by_role("link", name="Connectors").click()
    page.wait_for_url(f"{url}/connectors")
    shop = page.locator('[data-connector="acme.myshopify.com"]')
    assert "ok" in shop.inner_text()  # the world's call to it succeeded
    assert page.locator('[data-connector="east"]').is_visible()
    page.screenshot(path=screenshots / "connectors.png", full_page=True)
