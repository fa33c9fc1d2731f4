"""Connect only to checked addresses: HTTP that a URL from outside cannot turn into our network.

One request, as the link check and the dashboard client make it::

    target = Target.parse(url)  # Refused or InvalidAddress before any lookup
    deadline = time.monotonic() + timeout  # for the whole request
    addresses = checked_addresses(target, deadline, allow_private=False)
    with connected(target, addresses, deadline) as connection:
        connection.request("GET", target.path, headers={"Host": target.host_header, ...})
        response = connection.getresponse()
        body = response.read()

What it guarantees:

- Only http and https: any other scheme is refused (`Refused`) without touching the network.
- Every host is resolved once; if any of its addresses is not on the public internet
  (`addresses.is_public_address`) it is refused before connecting, unless `allow_private`
  (tests, intranet deployments). A host written as an IP address, also in the odd forms
  resolvers accept, is judged as that address.
- The connection goes to exactly the addresses that were checked: `Connection` never connects
  itself (that would resolve the name again), so a DNS answer that changes between check and
  connect cannot redirect it. For https the certificate is verified against the host name
  (SNI, `tls_context`).
- One deadline for the whole request: connect, TLS, sending and the whole answer, however
  slowly a server drips it (`DeadlineReader`); past it, TimeoutError. A name lookup that
  outlasts the deadline is abandoned in a daemon thread, left to the system resolver's own
  limits; the caller does not wait for it.
- An address that may not be fetched raises `Refused`, an unparsable URL or host
  `InvalidAddress`, each with a German detail; network failures raise as they are (OSError,
  socket.gaierror, ssl.SSLError, http.client.HTTPException). The callers decide what they mean.

Tests replace `resolve` (name to addresses) and `tls_context` (trusted certificates); both are
looked up at call time.
"""

import contextlib
import functools
import http.client
import io
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .addresses import is_public_address, literal_address

# Names reserved for examples and tests (RFC 2606, RFC 6761) never resolve on the internet;
# asking a resolver anyway can take seconds per name, and demo data uses them by the hundred.
RESERVED_SUFFIXES = (".example", ".invalid", ".test")


class Unfetchable(Exception):
    """A URL that is not fetched; the detail says why, in German."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Refused(Unfetchable):
    """An address or scheme that may not be fetched."""


class InvalidAddress(Unfetchable):
    """A URL or host that cannot be taken apart."""


def resolve(host: str, port: int) -> list[str]:
    """Return the addresses a host name resolves to, in the resolver's order."""
    if f".{host.lower().rstrip('.')}".endswith(RESERVED_SUFFIXES):
        raise socket.gaierror(socket.EAI_NONAME, "reserved name")
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Return the system's trusted certificates and verification rules, shared by all requests."""
    return ssl.create_default_context()


@dataclass(frozen=True)
class Target:
    """A URL taken apart into what is needed to connect and to ask for it."""

    url: str
    scheme: str
    host: str  # ASCII (IDNA) name or IP address, without brackets
    port: int
    path: str  # path and query, percent-encoded

    @classmethod
    def parse(cls, url: str) -> "Target":
        url = url.strip()
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme not in ("http", "https"):
                raise Refused(_unsupported_scheme(scheme))
            host = parts.hostname
            if not host:
                raise InvalidAddress(_("Ungültige Adresse: kein Hostname"))
            if not host.isascii():
                host = host.encode("idna").decode("ascii")
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:  # bad port, brackets or IDNA label
            raise InvalidAddress(_("Ungültige Adresse")) from exc
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~")
        if parts.query:
            path += "?" + quote(parts.query, safe="/?%:@!$&'()*+,;=~")
        return cls(url=url, scheme=scheme, host=host, port=port, path=path)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else f"{host}:{self.port}"


def checked_addresses(target: Target, deadline: float, *, allow_private: bool) -> list[str]:
    """Return where the host can be reached, or refuse if any address is not public.

    The name is looked up once, by the deadline; connect to these addresses and no others.
    """
    literal = literal_address(target.host)
    addresses = [literal] if literal else resolve_by(target.host, target.port, deadline)
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                detail = _("Adresse %(address)s ist nicht öffentlich – nicht abgerufen")
                raise Refused(detail % {"address": address})
    return addresses


@contextlib.contextmanager
def connected(target: Target, addresses: list[str], deadline: float) -> Iterator["Connection"]:
    """Connect to the first of the checked addresses that answers (TLS for https).

    Yields a Connection bound to that socket, whose answer is read against the deadline; the
    socket is closed when the block ends.
    """
    sock = connect(addresses, target.port, deadline)
    try:
        if target.scheme == "https":
            sock.settimeout(remaining(deadline))
            sock = tls_context().wrap_socket(sock, server_hostname=target.host)
        connection = Connection(sock, target, deadline)
        sock.settimeout(remaining(deadline))
        yield connection
    finally:
        sock.close()


class Connection(http.client.HTTPConnection):
    """HTTP over a socket already connected to a checked address; it never connects itself."""

    def __init__(self, sock: socket.socket, target: Target, deadline: float) -> None:
        super().__init__(target.host, target.port)
        self.sock = sock
        self.response_class = functools.partial(Response, deadline=deadline)

    def connect(self) -> None:
        # Connecting here would resolve the host name again, past the address check.
        raise http.client.NotConnected(self.host)


class Response(http.client.HTTPResponse):
    """A response read against the request's deadline, however slowly the server drips it."""

    def __init__(self, sock: socket.socket, *, deadline: float, **kwargs) -> None:
        super().__init__(sock, **kwargs)
        # Keep the socket's own file (it holds the socket open after the connection lets go),
        # but read it through one deadline instead of a fresh timeout per chunk.
        self.fp = io.BufferedReader(DeadlineReader(self.fp.detach(), sock, deadline))


class DeadlineReader(io.RawIOBase):
    """Reads a socket's file with the time left until the deadline as each read's timeout."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: float) -> None:
        self._raw = raw
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        self._sock.settimeout(remaining(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


def connect(addresses: list[str], port: int, deadline: float) -> socket.socket:
    """Connect to the first of the addresses that answers."""
    error: OSError = ConnectionRefusedError()
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=remaining(deadline))
        except TimeoutError:
            raise
        except OSError as exc:
            error = exc
    raise error


def resolve_by(host: str, port: int, deadline: float) -> list[str]:
    """Resolve a name, or raise TimeoutError at the deadline (the lookup may go on alone)."""
    outcome: dict[str, object] = {}

    def look_up() -> None:
        try:
            outcome["addresses"] = resolve(host, port)
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc

    # A daemon thread: a resolver that hangs past every limit cannot hold up the process.
    lookup = threading.Thread(target=look_up, name=f"safehttp-resolve-{host}", daemon=True)
    lookup.start()
    lookup.join(remaining(deadline))
    if lookup.is_alive():
        raise TimeoutError
    if "error" in outcome:
        raise outcome["error"]
    return outcome["addresses"]


def remaining(deadline: float) -> float:
    """Return the seconds left until the deadline (monotonic time); past it, TimeoutError."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def seconds(value: float) -> str:
    """Format a number of seconds as the active language writes it, 10 rather than 10.0."""
    return number_format(value if value % 1 else int(value))


def _unsupported_scheme(scheme: str) -> str:
    if not scheme:
        return _("Keine vollständige Adresse (http:// oder https:// fehlt) – nicht abgerufen")
    return _("Nur http- und https-Adressen werden geprüft, nicht „%(scheme)s:“") % {
        "scheme": scheme
    }
