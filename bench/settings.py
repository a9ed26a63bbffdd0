"""Settings for the benchmark: the portal's own settings as production runs them, plus a bare view.

DEBUG is off, database connections persist (CONN_MAX_AGE), static files come from whitenoise, the
cache (rendered pages, sessions) is Redis.
Only the URLconf differs: ``bench.urls`` adds the bare view. Never used outside ``make bench``.
"""

import os

os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("CONN_MAX_AGE", "600")
# As production: a Redis cache shared by the gunicorn workers (rendered pages, sessions).
os.environ.setdefault("CACHE_URL", os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/9"))

from kkr_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = VAR_DIR / "bench" / "static"  # noqa: F405
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The reminder sending benchmark talks to its own local SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_SMTP_PORT", "8025"))
EMAIL_USE_TLS = False
EMAIL_HOST_USER = ""
EMAIL_HOST_PASSWORD = ""
CELERY_TASK_ALWAYS_EAGER = False
MIDDLEWARE = ["bench.middleware.ServerTiming", *MIDDLEWARE]  # noqa: F405
