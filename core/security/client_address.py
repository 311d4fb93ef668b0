"""Which "address" a per-address limit counts a client under.

An IPv4 address is one client. An IPv6 host usually holds a whole /64 (a
home or a cloud instance is handed one and may use any address in it), so
counting each IPv6 address alone would let one host open as many
connections and send as many messages as it likes: IPv6 clients are counted
by their /64. An IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) counts as
its IPv4 address.
"""

from __future__ import annotations

import ipaddress

#: The prefix an IPv6 client is counted by.
IPV6_PREFIX = 64


def address_key(ip: str | None) -> str:
    """The key every per-address limit (connection slots, message buckets) counts ``ip`` under."""
    text = (ip or "").strip()
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # without an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return text or "unknown"  # not an address (a Unix socket peer, a test client): as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
