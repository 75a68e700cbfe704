"""Orders placed on the Shopify sandbox at a steady rate, as shoppers would: one to three lines over the
seeded SKUs, US shipping addresses, most of them paid at checkout and the rest paid a few seconds later."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

# (first name, last name, street, city, state, ZIP, phone): the state, ZIP and area code of each agree, so
# that the 940 the hub writes is one a real 3PL would accept.
ADDRESSES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("Maya", "Thompson", "1420 Pearl St", "Boulder", "CO", "80302", "+13035550142"),
    ("Daniel", "Reyes", "2210 NW Glisan St", "Portland", "OR", "97210", "+15035550187"),
    ("Priya", "Raman", "88 Commercial St", "Boston", "MA", "02109", "+16175550123"),
    ("Jordan", "Lee", "415 E Pine St", "Seattle", "WA", "98122", "+12065550164"),
    ("Elena", "Kowalski", "1901 S Congress Ave", "Austin", "TX", "78704", "+15125550119"),
    ("Marcus", "Bennett", "640 N Michigan Ave", "Chicago", "IL", "60611", "+13125550176"),
    ("Grace", "Okafor", "312 Main St", "Bozeman", "MT", "59715", "+14065550138"),
    ("Samuel", "Nguyen", "77 Church St", "Burlington", "VT", "05401", "+18025550155"),
    ("Hannah", "Fischer", "1150 Broadway", "Nashville", "TN", "37203", "+16155550191"),
    ("Luis", "Ortega", "2525 E Camelback Rd", "Phoenix", "AZ", "85016", "+16025550148"),
    ("Olivia", "Park", "455 Valencia St", "San Francisco", "CA", "94103", "+14155550172"),
    ("Ethan", "Walsh", "19 Exchange St", "Portland", "ME", "04101", "+12075550133"),
)
PAY_LATER_SECONDS = 5.0


@dataclass(frozen=True)
class PlacedOrder:
    gid: str
    name: str
    # The client's wall clock (UTC) just before the request was sent.
    placed_at: datetime


def order_request(rng: random.Random, skus: Sequence[str], financial_status: str) -> dict[str, Any]:
    first, last, street, city, state, zip_code, phone = rng.choice(ADDRESSES)
    lines = rng.sample(list(skus), k=rng.randint(1, min(3, len(skus))))
    return {
        "lines": [{"sku": sku, "quantity": rng.choice((1, 1, 1, 2))} for sku in lines],
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "financial_status": financial_status,
        "shipping_address": {
            "first_name": first,
            "last_name": last,
            "address1": street,
            "city": city,
            "province_code": state,
            "zip": zip_code,
            "country_code": "US",
            "phone": phone,
        },
    }


class Traffic:
    """Places ``rate`` orders per second from a background thread until stopped; ``paid_share`` of them are
    PAID at once, the others PENDING and paid ``PAY_LATER_SECONDS`` later (the hub holds them meanwhile)."""

    def __init__(
        self,
        shop_url: str,
        access_token: str,
        skus: Sequence[str],
        *,
        rate: float,
        paid_share: float = 0.9,
        seed: int | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"the rate must be above 0 orders/s, got {rate}")
        self._skus = tuple(skus)
        self._rate = rate
        self._paid_share = paid_share
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._client = httpx.Client(
            base_url=f"{shop_url}/_sandbox", headers={"X-Shopify-Access-Token": access_token}, timeout=30
        )
        # Each request takes milliseconds; a few in flight keep the pace at tens of orders per second.
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="demo-traffic")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._placed: list[PlacedOrder] = []
        self._unpaid: list[tuple[float, str]] = []
        self.failures = 0
        self.last_failure = ""

    @property
    def placed(self) -> int:
        with self._lock:
            return len(self._placed)

    def orders(self) -> list[PlacedOrder]:
        with self._lock:
            return list(self._placed)

    def place_one(self, financial_status: str = "PAID") -> PlacedOrder | None:
        """Place one order now, in the calling thread; None (and counted as a failure) if it was refused."""
        with self._rng_lock:
            body = order_request(self._rng, self._skus, financial_status)
        placed_at = datetime.now(UTC)
        try:
            answer = self._client.post("/orders", json=body)
            answer.raise_for_status()
        except httpx.HTTPError as error:
            with self._lock:
                self.failures += 1
                self.last_failure = str(error)
            return None
        created = answer.json()
        order = PlacedOrder(created["id"], created["name"], placed_at)
        with self._lock:
            self._placed.append(order)
            if financial_status != "PAID":
                self._unpaid.append((time.monotonic() + PAY_LATER_SECONDS, order.gid))
        return order

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="demo-traffic-pace", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def _run(self) -> None:
        interval = 1.0 / self._rate
        # Paced against a fixed schedule rather than sleeping the interval after each order, so that slow
        # answers do not lower the rate.
        next_at = time.monotonic()
        while not self._stopping.is_set():
            with self._rng_lock:
                paid = self._rng.random() < self._paid_share
            self._pool.submit(self.place_one, "PAID" if paid else "PENDING")
            self._pay_due()
            next_at += interval
            self._stopping.wait(max(0.0, next_at - time.monotonic()))

    def _pay_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [gid for at, gid in self._unpaid if at <= now]
            self._unpaid = [(at, gid) for at, gid in self._unpaid if at > now]
        for gid in due:
            self._pool.submit(self._pay, gid)

    def _pay(self, gid: str) -> None:
        try:
            self._client.post(f"/orders/{gid}/pay").raise_for_status()
        except httpx.HTTPError as error:
            with self._lock:
                self.failures += 1
                self.last_failure = str(error)
