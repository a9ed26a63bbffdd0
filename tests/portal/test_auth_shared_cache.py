"""Rate limits and used TOTP codes live in the shared cache (issue 7), so they hold across
gunicorn workers; and `check --deploy` warns when the cache is per process (kkr_portal.checks).

The Redis tests use Redis database 5 on the broker's server (CACHE_URL=redis://…/5) and empty it
before and after.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import environ
import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.conftest import redis_url
from tests.portal.test_login import PASSWORD, assert_portal_429, signed_in_user_id, totp_code

BASE_DIR = Path(__file__).resolve().parents[2]
STAFF_EMAIL = "kl.admin@example.dk"
NOW = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.UTC)  # the start of a 30-second TOTP step


def redis_cache_url() -> str:
    broker = urlsplit(redis_url() or "redis://127.0.0.1:6379/0")
    return urlunsplit(broker._replace(path="/5"))


@pytest.fixture
def redis_cache(settings):
    # The backend production uses for a redis:// CACHE_URL (kkr_portal/settings.py).
    config = {**environ.Env.cache_url_config(redis_cache_url()), "BACKEND": "kkr_portal.cache.SharedClientRedisCache"}
    settings.CACHES = {**settings.CACHES, "default": config}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    return factories.UserFactory(email=STAFF_EMAIL, is_staff=True)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Another process on the same cache, as another gunicorn worker is."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kkr_portal.settings_test", "CACHE_URL": redis_cache_url(), **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def login(client: Client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


# --- shared between processes ---------------------------------------------------------------------

FAIL_FIVE_TIMES = """
import json
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
from django.urls import reverse
answers = [
    Client().post(reverse("account_login"), {"login": %(email)r, "password": "forkert-%%d" %% n}).status_code
    for n in range(5)
]
print(json.dumps(answers))
"""


def database_url_for_other_processes() -> str:
    """The test database, as a URL another process can open (it sees committed rows only)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db
def test_five_failures_in_another_process_lock_the_account_here(redis_cache, staff):
    """Another process (another gunicorn worker) takes five wrong passwords; the right password
    is refused in this one."""
    result = run_python(FAIL_FIVE_TIMES % {"email": STAFF_EMAIL}, DATABASE_URL=database_url_for_other_processes())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [200] * 5

    client = Client()
    response = login(client, STAFF_EMAIL, PASSWORD)

    assert_portal_429(response)
    assert signed_in_user_id(client) is None


USE_TOTP_CODE = """
import datetime as dt
import django
import time_machine
django.setup()
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import encrypt
with time_machine.travel(dt.datetime.fromtimestamp(%(now)r, tz=dt.UTC), tick=False):
    authenticator = Authenticator(user_id=%(user_id)r, type="totp", data={"secret": encrypt(%(secret)r)})
    print(TOTP(authenticator).validate_code(%(code)r))
"""


@pytest.mark.redis
@pytest.mark.django_db
def test_a_totp_code_used_in_another_process_is_refused_here(redis_cache, staff):
    """The owner's login went through another worker; the same code is refused in this one."""
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    with time_machine.travel(NOW, tick=False):
        code = totp_code(secret)
        values = {"now": NOW.timestamp(), "user_id": staff.pk, "secret": secret, "code": code}
        result = run_python(USE_TOTP_CODE % values)
        assert result.stdout.strip() == "True", result.stderr

        thief = Client()
        login(thief, STAFF_EMAIL, PASSWORD)
        response = thief.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert "Forkert kode" in response.content.decode()
    assert signed_in_user_id(thief) is None


# --- the system check -----------------------------------------------------------------------------


def portal_warnings(*, deploy: bool = True) -> list[str]:
    return [message.id for message in run_checks(include_deployment_checks=deploy) if message.id.startswith("kkr_")]


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "check"}}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://redis:6379/1"}}


@pytest.mark.parametrize("caches_setting", [LOCMEM, DUMMY], ids=["locmem", "dummy"])
def test_check_deploy_warns_about_a_per_process_cache_in_production(settings, caches_setting):
    settings.DEBUG = False
    settings.CACHES = caches_setting

    assert portal_warnings() == ["kkr_portal.W001"]


def test_check_deploy_accepts_redis(settings):
    settings.DEBUG = False
    settings.CACHES = REDIS

    assert portal_warnings() == []


def test_a_per_process_cache_is_fine_for_debugging(settings):
    settings.DEBUG = True
    settings.CACHES = LOCMEM

    assert portal_warnings() == []


def test_a_plain_check_does_not_warn(settings):
    """`make run` (DEBUG off by default, one process) runs `check` without --deploy."""
    settings.DEBUG = False
    settings.CACHES = LOCMEM

    assert portal_warnings(deploy=False) == []


def test_check_deploy_without_cache_url_fails_at_warning_level():
    """The check is registered by the app (kkr_portal/apps.py), in a fresh process, and fails
    `check --deploy --fail-level WARNING` when production forgets CACHE_URL."""
    env = {key: value for key, value in os.environ.items() if key != "CACHE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="kkr_portal.settings", DEBUG="0", CACHE_URL="locmemcache://")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", "--tag", "caches"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "kkr_portal.W001" in result.stderr + result.stdout
