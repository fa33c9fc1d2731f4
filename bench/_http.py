"""What the benches share: a free loopback port and a browser's session (cookies, CSRF token).

A bench imports it as `from _http import Session, free_port`: a script's own folder (bench/)
is the first entry of sys.path.
"""

import http.cookiejar
import secrets
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

PASSWORD = "Bench-Passwort-2026"  # noqa: S105 - a throwaway database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Session:
    """A browser's cookies and CSRF token against the bench server.

    `context`: the TLS context for an https base (a bench's own certificate is not verified);
    `headers`: sent with every request (a proxy's X-Forwarded-* when asking an instance
    directly). `url` is where the last request ended after redirects.
    """

    def __init__(
        self, base: str, *, context: ssl.SSLContext | None = None, headers: dict | None = None
    ) -> None:
        self.base = base
        self.headers = headers or {}
        self.url = base
        self.jar = http.cookiejar.CookieJar()
        handlers: list = [urllib.request.HTTPCookieProcessor(self.jar)]
        if context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def cookie_header(self) -> str:
        """The cookies as a Cookie header, to present this session elsewhere (an instance)."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        """Return (status, seconds, body) of one request; errors are answers too."""
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.base + path,
            data=data,
            headers={"Referer": self.base + path, **self.headers, **(headers or {})},
        )
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=120) as response:
                body = response.read()
                self.url = response.geturl()
                return response.status, time.perf_counter() - started, body
        except urllib.error.HTTPError as error:
            self.url = error.geturl()
            return error.code, time.perf_counter() - started, error.read()
        except OSError as error:
            return f"error: {error}", time.perf_counter() - started, b""

    def form(self, path: str, fields: dict) -> tuple:
        if not self.csrf():
            self.request(path)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **fields}).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, path: str, username: str, password: str = PASSWORD) -> None:
        self.request(path)
        status, _seconds, _body = self.form(path, {"username": username, "password": password})
        if status not in (200, 302):
            raise SystemExit(f"login of {username} at {path} answered {status}")

    def upload(self, path: str, filename: str, content: bytes) -> tuple:
        self.request(path)
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{self.csrf()}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
            f"\r\nContent-Type: text/csv\r\n\r\n".encode()
            + content
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request(path, b"".join(parts), headers)
