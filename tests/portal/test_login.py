"""Logging in: members by a code sent by email, staff by password and TOTP, and nothing else.

The code is read from the outgoing mail (the locmem backend of settings_test). Time is moved
with time_machine where the test depends on it (TOTP codes, idle sessions).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from kkr_portal import auth
from tests import factories

PASSWORD = "korrekt-hest-batteri-haefteklamme"  # noqa: S105 (UserFactory's)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
# The code stands alone on an indented line of the mail.
MAILED_CODE = re.compile(r"^\s+([A-Z0-9]{4}(?:-?[A-Z0-9]{4})+)\s*$", re.MULTILINE)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts attempts in the cache; every test starts, and leaves, with none counted."""
    cache.clear()
    yield
    cache.clear()


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


# --- helpers -------------------------------------------------------------------------------


def request_code(client, email: str, next_url: str | None = None):
    url = reverse("account_request_login_code")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return client.post(url, {"email": email})


def mailed_code(email: str) -> str:
    message = mail.outbox[-1]
    assert message.to == [email]
    match = MAILED_CODE.search(message.body)
    assert match, message.body
    return match.group(1)


def confirm_code(client, code: str):
    return client.post(reverse("account_confirm_login_code"), {"code": code})


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def password_login(client, user, next_url: str | None = None):
    url = reverse("account_login")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return client.post(url, {"login": user.email, "password": PASSWORD})


def is_login_url(url: str, next_url: str) -> bool:
    parts = urlsplit(url)
    return parts.path == reverse("account_login") and parse_qs(parts.query) == {"next": [next_url]}


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def without_csrf(response) -> bytes:
    return CSRF_TOKEN.sub('name="csrfmiddlewaretoken" value="…"', response.content.decode()).encode()


# --- members: a code by email ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_offers_a_code_by_email_first(client):
    response = client.get(reverse("account_login"))

    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="da">' in content
    assert "Send mig en kode" in content
    code_form = content.index(f'action="{reverse("account_request_login_code")}"')
    password_form = content.index(f'action="{reverse("account_login")}"')
    assert code_form < password_form
    # No invitation to sign up anywhere.
    assert reverse("account_signup") not in content


@pytest.mark.django_db
def test_a_member_logs_in_with_the_code_from_the_mail(client, member):
    response = request_code(client, member.user.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[KKR Portal] Din kode til at logge ind"
    assert "KKR Portal" in message.body
    assert signed_in_user_id(client) is None

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Skriv koden fra din e-mail" in page.content.decode()

    response = confirm_code(client, mailed_code(member.user.email))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == member.user.pk


@pytest.mark.django_db
def test_the_code_login_returns_to_the_page_that_asked_for_it(client, member):
    response = request_code(client, member.user.email, next_url="/min-side/")
    assert response["Location"] == reverse("account_confirm_login_code") + "?next=%2Fmin-side%2F"

    url = response["Location"]
    response = client.post(url, {"code": mailed_code(member.user.email), "next": "/min-side/"})

    assert response.status_code == 302
    assert response["Location"] == "/min-side/"
    assert signed_in_user_id(client) == member.user.pk


@pytest.mark.django_db
def test_the_code_can_be_typed_in_lower_case_and_without_the_dash(client, member):
    request_code(client, member.user.email)
    code = mailed_code(member.user.email).replace("-", "").lower()

    confirm_code(client, code)

    assert signed_in_user_id(client) == member.user.pk


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_and_no_mail(member):
    """Byte for byte the same pages (but for the CSRF token and the address the visitor typed)."""
    known, unknown = Client(), Client()
    known_email, unknown_email = member.user.email, "ukendt@example.dk"

    answers = {}
    for client, email in ((known, known_email), (unknown, unknown_email)):
        posted = request_code(client, email)
        page = client.get(posted["Location"])
        wrong = confirm_code(client, "BBBB-BBBB")
        answers[email] = [
            (response.status_code, response.get("Location"), without_csrf(response).replace(email.encode(), b"ADDR"))
            for response in (posted, page, wrong)
        ]

    assert answers[known_email] == answers[unknown_email]
    assert answers[known_email][0][:2] == (302, reverse("account_confirm_login_code"))
    assert answers[known_email][1][0] == 200
    assert b"Forkert kode" in answers[known_email][2][2]
    # The known address got its code; the unknown one got nothing, not even a "no such account" mail.
    assert [message.to for message in mail.outbox] == [[known_email]]


@pytest.mark.django_db
def test_an_unknown_address_never_logs_in(client):
    request_code(client, "ukendt@example.dk")

    for _attempt in range(3):
        confirm_code(client, "BBBB-BBBB")

    assert signed_in_user_id(client) is None
    assert not get_user_model().objects.filter(email="ukendt@example.dk").exists()


@pytest.mark.django_db
def test_three_wrong_codes_end_the_code(client, member):
    request_code(client, member.user.email)
    code = mailed_code(member.user.email)

    for _attempt in range(2):
        response = confirm_code(client, "BBBB-BBBB")
        assert response.status_code == 200
        assert "Forkert kode" in response.content.decode()
    response = confirm_code(client, "BBBB-BBBB")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_request_login_code")
    page = client.get(response["Location"]).content.decode()
    assert "for mange" in page.lower()
    # The right code no longer helps: the attempt is over.
    response = confirm_code(client, code)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_request_login_code")
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_nobody_can_sign_up(client):
    page = client.get(reverse("account_signup"))
    posted = client.post(reverse("account_signup"), {"email": "ny@example.dk", "password1": PASSWORD})

    for response in (page, posted):
        content = response.content.decode()
        assert response.status_code == 200
        assert response.templates[0].name == "account/signup_closed.html"
        assert "Du kan ikke selv oprette dig som bruger" in content
        assert 'name="email"' not in content
    assert not get_user_model().objects.filter(email="ny@example.dk").exists()
    assert mail.outbox == []


# --- rate limits -------------------------------------------------------------------------------


def assert_portal_429(response):
    content = response.content.decode()
    assert response.status_code == 429
    assert '<html lang="da">' in content
    assert "For mange forsøg" in content
    assert reverse("account_login") in content


@pytest.mark.django_db
@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unknown"])
def test_asking_for_codes_again_and_again_answers_429(member, registered):
    """Three codes a minute for one address (a fresh browser each time, as a script would)."""
    email = member.user.email if registered else "ukendt@example.dk"

    answers = [request_code(Client(), email) for _attempt in range(4)]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 429]
    assert_portal_429(answers[-1])
    assert len(mail.outbox) == (3 if registered else 0)


