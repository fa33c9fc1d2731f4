"""Addresses for the link check: which IP addresses it may connect to, and which URLs are one.

Knows no app and no network: `safehttp` resolves and connects, this only judges.
"""

import ipaddress
import re
import socket
from urllib.parse import unquote, urlsplit

# Numbers glibc's resolver reads as IPv4 addresses: 2130706433, 0x7f.1, 017700000001, 127.1.
NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")
# Well-known NAT64 prefix: the gateway turns 64:ff9b::7f00:1 into 127.0.0.1 on its side.
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_public_address(address: str) -> bool:
    """Tell whether an IP address is on the public internet, so that a check may connect to it."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        # Forms that carry an IPv4 address are judged by that address: it is where they lead.
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip in NAT64_PREFIX:
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)))
        if ip.sixtofour is not None and not is_public_address(str(ip.sixtofour)):
            return False
        if ip.is_site_local:
            return False
    # is_global alone lets multicast through, and its tables differ between Python versions.
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def literal_address(host: str) -> str | None:
    """Return the IP address a host is written as, also in the odd forms resolvers accept."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if NUMERIC_HOST.fullmatch(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            pass
    return None


def same_address(linked: str, final: str) -> bool:
    """Tell whether a check that ended at `final` reached the address `linked` points to.

    The rule for "ok" against "redirected": still the same address after http was upgraded to
    https on the same host (default ports), a trailing slash was added to the path, the host
    changed case or lost a final dot, the default port was written out, the percent-encoding
    or the fragment differs. Anything else, "www." added or dropped included, is another
    address: the reviewer sees where the link really leads.
    """
    a, b = urlsplit(linked.strip()), urlsplit(final.strip())
    schemes = (a.scheme.lower(), b.scheme.lower())
    try:
        ports = (a.port or DEFAULT_PORTS.get(schemes[0]), b.port or DEFAULT_PORTS.get(schemes[1]))
    except ValueError:  # not a port number
        return False
    if schemes[0] == schemes[1]:
        same_place = ports[0] == ports[1]
    else:
        same_place = schemes == ("http", "https") and ports == (80, 443)
    hosts = [_ascii_host(url.hostname or "") for url in (a, b)]
    if not same_place or not hosts[0] or hosts[0] != hosts[1]:
        return False
    linked_path, final_path = unquote(a.path or "/"), unquote(b.path or "/")
    return unquote(a.query) == unquote(b.query) and final_path in (
        linked_path,
        linked_path.rstrip("/") + "/",
    )


def _ascii_host(host: str) -> str:
    """Return a host name as the network sees it: IDNA, lower case, without a final dot."""
    host = host.rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host
