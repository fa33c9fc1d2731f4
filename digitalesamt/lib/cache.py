"""Bodies that are built once per data version: kept in the shared cache, hot ones also in memory.

    page = versioned_bytes(f"holders:{version.token}:{query}", build, timeout=300)
    figures = versioned_value(f"statistics:{version.token}:{language}", compute, timeout=300)

The key must name everything the bytes depend on (the data version first of all), so an entry
never changes once written: a new version is a new key. That makes two levels safe:

1. the shared cache (CACHES) holds every body once for all processes and hosts, compressed,
   so that a body is built once however many workers there are;
2. each process keeps the most recently used bodies in a small memory of its own (at most
   VERSIONED_MEMORY_BYTES), because a read from the shared cache (a query, with the database
   cache) costs as much as the rest of a cached page. An entry there cannot go stale, as its
   key changes with the data; it only saves the round trip.

Locks, counters and anything else that changes under one key stay in the shared cache alone.
"""

import pickle
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

COMPRESSION_LEVEL = 1  # fast; HTML and JSON shrink to a sixth either way


class _Memory:
    """A least-recently-used map of bodies, bounded by their total size, each with a deadline.

    The deadline is the shared cache's timeout: what a body shows beyond its version (names in
    the register, say) is as fresh as the shared cache promises, not older.
    """

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            deadline, body = entry
            if time.monotonic() >= deadline:
                del self.entries[key]
                self.size -= len(body)
                return None
            self.entries.move_to_end(key)
            return body

    def put(self, key: str, body: bytes, limit: int, timeout: int) -> None:
        if len(body) > limit:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = (time.monotonic() + timeout, body)
            self.size += len(body)
            while self.size > limit:
                _old_key, (_deadline, old) = self.entries.popitem(last=False)
                self.size -= len(old)

    def discard(self, key: str) -> None:
        with self.lock:
            entry = self.entries.pop(key, None)
            if entry is not None:
                self.size -= len(entry[1])

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


memory = _Memory()


def versioned_bytes(key: str, build: Callable[[], bytes], *, timeout: int) -> bytes:
    """Return the body stored under `key`, building and storing it once if nobody has yet."""
    body = kept_bytes(key, timeout=timeout)
    if body is None:
        body = build()
        keep_bytes(key, body, timeout=timeout)
    return body


def kept_bytes(key: str, *, timeout: int) -> bytes | None:
    """Return the body stored under `key` (this process's memory, then the shared cache), or None.

    For a caller that decides only once it has built a body whether to keep it (a page that
    may turn out to be an error): `keep_bytes` then stores it.
    """
    limit = settings.VERSIONED_MEMORY_BYTES
    body = memory.get(key) if limit else None
    if body is not None:
        return body
    stored = cache.get(key)
    if stored is None:
        return None
    body = zlib.decompress(stored)
    if limit:
        memory.put(key, body, limit, timeout)
    return body


def keep_bytes(key: str, body: bytes, *, timeout: int) -> None:
    """Store `body` under `key` in the shared cache and in this process's memory."""
    cache.set(key, zlib.compress(body, COMPRESSION_LEVEL), timeout)
    limit = settings.VERSIONED_MEMORY_BYTES
    if limit:
        memory.put(key, body, limit, timeout)


def process_value(key: str, build: Callable[[], object], *, timeout: int) -> object:
    """Return a value kept in this process's memory only (not the shared cache), built once.

    For what costs less to build than a read of the shared cache would (a query with the
    database cache); pickled like `versioned_value`, so each reader gets a copy of its own.
    None is not kept (nothing there yet: build again next time), nor anything with timeout 0.
    """
    kept = kept_process_value(key)
    if kept is not None:
        return kept
    value = build()
    keep_process_value(key, value, timeout=timeout)
    return value


def keep_process_value(key: str, value: object, *, timeout: int) -> None:
    """Keep `value` under `key` in this process's memory, as `process_value` does."""
    limit = settings.VERSIONED_MEMORY_BYTES
    if limit and timeout > 0 and value is not None:
        memory.put(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), limit, timeout)


def kept_process_value(key: str) -> object | None:
    """Return what `process_value` keeps under `key` in this process, or None; builds nothing."""
    kept = memory.get(key) if settings.VERSIONED_MEMORY_BYTES else None
    return None if kept is None else pickle.loads(kept)  # noqa: S301 - our own


def forget_process_value(key: str) -> None:
    """Drop a value `process_value` keeps, so that the next call builds it again."""
    memory.discard(key)


def versioned_value(key: str, build: Callable[[], object], *, timeout: int) -> object:
    """Return the value stored under `key` (anything pickle keeps), built once like a body.

    The shared cache pickles whatever it stores anyway; here the pickle is the body, so the
    value has both levels of `versioned_bytes` and each reader gets a copy of its own.
    """

    def pickled() -> bytes:
        return pickle.dumps(build(), protocol=pickle.HIGHEST_PROTOCOL)

    return pickle.loads(versioned_bytes(key, pickled, timeout=timeout))  # noqa: S301 - our own
