"""Platform staff as the shop's users: a platform vouched for one of its staff
members (a verified :class:`~core.connector.StaffSignIn`); which StoreChat user
are they?

The first time a staff member signs in, the platform is asked who they are
(``StaffSignIn.lookup``: address, name, whether they own the shop). They
become the shop's user with that address (created if there is none: an owner
if they own the shop, else an agent) and the link is kept
(:class:`~core.db.PlatformStaff`), so later sign-ins need no request. A
closed account stays closed; an address the platform did not verify never
takes over an existing account.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.accounts.users import Conflict, active_user, create_user, normalize_email
from core.connector import StaffSignIn
from core.db import Database, PlatformStaff, Shop, User
from core.errors import BadInput, StoreChatError

MAX_STAFF_ID = 64


class StaffRefused(StoreChatError):
    """The staff member is genuine but cannot sign in here."""

    code = "staff_refused"


def _active_shop_id(db: Database, sign_in: StaffSignIn) -> int:
    with db.session() as session:
        shop_id = session.scalar(
            select(Shop.id).where(Shop.platform == sign_in.platform, Shop.platform_ref == sign_in.shop_ref, Shop.active)
        )
    if shop_id is None:
        raise StaffRefused(
            "StoreChat is not installed for this shop (or the shop is paused)", code="shop_not_installed"
        )
    return shop_id


def _linked_user(db: Database, shop_id: int, sign_in: StaffSignIn) -> User | None:
    with db.session() as session:
        user_id = session.scalar(
            select(PlatformStaff.user_id).where(
                PlatformStaff.shop_id == shop_id,
                PlatformStaff.platform == sign_in.platform,
                PlatformStaff.staff_id == sign_in.staff_id,
            )
        )
        if user_id is None:
            return None
        user = active_user(session, user_id)
        if user is None:
            raise StaffRefused("your StoreChat account is closed; ask the shop's owner", code="account_closed")
        return user


def _user_by_email(db: Database, shop_id: int, email: str) -> User | None:
    with db.session() as session:
        return session.scalar(select(User).where(User.shop_id == shop_id, User.email == email))


def user_for_staff(db: Database, sign_in: StaffSignIn) -> User:
    """The active user ``sign_in``'s staff member signs in as; :class:`StaffRefused`
    when the shop is not installed or active, or the account is closed. A failed
    lookup raises what the connector raised (a ``ConnectorError``)."""
    if not sign_in.staff_id or len(sign_in.staff_id) > MAX_STAFF_ID:
        raise StaffRefused("the platform named no staff member", code="bad_credential")
    shop_id = _active_shop_id(db, sign_in)
    user = _linked_user(db, shop_id, sign_in)
    if user is not None:
        return user
    member = sign_in.lookup()  # a request to the platform, outside any transaction
    try:
        email = normalize_email(member.email)
    except BadInput:
        raise StaffRefused("the platform gave no usable email address for you", code="no_email") from None
    user = _user_by_email(db, shop_id, email)
    if user is None:
        try:
            user = create_user(db, shop_id, email, role="owner" if member.owner else "agent", name=member.name[:120])
        except Conflict:  # created meanwhile by a concurrent first sign-in
            user = _user_by_email(db, shop_id, email)
    elif not member.email_verified:
        raise StaffRefused(
            f"{email} already has a StoreChat account here; verify that address with the platform first",
            code="email_unverified",
        )
    if user is None or not user.active:
        raise StaffRefused("your StoreChat account is closed; ask the shop's owner", code="account_closed")
    try:
        with db.session() as session:
            session.add(
                PlatformStaff(shop_id=shop_id, platform=sign_in.platform, staff_id=sign_in.staff_id, user_id=user.id)
            )
    except IntegrityError:
        pass  # linked meanwhile by a concurrent first sign-in
    with db.session() as session:
        found = active_user(session, user.id)
        if found is None:
            raise StaffRefused("your StoreChat account is closed; ask the shop's owner", code="account_closed")
        return found
