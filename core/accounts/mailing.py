"""Emails about a person's own account: the invitation to a shop's team and
the password reset link. The link is made when the email is sent (in a
worker), so it never waits in a queue."""

from __future__ import annotations

from core.accounts.links import PURPOSES, AccountLinks
from core.accounts.users import active_user
from core.db import Shop
from core.notify import mail
from core.services import Services

SUBJECTS = {
    "welcome": "You're invited to the team of {shop} on StoreChat",
    "reset": "Choose a new StoreChat password for {shop}",
}
BODIES = {
    "welcome": (
        "You have been added to the team of {shop} on StoreChat, where the team answers its "
        "shoppers.\n\nChoose your password here (the link works once, for 7 days):\n{link}\n"
    ),
    "reset": (
        "Someone asked to reset the StoreChat password of {email} for {shop}.\n\n"
        "Choose a new one here (the link works once, for an hour):\n{link}\n\n"
        "If it was not you, ignore this email: your password stays as it is.\n"
    ),
}


def send_account_email(svc: Services, user_id: int, purpose: str, base_url: str) -> bool:
    """Send the invitation or reset email; False when the account is closed (nothing sent)."""
    with svc.db.session() as session:
        user = active_user(session, user_id)
        if user is None:
            return False
        shop = session.get(Shop, user.shop_id)
        words = {
            "shop": shop.name if shop else "your shop",
            "email": user.email,
            "link": AccountLinks(svc.settings.secret_key or "").url(base_url, user, PURPOSES[purpose]),
        }
        address = user.email
    mail.send(
        svc.settings.smtp_url,
        mail.build(svc.settings.mail_from, address, SUBJECTS[purpose].format(**words), BODIES[purpose].format(**words)),
    )
    return True
