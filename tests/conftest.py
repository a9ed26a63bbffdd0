"""Shared fixtures: the reference data once per test database, and a few well-known people."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

from kkr_portal.pagecache import local_parts
from members.models import Council, ElectionPeriod, Municipality, Party, StaffAssignment
from tests import factories

REQUIRE_SERVICES = os.environ.get("KKR_REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL=postgres://...)"
    if item.get_closest_marker("redis") and not redis_url():
        return "needs Redis (set CELERY_BROKER_URL=redis://...)"
    if item.get_closest_marker("browser") and not Path(CHROMIUM).exists():
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    """Tests that need a service skip without it, and fail instead when CI requires the services."""
    missing = _missing_service(item)
    if missing:
        if REQUIRE_SERVICES:
            pytest.fail(f"KKR_REQUIRE_SERVICES=1 but this test {missing}")
        pytest.skip(missing)


def redis_url() -> str | None:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else None


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: a test database rolled back to an earlier version
    number must not meet pages cached by another test (kkr_portal.pagecache)."""
    for alias in settings.CACHES:
        caches[alias].clear()
    local_parts.clear()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()
    local_parts.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)


@pytest.fixture
def period_2022(db) -> ElectionPeriod:
    return ElectionPeriod.objects.get(name="2022-2025")


@pytest.fixture
def period(db) -> ElectionPeriod:
    """The current period (2026-2029); tests that depend on "today" freeze time inside it."""
    return ElectionPeriod.objects.get(name="2026-2029")


@pytest.fixture
def syddanmark(db) -> Council:
    return Council.objects.get(slug="syddanmark")


@pytest.fixture
def sjaelland(db) -> Council:
    return Council.objects.get(slug="sjaelland")


@pytest.fixture
def odense(db) -> Municipality:
    return Municipality.objects.get(code=461)


@pytest.fixture
def middelfart(db) -> Municipality:
    return Municipality.objects.get(code=410)


@pytest.fixture
def roskilde(db) -> Municipality:
    return Municipality.objects.get(code=265)


@pytest.fixture
def venstre(db) -> Party:
    return Party.objects.get(letter="V")


@pytest.fixture
def start(period) -> dt.date:
    return period.starts_on


@pytest.fixture
def signed_in(client, member):
    """The test client, signed in as the member."""
    client.force_login(member.user)
    return client


@pytest.fixture
def member(db):
    """A signed-up member: a person with a login."""
    return factories.PersonFactory(user=factories.UserFactory(email="medlem@example.dk"), email="medlem@example.dk")


def with_totp(user):
    """Staff open no admin page without a TOTP authenticator (kkr_portal.auth): give them one."""
    TOTP.activate(user, generate_totp_secret())
    return user


def staff_of(council: Council, email: str):
    """A staff user of one KKR's secretariat: assigned to it, with TOTP."""
    user = with_totp(factories.UserFactory(email=email, is_staff=True))
    StaffAssignment.objects.create(user=user, council=council)
    return user


@pytest.fixture
def staff_syddanmark(syddanmark):
    return staff_of(syddanmark, "sekretariat.syddanmark@example.dk")


@pytest.fixture
def staff_sjaelland(sjaelland):
    return staff_of(sjaelland, "sekretariat.sjaelland@example.dk")


@pytest.fixture
def superuser(db):
    return with_totp(factories.UserFactory(email="admin@example.dk", is_staff=True, is_superuser=True))
