"""Shopify's signature schemes against the published vectors, and the two
encodings of a callback whose values hold characters that need escaping."""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from connectors.shopify.signatures import MAX_AGE, query_hmac_ok, shop_domain, sign_query, timestamp_problem

VECTOR = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": "some-shop.myshopify.com",
          "state": "0.6784241404160823", "timestamp": "1337178173"}
VECTOR_HMAC = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"


def multi(params: dict[str, str]) -> dict[str, list[str]]:
    return {k: [v] for k, v in params.items()}


def test_oauth_docs_vector() -> None:
    assert sign_query(VECTOR, "hush") == VECTOR_HMAC
    assert query_hmac_ok(multi({**VECTOR, "hmac": VECTOR_HMAC}), "hush")
    assert not query_hmac_ok(multi({**VECTOR, "hmac": VECTOR_HMAC}), "hush!")
    assert not query_hmac_ok(multi({**VECTOR, "state": "1", "hmac": VECTOR_HMAC}), "hush")
    assert not query_hmac_ok({**multi(VECTOR), "hmac": [VECTOR_HMAC, VECTOR_HMAC]}, "hush")
    assert not query_hmac_ok(multi(VECTOR), "hush")
    assert not query_hmac_ok(multi({**VECTOR, "hmac": VECTOR_HMAC}), "")


def test_padded_host_is_accepted_in_either_libraries_encoding() -> None:
    params = {**VECTOR, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvc29tZS1zaG9w=="}
    js = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(params.items()))
    python = "&".join(f"{k}={v}" for k, v in sorted(params.items()))  # '=' in values left as is
    assert js != python
    for message in (js, python):
        digest = hmac.new(b"hush", message.encode(), hashlib.sha256).hexdigest()
        assert query_hmac_ok(multi({**params, "hmac": digest}), "hush")


def test_shop_domain_rule() -> None:
    assert shop_domain("my-shop.myshopify.com") == "my-shop.myshopify.com"
    assert shop_domain(" My-Shop.MYSHOPIFY.com ") == "my-shop.myshopify.com"
    for bad in ("my-shop", "evil.com", "x.myshopify.com.evil.com", "-bad.myshopify.com", "bad-.myshopify.com",
                "a.b.myshopify.com", "my_shop.myshopify.com", "my-shop.myshopify.com/", None, 42):
        assert shop_domain(bad) is None, bad  # type: ignore[arg-type]


def test_non_ascii_forgeries_are_refused_not_crashed() -> None:
    from connectors.shopify.signatures import proxy_signature_ok, query_hmac_ok, webhook_hmac_ok

    assert not query_hmac_ok({"hmac": ["é"], "shop": ["a.myshopify.com"]}, "secret")
    assert not webhook_hmac_ok(b"{}", "é", "secret")
    assert not proxy_signature_ok({"signature": ["ü"], "shop": ["a.myshopify.com"]}, "secret")


def test_list_keys_may_repeat_and_other_keys_may_not() -> None:
    """ShopifyAPI signs ``ids[]`` (an admin bulk-action launch) as a JSON list; that stays valid,
    while the same values under a plain key (signed joined with ',') are refused."""
    listed = {**multi(VECTOR), "ids[]": ["1", "2"]}
    message = "&".join(f"{k}={v}" for k, v in sorted({**VECTOR, "ids[]": '["1", "2"]'}.items()))
    listed["hmac"] = [hmac.new(b"hush", message.encode(), hashlib.sha256).hexdigest()]
    assert query_hmac_ok(listed, "hush")
    plain = {**multi(VECTOR), "ids": ["1", "2"]}
    message = "&".join(f"{k}={v}" for k, v in sorted({**VECTOR, "ids": "1,2"}.items()))
    plain["hmac"] = [hmac.new(b"hush", message.encode(), hashlib.sha256).hexdigest()]
    assert not query_hmac_ok(plain, "hush")
    assert query_hmac_ok({**plain, "ids": ["1,2"]}, "hush")  # one value: read as signed


def test_signed_timestamp_age_either_way_and_only_decimal_digits() -> None:
    now = 1_700_000_000.0
    assert timestamp_problem(str(int(now)), now) is None
    assert timestamp_problem(str(int(now) - MAX_AGE), now) is None
    assert timestamp_problem(str(int(now) - MAX_AGE - 1), now) == "stale"
    assert timestamp_problem(str(int(now) + MAX_AGE + 1), now) == "stale"  # a clock far ahead too
    for bad in (None, "", "-5", "+1700000000", " 1700000000", "1_700_000_000", "\u0661\u0662", "1.5e9"):
        assert timestamp_problem(bad, now) == "invalid", bad
