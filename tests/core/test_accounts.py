"""A shop's team accounts: passwords, one-time links, sign-in throttling."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from core.accounts import passwords
from core.accounts.links import RESET, WELCOME, AccountLinks, BadLink
from core.accounts.throttle import SignInPolicy, SignInThrottle
from core.accounts.users import (
    Conflict,
    authenticate,
    create_user,
    normalize_email,
    set_password,
    sign_out_everywhere,
)
from core.db import Database, Shop, User
from core.errors import BadInput

PASSWORD = "correct horse battery"


@pytest.fixture
def shop_id(db: Database) -> int:
    with db.session() as session:
        shop = Shop(name="Team Shop", platform="csv", site_key="sk_team", connector_config={})
        session.add(shop)
        session.flush()
        return shop.id


def test_passwords_are_argon2_hashes_checked_against_the_policy() -> None:
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "!")
    assert not passwords.verify_password(None, PASSWORD)
    assert not passwords.verify_password("not a hash", PASSWORD)
    for bad, why in (("short", "at least 10"), ("x" * 257, "at most 256"), (" " * 12, "only spaces"), (12345678901, "text")):
        with pytest.raises(BadInput, match=why):
            passwords.hash_password(bad)  # type: ignore[arg-type]


def test_emails_are_normalised_and_checked() -> None:
    assert normalize_email("  Ann@Example.COM ") == "ann@example.com"
    for bad in ("", "ann", "ann@", "@example.com", "a b@example.com", "ann@example", "a" * 250 + "@x.io", None):
        with pytest.raises(BadInput):
            normalize_email(bad)


def test_a_user_signs_in_only_with_their_password_once_it_is_set(db: Database, shop_id: int) -> None:
    user = create_user(db, shop_id, "Owner@Example.com", role="owner", name="Olive")
    assert authenticate(db, "owner@example.com", PASSWORD) is None  # no password chosen yet
    set_password(db, user.id, PASSWORD)
    assert authenticate(db, "OWNER@example.com ", PASSWORD).id == user.id
    assert authenticate(db, "owner@example.com", "wrong password!") is None
    assert authenticate(db, "nobody@example.com", PASSWORD) is None
    assert authenticate(db, "not an email", PASSWORD) is None
    with pytest.raises(Conflict):
        create_user(db, shop_id, "owner@example.com")
    with pytest.raises(BadInput, match="role"):
        create_user(db, shop_id, "x@example.com", role="admin")


def test_closed_accounts_and_deactivated_shops_cannot_sign_in(db: Database, shop_id: int) -> None:
    user = create_user(db, shop_id, "a@example.com")
    set_password(db, user.id, PASSWORD)
    with db.session() as session:
        session.get(Shop, shop_id).active = False
    assert authenticate(db, "a@example.com", PASSWORD) is None
    with db.session() as session:
        session.get(Shop, shop_id).active = True
        session.get(User, user.id).active = False
    assert authenticate(db, "a@example.com", PASSWORD) is None


def test_the_same_address_in_two_shops_signs_in_to_the_one_whose_password_matches(
        db: Database, shop_id: int) -> None:
    with db.session() as session:
        other = Shop(name="Other", platform="csv", site_key="sk_other", connector_config={})
        session.add(other)
        session.flush()
        other_id = other.id
    mine = create_user(db, shop_id, "twice@example.com")
    theirs = create_user(db, other_id, "twice@example.com")
    set_password(db, mine.id, PASSWORD)
    set_password(db, theirs.id, "another long password")
    assert authenticate(db, "twice@example.com", PASSWORD).shop_id == shop_id
    assert authenticate(db, "twice@example.com", "another long password").shop_id == other_id


def test_a_welcome_link_works_once_and_only_for_its_purpose(db: Database, shop_id: int, settings) -> None:  # type: ignore[no-untyped-def]
    links = AccountLinks(settings.secret_key)
    user = create_user(db, shop_id, "new@example.com")
    token = links.make(user, WELCOME)
    assert links.read(db, token, WELCOME).id == user.id
    with pytest.raises(BadLink):
        links.read(db, token, RESET)  # a welcome link is not a reset link
    with pytest.raises(BadLink):
        AccountLinks("another secret " * 4).read(db, token, WELCOME)
    with pytest.raises(BadLink):
        links.read(db, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), WELCOME)
    set_password(db, user.id, PASSWORD)
    with pytest.raises(BadLink, match="already been used"):
        links.read(db, token, WELCOME)


def test_a_link_expires(db: Database, shop_id: int, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    links = AccountLinks(settings.secret_key)
    user = create_user(db, shop_id, "late@example.com")
    token = links.make(user, RESET)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + RESET.max_age + 5)
    with pytest.raises(BadLink, match="expired"):
        links.read(db, token, RESET)


def test_signing_out_everywhere_changes_the_session_version(db: Database, shop_id: int) -> None:
    user = create_user(db, shop_id, "v@example.com")
    sign_out_everywhere(db, user.id)
    set_password(db, user.id, PASSWORD)
    with db.session() as session:
        assert session.scalar(select(User.session_version).where(User.id == user.id)) == 3


def test_sign_in_failures_slow_down_then_lock_per_email_and_per_address(redis) -> None:  # type: ignore[no-untyped-def]
    throttle = SignInThrottle(redis, SignInPolicy(slow_after=3, lock_after=6, lock_seconds=900, window=3600))
    for _ in range(2):
        assert throttle.failed("a@example.com", "198.51.100.7") == 0
    assert throttle.wait("a@example.com", "198.51.100.7") == 0
    assert throttle.failed("a@example.com", "198.51.100.7") == 1   # third failure: wait 1 s
    assert throttle.failed("a@example.com", "198.51.100.7") == 2   # then 2 s
    # The email is slowed from any address (someone spreading guesses over many) ...
    assert throttle.wait("A@Example.com", "203.0.113.9") >= 1
    # ... and the address for any email (one address trying many accounts).
    assert throttle.wait("b@example.com", "198.51.100.7") >= 1
    assert throttle.wait("b@example.com", "203.0.113.9") == 0
    for _ in range(2):
        throttle.failed("a@example.com", "198.51.100.7")
    assert throttle.wait("a@example.com", "203.0.113.9") > 800        # locked
    throttle.succeeded("a@example.com")
    assert throttle.wait("a@example.com", "203.0.113.9") == 0         # the account's count is cleared,
    assert throttle.wait("c@example.com", "198.51.100.7") > 800       # the address's is not


def test_parallel_tries_all_count_and_a_success_takes_back_only_its_own(redis) -> None:  # type: ignore[no-untyped-def]
    throttle = SignInThrottle(redis, SignInPolicy(slow_after=3, lock_after=6, lock_seconds=900, window=3600))
    # Six tries in flight at once: each is counted before any password check ends.
    for _ in range(6):
        throttle.attempt("a@example.com", "198.51.100.7")
    assert throttle.wait("a@example.com", "203.0.113.1") > 800
    # One of them was right: the account's count is cleared, the address keeps the other five.
    throttle.succeeded("a@example.com", "198.51.100.7")
    assert throttle.wait("a@example.com", "203.0.113.1") == 0
    assert throttle.wait("b@example.com", "198.51.100.7") >= 1


def test_an_ipv6_client_counts_by_its_64(redis) -> None:  # type: ignore[no-untyped-def]
    throttle = SignInThrottle(redis, SignInPolicy(slow_after=3, lock_after=6, lock_seconds=900, window=3600))
    for n in range(6):
        throttle.failed(f"u{n}@example.com", f"2001:db8:1:2::{n + 1}")  # a new address each time, one /64
    assert throttle.wait("other@example.com", "2001:db8:1:2:ffff::9") > 800
    assert throttle.wait("other@example.com", "2001:db8:1:3::1") == 0
