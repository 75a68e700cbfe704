"""The tracking company of a Shopify fulfillment, from a warehouse's carrier code (an SCAC such as ``UPSN``,
or a short code such as ``FDX``) or carrier name.

Shopify builds a tracking link, and for integrated carriers follows the parcel, only when
``FulfillmentTrackingInput.company`` is one of the names it lists, spelled exactly so ("capitalization
matters"). ``SHOPIFY_TRACKING_COMPANIES`` is that list as Shopify's Admin API 2026-07 documents it on
``FulfillmentTrackingInfo.company`` (../shared/reference/shopify/admin_2026-07.graphql; the same list is on
shopify.dev under "Supported tracking companies"): first the companies shown to shops in any country, then
those shown to shops in some countries only. Some spellings differ from what a warehouse writes: ``Lasership``
(not LaserShip), ``Amazon`` (Amazon Logistics in the US), ``La Poste Colissimo`` (not La Poste).

A carrier neither table knows is returned as the warehouse named it: Shopify accepts any string as the
company and shows it, but builds no tracking link for it, so the shipment keeps its tracking URL only when the
warehouse sent one. A company a shop needs and this table lacks goes in the configuration's overrides
(``extra``), which are checked first.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Shopify's list for FulfillmentTrackingInfo.company, API 2026-07, in its order.
SHOPIFY_TRACKING_COMPANIES: tuple[str, ...] = (
    # Shown to shops located in any country.
    "4PX",
    "AGS",
    "Amazon",
    "Amazon Logistics UK",
    "An Post",
    "Anjun Logistics",
    "APC",
    "Asendia USA",
    "Australia Post",
    "Bonshaw",
    "BPost",
    "BPost International",
    "Canada Post",
    "Canpar",
    "CDL Last Mile",
    "China Post",
    "Chronopost",
    "Chukou1",
    "Colissimo",
    "Comingle",
    "Coordinadora",
    "Correios",
    "Correos",
    "CTT",
    "CTT Express",
    "Cyprus Post",
    "Delnext",
    "Deutsche Post",
    "DHL eCommerce",
    "DHL eCommerce Asia",
    "DHL Express",
    "DPD",
    "DPD Local",
    "DPD UK",
    "DTD Express",
    "DX",
    "Eagle",
    "Estes",
    "Evri",
    "FedEx",
    "First Global Logistics",
    "First Line",
    "FSC",
    "Fulfilla",
    "GLS",
    "Guangdong Weisuyi Information Technology (WSE)",
    "Heppner Internationale Spedition GmbH & Co.",
    "Iceland Post",
    "IDEX",
    "Israel Post",
    "Japan Post (EN)",
    "Japan Post (JA)",
    "La Poste Colissimo",
    "La Poste Burkina Faso",
    "Lasership",
    "Latvia Post",
    "Lietuvos Paštas",
    "Logisters",
    "Lone Star Overnight",
    "M3 Logistics",
    "Meteor Space",
    "Mondial Relay",
    "New Zealand Post",
    "NinjaVan",
    "North Russia Supply Chain (Shenzhen) Co.",
    "OnTrac",
    "Packeta",
    "Pago Logistics",
    "Ping An Da Tengfei Express",
    "Pitney Bowes",
    "Portal PostNord",
    "Poste Italiane",
    "PostNL",
    "PostNord DK",
    "PostNord NO",
    "PostNord SE",
    "Purolator",
    "Qxpress",
    "Qyun Express",
    "Royal Mail",
    "Royal Shipments",
    "Sagawa (EN)",
    "Sagawa (JA)",
    "Sendle",
    "SF Express",
    "SFC Fulfillment",
    "ShipBob",
    "SHREE NANDAN COURIER",
    "Singapore Post",
    "Southwest Air Cargo",
    "StarTrack",
    "Step Forward Freight",
    "Swiss Post",
    "TForce Final Mile",
    "Tinghao",
    "TNT",
    "Toll IPEC",
    "United Delivery Service",
    "UPS",
    "USPS",
    "Venipak",
    "We Post",
    "Whistl",
    "Wizmo",
    "WMYC",
    "Xpedigo",
    "XPO Logistics",
    "Yamato (EN)",
    "Yamato (JA)",
    "YiFan Express",
    "YunExpress",
    # Shown to shops in some countries only (those not already above).
    "Aramex Australia",
    "TNT Australia",
    "Hunter Express",
    "Couriers Please",
    "Bonds",
    "Allied Express",
    "Direct Couriers",
    "Northline",
    "GO Logistics",
    "Österreichische Post",
    "Speedy",
    "Intelcom",
    "BoxKnight",
    "Loomis",
    "WanbExpress",
    "Zásilkovna",
    "Deutsche Post (DE)",
    "Deutsche Post (EN)",
    "DHL",
    "Swiship",
    "Hermes",
    "SEUR",
    "Colis Privé",
    "Parcelforce",
    "Yodel",
    "DHL Parcel",
    "Tuffnells",
    "ACS Courier",
    "Fastway",
    "DPD Ireland",
    "DTDC",
    "India Post",
    "Delhivery",
    "Gati KWE",
    "Professional Couriers",
    "XpressBees",
    "Ecom Express",
    "Ekart",
    "Shadowfax",
    "Bluedart",
    "BRT",
    "GLS Italy",
    "エコ配",
    "西濃運輸",
    "西濃スーパーエキスプレス",
    "福山通運",
    "日本通運",
    "名鉄運輸",
    "第一貨物",
    "Bring",
    "Inpost",
    "PTT",
    "Yurtiçi Kargo",
    "Aras Kargo",
    "Sürat Kargo",
    "Alliance Air Freight",
    "Pilot Freight",
    "LSO",
    "Old Dominion",
    "Pandion",
    "R+L Carriers",
    "Skynet",
)

# Carrier codes as warehouses write them: Standard Carrier Alpha Codes and the short codes 3PL systems use.
# Several codes name one carrier (UPS files under UPSN, UPSS for SurePost and UPGN for ground; FedEx under
# FDEG, FDXE, FXFE, FXNL, FXSP…). "DHL" alone means DHL Express outside Germany, where most parcels go.
_COMPANIES_BY_CODE: Mapping[str, str] = MappingProxyType(
    {
        "UPSN": "UPS",
        "UPSS": "UPS",
        "UPGN": "UPS",
        "UPS": "UPS",
        "FDEG": "FedEx",
        "FDXE": "FedEx",
        "FDX": "FedEx",
        "FEDX": "FedEx",
        "FEDEX": "FedEx",
        "FXFE": "FedEx",
        "FXNL": "FedEx",
        "FXSP": "FedEx",
        "USPS": "USPS",
        "DHL": "DHL Express",
        "DHLC": "DHL Express",
        "DHLG": "DHL eCommerce",
        "ONTR": "OnTrac",
        "CNPR": "Canada Post",
        "AMZL": "Amazon",
        "LSHP": "Lasership",
        "EXLA": "Estes",
        "CNWY": "XPO Logistics",
        "ODFL": "Old Dominion",
        "RLCA": "R+L Carriers",
    }
)

# Names warehouses give carriers that are not Shopify's spelling, by their folded form (see _folded).
_COMPANIES_BY_ALIAS: Mapping[str, str] = MappingProxyType(
    {
        "united parcel service": "UPS",
        "ups ground": "UPS",
        "ups surepost": "UPS",
        "federal express": "FedEx",
        "fedex ground": "FedEx",
        "fedex express": "FedEx",
        "fedex freight": "FedEx",
        "fedex smartpost": "FedEx",
        "united states postal service": "USPS",
        "us postal service": "USPS",
        "dhl global mail": "DHL eCommerce",
        "amazon logistics": "Amazon",
        "amazon shipping": "Amazon",
        "la poste": "La Poste Colissimo",
        "postes canada": "Canada Post",
        "hermes uk": "Evri",
        "lone star": "Lone Star Overnight",
        # Shopify's "DHL" is a German shops' company; elsewhere a parcel named DHL travels with DHL Express,
        # as the code DHL does.
        "dhl": "DHL Express",
    }
)

_NO_OVERRIDES: Mapping[str, str] = MappingProxyType({})


def _folded(text: str) -> str:
    """Case and runs of blanks ignored, so that "Fedex  ground" finds "FedEx Ground"."""
    return " ".join(text.split()).casefold()


_COMPANIES_BY_FOLDED_NAME: Mapping[str, str] = MappingProxyType(
    {_folded(company): company for company in SHOPIFY_TRACKING_COMPANIES}
    | {_folded(alias): company for alias, company in _COMPANIES_BY_ALIAS.items()}
)


def _by_code(code: str) -> str | None:
    wanted = code.strip().upper()
    # A code that is itself a listed company ("GLS", "TNT", "PostNL") needs no entry of its own.
    return _COMPANIES_BY_CODE.get(wanted) or _COMPANIES_BY_FOLDED_NAME.get(_folded(code))


def tracking_company(
    carrier_code: str | None, carrier_name: str | None, extra: Mapping[str, str] = _NO_OVERRIDES
) -> str | None:
    """The company to send Shopify for a carrier given by code, name or both.

    ``extra`` (a configuration's overrides, keyed by code or name, case ignored) wins, code before name; then
    the built-in codes, then Shopify's own names and the known aliases. A carrier none of them knows is the
    name as given (trimmed): Shopify shows it but builds no tracking link. None when there is neither a name
    nor a known code.
    """
    code = carrier_code.strip() if carrier_code and carrier_code.strip() else None
    name = " ".join(carrier_name.split()) if carrier_name and carrier_name.strip() else None
    overrides = {_folded(key): value for key, value in extra.items()}
    for given in (code, name):
        if given is not None and _folded(given) in overrides:
            return overrides[_folded(given)]
    if code is not None and (known := _by_code(code)) is not None:
        return known
    if name is not None:
        return _COMPANIES_BY_FOLDED_NAME.get(_folded(name), name)
    return None
