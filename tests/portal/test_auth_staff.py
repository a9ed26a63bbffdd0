"""Staff security (issue 7): no admin page without a second factor, a TOTP code works once, and
staff sessions end after 30 idle minutes and after 12 hours in all (kkr_portal.auth).

Time is frozen and moved with time_machine.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from kkr_portal import auth
from tests import factories
from tests.portal.test_login import (
    confirm_code,
    is_login_url,
    mailed_code,
    password_login,
    request_code,
    signed_in_user_id,
    totp_code,
)

# The start of a 30-second TOTP step, so that "later in the same step" is well defined.
NOW = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _staff_mfa_required(settings):
    """These tests prove the requirement, whatever the test settings say about it."""
    settings.KKR_REQUIRE_STAFF_MFA = True


@pytest.fixture
def staff(db):
    return factories.UserFactory(email="kl.admin@example.dk", is_staff=True, is_superuser=True)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- every admin page needs the second factor ----------------------------------------------------

SAMPLE_BY_CONVERTER = {"int": "1", "str": "1", "path": "1", "slug": "1", "uuid": str(uuid.UUID(int=1))}
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def sample_route(pattern) -> str:
    """A path that the pattern matches, with "1" (or its like) for every parameter."""
    if isinstance(pattern, RoutePattern):
        return ROUTE_PARAMETER.sub(lambda m: SAMPLE_BY_CONVERTER[m["converter"] or "str"], str(pattern))
    assert isinstance(pattern, RegexPattern)
    regex = str(pattern).lstrip("^").rstrip("$")
    # The admin's regexes: an app label out of a list, "([^/]+)" ids and a catch-all.
    regex = re.sub(r"\(\?P<\w+>([\w|]+)\)", lambda m: m[1].split("|")[0], regex)
    regex = regex.replace("([^/]+)", "1").replace("(?P<url>.*)", "ingen-side/")
    assert not set(regex) & set("()[]?*+|\\^$"), f"no sample for {pattern}"
    return regex


def admin_paths() -> list[str]:
    """Every URL under the admin's prefix that the resolver knows, one sample path each."""
    prefix = reverse("admin:index")
    found = []

    def walk(patterns, route: str) -> None:
        for pattern in patterns:
            literal = route + str(pattern.pattern).lstrip("^")
            if not (literal.startswith(prefix) or prefix.startswith(literal)):
                continue  # outside the admin
            here = route + sample_route(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, here)
            elif isinstance(pattern, URLPattern) and here.startswith(prefix):
                found.append(here)

    walk(get_resolver().url_patterns, "/")
    return sorted(set(found))


def test_the_walk_finds_the_whole_admin():
    paths = admin_paths()

    # Each sample resolves to a view (the samples fit their patterns), and the walk sees the
    # portal's own admin pages, every registered model and the catch-all.
    for path in paths:
        resolve(path)
    assert {"/admin/", "/admin/members/person/", "/admin/members/person/1/change/", "/admin/auth/user/add/"} <= set(
        paths
    )
    assert {"/admin/oversigt/1/", "/admin/skifte/1/"} <= set(paths)
    assert "/admin/ingen-side/" in paths
    assert len(paths) > 200


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_no_admin_page_opens_for_staff_without_a_second_factor(client, staff, method):
    """Every admin URL, read or written, sends staff without TOTP to set it up: nothing renders
    and nothing is changed. The one exception is logging out."""
    client.force_login(staff)
    target = factories.UserFactory(email="offer@example.dk")
    logout = reverse("admin:logout")

    answers = {}
    for path in admin_paths():
        if path == logout:
            continue
        # Object pages get a real object where they can: a delete must be stopped, not fail.
        path = path.replace("/auth/user/1/", f"/auth/user/{target.pk}/")
        response = getattr(client, method)(path, {"post": "yes"} if method == "post" else None)
        answers[path] = (response.status_code, response.get("Location"))

    opened = {path: answer for path, answer in answers.items() if answer != (302, reverse("mfa_activate_totp"))}
    assert not opened, opened
    assert type(target).objects.filter(pk=target.pk).exists()
    assert signed_in_user_id(client) == staff.pk


