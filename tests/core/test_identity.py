"""Signed shopper identities (core/security/identity.py), format v1."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from core.security.identity import (
    BadIdentity,
    ShopperIdentity,
    shop_identity_secret,
    sign_identity,
    verify_identity,
)

SECRET = "s3cret-identity-key-0123456789"
NOW = 1_800_000_000


def test_round_trip() -> None:
    token = sign_identity(SECRET, "42", ttl=600, now=NOW)
    assert token.startswith(f"42.{NOW + 600}.")
    assert verify_identity(token, SECRET, now=NOW + 599) == ShopperIdentity("42", NOW + 600)


def test_format_is_exactly_the_documented_one() -> None:
    # What the PHP plugin computes: hash_hmac('sha256', "storechat-identity-v1:$id.$exp", $secret).
    expires = NOW + 3600
    sig = hmac.new(SECRET.encode(), f"storechat-identity-v1:7.{expires}".encode(), hashlib.sha256).hexdigest()
    assert verify_identity(f"7.{expires}.{sig}", SECRET, now=NOW).customer_id == "7"
    assert sign_identity(SECRET, "7", now=NOW) == f"7.{expires}.{sig}"


def test_expired_is_refused() -> None:
    token = sign_identity(SECRET, "42", ttl=60, now=NOW)
    with pytest.raises(BadIdentity, match="expired"):
        verify_identity(token, SECRET, now=NOW + 61)


def test_too_long_a_life_is_refused() -> None:
    token = sign_identity(SECRET, "42", ttl=30 * 24 * 3600, now=NOW)
    with pytest.raises(BadIdentity, match="too long"):
        verify_identity(token, SECRET, now=NOW)


@pytest.mark.parametrize("tamper", [
    lambda t: t.replace("42.", "43.", 1),                       # another customer
    lambda t: "42." + str(int(t.split(".")[1]) + 1) + "." + t.split(".")[2],  # longer life
    lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),          # signature
])
def test_tampering_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    token = sign_identity(SECRET, "42", now=NOW)
    with pytest.raises(BadIdentity, match="not signed"):
        verify_identity(tamper(token), SECRET, now=NOW)


def test_another_shops_secret_is_refused() -> None:
    token = sign_identity(SECRET, "42", now=NOW)
    with pytest.raises(BadIdentity, match="not signed"):
        verify_identity(token, "another-shop-secret-xyz", now=NOW)


@pytest.mark.parametrize("token", [
    None, 42, "", "42", "42.1800003600", "42.abc.00", "a.b.c.d", "4 2.1800003600." + "0" * 64,
    "42.1800003600." + "A" * 64, "x" * 500, "42.1800003600." + "0" * 63,
])
def test_malformed_is_refused(token) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadIdentity) as err:
        verify_identity(token, SECRET, now=NOW)
    assert err.value.code == "bad_identity"


def test_a_short_secret_is_a_config_error() -> None:
    with pytest.raises(BadIdentity) as err:
        verify_identity("42.1.00", "short", now=NOW)
    assert err.value.code == "config_invalid"


def test_unsignable_customer_ids() -> None:
    for bad in ("", "a.b", "x" * 65, "42\n"):
        with pytest.raises(BadIdentity):
            sign_identity(SECRET, bad)


def test_shop_identity_secret_lookup() -> None:
    assert shop_identity_secret({"identity_secret": "a"}, {"identity_secret": "b"}) == "a"
    assert shop_identity_secret({}, {"identity_secret": "b"}) == "b"
    assert shop_identity_secret(None, None) is None
    assert shop_identity_secret({"identity_secret": ""}, {}) is None
