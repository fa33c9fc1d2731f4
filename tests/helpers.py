"""Helpers that tests of several areas share: assertions, page text and the personas' password."""

import base64
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import pyotp
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

# The password every persona of tests/conftest.py signs in with.
PASSWORD = "Gruene-Wiese-am-Main-7"


def give_app(user):
    """Give `user` a confirmed authenticator app (TOTP), as the staff personas have."""
    return TOTPDevice.objects.create(user=user, name="Authenticator-App", confirmed=True)


def totp_code(user) -> str:
    """Return a code of `user`'s app that the server takes now: one step after the last used."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).get()
    totp = pyotp.TOTP(base64.b32encode(device.bin_key).decode(), interval=device.step)
    moment = max(time.time(), (device.last_t + 1) * device.step)
    return totp.at(moment)


class CspAudit(HTMLParser):
    """Collect what a browser would block under the project's Content-Security-Policy."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.problems.append(f"style attribute on <{tag}>")
        self.problems.extend(
            f"event handler {name} on <{tag}>" for name in attributes if name.startswith("on")
        )
        for name in ("href", "src", "action"):
            if (attributes.get(name) or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in <{tag} {name}>")
        if tag == "style":
            # style-src has no nonce: every <style> element is blocked.
            self.problems.append("<style> element")
        # A JSON data block is never executed, so CSP leaves it alone.
        is_inline_code = attributes.get("type") != "application/json" and "src" not in attributes
        has_nonce = self.nonce is not None and attributes.get("nonce") == self.nonce
        if tag == "script" and is_inline_code and not has_nonce:
            self.problems.append("inline <script> without the request's nonce")


def assert_csp_clean(response) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    found = re.search(r"'nonce-([^']+)'", policy)
    audit = CspAudit(found.group(1) if found else None)
    audit.feed(response.content.decode())
    assert audit.problems == []


def text(response) -> str:
    """Return the response's body as text."""
    return response.content.decode()


def main_text(response) -> str:
    """Return the page's main content with whitespace collapsed."""
    main = response.content.decode().split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(main.split())


def listed(response) -> list:
    """Return the objects an admin changelist shows on this page, in its order."""
    return list(response.context["cl"].result_list)


TRANSACTION_CONTROL = re.compile(r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) ")


class QueryCount:
    """The queries a block ran, the page's own apart from those of the database cache.

    A write to the database cache runs in a transaction of its own; its savepoints are the
    cache's, so transaction control counts on neither side.
    """

    def __init__(self, context: CaptureQueriesContext) -> None:
        self.context = context

    def _queries(self, *, in_cache: bool) -> list[str]:
        table = settings.CACHES["default"].get("LOCATION", "")
        return [
            query["sql"]
            for query in self.context.captured_queries
            if not TRANSACTION_CONTROL.match(query["sql"])
            and (bool(table) and table in query["sql"]) == in_cache
        ]

    @property
    def cache(self) -> list[str]:
        return self._queries(in_cache=True)

    @property
    def own(self) -> list[str]:
        return self._queries(in_cache=False)


@contextmanager
def count_queries() -> Iterator[QueryCount]:
    """Count the queries of a block: `.own` the page's, `.cache` the shared cache's.

    With the database cache (the default) a cache read is a query too; counted apart, a test
    can say what a page costs and, separately, that it reads the cache a fixed number of times.
    """
    with CaptureQueriesContext(connection) as context:
        yield QueryCount(context)


def stopped_process_clock(monkeypatch) -> list[float]:
    """Stop the clock of the process's memory (digitalesamt.lib.cache); return it to advance:
    `clock[0] += settings.DOCUMENT_LOOKUP_SECONDS` lets what a process looked up expire."""
    from digitalesamt.lib import cache

    now = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    return now


@contextmanager
def rolled_back_at_the_end() -> Iterator[None]:
    """Keep what a module-scoped fixture writes for the module's tests, then roll it back.

    The data goes in inside one transaction; each test (`db`) runs in a savepoint of it, as in
    Django's `TestCase.setUpTestData`, and the data leaves by one rollback instead of deleting
    thousands of rows with their signals. Inside it, `on_commit` callbacks wait for a commit
    that never comes: wrap what must run them in `TestCase.captureOnCommitCallbacks(execute=True)`.
    Not for modules with `transaction=True` tests, whose flush would run inside it.
    """
    block = transaction.atomic()
    block.__enter__()
    try:
        yield
    finally:
        transaction.set_rollback(True)
        block.__exit__(None, None, None)
