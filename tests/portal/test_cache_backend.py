"""The Redis cache backend keeps one client per connection pool (kkr_portal.cache).

Django's own backend builds a ``redis.Redis`` for every call; ours must behave the same in every
other way (the keys, the values, the servers reads and writes go to), so these run against the
broker's Redis server, databases 5 and 6, emptied before and after.
"""

from __future__ import annotations

import pytest

from kkr_portal.cache import SharedClientRedisCache
from tests.portal.test_auth_shared_cache import redis_cache_url, run_python

pytestmark = pytest.mark.redis


@pytest.fixture
def backend():
    cache = SharedClientRedisCache(redis_cache_url(), {})
    cache.clear()
    yield cache
    cache.clear()


def test_every_call_goes_through_one_client(backend):
    first = backend._cache.get_client()

    backend.set("kkr-test", {"a": [1, 2]}, 60)
    assert backend.get("kkr-test") == {"a": [1, 2]}
    assert backend.get_many(["kkr-test", "absent"]) == {"kkr-test": {"a": [1, 2]}}
    assert backend.add("kkr-count", 1) is True
    assert backend.incr("kkr-count") == 2

    assert backend._cache.get_client() is first
    assert backend._cache.get_client(write=True) is first


def test_what_it_writes_djangos_own_backend_reads():
    # Sessions and rate limits written before the switch (or by a process not yet restarted) stay.
    from django.core.cache.backends.redis import RedisCache

    ours, djangos = SharedClientRedisCache(redis_cache_url(), {}), RedisCache(redis_cache_url(), {})
    ours.clear()
    try:
        ours.set("kkr-test", ("expires", b"page"), 60)
        assert djangos.get("kkr-test") == ("expires", b"page")
        djangos.set("kkr-other", 7, 60)
        assert ours.get("kkr-other") == 7
    finally:
        ours.clear()


def test_with_two_servers_writes_go_to_the_first_and_each_server_has_its_own_client():
    write_url, read_url = redis_cache_url(), redis_cache_url().rsplit("/", 1)[0] + "/6"
    cache = SharedClientRedisCache([write_url, read_url], {})
    cache.clear()
    try:
        writer, reader = cache._cache.get_client(write=True), cache._cache.get_client()
        assert writer is not reader
        assert writer.connection_pool.connection_kwargs["db"] == 5
        assert reader.connection_pool.connection_kwargs["db"] == 6
        assert cache._cache.get_client(write=True) is writer
        assert cache._cache.get_client() is reader
    finally:
        cache.clear()


def test_the_settings_use_it_for_every_redis_cache_url():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "from django.core.cache import cache; "
        "print(settings.CACHES['default']['BACKEND'], type(cache._cache).__name__)",
        DJANGO_SETTINGS_MODULE="kkr_portal.settings",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["kkr_portal.cache.SharedClientRedisCache", "SharedClientRedisCacheClient"]
