"""Bodies built once per data version: in the shared cache for every process, hot ones in memory."""

import zlib

import pytest
from django.core.cache import cache

from digitalesamt.lib import cache as versioned

pytestmark = pytest.mark.django_db


def builder(body: bytes):
    built = []

    def build() -> bytes:
        built.append(body)
        return body

    return build, built


def test_a_body_is_built_once_and_stored_compressed_for_every_process():
    build, built = builder(b"<html>" + b"x" * 10_000)

    first = versioned.versioned_bytes("page:v1", build, timeout=60)
    versioned.memory.clear()  # another process
    second = versioned.versioned_bytes("page:v1", build, timeout=60)

    assert first == second and len(built) == 1
    stored = cache.get("page:v1")
    assert zlib.decompress(stored) == first and len(stored) < len(first) / 10


def test_the_memory_keeps_the_most_recent_bodies_up_to_its_size(settings):
    settings.VERSIONED_MEMORY_BYTES = 250
    for name in ("a", "b", "c"):
        versioned.versioned_bytes(name, builder(name.encode() * 100)[0], timeout=60)

    assert list(versioned.memory.entries) == ["b", "c"]
    assert versioned.memory.size == 200


def test_a_body_leaves_the_memory_with_the_shared_cache_timeout(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(versioned.time, "monotonic", lambda: now[0])
    versioned.versioned_bytes("page:v2", builder(b"old")[0], timeout=300)
    cache.delete("page:v2")  # the shared cache's entry has expired

    now[0] += 299
    assert versioned.versioned_bytes("page:v2", builder(b"new")[0], timeout=300) == b"old"
    now[0] += 1
    assert versioned.versioned_bytes("page:v2", builder(b"new")[0], timeout=300) == b"new"


def test_no_memory_at_all_when_it_is_turned_off(settings):
    settings.VERSIONED_MEMORY_BYTES = 0

    versioned.versioned_bytes("page:v3", builder(b"body")[0], timeout=60)

    assert versioned.memory.entries == {}
