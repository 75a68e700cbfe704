"""Carriers as a warehouse names them (Standard Carrier Alpha Codes, SCAC) and as Shopify spells them.

A 945 names its carrier by SCAC (W27-02: ``UPSN``, ``FDEG``…); a Shopify fulfillment wants the tracking
company as Shopify lists it (``UPS``, ``FedEx``, ``DHL Express``…), from which Shopify builds its tracking
link. This module is the one table between the two, used by the 945 reader, by the Shopify fulfillment and
by the 3PL sandbox (which goes the other way, name → SCAC, with ``CARRIER_SCACS``). A partner may use other
codes: its ``carriers`` setting adds to and overrides the built-in table.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import quote

from crossdock.config import X12PartnerSettings

# Several SCACs name one carrier: UPS files under its parcel (UPSN), SurePost (UPSS) and ground (UPGN) codes,
# FedEx under Ground (FDEG), Express (FDXE, FDX, FEDX) and Freight (FXFE).
_NAMES_BY_SCAC: Mapping[str, str] = MappingProxyType(
    {
        "UPSN": "UPS",
        "UPSS": "UPS",
        "UPGN": "UPS",
        "FDEG": "FedEx",
        "FDXE": "FedEx",
        "FEDX": "FedEx",
        "FDX": "FedEx",
        "FXFE": "FedEx",
        "USPS": "USPS",
        "DHL": "DHL Express",
        "DHLC": "DHL Express",
        "DHLG": "DHL eCommerce",
        "CNPR": "Canada Post",
        "ONTR": "OnTrac",
        "AMZL": "Amazon Logistics",
        "LSHP": "LaserShip",
    }
)

# The SCAC the 3PL sandbox writes for a carrier name (the code a real 3PL most often uses for it).
CARRIER_SCACS: Mapping[str, str] = MappingProxyType(
    {
        "UPS": "UPSN",
        "FedEx": "FDEG",
        "USPS": "USPS",
        "DHL Express": "DHL",
        "DHL eCommerce": "DHLG",
        "Canada Post": "CNPR",
        "OnTrac": "ONTR",
        "Amazon Logistics": "AMZL",
        "LaserShip": "LSHP",
    }
)

# Tracking pages of the four carriers most parcels go with; the number is the only parameter they need.
_TRACKING_URLS: Mapping[str, str] = MappingProxyType(
    {
        "UPS": "https://www.ups.com/track?tracknum={number}",
        "FedEx": "https://www.fedex.com/fedextrack/?trknbr={number}",
        "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
        "DHL Express": "https://www.dhl.com/en/express/tracking.html?AWB={number}&brand=DHL",
    }
)


def _normalised(code: str) -> str:
    return code.strip().upper()


def carrier_name(code: str | None, partner: X12PartnerSettings | None = None) -> str | None:
    """The carrier's name as Shopify spells it for an SCAC (case and surrounding blanks ignored); the
    partner's ``carriers`` table wins over the built-in one. None when neither knows the code."""
    if code is None or not code.strip():
        return None
    wanted = _normalised(code)
    if partner is not None:
        for partner_code, name in partner.carriers.items():
            if _normalised(partner_code) == wanted:
                return name
    return _NAMES_BY_SCAC.get(wanted)


def tracking_url(name: str | None, number: str) -> str | None:
    """The public tracking page of ``number`` at UPS, FedEx, USPS or DHL Express; None for other carriers
    (Shopify builds its own link from the company name for the carriers it knows)."""
    if name is None or not number.strip():
        return None
    template = _TRACKING_URLS.get(name)
    if template is None:
        return None
    return template.format(number=quote(number.strip(), safe=""))
