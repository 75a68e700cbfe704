"""Carrier codes and names → the tracking company Shopify knows, the configuration's overrides first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import GraphQLObjectType, build_schema

from crossdock.connectors.shopify import tracking_companies
from crossdock.connectors.shopify.tracking_companies import SHOPIFY_TRACKING_COMPANIES, tracking_company
from crossdock.connectors.x12.documents.carriers import CARRIER_SCACS, carrier_name

REPO_ROOT = Path(__file__).resolve().parents[2]
REAL_SDL_PATH = REPO_ROOT.parent / "shared" / "reference" / "shopify" / "admin_2026-07.graphql"


@pytest.mark.parametrize(
    ("code", "company"),
    [
        ("UPSN", "UPS"),
        ("UPSS", "UPS"),
        ("UPGN", "UPS"),
        ("UPS", "UPS"),
        ("FDEG", "FedEx"),
        ("FDXE", "FedEx"),
        ("FXFE", "FedEx"),
        ("FDX", "FedEx"),
        ("FEDEX", "FedEx"),
        ("USPS", "USPS"),
        ("DHL", "DHL Express"),
        ("DHLC", "DHL Express"),
        ("DHLG", "DHL eCommerce"),
        ("ONTR", "OnTrac"),
        ("CNPR", "Canada Post"),
        ("AMZL", "Amazon"),
        ("LSHP", "Lasership"),
        # A code that is a company's own name needs no entry.
        ("GLS", "GLS"),
        ("postnl", "PostNL"),
    ],
)
def test_a_known_code_gives_shopifys_company(code: str, company: str) -> None:
    assert tracking_company(code, None) == company


def test_codes_ignore_case_and_blanks_and_win_over_the_name() -> None:
    assert tracking_company(" upsn ", None) == "UPS"
    assert tracking_company("FDEG", "Some Ground Service") == "FedEx"


@pytest.mark.parametrize(
    ("name", "company"),
    [
        ("fedex", "FedEx"),
        ("FedEx  Ground", "FedEx"),
        ("United Parcel Service", "UPS"),
        ("Royal mail", "Royal Mail"),
        ("La Poste", "La Poste Colissimo"),
        ("LaserShip", "Lasership"),
        ("Amazon Logistics", "Amazon"),
        ("purolator", "Purolator"),
        ("DHL", "DHL Express"),
    ],
)
def test_a_name_is_spelled_as_shopify_spells_it(name: str, company: str) -> None:
    assert tracking_company(None, name) == company
    # An unknown code does not hide a known name.
    assert tracking_company("ZZZZ", name) == company


def test_an_unknown_carrier_is_its_name_as_given_and_nothing_without_a_name() -> None:
    assert tracking_company("ZZZZ", "  Bob's   Couriers ") == "Bob's Couriers"
    assert tracking_company("ZZZZ", None) is None
    assert tracking_company(None, None) is None
    assert tracking_company("  ", "") is None


def test_the_overrides_win_by_code_then_by_name_case_ignored() -> None:
    extra = {"upsn": "UPS Override", "Acme Freight": "Estes", "FDEG": "FedEx Override"}

    assert tracking_company("UPSN", "FedEx", extra) == "UPS Override"
    assert tracking_company("ZZZZ", "ACME  freight", extra) == "Estes"
    assert tracking_company("FDEG", "Acme Freight", extra) == "FedEx Override"
    assert tracking_company("USPS", None, extra) == "USPS"  # what the overrides omit falls through


def test_every_mapped_company_is_on_shopifys_list() -> None:
    listed = set(SHOPIFY_TRACKING_COMPANIES)
    assert len(listed) == len(SHOPIFY_TRACKING_COMPANIES)
    mapped = {
        *tracking_companies._COMPANIES_BY_CODE.values(),
        *tracking_companies._COMPANIES_BY_ALIAS.values(),
    }
    assert sorted(mapped - listed) == []


def test_every_carrier_the_x12_side_names_maps_to_a_listed_company() -> None:
    """The 945 reader names carriers with its own table (LaserShip, Amazon Logistics…): the fulfillment must
    still send Shopify's spelling, by code or by that name."""
    for name, scac in CARRIER_SCACS.items():
        assert tracking_company(scac, None) in SHOPIFY_TRACKING_COMPANIES, scac
        assert tracking_company(None, carrier_name(scac)) in SHOPIFY_TRACKING_COMPANIES, name


def test_the_list_is_the_one_shopify_documents_for_2026_07() -> None:
    if not REAL_SDL_PATH.is_file():
        pytest.skip("../shared/reference/shopify/admin_2026-07.graphql is absent")
    schema = build_schema(REAL_SDL_PATH.read_text(encoding="utf-8"))
    tracking_info = schema.get_type("FulfillmentTrackingInfo")
    assert isinstance(tracking_info, GraphQLObjectType)
    description = tracking_info.fields["company"].description or ""
    any_country = [
        name
        for name in re.findall(r"^\s*\* (.+?)\s*$", description, re.MULTILINE)
        if not name.startswith("**")
    ]
    by_country = [
        company.strip().rstrip(".")
        for line in re.findall(r"^\s*\* \*\*[^*]+\*\*: (.+)$", description, re.MULTILINE)
        for company in line.split(",")
    ]
    # Countries share companies (GLS, DHL Parcel, Fastway…): each is listed once, where it first appears.
    assert list(dict.fromkeys(any_country + by_country)) == list(SHOPIFY_TRACKING_COMPANIES)
