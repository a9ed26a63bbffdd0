"""Rendered parts of the Blå Bog's pages, cached and never stale.

A cached part is keyed on everything its HTML depends on:

- the directory's data version (``DirectoryVersion``, bumped by the database itself on every
  write to the directory's tables, in the writing transaction): a change in the admin, an
  import or a service is on the next request, on every server process;
- the day (roles are "current" by date) and, for parts that list meetings ahead, a moment
  the caller names (``valid_until``) after which the part is built again;
- the language, and the audience: ``"member"`` (signed in: contact details) or ``"public"``.
  Nothing user-specific is ever in a cached part — it is rendered without the request, so no
  CSRF token, no user name and no message can get into it; the page around it (header, messages)
  is rendered per request, or, for the pages served most (``cached_page``), cached whole (as
  bytes and as gzip) with slots for what is the request's own (its CSRF token and its path),
  filled in per request.

The version is one primary-key read per request. Parts live in two tiers: this process's memory
(bounded; no network, no unpickling) in front of Django's default cache, which is Redis in
production (``CACHE_URL``), shared by every gunicorn worker. Both are keyed the same way, so
neither can be stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import salted_hmac
from django.utils.html import escape

from .compression import SlottedGzip, accepts_gzip
from .csrf import get_token

# The current data version; None when the row is missing (a flushed test database): no caching.
from .versioning import read_directory_version as directory_version

# A part is built again at least this often even if nothing changes (memory, not correctness).
MAX_AGE = 6 * 60 * 60
# This process's own copies: at most this many characters of rendered HTML, least recently used out.
LOCAL_MAX_SIZE = 32 * 1024 * 1024


class LocalParts:
    """The parts this process rendered or fetched lately, each until its own expiry (thread-safe)."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.size = 0
        self.entries: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def _size(value: Any) -> int:
        if isinstance(value, dict):
            return sum(LocalParts._size(part) for part in value.values())
        if isinstance(value, tuple | list):
            return sum(LocalParts._size(part) for part in value)
        return len(value) if isinstance(value, str | bytes) else sys.getsizeof(value)

    def get(self, key: str) -> Any:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.time():
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return entry[2]

    def set(self, key: str, value: Any, expires: float) -> None:
        size = self._size(value)
        if size > self.max_size:
            return
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = (expires, size, value)
            self.size += size
            while self.size > self.max_size:
                self._drop(next(iter(self.entries)))

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    def _drop(self, key: str) -> None:
        self.size -= self.entries.pop(key)[1]


local_parts = LocalParts(LOCAL_MAX_SIZE)


def audience(show_contact: bool) -> str:
    return "member" if show_contact else "public"


def _key(name: str, parts: tuple, version: int) -> str:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"kkr:page:{name}:{version}:{translation.get_language()}:{timezone.localdate().isoformat()}:{digest}"


def _timeout(valid_until: dt.datetime | None) -> int:
    now = timezone.localtime()
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    ends = min(moment for moment in (valid_until, midnight) if moment is not None)
    return min(MAX_AGE, int((ends - now).total_seconds()))


def request_version(request) -> int | None:
    """The data version for everything one GET request caches, read once; None (no caching) for
    any other method: a request that writes must not go on reading parts of the version before."""
    if request.method not in ("GET", "HEAD"):
        return None
    if not hasattr(request, "_kkr_directory_version"):
        # A signed-in request read it already, with the logins' version (kkr_portal.auth).
        versions = getattr(request, "_kkr_versions", None)
        request._kkr_directory_version = versions[0] if versions else directory_version()
    return request._kkr_directory_version


_READ = object()


def cached(
    name: str, *parts: Any, build: Callable[[], tuple[Any, dt.datetime | None]], version: int | object | None = _READ
) -> Any:
    """The value ``build()`` returns (with the moment it stops being true, or None), cached.

    ``parts`` are what the value depends on besides data, day and language — the URL's
    arguments, normalised filters, the audience. ``build`` must not depend on anything else.
    ``version`` is the data version read earlier in the request (``request_version``), if any.
    """
    if version is _READ:
        version = directory_version()
    if version is None:
        return build()[0]
    key = _key(name, parts, version)
    value = local_parts.get(key)
    if value is not None:
        return value
    # The shared cache holds (expiry, value), so this process keeps its copy no longer than that.
    shared = cache.get(key)
    if shared is not None:
        expires, value = shared
    else:
        value, valid_until = build()
        timeout = _timeout(valid_until)
        if timeout <= 0:
            return value
        expires = time.time() + timeout
        cache.set(key, (expires, value), timeout)
    local_parts.set(key, value, expires)
    return value


def _slot(name: str) -> bytes:
    # The same in every process (a page built by one worker is served by all), and not guessable
    # from outside: text in the data cannot pose as a slot.
    return f"kkr-slot-{salted_hmac('kkr_portal.pagecache.slot', name).hexdigest()[:32]}".encode()


CSRF_SLOT = _slot("csrf")
PATH_SLOT = _slot("path")
# A cached page is kept split at its slots (text, slot, text, ..., text): filling it is one join,
# not a pass over the whole page per slot.
_SLOTS = re.compile(b"(" + re.escape(CSRF_SLOT) + b"|" + re.escape(PATH_SLOT) + b")")


def cached_page(
    request, template_name: str, name: str, *parts: Any, build: Callable[[], tuple[Any, dt.datetime | None]]
):
    """A response of ``template_name`` around the cached ``parts`` value ``build()`` returns
    (``{"parts": ...}`` in its context), the whole page cached as bytes, and as gzip for the
    browsers that accept it (all of them: ``kkr_portal.compression``).

    The page around the parts depends on the visitor only by whether they are signed in and staff
    (the header's buttons), which are in the key, and by two values of the request's own: its CSRF
    token and its path, put into the cached bytes per request. A request with messages to show
    gets the page rendered around the cached parts, as ``cached`` pages do.
    """
    user = request.user
    version = request_version(request)
    if len(get_messages(request)):
        value = cached(name, *parts, build=build, version=version)
        response = HttpResponse(render_to_string(template_name, {"parts": value}, request))
        patch_vary_headers(response, ("Accept-Encoding",))  # as every answer at this address
        return response

    # A page asked for with a query may show it (the filters, the search words): compressed
    # together with the page's other text, the length would answer an attacker's guesses (BREACH).
    # Without a query, or when nothing is cached (no version), there is nothing to compress for.
    compress = version is not None and not request.META.get("QUERY_STRING")

    def build_page():
        value = cached(name, *parts, build=build, version=version)
        context = {"parts": value, "csrf_token": CSRF_SLOT.decode(), "next_path": PATH_SLOT.decode()}
        pieces = tuple(_SLOTS.split(render_to_string(template_name, context, request).encode()))
        return (pieces, SlottedGzip.compress(pieces[0::2]) if compress else None), None

    pieces, gzipped = cached(
        f"{name}:page+gzip", *parts, user.is_authenticated, user.is_staff, compress, build=build_page, version=version
    )
    values = {CSRF_SLOT: get_token(request).encode(), PATH_SLOT: escape(request.get_full_path()).encode()}
    slots = [values[slot] for slot in pieces[1::2]]
    if gzipped is not None and accepts_gzip(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(gzipped.fill(slots))
        response.headers["Content-Encoding"] = "gzip"
    else:
        filled = list(pieces)
        filled[1::2] = slots
        response = HttpResponse(b"".join(filled))
    patch_vary_headers(response, ("Accept-Encoding",))
    return response
