"""The canonical order: what the hub knows of one Shopify order, the same whichever way it arrived (a webhook
in Shopify's REST shape, or a GraphQL node read by the reconciliation poll).

An order is a value: each input that carries the order brings a whole new version of it, and the version
(``source_version``, Shopify's ``updated_at``) decides which one the hub keeps. The order is stored as its
``to_document()`` in ``orders.document`` and read back with ``from_document()``.

Field values follow Shopify's own vocabulary where one exists (financial status, cancel reason), in lower
case as REST writes it. Nothing is invented: a value Shopify did not give is None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

FinancialStatus = Literal[
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
]
FINANCIAL_STATUSES: frozenset[str] = frozenset(get_args(FinancialStatus))

SHOPIFY_ORDER_GID_PREFIX = "gid://shopify/Order/"


class InvalidOrder(ValueError):
    """An order (or a part of it) that breaks one of the model's invariants."""


def normalise_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags as the order keeps them: each trimmed, blanks dropped, each once, sorted — so that two inputs
    listing the same tags in another order or spacing make equal orders."""
    return tuple(sorted({tag.strip() for tag in tags if tag.strip()}))


def _require_utc(name: str, moment: datetime | None) -> None:
    if moment is None:
        return
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise InvalidOrder(f"{name} must be an aware UTC datetime, got {moment!r}")


def _require_number(name: str, value: str | None) -> None:
    if value is not None and not (value.isascii() and value.isdigit()):
        raise InvalidOrder(f"{name} must be Shopify's numeric id as a string, got {value!r}")


@dataclass(frozen=True)
class Address:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "address1": self.address1,
            "address2": self.address2,
            "city": self.city,
            "province_code": self.province_code,
            "zip": self.zip,
            "country_code": self.country_code,
            "phone": self.phone,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Address:
        return cls(
            first_name=document.get("first_name"),
            last_name=document.get("last_name"),
            company=document.get("company"),
            address1=document.get("address1"),
            address2=document.get("address2"),
            city=document.get("city"),
            province_code=document.get("province_code"),
            zip=document.get("zip"),
            country_code=document.get("country_code"),
            phone=document.get("phone"),
        )


@dataclass(frozen=True)
class ShippingMethod:
    """The delivery the buyer chose at checkout: Shopify's shipping line title and its code."""

    title: str
    code: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {"title": self.title, "code": self.code}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ShippingMethod:
        return cls(title=document["title"], code=document.get("code"))


