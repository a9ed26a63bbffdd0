"""KKR Portal settings: one module, configured by the environment (see .env.example).

Production is this module with other environment values; nothing exists only there.
"""

from pathlib import Path

import environ
import xstatic.pkg.bootstrap

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# The fallback key only exists so that `make run` works out of the box; deployments set
# SECRET_KEY, and `check --deploy` rejects this one.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-kkr-portal-development-only-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
BLAA_BOG_PUBLIC = env.bool("BLAA_BOG_PUBLIC", default=False)

INSTALLED_APPS = [
    "kkr_portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "import_export",
    "simple_history",
    "kkr_portal",
    "members",
    "fora",
    "agreements",
    "reminders",
    "elections",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "kkr_portal.auth.CachedAuthenticationMiddleware",
    "kkr_portal.security.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "kkr_portal.auth.StaffSecurityMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "kkr_portal.urls"
WSGI_APPLICATION = "kkr_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kkr_portal.accessibility.statement_url",
                # {{ csrf_token }} masked with one system call, not 32 (kkr_portal/csrf.py).
                "kkr_portal.csrf.context_processor",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

# SQLite under var/ for trying the portal out; PostgreSQL (DATABASE_URL) is the system of
# record in production and CI.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kkr_portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The portal's queries are short; JIT compilation costs more than it saves (measured on the
    # Blå Bog search at 40x scale: 150 ms with JIT, 50 ms without).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Parameters travel apart from the SQL, so a query asked again with other values is the same
    # statement, which psycopg prepares from its fifth use on (per connection; Django turns that
    # off by default): PostgreSQL then plans it once instead of every time. Planning was 2-5 ms
    # of the Blå Bog search at 40x, and 25-40 us of the query every signed-in request makes. Not
    # behind a connection pooler in transaction mode, which would mix prepared statements up.
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
else:
    # Wait for a writer instead of failing at once: web, worker and beat share the file.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------

# The rendered Blå Bog parts (kkr_portal/pagecache.py) and allauth's rate limits. Production
# sets CACHE_URL=redis://…, shared by every gunicorn worker; the default is per process, which
# is right for `make run` (one web process).
CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://kkr-portal"),
    # The site chrome's fixed parts (the menu, the footer: {% cache %} in templates/includes/),
    # the same for everyone of a language and audience: each process keeps its own copy, with no
    # round trip to a shared cache.
    "chrome": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kkr-portal-chrome"},
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same backend, one client per pool instead of one per call (kkr_portal/cache.py).
    CACHES["default"]["BACKEND"] = "kkr_portal.cache.SharedClientRedisCache"
# Sessions live in the database, read in the one query that also reads the versions every
# signed-in request needs (kkr_portal/sessions.py). No cache holds them, so a restarted Redis logs
# nobody out.
SESSION_ENGINE = "kkr_portal.sessions"

# --- Authentication ---------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# Members log in with a one-time code sent by email; staff with a password and TOTP.
# Nobody can sign up: ClosedAccountAdapter closes signup, so only people the secretariat has
# registered (a User with that email) get a code.
ACCOUNT_LOGIN_METHODS = {"email"}
# Signup is closed; "password1" is listed only because allauth's login form offers a password
# field when (and only when) signup would ask for one. Staff need it.
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Long enough to open the mail on a phone; three wrong tries end the code either way.
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
# An unknown address gets the same page as a known one, and no mail at all (not even
# allauth's "no account with this address" mail, which would invite a signup that is closed).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_ADAPTER = "kkr_portal.adapters.ClosedAccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[KKR Portal] "
# Exceeding any of these answers 429 with templates/429.html (see ClosedAccountAdapter).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "request_login_code": "20/m/ip,3/m/key",
}
# The per-IP limits need the client's address. Behind the TLS proxy REMOTE_ADDR is the proxy,
# so every visitor would share one count; with N trusted proxies in front, the client is the
# address the N-th proxy from the end appended to X-Forwarded-For (never one the client sent).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# The open-data API (/api/v1/): requests per client address per window, counted in the shared
# cache like the limits above (api.guard); 0 turns the limit off.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=120)
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "KKR Portal"
# allauth refuses TOTP to users with an unverified address, against someone who signs up with
# another person's address. Signup is closed here, so that cannot happen, and the refusal would
# lock a newly registered staff user out of the admin.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# A TOTP code is accepted in its own 30-second step only. allauth remembers a used code for one
# step, so any tolerance for clock drift would let a used code be replayed in the next steps.
MFA_TOTP_TOLERANCE = 0

# kkr_portal.auth.StaffSecurityMiddleware: staff need TOTP before any admin page opens, and
# their sessions end after this many seconds without a request. Members keep the normal
# session age.
KKR_REQUIRE_STAFF_MFA = True
STAFF_IDLE_TIMEOUT = 30 * 60
# ... and this many seconds after the login, however busy.
STAFF_SESSION_MAX_AGE = 12 * 60 * 60

# --- Internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "da"
# Each language named in itself, as a language switch shows it.
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------

# Bootstrap comes from the XStatic-Bootstrap package and is served by the portal itself.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="KKR Portal <noreply@kkr-portal.dk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# A hung SMTP server must not hold a worker past the task's time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Celery -----------------------------------------------------------------------------

