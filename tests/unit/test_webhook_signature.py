"""Shopify's webhook signature, against a vector computed here with the standard library alone."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from crossdock.connectors.shopify.webhook_signature import is_signed_by, webhook_signature

SECRET = b"hush-app-secret"
BODY = b'{"id":820982911946154508,"email":"jon@example.com","total_price":"403.00"}'
# base64(HMAC-SHA256(SECRET, BODY)), as Shopify puts it in X-Shopify-Hmac-Sha256.
VECTOR = base64.b64encode(hmac.new(SECRET, BODY, hashlib.sha256).digest()).decode()


def test_the_signature_is_the_base64_hmac_sha256_of_the_raw_body() -> None:
    assert webhook_signature(SECRET, BODY).decode() == VECTOR
    assert is_signed_by(SECRET, BODY, VECTOR)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    other = base64.b64encode(hmac.new(b"another-secret", BODY, hashlib.sha256).digest()).decode()
    assert not is_signed_by(SECRET, BODY, other)


def test_a_tampered_body_is_refused() -> None:
    tampered = BODY.replace(b"403.00", b"4.03")
    assert not is_signed_by(SECRET, tampered, VECTOR)


def test_a_missing_empty_or_garbled_header_is_refused() -> None:
    assert not is_signed_by(SECRET, BODY, None)
    assert not is_signed_by(SECRET, BODY, "")
    assert not is_signed_by(SECRET, BODY, VECTOR[:-4])
    assert not is_signed_by(SECRET, BODY, "é" + VECTOR[1:])  # not ASCII: refused, not an error


@pytest.mark.parametrize("size", [0, 1, 2046, 2047, 2048, 4095, 4096, 100_000])
def test_the_signature_hashed_in_pieces_is_the_signature_of_the_whole_body(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    whole = base64.b64encode(hmac.digest(b"app-secret", body, "sha256"))
    assert webhook_signature(b"app-secret", body) == whole