@dataclass(frozen=True)
class OrderLine:
    """One line of the order. ``quantity`` is what is ordered now, after edits and cancellation (Shopify's
    current quantity): a line an edit removed stays, with quantity 0, as Shopify keeps it."""

    line_id: str
    sku: str | None
    quantity: int
    variant_id: str | None
    title: str
    variant_title: str | None
    requires_shipping: bool

    def __post_init__(self) -> None:
        _require_number("line_id", self.line_id)
        _require_number("variant_id", self.variant_id)
        if self.quantity < 0:
            raise InvalidOrder(f"line {self.line_id}: quantity must not be negative, got {self.quantity}")

    def to_document(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "quantity": self.quantity,
            "variant_id": self.variant_id,
            "title": self.title,
            "variant_title": self.variant_title,
            "requires_shipping": self.requires_shipping,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> OrderLine:
        return cls(
            line_id=document["line_id"],
            sku=document.get("sku"),
            quantity=int(document["quantity"]),
            variant_id=document.get("variant_id"),
            title=document["title"],
            variant_title=document.get("variant_title"),
            requires_shipping=bool(document["requires_shipping"]),
        )


@dataclass(frozen=True)
class Order:
    shopify_order_id: str
    name: str
    # Shopify's updated_at of the version this is: the newer version wins, whatever the arrival order.
    source_version: datetime
    created_at: datetime
    currency: str
    email: str | None
    lines: tuple[OrderLine, ...]
    shipping_address: Address | None
    shipping_method: ShippingMethod | None
    tags: tuple[str, ...]
    financial_status: FinancialStatus | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    note: str | None

    def __post_init__(self) -> None:
        _require_number("shopify_order_id", self.shopify_order_id)
        _require_utc("source_version", self.source_version)
        _require_utc("created_at", self.created_at)
        _require_utc("cancelled_at", self.cancelled_at)
        if self.tags != normalise_tags(self.tags):
            raise InvalidOrder(f"tags must be trimmed, unique and sorted (normalise_tags), got {self.tags!r}")
        if self.financial_status is not None and self.financial_status not in FINANCIAL_STATUSES:
            raise InvalidOrder(f"unknown financial status {self.financial_status!r}")
        line_ids = [line.line_id for line in self.lines]
        if len(set(line_ids)) != len(line_ids):
            raise InvalidOrder(f"order {self.shopify_order_id} lists a line twice: {line_ids}")

    @property
    def shopify_global_id(self) -> str:
        """The order's id as Shopify's GraphQL API and the order timeline name it."""
        return f"{SHOPIFY_ORDER_GID_PREFIX}{self.shopify_order_id}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def to_document(self) -> dict[str, Any]:
        """A JSON-able form (times in ISO 8601 UTC) that ``from_document`` turns back into an equal order."""
        return {
            "shopify_order_id": self.shopify_order_id,
            "name": self.name,
            "source_version": self.source_version.isoformat(),
            "created_at": self.created_at.isoformat(),
            "currency": self.currency,
            "email": self.email,
            "lines": [line.to_document() for line in self.lines],
            "shipping_address": None
            if self.shipping_address is None
            else self.shipping_address.to_document(),
            "shipping_method": None if self.shipping_method is None else self.shipping_method.to_document(),
            "tags": list(self.tags),
            "financial_status": self.financial_status,
            "cancelled_at": None if self.cancelled_at is None else self.cancelled_at.isoformat(),
            "cancel_reason": self.cancel_reason,
            "note": self.note,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Order:
        address = document.get("shipping_address")
        method = document.get("shipping_method")
        cancelled_at = document.get("cancelled_at")
        return cls(
            shopify_order_id=document["shopify_order_id"],
            name=document["name"],
            source_version=datetime.fromisoformat(document["source_version"]),
            created_at=datetime.fromisoformat(document["created_at"]),
            currency=document["currency"],
            email=document.get("email"),
            lines=tuple(OrderLine.from_document(line) for line in document["lines"]),
            shipping_address=None if address is None else Address.from_document(address),
            shipping_method=None if method is None else ShippingMethod.from_document(method),
            tags=tuple(document.get("tags", ())),
            financial_status=document.get("financial_status"),
            cancelled_at=None if cancelled_at is None else datetime.fromisoformat(cancelled_at),
            cancel_reason=document.get("cancel_reason"),
            note=document.get("note"),
        )


# How far along its payment an order is. Shopify moves a payment forward only (pending → authorized →
# partially paid → paid → partially refunded → refunded; a voided or expired authorisation ends it), so of two
# versions of the same second the one further along is the later state. Equal ranks cannot be ordered.
PAYMENT_PROGRESS: dict[str, int] = {
    "pending": 0,
    "authorized": 1,
    "partially_paid": 2,
    "paid": 3,
    "partially_refunded": 4,
    "refunded": 5,
    "voided": 5,
    "expired": 5,
}


def _progress(order: Order) -> tuple[datetime, bool, int]:
    payment = -1 if order.financial_status is None else PAYMENT_PROGRESS[order.financial_status]
    return (order.source_version, order.is_cancelled, payment)


def supersedes(new: Order, stored: Order) -> bool:
    """Whether version ``new`` of an order is to replace ``stored``: a newer version does. Shopify's
    ``updated_at`` counts whole seconds, so an order paid or cancelled within the second it was created or
    last changed carries the version already stored; at equal versions the one further along is the later
    state: one that cancels the order while the stored one does not (a cancellation is never undone), then
    one further along its payment (``PAYMENT_PROGRESS``). Any other difference at equal versions cannot be
    ordered, and the stored one stays. Being a strict order on (version, cancelled, payment), versions
    delivered in any order leave the greatest stored."""
    return _progress(new) > _progress(stored)


def same_second_change(new: Order, stored: Order) -> str:
    """What makes ``new`` supersede ``stored`` of the same version, in words for the timeline."""
    if new.is_cancelled and not stored.is_cancelled:
        return "cancels the order"
    return f"moves the payment from {stored.financial_status or 'unknown'} to {new.financial_status}"
