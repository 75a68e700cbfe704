"""Who may see and do what, over HTTP: bearer tokens for /api, a login with a signed session cookie and a
CSRF token for the dashboard, everything scoped by account — and no secret ever rendered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crossdock.access.api_tokens import create_token
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.app import create_app
from tests.support.api_tokens import bearer
from tests.support.dashboard_world import (
    ACME_USER,
    GLOBEX_USER,
    OPERATOR,
    PASSWORD,
    SECRETS,
    World,
    populate,
    two_account_settings,
)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, World]]:
    settings = two_account_settings(tmp_path, database_url)
    with TestClient(create_app(settings, role=None), follow_redirects=False) as client:
        yield client, populate(client.app.state.hub.engine, settings)  # type: ignore[attr-defined]


def engine_of(client: TestClient) -> object:
    return client.app.state.hub.engine  # type: ignore[attr-defined]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 303, answer.text


# --- the API ------------------------------------------------------------------------------------------------


def test_the_api_refuses_calls_without_a_valid_token(world: tuple[TestClient, World]) -> None:
    client, _ = world
    engine = engine_of(client)
    with UnitOfWork(engine) as uow:  # type: ignore[arg-type]
        token_id, made = create_token(uow, name="erp", account_id="acme", by="tests")
        uow.commit()

    assert client.get("/api/exceptions").status_code == 401
    assert client.get("/api/exceptions", headers={"Authorization": "Bearer cdk_forged"}).status_code == 401
    assert client.get("/api/exceptions", headers={"Authorization": "Basic YTpi"}).status_code == 401
    good = {"Authorization": f"Bearer {made.token}"}
    assert client.get("/api/exceptions", headers=good).status_code == 200
    with UnitOfWork(engine) as uow:  # type: ignore[arg-type]
        assert uow.api_tokens.revoke(token_id)
        uow.commit()
    refused = client.get("/api/exceptions", headers=good)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_account_token_sees_its_account_only(world: tuple[TestClient, World]) -> None:
    client, w = world
    acme = bearer(engine_of(client), account="acme")  # type: ignore[arg-type]
    hub = bearer(engine_of(client))  # type: ignore[arg-type]

    listed = client.get("/api/exceptions", headers=acme).json()
    assert {entry["id"] for entry in listed} == {w.acme_unknown_sku, w.acme_rejected, w.acme_input_rejected}
    assert client.get(f"/api/exceptions/{w.globex_routing}", headers=acme).status_code == 404
    assert client.get(f"/api/exceptions/{w.hub_wide}", headers=acme).status_code == 404
    assert client.get("/api/exceptions", params={"account": "globex"}, headers=acme).status_code == 403
    assert client.get(f"/api/orders/{w.globex_order}", headers=acme).status_code == 404
    assert client.get(f"/api/orders/{w.acme_order}", headers=acme).status_code == 200
    assert client.get("/api/orders", params={"name": "#2001"}, headers=acme).json() == []
    assert client.get("/api/stock/LAMP", params={"account": "globex"}, headers=acme).status_code == 403
    assert client.get("/api/stock/TENT-2P", headers=acme).status_code == 200  # its own account by default

    everything = client.get("/api/exceptions", headers=hub).json()
    assert {entry["id"] for entry in everything} == {
        w.acme_unknown_sku,
        w.acme_rejected,
        w.acme_input_rejected,
        w.globex_routing,
        w.hub_wide,
    }
    assert client.get("/api/stock/LAMP", headers=hub).status_code == 422  # which account's LAMP?


def test_actions_on_exceptions_through_the_api(world: tuple[TestClient, World]) -> None:
    client, w = world
    acme = bearer(engine_of(client), account="acme", name="support-bot")  # type: ignore[arg-type]

    resolved = client.post(f"/api/exceptions/{w.acme_rejected}/resolve", headers=acme)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["message"] == "resolved by token:support-bot"
    again = client.post(f"/api/exceptions/{w.acme_rejected}/resolve", headers=acme)
    assert again.status_code == 409 and "is resolved by token:support-bot" in again.json()["detail"]
    not_offered = client.post(f"/api/exceptions/{w.acme_unknown_sku}/resolve", headers=acme)
    assert not_offered.status_code == 409 and "its actions are retry, ignore" in not_offered.json()["detail"]
    assert client.post(f"/api/exceptions/{w.globex_routing}/ignore", headers=acme).status_code == 404
    assert client.post(f"/api/exceptions/{w.acme_unknown_sku}/explode", headers=acme).status_code == 422
    # A re-route names its warehouse, and is refused while the order has not failed routing.
    hub = bearer(engine_of(client))  # type: ignore[arg-type]
    unnamed = client.post(f"/api/exceptions/{w.globex_routing}/reroute", headers=hub)
    assert unnamed.status_code == 409 and "name the warehouse" in unnamed.json()["detail"]
    early = client.post(
        f"/api/exceptions/{w.globex_routing}/reroute", params={"warehouse": "east"}, headers=hub
    )
    assert early.status_code == 409 and "only an order the router could not place" in early.json()["detail"]

    bulk = client.post(
        "/api/exceptions/actions",
        json={"action": "ignore", "ids": [w.acme_unknown_sku, w.globex_routing]},
        headers=acme,
    )
    assert bulk.status_code == 200
    assert [(entry["exception_id"], entry["done"]) for entry in bulk.json()] == [
        (w.acme_unknown_sku, True),
        (w.globex_routing, False),
    ]
    with UnitOfWork(engine_of(client)) as uow:  # type: ignore[arg-type]
        globex = uow.exceptions.get(w.globex_routing)
        unknown = uow.exceptions.get(w.acme_unknown_sku)
    assert globex is not None and globex.status == "open"  # another account's: untouched
    assert unknown is not None and (unknown.status, unknown.closed_by) == ("ignored", "token:support-bot")


def test_the_openapi_document_describes_the_actions_and_the_bearer_scheme(
    world: tuple[TestClient, World],
) -> None:
    client, _ = world
    document = client.get("/openapi.json").json()
    assert "post" in document["paths"]["/api/exceptions/{exception_id}/{action}"]
    assert "post" in document["paths"]["/api/exceptions/actions"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert not any(path.startswith(("/login", "/orders", "/exceptions")) for path in document["paths"])


# --- the dashboard ------------------------------------------------------------------------------------------


def test_pages_send_strangers_to_the_login_and_a_wrong_password_is_refused(
    world: tuple[TestClient, World],
) -> None:
    client, _ = world
    answer = client.get("/orders?q=%231001")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/orders%3Fq%3D%25231001"

    token = csrf_of(client.get("/login").text)
    wrong = client.post(
        "/login", data={"email": ACME_USER, "password": "not the password", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    nobody = client.post(
        "/login", data={"email": "no@one.example", "password": PASSWORD, "csrf_token": token}
    )
    assert nobody.status_code == 401
    forged = client.post("/login", data={"email": ACME_USER, "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert client.get("/orders").status_code == 303


def test_a_user_logs_in_is_sent_where_they_were_going_and_logs_out(world: tuple[TestClient, World]) -> None:
    client, w = world
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={
            "email": ACME_USER.upper(),
            "password": PASSWORD,
            "csrf_token": token,
            "next": f"/orders/{w.acme_order}",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/orders/{w.acme_order}"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get(f"/orders/{w.acme_order}")
    assert page.status_code == 200 and "Order #1001" in page.text
    assert "order received by webhook" in page.text and "OrderFulfillmentOrders" in page.text

    session_token = csrf_of(page.text)
    assert session_token != token  # a new CSRF token at login
    assert client.post("/logout", data={"csrf_token": session_token}).status_code == 303
    assert client.get("/orders").status_code == 303


def test_an_offsite_next_is_not_followed(world: tuple[TestClient, World]) -> None:
    client, _ = world
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"email": ACME_USER, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
    )
    assert answer.headers["location"] == "/"


def test_a_dashboard_user_sees_their_account_only(world: tuple[TestClient, World]) -> None:
    client, w = world
    log_in(client, ACME_USER)

    orders = client.get("/orders").text
    assert "#1001" in orders and "#2001" not in orders
    assert client.get(f"/orders/{w.globex_order}").status_code == 404
    exceptions = client.get("/exceptions?status=all").text
    assert f'id="exception-{w.acme_rejected}"' in exceptions
    assert (
        f'id="exception-{w.globex_routing}"' not in exceptions
        and f'id="exception-{w.hub_wide}"' not in exceptions
    )
    assert client.get(f"/exceptions/{w.globex_routing}").status_code == 404
    stock = client.get("/stock").text
    assert "TENT-2P" in stock and "LAMP" not in stock
    # Search by SKU (an order's line, a SKU's code or title), wildcards taken literally.
    link = f'href="/orders/{w.acme_order}"'
    assert link in client.get("/orders", params={"q": "MUG"}).text
    assert link not in client.get("/orders", params={"q": "M_G"}).text
    found = client.get("/stock", params={"q": "tent"}).text
    assert "TENT-2P" in found and "MUG" not in found
    assert "TENT-2P" not in client.get("/stock", params={"q": "TENT_2P"}).text
    assert client.get("/stock/globex/LAMP").status_code == 404
    assert client.get("/stock/acme/TENT-2P").status_code == 200

    csrf = csrf_of(exceptions)
    acted = client.post(
        "/exceptions/actions", data={"action": "ignore", "ids": [str(w.globex_routing)], "csrf_token": csrf}
    )
    assert (
        acted.status_code == 200
        and f"Exception {w.globex_routing}: no exception {w.globex_routing}" in acted.text
    )
    with UnitOfWork(engine_of(client)) as uow:  # type: ignore[arg-type]
        globex = uow.exceptions.get(w.globex_routing)
    assert globex is not None and globex.status == "open"


def test_the_operator_sees_every_account(world: tuple[TestClient, World]) -> None:
    client, w = world
    log_in(client, OPERATOR)
    orders = client.get("/orders").text
    assert "#1001" in orders and "#2001" in orders
    exceptions = client.get("/exceptions").text
    assert f'id="exception-{w.hub_wide}"' in exceptions and f'id="exception-{w.globex_routing}"' in exceptions


def test_a_form_without_the_session_csrf_token_changes_nothing(world: tuple[TestClient, World]) -> None:
    client, w = world
    log_in(client, ACME_USER)
    for token in ("", "forged"):
        answer = client.post(
            "/exceptions/actions",
            data={"action": "ignore", "ids": [str(w.acme_rejected)], "csrf_token": token},
        )
        assert answer.status_code == 403
    # The API with the session cookie instead of a token: reading works, acting needs the CSRF header.
    assert client.get(f"/api/exceptions/{w.acme_rejected}").status_code == 200
    assert client.post(f"/api/exceptions/{w.acme_rejected}/ignore").status_code == 403
    with UnitOfWork(engine_of(client)) as uow:  # type: ignore[arg-type]
        record = uow.exceptions.get(w.acme_rejected)
    assert record is not None and record.status == "open"

    csrf = csrf_of(client.get("/exceptions").text)
    done = client.post(f"/api/exceptions/{w.acme_rejected}/ignore", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json()["message"] == f"ignored by {ACME_USER}"


def test_bulk_and_row_actions_from_the_exceptions_page(world: tuple[TestClient, World]) -> None:
    client, w = world
    log_in(client, OPERATOR)
    csrf = csrf_of(client.get("/exceptions").text)

    row = client.post(
        "/exceptions/actions",
        data={"row_action": f"resolve:{w.acme_rejected}", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200 and row.text.lstrip().startswith('<form id="exception-list"')
    assert f"Exception {w.acme_rejected}: resolved by {OPERATOR}" in row.text
    assert f'id="exception-{w.acme_rejected}"' not in row.text

    bulk = client.post(
        "/exceptions/actions",
        data={"action": "ignore", "ids": [str(w.acme_unknown_sku), str(w.hub_wide)], "csrf_token": csrf},
    )
    assert bulk.status_code == 200 and "<html" in bulk.text
    assert f'id="exception-{w.acme_unknown_sku}"' not in bulk.text
    assert f'id="exception-{w.hub_wide}"' not in bulk.text
    assert f'id="exception-{w.globex_routing}"' in bulk.text


def test_a_disabled_user_s_session_ends_and_a_tampered_cookie_is_refused(
    world: tuple[TestClient, World],
) -> None:
    client, _ = world
    log_in(client, GLOBEX_USER)
    assert client.get("/orders").status_code == 200
    cookie = client.cookies.get("crossdock_session")
    assert cookie is not None
    client.cookies.set("crossdock_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/orders").status_code == 303
    client.cookies.set("crossdock_session", cookie)
    with UnitOfWork(engine_of(client)) as uow:  # type: ignore[arg-type]
        user = uow.users.by_email(GLOBEX_USER)
        assert user is not None
        uow.users.set_disabled(user.id, True)
        uow.commit()
    assert client.get("/orders").status_code == 303


def test_no_page_shows_a_secret(world: tuple[TestClient, World]) -> None:
    client, w = world
    log_in(client, OPERATOR)
    pages = [
        "/orders",
        f"/orders/{w.acme_order}",
        "/exceptions?status=all",
        f"/exceptions/{w.acme_rejected}",
        "/stock",
        "/stock/acme/TENT-2P",
        "/login",
    ]
    hub = bearer(engine_of(client))  # type: ignore[arg-type]
    api = [f"/api/orders/{w.acme_order}", "/api/exceptions?status=all", "/api/stock/TENT-2P?account=acme"]
    bodies = [client.get(path).text for path in pages] + [client.get(path, headers=hub).text for path in api]
    for body in bodies:
        for secret in SECRETS.values():
            assert secret not in body
    with UnitOfWork(engine_of(client)) as uow:  # type: ignore[arg-type]
        hashes = [user.password_hash for user in uow.users.list()]
    assert all(password_hash.startswith("$argon2id$") for password_hash in hashes)
    assert not any(password_hash in body for body in bodies for password_hash in hashes)
