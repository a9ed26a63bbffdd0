"""Login throttling (issue 7): allauth's ``login_failed`` limit, "10/m/ip,5/5m/key", as the portal
configures it (kkr_portal/settings.py) and keys it (ClosedAccountAdapter).

Each test tries to get a sixth password guess for one account, or an eleventh for one address,
through some door: the right password, a fresh browser, another Host header, the address in
other letters, waiting almost long enough. Time is frozen and moved with time_machine.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.portal.test_login import PASSWORD, assert_portal_429, signed_in_user_id, totp_code

BASE_DIR = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
STAFF_EMAIL = "kl.admin@example.dk"


@pytest.fixture
def staff(db):
    """Staff without TOTP: a right password logs them straight in, so "refused" is plain to see."""
    return factories.UserFactory(email=STAFF_EMAIL, is_staff=True)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def login(client: Client, email: str, password: str, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def fail_five_times(email: str, **extra) -> None:
    """Five wrong passwords for one address, each from a fresh browser (as a script would)."""
    for n in range(5):
        response = login(Client(), email, f"forkert-{n}", **extra)
        assert response.status_code == 200, "a wrong password is a form error until the limit"


def assert_logged_in(response, client: Client, user) -> None:
    assert response.status_code == 302, response.status_code
    assert signed_in_user_id(client) == user.pk


def assert_refused(response, client: Client) -> None:
    assert_portal_429(response)
    assert signed_in_user_id(client) is None


# --- one account ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sixth_login_within_five_minutes_is_refused_even_with_the_right_password(staff, clock):
    fail_five_times(staff.email)
    clock.shift(dt.timedelta(minutes=4, seconds=59))

    client = Client()
    assert_refused(login(client, staff.email, PASSWORD), client)


@pytest.mark.django_db
def test_four_failures_leave_the_right_password_working(staff, clock):
    """The limit is five: the test above is about the sixth attempt, not any later one."""
    for n in range(4):
        login(Client(), staff.email, f"forkert-{n}")

    client = Client()
    assert_logged_in(login(client, staff.email, PASSWORD), client, staff)


@pytest.mark.django_db
def test_the_lock_lifts_five_minutes_after_the_failures(staff, clock):
    fail_five_times(staff.email)

    clock.shift(dt.timedelta(minutes=5, seconds=1))
    client = Client()

    assert_logged_in(login(client, staff.email, PASSWORD), client, staff)


@pytest.mark.django_db
def test_a_refused_attempt_does_not_extend_the_lock(staff, clock):
    """Attempts while locked are not counted as failures: the owner is back five minutes after
    the guessing stopped, not five minutes after their own last try."""
    fail_five_times(staff.email)
    clock.shift(dt.timedelta(minutes=4))
    assert login(Client(), staff.email, PASSWORD).status_code == 429

    clock.shift(dt.timedelta(minutes=1, seconds=1))
    client = Client()

    assert_logged_in(login(client, staff.email, PASSWORD), client, staff)


@pytest.mark.django_db
def test_a_successful_login_does_not_reset_the_count(staff, clock):
    """allauth takes back only the successful attempt, so a guesser who also knows one good
    moment cannot wipe the count. (A second between attempts: allauth takes back the attempt by
    its timestamp, and a frozen clock would give all of them the same one.)"""
    for n in range(4):
        login(Client(), staff.email, f"forkert-{n}")
        clock.shift(dt.timedelta(seconds=1))
    assert login(Client(), staff.email, PASSWORD).status_code == 302
    clock.shift(dt.timedelta(seconds=1))
    login(Client(), staff.email, "forkert-4")

    client = Client()
    assert_refused(login(client, staff.email, PASSWORD), client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hosts",
    [
        ["TESTSERVER", "Testserver", "testServer", "tEstserver", "teStserver"],
        ["testserver:80", "testserver:443", "testserver:8000", "testserver:1", "testserver:2"],
    ],
    ids=["letter-case", "port"],
)
def test_another_host_header_does_not_give_more_guesses(staff, clock, hosts):
    """allauth keys the count on "<site domain>:<address>", and without django.contrib.sites the
    domain is the request's Host header: every spelling of the host would get five guesses."""
    for n, host in enumerate(hosts):
        assert login(Client(), staff.email, f"forkert-{n}", HTTP_HOST=host).status_code == 200

    client = Client()
    assert_refused(login(client, staff.email, PASSWORD, HTTP_HOST="testserver"), client)