# Without CELERY_BROKER_URL the broker is kombu's filesystem transport under var/, so
# `make run` needs no broker server. Production and CI use Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = str(VAR_DIR / "celery" / "queue")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _queue_dir,
        "data_folder_out": _queue_dir,
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    # Tasks run for at most a minute: Redis redelivers unacknowledged ones after an hour.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_TASK_TIME_LIMIT = 60
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The real-worker tests give each run a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Beat only plans: the outbox rows carry the due times, so a missed or doubled tick is harmless.
# A tick not started within its interval is dropped; the next one does the same work.
CELERY_BEAT_SCHEDULE = {
    "plan-reminders": {
        "task": "reminders.tasks.plan_reminders",
        "schedule": env.float("REMINDERS_PLAN_EVERY", default=300.0),
        "options": {"expires": env.float("REMINDERS_PLAN_EVERY", default=300.0)},
    },
    # Privacy: erase contact details past PRIVACY_RETENTION_DAYS (members.tasks), once a day.
    "erase-expired-contact-details": {
        "task": "members.tasks.erase_expired_contact_details",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60.0},
    },
}
# Reminders (reminders/): a transient SMTP error is retried after BACKOFF * 2**(attempt - 1)
# seconds, at most MAX_ATTEMPTS times; a pending row queued longer ago than REQUEUE_AFTER
# seconds (a lost message) is queued again by the next plan tick.
REMINDERS_MAX_ATTEMPTS = env.int("REMINDERS_MAX_ATTEMPTS", default=5)
REMINDERS_RETRY_BACKOFF = env.float("REMINDERS_RETRY_BACKOFF", default=60.0)
REMINDERS_REQUEUE_AFTER = env.float("REMINDERS_REQUEUE_AFTER", default=600.0)

# --- Security ---------------------------------------------------------------------------

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and SITE_URL.startswith("https"))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SITE_URL.startswith("https") else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = SITE_URL.startswith("https")
CSRF_COOKIE_SECURE = SITE_URL.startswith("https")
LANGUAGE_COOKIE_SECURE = SITE_URL.startswith("https")
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: forms carry the token, and static/js only fetches with GET.
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
# Lax, not Strict: a link in a reminder mail opens the portal signed in; a cross-site POST still
# arrives without the cookies.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The portal's own 403 page, in Danish, for a form sent without (or with an expired) token.
CSRF_FAILURE_VIEW = "kkr_portal.views.csrf_failure"
# Frames are denied twice: X-Frame-Options for old browsers, frame-ancestors below for the rest.
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp's CSPMiddleware): the portal's own files and nothing else.
# No inline script, no event-handler attributes and no eval: every script is a file under static/,
# and data for a script travels in data-* attributes (static/js/directory.js). Django's admin and
# allauth's pages keep to this too (tests/e2e/test_csp.py opens them and fails on any violation).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # No 'unsafe-inline' for styles either: the portal's templates have no style attribute, and
        # the admin pages the portal uses need none (its scripts set styles through the DOM, which
        # CSP allows). The one inline <style> in Django's change_list.html appears only when an
        # admin turns off both action bars (actions_on_top/_bottom), which no portal admin does;
        # tests/portal/test_security_headers.py renders every change list and add form to check.
        "style-src": ["'self'"],
        # Bootstrap draws its small icons (the select arrow, the menu button) as data: SVGs in its
        # CSS, and allauth shows the TOTP QR code as a data: URI.
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Every silenced system check with its reason (tests/portal/test_deploy_check.py requires one).
SILENCED_SYSTEM_CHECK_REASONS = {
    "security.W021": "HSTS preload is a decision for the domain owner, not the application.",
}
SILENCED_SYSTEM_CHECKS = list(SILENCED_SYSTEM_CHECK_REASONS)

# --- Logging ----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Accessibility ----------------------------------------------------------------------

# The accessibility statement the footer links to and /was redirects to: the statement in
# Digitaliseringsstyrelsen's WAS-Tool (https://www.was.digst.dk/<domain>-dk) once it is
# published there; until then the portal's own page.
ACCESSIBILITY_STATEMENT_URL = env.str("ACCESSIBILITY_STATEMENT_URL", default="") or "/tilgaengelighed/"
# The portal's own statement must name a written and a telephone contact that anyone may use; the
# secretariat staff's own addresses are for signed-in users only (docs/privacy.md). Default: KL.
ACCESSIBILITY_CONTACT_EMAIL = env.str("ACCESSIBILITY_CONTACT_EMAIL", default="kl@kl.dk")
ACCESSIBILITY_CONTACT_PHONE = env.str("ACCESSIBILITY_CONTACT_PHONE", default="+45 3370 3370")

# --- Input ------------------------------------------------------------------------------

# allauth's login, code and password-reset forms with the portal's text rules and limits
# (kkr_portal.text): invisible and direction-changing characters are refused, codes have a limit.
ACCOUNT_FORMS = {
    "login": "members.forms.LoginForm",
    "request_login_code": "members.forms.RequestLoginCodeForm",
    "confirm_login_code": "members.forms.ConfirmLoginCodeForm",
    "reset_password": "members.forms.ResetPasswordForm",
}
MFA_FORMS = {"authenticate": "members.forms.AuthenticateForm"}

# --- Privacy ----------------------------------------------------------------------------

# Contact details (e-mail, phone, bio, photo) of people whose last role ended this many days ago
# are erased by members.tasks.erase_expired_contact_details (docs/privacy.md). Five years: one
# election period (four years) and a year's margin, so that someone who left at an election and
# stands again at the next one is still reachable while their new seat is recorded, and the
# carry-overs and complaints of the period they left are settled.
PRIVACY_RETENTION_DAYS = env.int("PRIVACY_RETENTION_DAYS", default=5 * 365 + 1)

# --- Balance views ------------------------------------------------------------------------

# /kkr/<slug>/balance/ marks a person holding this many of the KKR's appointments or more.
BALANCE_MANY_SEATS = env.int("BALANCE_MANY_SEATS", default=3)
