"""The SCAC → Shopify tracking company table, the partner's additions and the tracking links."""

from __future__ import annotations

import pytest

from crossdock.config import X12PartnerSettings
from crossdock.connectors.x12.documents.carriers import CARRIER_SCACS, carrier_name, tracking_url

PARTNER = X12PartnerSettings(sender_id="HUB", receiver_id="EAST3PL")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("UPSN", "UPS"),
        ("UPSS", "UPS"),
        ("UPGN", "UPS"),
        ("FDEG", "FedEx"),
        ("FDXE", "FedEx"),
        ("FEDX", "FedEx"),
        ("FDX", "FedEx"),
        ("FXFE", "FedEx"),
        ("USPS", "USPS"),
        ("DHL", "DHL Express"),
        ("DHLC", "DHL Express"),
        ("DHLG", "DHL eCommerce"),
        ("CNPR", "Canada Post"),
        ("ONTR", "OnTrac"),
        ("AMZL", "Amazon Logistics"),
        ("LSHP", "LaserShip"),
    ],
)
def test_a_known_scac_gives_the_carrier_as_shopify_spells_it(code: str, name: str) -> None:
    assert carrier_name(code, PARTNER) == name
    assert carrier_name(code) == name


def test_codes_are_matched_whatever_their_case_and_surrounding_blanks() -> None:
    assert carrier_name(" upsn ", PARTNER) == "UPS"


def test_an_unknown_or_missing_code_names_no_carrier() -> None:
    assert carrier_name("ZZZZ", PARTNER) is None
    assert carrier_name("", PARTNER) is None
    assert carrier_name("  ", PARTNER) is None
    assert carrier_name(None, PARTNER) is None


def test_the_partner_table_adds_codes_and_overrides_built_in_ones() -> None:
    partner = X12PartnerSettings(
        sender_id="HUB", receiver_id="EAST3PL", carriers={"PURO": "Purolator", "upsn": "UPS Mail Innovations"}
    )
    assert carrier_name("PURO", partner) == "Purolator"
    assert carrier_name("UPSN", partner) == "UPS Mail Innovations"
    assert carrier_name("FDEG", partner) == "FedEx"


def test_every_preferred_scac_maps_back_to_its_carrier() -> None:
    assert set(CARRIER_SCACS) >= {"UPS", "FedEx", "USPS", "DHL Express", "DHL eCommerce", "Canada Post"}
    for name, code in CARRIER_SCACS.items():
        assert carrier_name(code) == name


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("UPS", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        ("FedEx", "https://www.fedex.com/fedextrack/?trknbr=1Z999AA10123456784"),
        ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=1Z999AA10123456784"),
        ("DHL Express", "https://www.dhl.com/en/express/tracking.html?AWB=1Z999AA10123456784&brand=DHL"),
    ],
)
def test_the_big_four_have_a_tracking_link(name: str, url: str) -> None:
    assert tracking_url(name, " 1Z999AA10123456784 ") == url


def test_other_carriers_and_empty_numbers_have_no_tracking_link() -> None:
    assert tracking_url("OnTrac", "C10000000000001") is None
    assert tracking_url(None, "C10000000000001") is None
    assert tracking_url("UPS", " ") is None


def test_a_tracking_number_is_quoted_into_the_link() -> None:
    assert tracking_url("UPS", "AB 12/3&x") == "https://www.ups.com/track?tracknum=AB%2012%2F3%26x"
