"""Carriers the simulated 3PL ships with and tracking numbers that look like theirs.

The site's own small table (name, SCAC, default service) — the hub's SCAC table lives in the X12 connector
and the simulation must not depend on a connector. Tracking numbers follow each carrier's public format,
check digit included, so that a hub or a person validating them sees plausible values:
UPS ``1Z`` + 6-character shipper + 2-digit service + 7 digits + check digit (18 characters), FedEx 12
digits (mod-11 check, weights 1/3/7), USPS 22 digits (``9400`` prefix, mod-10 check, weights 3/1), DHL
Express 10 digits (mod-7 check).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Carrier:
    name: str
    scac: str
    default_service: str


CARRIERS: tuple[Carrier, ...] = (
    Carrier("UPS", "UPSN", "Ground"),
    Carrier("FedEx", "FDEG", "Ground"),
    Carrier("USPS", "USPS", "Priority Mail"),
    Carrier("DHL", "DHLC", "Express Worldwide"),
)

_BY_SCAC = {carrier.scac: carrier for carrier in CARRIERS}
_DIGITS = "0123456789"
_UPS_SHIPPER_CHARACTERS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def carrier_for(scac: str | None, rng: random.Random) -> Carrier:
    """The carrier an order asked for by SCAC when the site ships with it, else one drawn at random (the
    3PL chooses: the cheapest rate of the day)."""
    if scac is not None:
        found = _BY_SCAC.get(scac.strip().upper())
        if found is not None:
            return found
    return rng.choice(CARRIERS)


def tracking_number(carrier: Carrier, rng: random.Random) -> str:
    if carrier.scac == "UPSN":
        return _ups(rng)
    if carrier.scac == "FDEG":
        return _fedex(rng)
    if carrier.scac == "USPS":
        return _usps(rng)
    if carrier.scac == "DHLC":
        return _dhl(rng)
    raise ValueError(f"no tracking number format for carrier {carrier.name} ({carrier.scac})")


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(_DIGITS) for _ in range(count))


def _ups(rng: random.Random) -> str:
    shipper = "".join(rng.choice(_UPS_SHIPPER_CHARACTERS) for _ in range(6))
    body = shipper + "03" + _digits(rng, 7)
    total = 0
    for position, character in enumerate(body):
        # UPS maps letters to digits as (ord - 63) mod 10 and doubles the even positions (1-based).
        value = int(character) if character.isdigit() else (ord(character) - 63) % 10
        total += value * 2 if position % 2 == 1 else value
    return f"1Z{body}{(10 - total % 10) % 10}"


def _fedex(rng: random.Random) -> str:
    body = _digits(rng, 11)
    weights = (3, 1, 7)
    total = sum(int(digit) * weights[index % 3] for index, digit in enumerate(reversed(body)))
    return body + str(total % 11 % 10)


def _usps(rng: random.Random) -> str:
    body = "9400" + _digits(rng, 17)
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _dhl(rng: random.Random) -> str:
    body = _digits(rng, 9)
    return body + str(int(body) % 7)