@pytest.mark.django_db
def test_asking_for_codes_for_many_addresses_from_one_place_answers_429(db):
    answers = [request_code(Client(), f"person{n}@example.dk") for n in range(21)]

    assert {answer.status_code for answer in answers[:20]} == {302}
    assert_portal_429(answers[20])


@pytest.mark.django_db
def test_guessing_a_password_answers_429(staff):
    client = Client()
    answers = [
        client.post(reverse("account_login"), {"login": staff.email, "password": f"forkert-{n}"}) for n in range(6)
    ]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    assert_portal_429(answers[-1])
    # The right password does not help while the limit lasts.
    assert password_login(client, staff).status_code == 429
    assert signed_in_user_id(client) is None


# --- staff: password and TOTP ------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_without_totp_must_set_it_up_before_the_admin_opens(client, staff, clock):
    response = password_login(client, staff)
    assert response.status_code == 302
    assert signed_in_user_id(client) == staff.pk

    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    response = client.get(reverse("admin:members_person_changelist"))
    assert response["Location"] == reverse("mfa_activate_totp")

    # allauth asks for the password once more before an authenticator is added.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "Administrationen kræver login med to faktorer" in page.content.decode()
    secret = page.context["form"].secret

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()

    assert client.get(reverse("admin:index")).status_code == 200

    # From now on the password alone is not enough.
    client.post(reverse("account_logout"))
    clock.shift(dt.timedelta(minutes=1))
    response = password_login(client, staff, next_url=reverse("admin:index"))
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert signed_in_user_id(client) == staff.pk
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_staff_with_totp_give_the_code_after_the_password(client, staff, clock):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = password_login(client, staff)
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None

    page = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert page.status_code == 200
    assert signed_in_user_id(client) is None

    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert signed_in_user_id(client) == staff.pk
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_a_login_code_does_not_skip_the_second_factor(client, staff):
    TOTP.activate(staff, generate_totp_secret())

    request_code(client, staff.email)
    response = confirm_code(client, mailed_code(staff.email))

    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_members_need_no_second_factor_outside_the_admin(client, member):
    client.force_login(member.user)

    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_the_requirement_can_be_switched_off_by_a_setting(client, staff, settings):
    settings.KKR_REQUIRE_STAFF_MFA = False
    client.force_login(staff)

    assert client.get(reverse("admin:index")).status_code == 200


# --- the admin's own login and logout ----------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_login_is_the_portal_login_with_next_kept(client):
    changelist = reverse("admin:members_person_changelist")

    response = client.get(reverse("admin:login"), {"next": changelist})

    assert response.status_code == 302
    assert is_login_url(response["Location"], next_url=changelist)


@pytest.mark.django_db
def test_an_admin_page_sends_a_visitor_to_the_portal_login(client):
    response = client.get(reverse("admin:index"), follow=True)

    assert is_login_url(response.redirect_chain[-1][0], next_url=reverse("admin:index"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_posting_a_password_to_the_admin_login_logs_nobody_in(client, staff):
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_a_member_in_the_admin_is_refused_without_a_redirect_loop(client, member):
    client.force_login(member.user)

    response = client.get(reverse("admin:index"), follow=True)

    assert response.status_code == 403
    assert len(response.redirect_chain) == 1


@pytest.mark.django_db
def test_the_admin_logout_is_the_portal_logout(client, staff):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    response = client.post(reverse("admin:logout"))

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) is None


# --- idle sessions -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_staff_session_ends_after_30_idle_minutes(client, staff, clock):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200

    clock.shift(dt.timedelta(minutes=31))
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert is_login_url(response["Location"], next_url=reverse("admin:index"))
    assert signed_in_user_id(client) is None
    page = client.get(response["Location"]).content.decode()
    assert "Du er logget ud, fordi du ikke har brugt portalen i 30 minutter" in page


@pytest.mark.django_db
def test_a_staff_session_ends_on_any_page_not_only_the_admin(client, staff, clock):
    client.force_login(staff)
    client.get(reverse("home"))

    clock.shift(dt.timedelta(minutes=31))
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_a_working_staff_user_stays_logged_in(client, staff, clock):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    for _step in range(6):  # two and a half hours, a request every 25 minutes
        assert client.get(reverse("admin:index")).status_code == 200
        clock.shift(dt.timedelta(minutes=25))

    assert signed_in_user_id(client) == staff.pk


@pytest.mark.django_db
def test_a_member_stays_logged_in_after_31_idle_minutes(client, member, clock):
    client.force_login(member.user)
    client.get(reverse("home"))

    clock.shift(dt.timedelta(minutes=31))
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert signed_in_user_id(client) == member.user.pk
    assert auth.LAST_ACTIVITY_KEY not in client.session
