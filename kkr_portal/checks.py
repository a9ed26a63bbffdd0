"""System checks for what Django's own ``check --deploy`` cannot know about the portal."""

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning

# Caches that each process keeps to itself (or that keep nothing). allauth counts login attempts
# and remembers used TOTP codes in the default cache: with one of these behind several gunicorn
# workers, every worker counts on its own and a used code can be replayed on another worker.
PER_PROCESS_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


@register(Tags.security, Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    """Outside DEBUG, the rate limits and the TOTP replay guard need a cache all processes share."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        CheckWarning(
            f"The default cache ({backend}) is not shared between processes, so login rate limits "
            "and the once-only use of TOTP codes do not hold across the web server's workers.",
            hint="Set CACHE_URL to a Redis server that every web process uses, e.g. redis://redis:6379/1.",
            id="kkr_portal.W001",
        )
    ]