@pytest.mark.django_db
def test_staff_with_totp_do_reach_the_admin(client, staff):
    """The walk above proves the middleware, not a broken admin."""
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:members_person_changelist")).status_code == 200


@pytest.mark.django_db
def test_logging_out_of_the_admin_needs_no_second_factor(client, staff):
    client.force_login(staff)

    response = client.post(reverse("admin:logout"))

    assert response.status_code == 302
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_recovery_codes_alone_are_not_a_second_factor_for_the_admin(client, staff):
    """Recovery codes exist only beside an authenticator app; without one, set one up."""
    RecoveryCodes.activate(staff)
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response["Location"] == reverse("mfa_activate_totp")


def _totp_queries(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "mfa_authenticator" in query["sql"]]


@pytest.mark.django_db
def test_the_second_factor_is_looked_up_once_until_an_authenticator_changes(client, staff):
    """Every admin request checks for TOTP; the answer is kept while the logins' version stands."""
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:index")).status_code == 200
    assert _totp_queries(queries) == []


def _remove_by_queryset(staff) -> None:
    Authenticator.objects.filter(user=staff).delete()


def _remove_by_raw_sql(staff) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM mfa_authenticator WHERE user_id = %s", [staff.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("remove", [_remove_by_queryset, _remove_by_raw_sql])
def test_an_authenticator_removed_any_way_is_missed_on_the_next_admin_request(client, staff, remove):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200  # now from the process's answer

    remove(staff)

    assert client.get(reverse("admin:index"))["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_a_totp_set_up_is_seen_on_the_next_admin_request(client, staff):
    client.force_login(staff)
    assert client.get(reverse("admin:index"))["Location"] == reverse("mfa_activate_totp")

    TOTP.activate(staff, generate_totp_secret())

    assert client.get(reverse("admin:index")).status_code == 200


# --- a TOTP code works once ------------------------------------------------------------------


def log_in_with_totp(client: Client, staff, code: str):
    response = password_login(client, staff, next_url=reverse("admin:index"))
    assert response["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": code})


@pytest.mark.django_db
@pytest.mark.parametrize("later", [0, 1, 29, 31, 59, 89], ids=lambda s: f"{s}s-later")
def test_a_totp_code_cannot_be_used_for_a_second_login(staff, clock, later):
    """Someone who saw the code (over a shoulder, on a phishing page) cannot log in with it after
    its owner did: not in the same 30-second step, nor in the next ones."""
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    code = totp_code(secret)
    owner = Client()
    assert log_in_with_totp(owner, staff, code)["Location"] == reverse("admin:index")
    assert signed_in_user_id(owner) == staff.pk

    clock.shift(dt.timedelta(seconds=later))
    thief = Client()
    response = log_in_with_totp(thief, staff, code)

    assert response.status_code == 200
    assert "Forkert kode" in response.content.decode()
    assert signed_in_user_id(thief) is None


@pytest.mark.django_db
def test_the_next_code_from_the_app_works(staff, clock):
    """The refusal above is of the used code, not of the user."""
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    log_in_with_totp(Client(), staff, totp_code(secret))

    clock.shift(dt.timedelta(seconds=30))
    client = Client()
    log_in_with_totp(client, staff, totp_code(secret))

    assert signed_in_user_id(client) == staff.pk


# --- staff sessions end --------------------------------------------------------------------------


def open_admin(client: Client):
    return client.get(reverse("admin:index"))


def assert_sent_to_login(response, client: Client, message: str) -> None:
    assert response.status_code == 302
    assert is_login_url(response["Location"], next_url=reverse("admin:index"))
    assert signed_in_user_id(client) is None
    assert message in client.get(response["Location"]).content.decode()


