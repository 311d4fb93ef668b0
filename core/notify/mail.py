"""Sending one email through the SMTP server of ``STORECHAT_SMTP_URL``."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from core.errors import ConfigError, StoreChatError

TIMEOUT = 15


class MailError(StoreChatError):
    code = "mail_failed"


def build(sender: str, to: str, subject: str, text: str, *, reply_to: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject.replace("\r", " ").replace("\n", " ")[:200]
    if reply_to:
        message["Reply-To"] = reply_to
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    return message


def send(smtp_url: str | None, message: EmailMessage) -> None:
    """Send ``message``; :class:`MailError` names what went wrong, never the password."""
    if not smtp_url:
        raise ConfigError("no SMTP server: set STORECHAT_SMTP_URL to send email")
    parts = urlsplit(smtp_url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host, implicit_tls = parts.hostname or "", parts.scheme == "smtps"
    port = parts.port or (465 if implicit_tls else 587)
    context = ssl.create_default_context()
    try:
        if implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with client:
            client.ehlo()
            if not implicit_tls and options.get("tls", "auto") != "off" and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif not implicit_tls and options.get("tls") == "required":
                raise MailError(f"the mail server {host}:{port} does not offer STARTTLS")
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused:
        raise MailError("the mail server refused the recipient's address") from None
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"the mail server {host}:{port} refused the user name or password") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"could not send through {host}:{port}: {type(exc).__name__}") from None
