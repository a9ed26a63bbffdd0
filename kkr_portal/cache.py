"""Django's Redis cache backend, with one ``redis.Redis`` client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call, and
redis-py's constructor copies its table of some 160 response callbacks each time: measured here
(bench/, in-process) that was 0.24 ms of a signed-in request's 0.85 ms of CPU for one cache read
(the session, then; now every page-cache and rate-limit call). A ``redis.Redis`` is safe to share
between threads (its connections come from the pool per command), so one per pool is enough.

A subclass rather than django-redis: the same keys, values and options as Django's backend
(sessions and rate limits survive the switch), and nothing else changes.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the pool's identity: pools live as long as this object (Django's _pools).
        self._shared_clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._shared_clients.get(id(pool))
        if client is None:
            client = self._shared_clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class SharedClientRedisCache(RedisCache):
    """``CACHES[...]["BACKEND"] = "kkr_portal.cache.SharedClientRedisCache"``: settings.py sets it
    for every ``redis://`` CACHE_URL."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
