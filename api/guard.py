"""What every data endpoint of the API does around its read: rate limit, access, conditional GET.

The order matters: the rate limit comes first (an unauthorised or conditional request counts
too), then access (the Blå Bog's rule), then the conditional GET, which costs one primary-key
read (the directory's data version) and answers 304 before any of the collection is read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from functools import wraps

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import JsonResponse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition

from kkr_portal.pagecache import directory_version
from members.access import can_browse

# Part of every ETag: a change of the responses' shape must not meet a client's old copy.
SHAPE_VERSION = "1"


def error(status: int, detail: str, **extra) -> JsonResponse:
    """The API's error body: ``{"detail": "..."}`` (and, for bad parameters, ``errors``)."""
    return JsonResponse({"detail": detail, **extra}, status=status)


# --- Rate limit ---------------------------------------------------------------------------------


def client_ip(request) -> str:
    """The client's address as allauth's login limits see it (``TRUSTED_PROXY_COUNT``): the
    address the last trusted proxy appended to X-Forwarded-For, else REMOTE_ADDR."""
    try:
        return get_adapter(request).get_client_ip(request)
    except (ImproperlyConfigured, PermissionDenied):
        # A header shorter than the proxies configured: a request that bypassed the proxies.
        return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limited(request) -> JsonResponse | None:
    """A fixed window per client address in Django's cache (Redis in production, so every
    gunicorn worker counts together): ``API_RATE_LIMIT`` requests per ``API_RATE_WINDOW`` seconds,
    then 429 with Retry-After until the window ends. ``API_RATE_LIMIT=0`` turns it off."""
    limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
    if limit <= 0:
        return None
    now = time.time()
    number = int(now // window)
    # Hashed: the cache holds no address, and any address spelling makes a valid key.
    who = hashlib.blake2b(client_ip(request).encode(), digest_size=12).hexdigest()
    key = f"kkr:api:rate:{window}:{who}:{number}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return None
    retry_after = max(1, math.ceil((number + 1) * window - now))
    response = error(429, f"Too many requests: at most {limit} per {window} seconds. Retry after {retry_after} s.")
    response["Retry-After"] = str(retry_after)
    return response


# --- Conditional GET ----------------------------------------------------------------------------


def _version(request) -> int | None:
    """The directory's data version, read once per request (the ETag and Last-Modified share it).

    Read before the collection: a write committed in between is served under the older version
    and fetched again on the next request, never kept under the newer one.
    """
    if not hasattr(request, "_kkr_api_version"):
        request._kkr_api_version = directory_version()
    return request._kkr_api_version


def etag(request, *args, **kwargs) -> str | None:
    """The response's tag: the data version (bumped by the database on every write to the
    directory's tables), the day ("current" and a public party depend on it), the language, the
    path and the query string. None (no tag) when the version row is missing."""
    version = _version(request)
    if version is None:
        return None
    query = "&".join(sorted(request.GET.urlencode().split("&")))
    parts = [SHAPE_VERSION, version, timezone.localdate().isoformat(), translation.get_language(), request.path, query]
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()


# How long the moment a version was first seen is kept; after that it is "first seen" again.
SEEN_TIMEOUT = 7 * 24 * 60 * 60


def last_modified(request, *args, **kwargs) -> dt.datetime | None:
    """When the data as served became true: the moment this version was first seen (the
    version table keeps a number, not a time; the shared cache keeps the moment), or the
    day's start if later (the day changes what is current).

    HTTP dates have whole seconds: in the second the version (or the day) began, a later write
    could share its date, so then there is no Last-Modified (the ETag still holds). A date sent
    is earlier than this request's second, so any later version gets a later date.
    """
    version = _version(request)
    if version is None:
        return None
    now = time.time()
    key = f"kkr:api:seen:{version}"
    cache.add(key, now, timeout=SEEN_TIMEOUT)
    seen = cache.get(key, now)
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    moment = int(max(seen, midnight))
    if moment >= int(now):
        return None
    return dt.datetime.fromtimestamp(moment, tz=dt.UTC)


def published(run):
    """Wrap an operation's ``run`` (``ninja.decorators.decorate_view``): rate limit, access,
    ETag and Last-Modified (Django's ``condition``: If-None-Match, else If-Modified-Since → 304)."""
    conditional = condition(etag_func=etag, last_modified_func=last_modified)(run)

    @wraps(run)
    def wrapper(request, *args, **kwargs):
        limited = rate_limited(request)
        if limited is not None:
            return limited
        if not can_browse(request.user):
            response = error(401, "Sign in to use the API: the Blå Bog is not public on this portal.")
            response["WWW-Authenticate"] = 'Session realm="KKR Portal"'
            return response
        response = conditional(request, *args, **kwargs)
        if response.status_code not in (200, 304):
            # Django's condition() tags every GET answer; an error has no version.
            for header in ("ETag", "Last-Modified"):
                if header in response:
                    del response[header]
        else:
            # Kept by caches, asked again each time: with the ETag that is one cheap 304.
            audience = {"public": True} if settings.BLAA_BOG_PUBLIC else {"private": True}
            patch_cache_control(response, no_cache=True, **audience)
            patch_vary_headers(response, ["Accept-Language", "Cookie"])
        return response

    return wrapper
