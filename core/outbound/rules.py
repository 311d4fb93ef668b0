"""Which addresses StoreChat may call when a merchant or a platform chose them.

A store URL, a WordPress site or an OpenAI-compatible endpoint is typed in by
whoever controls a shop; StoreChat then calls it from inside its own network.
So every such call goes to a public address only: the host is resolved, every
address it resolves to is checked (loopback, private, link-local, multicast,
unspecified, reserved and shared ranges are refused, IPv4 inside IPv6
included), and the connection is made to the address that was checked (see
:mod:`core.outbound.session` and :mod:`core.outbound.httpx_transport`).

Plain ``http://`` is refused unless the operator allows it for development
(``STORECHAT_ALLOW_PLAIN_HTTP``); networks that may be reached although they
are not public (a local test store, a LAN model server) are listed in
``STORECHAT_OUTBOUND_ALLOW_NETWORKS``. Both default to off.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from core.errors import StoreChatError

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The NAT64 well-known prefix: the last 32 bits are an IPv4 address.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Addresses of one name tried at most (each may take the whole connect timeout).
MAX_ADDRESSES = 3


class OutboundRefused(StoreChatError):
    """StoreChat will not call this URL or address; nothing was sent.

    The message names the reason for the operator's log. What a merchant or a
    platform sees must not tell it apart from a closed port: callers answer
    "could not reach ..." for both."""

    code = "outbound_refused"


@dataclass(frozen=True)
class Policy:
    allow_plain_http: bool = False
    #: Networks that may be reached although they are not public.
    allow_networks: tuple[IPNetwork, ...] = ()

    def check_url(self, url: str) -> None:
        """Refuse a URL StoreChat must not call: not http(s), plain http when not allowed, no
        host, credentials in it, or a host that is an address outside the allowed ones."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise OutboundRefused("not a valid URL") from None
        scheme = parts.scheme.lower()
        if scheme == "http" and not self.allow_plain_http:
            raise OutboundRefused(
                "plain http is not allowed (https only; STORECHAT_ALLOW_PLAIN_HTTP=1 allows it for development)"
            )
        if scheme not in ("http", "https"):
            raise OutboundRefused("only https URLs can be called")
        if not host:
            raise OutboundRefused("the URL has no host")
        if parts.username is not None or parts.password is not None:
            raise OutboundRefused("the URL carries credentials")
        literal = _literal(host)
        if literal is not None:
            self.check_address(literal, host)

    def check_address(self, address: IPAddress, host: str = "") -> None:
        if any(address in net for net in self.allow_networks if net.version == address.version):
            return
        if not is_public(address):
            raise OutboundRefused(f"{host or address} resolves to {address}, which is not a public address")

    def allows(self, address: IPAddress) -> bool:
        try:
            self.check_address(address)
        except OutboundRefused:
            return False
        return True


#: The settings (core/settings.py) this policy follows; read from the environment so that
#: every process (web, worker, CLI) follows the same ones without being told.
ENV_PLAIN_HTTP = "STORECHAT_ALLOW_PLAIN_HTTP"
ENV_NETWORKS = "STORECHAT_OUTBOUND_ALLOW_NETWORKS"
_cached: tuple[tuple[str, str], Policy] | None = None


def policy() -> Policy:
    """This process's policy, as its environment sets it (strict when unset or invalid)."""
    global _cached
    key = (os.environ.get(ENV_PLAIN_HTTP, ""), os.environ.get(ENV_NETWORKS, ""))
    if _cached is None or _cached[0] != key:
        _cached = (key, _from_environment(*key))
    return _cached[1]


def _from_environment(plain: str, networks: str) -> Policy:
    try:
        allow_plain = bool(TypeAdapter(bool).validate_python(plain.strip())) if plain.strip() else False
        allowed = tuple(parse_networks(networks.split(",")))
    except (ValueError, ValidationError) as exc:
        # Settings refuse to start with such values; here the strict policy stands.
        log.error("invalid outbound settings (%s); only public https addresses are called", exc)
        return Policy()
    return Policy(allow_plain_http=allow_plain, allow_networks=allowed)


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    """``["127.0.0.1", "10.0.0.0/8", "::1"]`` -> networks; ValueError naming a bad entry."""
    networks = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network (like 127.0.0.1 or 10.0.0.0/8)") from None
    return networks


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet (IPv4 inside IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return is_public(inner)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    )


def resolve(host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
    """``(family, sockaddr)`` of every TCP address ``host`` resolves to (raises ``socket.gaierror``)."""
    return [(family, sockaddr) for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def checked_addresses(host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
    """The addresses to connect to for ``host``, each one checked: all of them must be allowed,
    or the name is refused (a name with one private answer among public ones is not called)."""
    found = resolve(host.strip("[]"), port)
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    current = policy()
    for _, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        try:
            current.check_address(address, host)
        except OutboundRefused as exc:
            log.warning("outbound call refused: %s", exc.message)
            raise
    unique = list(dict.fromkeys(found))
    return unique[:MAX_ADDRESSES]


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