IDLE_MESSAGE = "Du er logget ud, fordi du ikke har brugt portalen i 30 minutter"
ABSOLUTE_MESSAGE = "Du er logget ud, fordi du har været logget ind i 12 timer"


@pytest.mark.django_db
def test_a_staff_session_survives_29_idle_minutes(client, staff, clock):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    open_admin(client)

    clock.shift(dt.timedelta(minutes=29))

    assert open_admin(client).status_code == 200


@pytest.mark.django_db
def test_a_staff_session_ends_after_30_idle_minutes(client, staff, clock):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    open_admin(client)

    clock.shift(dt.timedelta(minutes=30, seconds=1))

    assert_sent_to_login(open_admin(client), client, IDLE_MESSAGE)


@pytest.mark.django_db
def test_the_idle_clock_starts_at_the_login_not_at_the_next_request(staff, clock):
    """A staff login that is never followed by a request (a stolen cookie used later) also ends."""
    client = Client()
    assert password_login(client, staff).status_code == 302
    assert signed_in_user_id(client) == staff.pk

    clock.shift(dt.timedelta(minutes=31))

    assert_sent_to_login(open_admin(client), client, IDLE_MESSAGE)


@pytest.mark.django_db
def test_a_busy_staff_session_ends_12_hours_after_the_login(staff, clock):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    client = Client()
    log_in_with_totp(client, staff, totp_code(secret))

    for _step in range(12 * 60 // 20 - 1):  # a request every 20 minutes until 11:40
        clock.shift(dt.timedelta(minutes=20))
        assert open_admin(client).status_code == 200
    clock.shift(dt.timedelta(minutes=19, seconds=59))
    assert open_admin(client).status_code == 200

    clock.shift(dt.timedelta(seconds=1))

    assert_sent_to_login(open_admin(client), client, ABSOLUTE_MESSAGE)
    # A new login starts a new 12 hours.
    clock.shift(dt.timedelta(seconds=30))
    log_in_with_totp(client, staff, totp_code(secret))
    clock.shift(dt.timedelta(minutes=20))
    assert open_admin(client).status_code == 200


@pytest.mark.django_db
def test_the_12_hours_count_from_the_login_not_from_the_first_page(staff, clock):
    client = Client()
    password_login(client, staff)  # staff without TOTP may log in, just not open the admin

    clock.shift(dt.timedelta(minutes=20))
    for _step in range(12 * 3 - 1):
        assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=20))

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_a_session_that_predates_the_login_stamp_gets_12_hours_from_now(client, staff, clock):
    """Sessions logged in before this rule (or by force_login) have no stamp: the first request
    sets one, rather than logging everyone out or never."""
    client.force_login(staff)
    assert auth.LOGIN_AT_KEY not in client.session

    client.get(reverse("home"))

    assert client.session[auth.LOGIN_AT_KEY] == int(NOW.timestamp())


@pytest.mark.django_db
@pytest.mark.parametrize("every", [dt.timedelta(minutes=20), dt.timedelta(hours=13)], ids=["busy", "idle"])
def test_members_keep_their_session_past_12_hours(client, member, clock, every):
    client.force_login(member.user)
    client.get(reverse("home"))

    for _step in range(13 * 3 if every < dt.timedelta(hours=1) else 1):
        clock.shift(every)
        assert client.get(reverse("home")).status_code == 200

    assert signed_in_user_id(client) == member.user.pk
    assert auth.LOGIN_AT_KEY not in client.session
    assert auth.LAST_ACTIVITY_KEY not in client.session


@pytest.mark.django_db
def test_a_member_who_logs_in_by_code_gets_no_staff_clock(client, member, clock):
    request_code(client, member.user.email)
    confirm_code(client, mailed_code(member.user.email))
    assert signed_in_user_id(client) == member.user.pk

    clock.shift(dt.timedelta(hours=13))

    assert client.get(reverse("home")).status_code == 200
    assert auth.LOGIN_AT_KEY not in client.session
