"""The plugin's signed "Connect WooCommerce" state (core/security/connect_state.py)."""
from __future__ import annotations

import pytest

from core.security.connect_state import BadConnectState, sign_connect_state, verify_connect_state

SECRET = "s3cret-identity-key-0123456789"
KEY, STORE, NONCE, NOW = "sk_abc", "https://shop.example", "0123456789abcdef0123456789abcdef", 1_800_000_000


def state(**kw: object) -> str:
    args = {"secret": SECRET, "site_key": KEY, "store_url": STORE, "nonce": NONCE, "expires": NOW + 900, **kw}
    return sign_connect_state(**args)  # type: ignore[arg-type]


def test_round_trip_gives_the_nonce() -> None:
    assert verify_connect_state(state(), SECRET, site_key=KEY, store_url=STORE, now=NOW) == NONCE


@pytest.mark.parametrize("change", [
    {"site_key": "sk_other"}, {"store_url": "https://evil.example"}, {"secret": "another-secret-xxxxxxxx"},
])
def test_bound_to_shop_store_and_secret(change: dict[str, str]) -> None:
    with pytest.raises(BadConnectState, match="not signed"):
        verify_connect_state(state(**change), SECRET, site_key=KEY, store_url=STORE, now=NOW)


def test_expired_and_overlong_are_refused() -> None:
    with pytest.raises(BadConnectState, match="expired"):
        verify_connect_state(state(expires=NOW - 1), SECRET, site_key=KEY, store_url=STORE, now=NOW)
    with pytest.raises(BadConnectState, match="too long"):
        verify_connect_state(state(expires=NOW + 86400), SECRET, site_key=KEY, store_url=STORE, now=NOW)


@pytest.mark.parametrize("bad", [None, "", "x.1.2", state()[:-1], state().upper(), state() + "0"])
def test_malformed_is_refused(bad: object) -> None:
    with pytest.raises(BadConnectState) as err:
        verify_connect_state(bad, SECRET, site_key=KEY, store_url=STORE, now=NOW)
    assert err.value.code == "bad_state"