@pytest.mark.django_db
def test_the_address_in_other_letters_is_the_same_account(staff, clock):
    for n, email in enumerate(
        ["KL.ADMIN@EXAMPLE.DK", "Kl.Admin@Example.dk", " kl.admin@example.dk ", "kL.aDmin@example.dk"]
    ):
        login(Client(), email, f"forkert-{n}")
    login(Client(), staff.email, "forkert-4")

    client = Client()
    assert_refused(login(client, staff.email.upper(), PASSWORD), client)


@pytest.mark.django_db
def test_one_account_locked_leaves_another_account_alone(staff, clock):
    other = factories.UserFactory(email="anden@example.dk", is_staff=True)
    fail_five_times(staff.email, REMOTE_ADDR="192.0.2.1")

    client = Client()
    assert_logged_in(login(client, other.email, PASSWORD, REMOTE_ADDR="192.0.2.1"), client, other)


@pytest.mark.django_db
def test_a_locked_account_is_locked_from_every_address(staff, clock):
    """The per-account count does not care where the guesses come from (a botnet)."""
    for n in range(5):
        login(Client(), staff.email, f"forkert-{n}", REMOTE_ADDR=f"198.51.100.{n + 1}")

    client = Client()
    assert_refused(login(client, staff.email, PASSWORD, REMOTE_ADDR="203.0.113.9"), client)


# --- one address, many accounts ---------------------------------------------------------------


@pytest.mark.django_db
def test_failures_for_many_accounts_from_one_address_are_throttled(staff, clock):
    """Ten failed logins a minute from one IP address, whatever the accounts."""
    for n in range(10):
        assert login(Client(), f"person{n}@example.dk", "forkert", REMOTE_ADDR="192.0.2.1").status_code == 200

    client = Client()
    assert_refused(login(client, staff.email, PASSWORD, REMOTE_ADDR="192.0.2.1"), client)
    # The limit is on that address, not on the whole site.
    client = Client()
    assert_logged_in(login(client, staff.email, PASSWORD, REMOTE_ADDR="192.0.2.2"), client, staff)


@pytest.mark.django_db
def test_the_address_limit_lifts_after_a_minute(staff, clock):
    for n in range(10):
        login(Client(), f"person{n}@example.dk", "forkert", REMOTE_ADDR="192.0.2.1")

    clock.shift(dt.timedelta(seconds=61))
    client = Client()

    assert_logged_in(login(client, staff.email, PASSWORD, REMOTE_ADDR="192.0.2.1"), client, staff)


@pytest.mark.django_db
def test_behind_a_proxy_the_limit_is_per_client_not_per_proxy(staff, clock, settings):
    """With TRUSTED_PROXY_COUNT=1 the client is the address the proxy appends to X-Forwarded-For;
    without it every visitor would be the proxy, and ten typos anywhere would lock everyone out."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(10):
        login(Client(), f"person{n}@example.dk", "forkert", HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy)

    # The same client, even when it sends an X-Forwarded-For of its own, which the proxy keeps.
    client = Client()
    forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 192.0.2.1", **proxy}
    assert_refused(login(client, staff.email, PASSWORD, **forged), client)
    # Another client behind the same proxy.
    client = Client()
    response = login(client, staff.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.2", **proxy)
    assert_logged_in(response, client, staff)


def test_the_trusted_proxy_count_comes_from_the_environment():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kkr_portal.settings", "TRUSTED_PROXY_COUNT": "1"}
    code = "import django; django.setup(); from allauth import app_settings; print(app_settings.TRUSTED_PROXY_COUNT)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.stdout.strip() == "1", result.stderr


# --- the second factor ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sixth_totp_code_is_refused_even_when_right(staff, clock):
    """After the password, a guesser gets five TOTP codes per five minutes, not a million."""
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    client = Client()
    assert login(client, staff.email, PASSWORD)["Location"] == reverse("mfa_authenticate")
    right = totp_code(secret)
    wrong = next(code for code in ("000000", "111111") if code != right)

    for _attempt in range(5):
        assert client.post(reverse("mfa_authenticate"), {"code": wrong}).status_code == 200

    assert_refused(client.post(reverse("mfa_authenticate"), {"code": right}), client)
