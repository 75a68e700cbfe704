"""Shopify webhooks over real HTTP against the hub as `crossdock run` serves it: signed deliveries are stored
once and processed by their batch job, bad ones are refused with nothing stored, and the Shopify sandbox
itself delivers into the hub's inbox. Then the batch job the webhook route's writer enqueues: each row
processed once, a rejected one kept failed, one whose handler fails handed to its own job.

Signatures are made here with the standard library alone, never with the hub's own code."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from dbos import WorkflowStatus
from fastapi import FastAPI

from crossdock.config import Settings
from crossdock.flows.inbox_writer import InboxWriter, InboxWriterFailure, InboxWriterStopped
from crossdock.flows.intake import Input, record_inputs, store_inputs_awaiting_job
from crossdock.flows.intake_activity import INTAKE_ACTIVITY
from crossdock.hub import Hub
from crossdock.sandbox.shopify.app import create_sandbox_app
from crossdock.sandbox.shopify.orders import MailingAddress, place_order
from crossdock.sandbox.shopify.seed import generate
from crossdock.sandbox.shopify.server import DEFAULT_ACCESS_TOKEN, SandboxSettings, build_sandbox
from crossdock.sandbox.shopify.webhooks.delivery import DEFAULT_APP_SECRET
from crossdock.sandbox.shopify.webhooks.payloads import order_payload
from crossdock.store.engine import create_engine
from crossdock.store.exceptions import ExceptionRecord
from crossdock.store.inbox import InboxEntry, Recorded
from crossdock.store.schema import inbox
from crossdock.store.unit_of_work import UnitOfWork
from crossdock.web.app import create_app
from tests.conftest import write_config
from tests.integration.conftest import ClientSide
from tests.support.databases import backend_name
from tests.support.sample_jobs import labels
from tests.support.servers import graphql_data, serving
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

SECRET = "hub-test-app-secret"
DOMAIN = "acme-outdoor.myshopify.com"
NO_SECRET_DOMAIN = "no-secret.myshopify.com"
SANDBOX_DOMAIN = "sandbox.myshopify.com"
WEBHOOK_PATH = "/webhooks/shopify"
BATCH_JOB_PREFIX = "inbox.process_batch:"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = write_config(
        tmp_path, extra_modules=["tests.support.sample_jobs", "tests.support.intake_handlers"]
    )
    with path.open("a") as config:
        config.write(
            f'\n[shops.acme-outdoor]\ndomain = "{DOMAIN}"\naccount = "acme"\n'
            f'\n[shops.no-secret]\ndomain = "{NO_SECRET_DOMAIN}"\naccount = "acme"\n'
            f'\n[shops.sandbox]\ndomain = "{SANDBOX_DOMAIN}"\naccount = "acme"\n'
        )
    return path


@pytest.fixture
def hub_environ(database_url: str) -> dict[str, str]:
    return {
        "CROSSDOCK_DATABASE_URL": database_url,
        "CROSSDOCK_SHOPS__ACME_OUTDOOR__APP_SECRET": SECRET,
        "CROSSDOCK_SHOPS__SANDBOX__APP_SECRET": DEFAULT_APP_SECRET,
    }


@dataclass
class ServedHub:
    url: str
    app: FastAPI
    engine: sa.Engine

    def rows(self) -> list[InboxEntry]:
        with self.engine.connect() as connection:
            found = connection.execute(sa.select(inbox).order_by(inbox.c.id))
            return [InboxEntry(**row._mapping) for row in found]


@pytest.fixture
def served(settings: Settings) -> Iterator[ServedHub]:
    app = create_app(settings)
    engine = create_engine(settings.database.url)
    try:
        with serving(app) as url:
            yield ServedHub(url, app, engine)
    finally:
        engine.dispose()


def order_body(order_number: int = 1) -> bytes:
    """An orders/create body as Shopify sends it (built by the sandbox), compact like Shopify's."""
    shop = generate(2, 1)
    order = place_order(
        shop,
        [("SKU-000001", 2)],
        shipping_address=MailingAddress(
            first_name="Jo", address1="1 Main St", city="Reno", zip="89501", country_code="US"
        ),
        email="jo@example.com",
    )
    payload = order_payload(shop, order)
    payload["id"] = payload["order_number"] = order_number
    payload["admin_graphql_api_id"] = f"gid://shopify/Order/{order_number}"
    return json.dumps(payload, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_headers(
    body: bytes,
    *,
    topic: str = "orders/create",
    webhook_id: str | None = None,
    secret: str = SECRET,
    domain: str = DOMAIN,
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": signature(secret, body),
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-02T10:00:00.000000Z",
    }


def deliver(hub: ServedHub, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(hub.url + WEBHOOK_PATH, content=body, headers=headers, timeout=10)


def batch_jobs(client_side: ClientSide) -> list[WorkflowStatus]:
    return client_side.client.list_workflows(workflow_id_prefix=BATCH_JOB_PREFIX)


def batched_ids(job: WorkflowStatus) -> list[int]:
    assert job.input is not None
    _job_name, _key, args, _meta = job.input["args"]
    return list(args["inbox_ids"])


def wait_settled(hub: ServedHub, count: int, *, timeout: float = 20.0) -> list[InboxEntry]:
    """The inbox rows once there are ``count`` and none waits to be processed any more."""

    def settled() -> list[InboxEntry] | None:
        rows = hub.rows()
        done = len(rows) == count and all(row.state not in ("received", "processing") for row in rows)
        return rows if done else None

    rows = wait_until(settled, timeout=timeout, what=f"{count} deliveries to be processed")
    assert rows is not None
    return rows


def wait_finished_batch_jobs(client_side: ClientSide) -> list[WorkflowStatus]:
    def finished() -> list[WorkflowStatus] | None:
        jobs = batch_jobs(client_side)
        return jobs if jobs and all(job.status == "SUCCESS" for job in jobs) else None

    jobs = wait_until(finished, what="every batch job to finish")
    assert jobs is not None
    return jobs


# -- the route -----------------------------------------------------------------------------------------------


def test_a_signed_delivery_is_stored_with_its_headers_and_processed_by_its_batch_job(
    served: ServedHub, client_side: ClientSide
) -> None:
    body = order_body(1001)
    headers = webhook_headers(body, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")

    answer = deliver(served, body, headers)

    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    (row,) = wait_settled(served, 1)
    assert (row.source, row.kind, row.account_id) == ("shopify", "orders/create", "acme")
    assert row.dedupe_key == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert row.payload == body
    assert row.headers == {
        name: headers[name]
        for name in (
            "X-Shopify-Topic",
            "X-Shopify-Shop-Domain",
            "X-Shopify-Webhook-Id",
            "X-Shopify-Event-Id",
            "X-Shopify-Triggered-At",
            "X-Shopify-API-Version",
        )
    }
    # Whichever handler the order topics have by now (or none: ignored), the batch job looked at the row.
    (job,) = wait_finished_batch_jobs(client_side)
    assert job.workflow_id == f"{BATCH_JOB_PREFIX}inbox-batch-{row.id}"
    assert batched_ids(job) == [row.id]
    assert job.output is not None and sum(job.output.values()) == 1


def test_a_duplicate_webhook_id_is_answered_200_and_changes_nothing(
    served: ServedHub, client_side: ClientSide
) -> None:
    body = order_body(1002)
    headers = webhook_headers(body)
    assert deliver(served, body, headers).status_code == 200
    wait_settled(served, 1)
    first = served.rows()

    again = deliver(served, body, headers)

    assert (again.status_code, again.json()) == (200, {"ok": True})
    assert served.rows() == first
    assert len(batch_jobs(client_side)) == 1


def test_without_a_webhook_id_the_same_signed_body_is_one_input(served: ServedHub) -> None:
    body = order_body(1003)
    headers = webhook_headers(body)
    del headers["X-Shopify-Webhook-Id"]

    assert [deliver(served, body, headers).status_code for _ in range(2)] == [200, 200]

    (row,) = served.rows()
    assert row.dedupe_key == "sha256:" + hashlib.sha256(b"orders/create" + body).hexdigest()


def test_deliveries_that_cannot_be_verified_are_refused_401_and_nothing_is_stored(
    served: ServedHub, client_side: ClientSide
) -> None:
    body = order_body(1004)
    no_signature = webhook_headers(body)
    del no_signature["X-Shopify-Hmac-Sha256"]
    refused = {
        "wrong secret": (body, webhook_headers(body, secret="not-the-app-secret")),
        "tampered body": (body.replace(b'"quantity":2', b'"quantity":9'), webhook_headers(body)),
        "no signature": (body, no_signature),
        # Signed with a real secret: the claimed shop is what is unknown.
        "unknown shop": (body, webhook_headers(body, domain="someone-else.myshopify.com")),
        "shop without app secret": (body, webhook_headers(body, domain=NO_SECRET_DOMAIN)),
    }
    assert refused["tampered body"][0] != body

    answers = {case: deliver(served, *delivery) for case, delivery in refused.items()}

    assert {case: answer.status_code for case, answer in answers.items()} == dict.fromkeys(refused, 401)
    assert all("error" in answer.json() for answer in answers.values())
    assert served.rows() == []
    assert batch_jobs(client_side) == []
    metrics = httpx.get(served.url + "/metrics", timeout=10).text
    refusals = [line for line in metrics.splitlines() if line.startswith("crossdock_webhooks_received_total")]
    assert any('outcome="unauthorized"' in line and float(line.split()[-1]) >= 5 for line in refusals)
    # The same delivery, correctly signed for a known shop, is taken: the refusals were the checks' doing.
    assert deliver(served, body, webhook_headers(body)).status_code == 200
    assert len(served.rows()) == 1


def test_refused_deliveries_become_one_signature_failures_exception_per_shop(served: ServedHub) -> None:
    body = order_body(1006)
    for _ in range(3):
        assert deliver(served, body, webhook_headers(body, secret="rotated-secret")).status_code == 401
    unsigned = webhook_headers(body)
    del unsigned["X-Shopify-Hmac-Sha256"]
    assert deliver(served, body, unsigned).status_code == 401
    for claimed in ("stranger.myshopify.com", "stranger.myshopify.com", "other.myshopify.com"):
        assert deliver(served, body, webhook_headers(body, domain=claimed)).status_code == 401
    served.app.state.refusal_flusher.flush()

    def signature_failures() -> dict[str, ExceptionRecord]:
        with UnitOfWork(served.engine) as uow:
            return {r.subject_id: r for r in uow.exceptions.list(type="signature_failures")}

    found = signature_failures()
    assert set(found) == {DOMAIN, "unknown shops"}
    shop = found[DOMAIN]
    assert (shop.severity, shop.account_id, shop.occurrences) == ("error", "acme", 1)
    assert shop.details["refused_by_reason"] == {"invalid signature": 3, "missing signature": 1}
    assert "app secret was rotated" in shop.message
    unknown = found["unknown shops"]
    assert (unknown.severity, unknown.account_id) == ("warning", None)
    assert unknown.details["claimed_domains"] == {"stranger.myshopify.com": 2, "other.myshopify.com": 1}
    assert served.rows() == []  # still nothing stored of the deliveries themselves

    deliver(served, body, webhook_headers(body, secret="rotated-secret"))
    served.app.state.refusal_flusher.flush()
    again = signature_failures()[DOMAIN]
    assert again.id == shop.id and again.occurrences == 2 and again.details["refused"] == 5


def test_a_topic_the_hub_does_not_subscribe_to_is_kept_ignored_without_a_job(
    served: ServedHub, client_side: ClientSide
) -> None:
    body = b'{"id":7,"title":"Trail tent"}'

    answer = deliver(served, body, webhook_headers(body, topic="products/update"))

    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    (row,) = served.rows()
    assert (row.kind, row.state, row.payload) == ("products/update", "ignored", body)
    assert row.error == "topic products/update is not one the hub subscribes to"
    assert batch_jobs(client_side) == []


def test_a_delivery_the_inbox_cannot_take_is_answered_503_and_not_stored(served: ServedHub) -> None:
    served.app.state.inbox_writer.stop()
    body = order_body(1005)

    answer = deliver(served, body, webhook_headers(body))

    assert answer.status_code == 503
    assert served.rows() == []


def test_other_methods_oversized_bodies_and_a_failing_handler_get_clear_answers_and_store_nothing(
    served: ServedHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.connectors.shopify import webhook_route

    assert httpx.get(served.url + WEBHOOK_PATH, timeout=10).status_code == 405
    monkeypatch.setattr(webhook_route, "MAX_BODY_BYTES", 1000)
    large = order_body(1006)
    assert len(large) > 1000
    assert deliver(served, large, webhook_headers(large)).status_code == 413

    def broken(*_arguments: object) -> bool:
        raise AssertionError("a bug in the intake")

    monkeypatch.setattr(webhook_route, "is_signed_by", broken)
    small = b'{"id":8}'
    answer = deliver(served, small, webhook_headers(small))

    assert (answer.status_code, answer.json()) == (500, {"error": "internal error"})
    assert served.rows() == []
    # The hub's other routes go through FastAPI as before.
    assert httpx.get(served.url + "/healthz", timeout=10).status_code == 200


def test_two_hundred_concurrent_deliveries_are_each_stored_once_and_processed(
    served: ServedHub, client_side: ClientSide
) -> None:
    bodies = [order_body(2000 + n) for n in range(200)]
    deliveries = [(body, webhook_headers(body, webhook_id=f"wh-{n}")) for n, body in enumerate(bodies)]
    # Every tenth one is also sent a second time at once, as Shopify may.
    deliveries += deliveries[::10]

    # Threads with a plain client: httpx's async client took 10 s for these 220 requests in this process.
    with (
        httpx.Client(base_url=served.url, limits=httpx.Limits(max_connections=40), timeout=30) as client,
        ThreadPoolExecutor(max_workers=40) as senders,
    ):
        answers = list(
            senders.map(
                lambda delivery: client.post(WEBHOOK_PATH, content=delivery[0], headers=delivery[1]),
                deliveries,
            )
        )

    assert [answer.status_code for answer in answers] == [200] * 220
    rows = wait_settled(served, 200, timeout=60)
    assert sorted(row.dedupe_key for row in rows) == sorted(f"wh-{n}" for n in range(200))
    assert {row.payload for row in rows} == set(bodies)
    jobs = wait_finished_batch_jobs(client_side)
    # Each row went into exactly one batch job.
    batched = Counter(inbox_id for job in jobs for inbox_id in batched_ids(job))
    assert batched == Counter(row.id for row in rows)


def test_the_sandbox_delivers_a_new_order_into_the_hubs_inbox(served: ServedHub) -> None:
    sandbox = build_sandbox(SandboxSettings(skus=3, locations=1))
    try:
        with serving(create_sandbox_app(sandbox, access_token=DEFAULT_ACCESS_TOKEN)) as shop_url:
            created = graphql_data(
                shop_url,
                DEFAULT_ACCESS_TOKEN,
                "mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {"
                " webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri})"
                " { userErrors { message } } }",
                {"topic": "ORDERS_CREATE", "uri": served.url + WEBHOOK_PATH},
            )
            assert created["webhookSubscriptionCreate"]["userErrors"] == []
            placed = httpx.post(
                f"{shop_url}/_sandbox/orders",
                json={"lines": [{"sku": "SKU-000001", "quantity": 2}], "email": "jo@example.com"},
                headers={"X-Shopify-Access-Token": DEFAULT_ACCESS_TOKEN},
                timeout=10,
            )
            assert placed.status_code == 201, placed.text
            delivered = wait_until(
                lambda: [a for a in sandbox.webhooks.attempts() if a.topic == "orders/create"],
                what="the sandbox to deliver orders/create",
            )
    finally:
        sandbox.webhooks.stop()

    (attempt,) = delivered
    assert (attempt.outcome, attempt.status_code) == ("delivered", 200)
    (row,) = served.rows()
    assert (row.source, row.kind, row.dedupe_key) == ("shopify", "orders/create", attempt.webhook_id)
    assert row.headers["X-Shopify-Shop-Domain"] == SANDBOX_DOMAIN
    assert json.loads(row.payload)["name"] == placed.json()["name"]


# -- the batch job and the writer ----------------------------------------------------------------------------


def note(kind: str, key: str, journal: Path) -> Input:
    return Input(source="test", kind=kind, dedupe_key=key, payload=b"{}", headers={"journal": str(journal)})


def test_a_batch_processes_each_row_once_keeps_a_rejected_one_and_hands_a_failing_one_to_its_own_job(
    hub: Hub, tmp_path: Path, client_side: ClientSide
) -> None:
    journal = tmp_path / "journal.txt"
    inputs = [
        note("note", "n-1", journal),
        note("unusable-note", "bad-1", journal),
        note("note-failing-once", "flaky-1", journal),
        note("note", "n-2", journal),
        note("note", "n-1", journal),  # the same input twice in one batch
    ]
    assert hub.jobs is not None
    with hub.jobs.unit_of_work() as uow:
        outcomes = record_inputs(uow, inputs)
        uow.commit()
    assert [outcome.is_new for outcome in outcomes] == [True, True, True, True, False]
    assert outcomes[4].inbox_id == outcomes[0].inbox_id
    ids = {
        key: outcome.inbox_id
        for key, outcome in zip(["n-1", "bad-1", "flaky-1", "n-2"], outcomes[:4], strict=True)
    }

    def states() -> dict[str, str] | None:
        with hub.jobs.unit_of_work() as uow:  # type: ignore[union-attr]
            found = {key: uow.inbox.get(inbox_id) for key, inbox_id in ids.items()}
        wanted = {"n-1": "processed", "bad-1": "failed", "flaky-1": "processed", "n-2": "processed"}
        current = {key: entry.state for key, entry in found.items() if entry is not None}
        return current if current == wanted else None

    wait_until(states, what="the batch and the handed-over row to be processed")
    (batch,) = wait_finished_batch_jobs(client_side)
    assert batch.workflow_id == f"{BATCH_JOB_PREFIX}inbox-batch-{min(ids.values())}"
    assert batched_ids(batch) == sorted(ids.values())
    assert batch.output == {"processed": 2, "failed": 1, "handed_over": 1}
    own_job = f"inbox.process:inbox-{ids['flaky-1']}"
    wait_until(lambda: client_side.status(own_job).status == "SUCCESS", what="the row's own job to succeed")
    with hub.jobs.unit_of_work() as uow:
        flaky = uow.inbox.get(ids["flaky-1"])
        rejected = uow.inbox.get(ids["bad-1"])
        (problem,) = uow.exceptions.list()
    assert flaky is not None and flaky.attempts == 2 and flaky.error is None
    assert rejected is not None and rejected.error == "field 'note.text' is missing"
    assert (problem.type, problem.subject_id) == ("input_rejected", str(ids["bad-1"]))
    assert Counter(labels(journal)) == Counter(
        [
            "note n-1 inbox.process_batch",
            "unusable bad-1 inbox.process_batch",
            "attempt flaky-1 inbox.process_batch",
            "note n-2 inbox.process_batch",
            "attempt flaky-1 inbox.process",
            "succeeded flaky-1 inbox.process",
        ]
    )


def test_a_batch_handles_rows_in_shared_transactions_and_a_failing_one_alone_with_nothing_half_done(
    hub: Hub, tmp_path: Path, client_side: ClientSide
) -> None:
    """Rows whose handler works in a given transaction share transactions; when one raises, its transaction
    rolls back and the rows it held are handled one by one: the failing one is rejected with none of its
    writes kept, the others are processed once more, alone, and the rows after it share again."""
    journal = tmp_path / "journal.txt"
    early = [f"s-{n}" for n in range(1, 6)]
    late = [f"s-{n}" for n in range(6, 31)]
    inputs = [
        *(note("shared-note", key, journal) for key in early),
        note("shared-unusable-note", "bad", journal),
        *(note("shared-note", key, journal) for key in late),
        note("note", "plain", journal),
        note("shared-note", "s-last", journal),
    ]
    assert hub.jobs is not None
    with hub.jobs.unit_of_work() as uow:
        # One at a time, so the rows' ids (the batch's order) follow the list; the relay makes them a batch.
        ids = {each.dedupe_key: store_inputs_awaiting_job(uow, [each])[0].inbox_id for each in inputs}
        uow.commit()
    INTAKE_ACTIVITY.note_committed()

    (batch,) = wait_finished_batch_jobs(client_side)
    assert batch.output == {"processed": len(inputs) - 1, "failed": 1}
    with hub.jobs.unit_of_work() as uow:
        states = {key: entry.state for key, entry in uow.inbox.get_many(list(ids.values())).items()}
        cursors = {key: uow.sync_cursors.get("test", key) for key in ids}
        (problem,) = uow.exceptions.list()
    assert {states[inbox_id] for key, inbox_id in ids.items() if key != "bad"} == {"processed"}
    assert states[ids["bad"]] == "failed"
    assert (problem.type, problem.subject_id) == ("input_rejected", str(ids["bad"]))
    assert cursors.pop("bad") is None  # written twice, rolled back twice
    assert cursors.pop("plain") is None  # a plain handler, no cursor
    assert set(cursors.values()) == {"handled"}

    seen: dict[str, list[str]] = {}
    for label in labels(journal):
        _kind, key, transaction = label.split(" ")
        seen.setdefault(key, []).append(transaction)
    # The rows before the failing one: once in the rolled-back transaction, then each in one of its own.
    rolled_back = {transactions[0] for key in [*early, "bad"] for transactions in [seen[key]]}
    assert len(rolled_back) == 1
    assert all(len(seen[key]) == 2 for key in [*early, "bad"])
    alone = [seen[key][1] for key in [*early, "bad"]]
    assert len(set(alone)) == len(alone) and not set(alone) & rolled_back
    # The rows after it share transactions again (one, unless the machine was slow enough to need more).
    assert all(len(seen[key]) == 1 for key in late)
    assert len({seen[key][0] for key in late}) <= 5
    assert seen["plain"] == ["inbox.process_batch"]


def test_the_writer_commits_every_queued_input_before_it_stops_then_refuses_more(
    hub: Hub, tmp_path: Path, client_side: ClientSide
) -> None:
    journal = tmp_path / "journal.txt"
    assert hub.jobs is not None and hub.jobs.enqueuer is not None
    writer = InboxWriter(hub.engine)
    writer.start()

    async def submit_then_stop() -> list[int]:
        submitted = [asyncio.ensure_future(writer.submit(note("note", f"w-{n}", journal))) for n in range(50)]
        await asyncio.sleep(0)  # every submission is queued before the stop
        await asyncio.to_thread(writer.stop)
        with pytest.raises(InboxWriterStopped):
            await writer.submit(note("note", "too-late", journal))
        return [recorded.inbox_id for recorded in await asyncio.gather(*submitted)]

    recorded_ids = asyncio.run(submit_then_stop())

    with UnitOfWork(hub.engine) as uow:
        entries = [uow.inbox.get(inbox_id) for inbox_id in recorded_ids]
    assert sorted(entry.dedupe_key for entry in entries if entry is not None) == sorted(
        f"w-{n}" for n in range(50)
    )
    wait_until(
        lambda: sorted(labels(journal)) == sorted(f"note w-{n} inbox.process_batch" for n in range(50)),
        what="every input to be processed",
    )


def test_a_writer_of_two_threads_stores_each_input_once_when_deliveries_repeat_across_its_batches(
    hub: Hub, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.txt"
    writer = InboxWriter(hub.engine, threads=2)
    writer.start()

    async def submit_all() -> list[Recorded]:
        # Every delivery twice, the copies far apart: they land in different batches, often in flight at once.
        keys = [f"twice-{n}" for n in range(150)] * 2
        return await asyncio.gather(*(writer.submit(note("note", key, journal)) for key in keys))

    try:
        recorded = asyncio.run(submit_all())
    finally:
        writer.stop()

    by_key: dict[int, list[bool]] = {}
    for outcome in recorded:
        by_key.setdefault(outcome.inbox_id, []).append(outcome.is_new)
    assert len(by_key) == 150
    assert all(sorted(news) == [False, True] for news in by_key.values())
    wait_until(
        lambda: sorted(labels(journal)) == sorted(f"note twice-{n} inbox.process_batch" for n in range(150)),
        what="every input to be processed once",
    )


def test_an_input_the_database_refuses_fails_alone_and_the_others_of_its_batch_are_stored(
    hub: Hub, tmp_path: Path, client_side: ClientSide
) -> None:
    journal = tmp_path / "journal.txt"
    refused = Input(
        source="test",
        kind="note",
        dedupe_key="p-refused",
        payload=b"{}",
        headers={"journal": str(journal)},
        account_id="no-such-account",  # the inbox's foreign key refuses it
    )
    inputs = [note("note", "p-1", journal), refused, note("note", "p-2", journal)]
    writer = InboxWriter(hub.engine)
    writer.start()

    async def submit_all() -> list[Recorded | BaseException]:
        return await asyncio.gather(*(writer.submit(received) for received in inputs), return_exceptions=True)

    try:
        first, failed, last = asyncio.run(submit_all())
    finally:
        writer.stop()

    assert isinstance(failed, InboxWriterFailure)
    assert isinstance(first, Recorded) and isinstance(last, Recorded) and first.is_new and last.is_new
    with UnitOfWork(hub.engine) as uow:
        stored = uow.inbox.get_many([first.inbox_id, last.inbox_id])
        assert sum(uow.inbox.count_by_state().values()) == 2
    assert sorted(entry.dedupe_key for entry in stored.values()) == ["p-1", "p-2"]
    wait_until(
        lambda: sorted(labels(journal)) == ["note p-1 inbox.process_batch", "note p-2 inbox.process_batch"],
        what="the two stored inputs to be processed",
    )


@pytest.mark.skipif(backend_name() != "postgresql", reason="PostgreSQL's transaction round trips")
def test_on_postgresql_a_batch_is_one_insert_in_autocommit(hub: Hub, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    writer_engine = create_engine(hub.settings.database.url, pool_size=1, pre_ping=False)
    statements: list[tuple[str, bool]] = []

    @sa.event.listens_for(writer_engine, "before_cursor_execute")
    def _seen(connection: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append((statement.split()[0], connection.connection.driver_connection.autocommit))

    writer = InboxWriter(writer_engine)
    writer.start()

    async def submit_all() -> list[Recorded]:
        return await asyncio.gather(*(writer.submit(note("note", f"a-{n}", journal)) for n in range(40)))

    try:
        recorded = asyncio.run(submit_all())
    finally:
        writer.stop()
        writer_engine.dispose()
    assert all(outcome.is_new for outcome in recorded)
    # No BEGIN and COMMIT around it: each batch costs the server one round trip.
    assert statements and all(statement == ("INSERT", True) for statement in statements)
    assert len(statements) < 40


@pytest.mark.skipif(backend_name() != "postgresql", reason="a PostgreSQL server dropping a connection")
def test_a_batch_whose_connection_the_server_dropped_is_written_again(
    hub: Hub, tmp_path: Path, client_side: ClientSide
) -> None:
    journal = tmp_path / "journal.txt"
    writer_engine = create_engine(hub.settings.database.url, pool_size=1, pre_ping=False)
    writer = InboxWriter(writer_engine)
    writer.start()
    try:
        first = asyncio.run(writer.submit(note("note", "d-1", journal)))
        with writer_engine.connect() as pooled:  # the writer's one pooled connection, back in the pool
            backend = pooled.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with hub.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")
        second = asyncio.run(writer.submit(note("note", "d-2", journal)))
    finally:
        writer.stop()
        writer_engine.dispose()
    assert first.is_new and second.is_new
    wait_until(
        lambda: sorted(labels(journal)) == ["note d-1 inbox.process_batch", "note d-2 inbox.process_batch"],
        what="both inputs to be processed",
    )
