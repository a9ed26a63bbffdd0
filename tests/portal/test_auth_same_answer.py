"""Nobody learns who has an account (issue 7): every login door answers an unknown address exactly
as it answers a known one — status, redirect and page, byte for byte but for the CSRF token and
the address typed — also once the rate limit is used up. Only the mail differs: a known address
gets one, an unknown address none at all.

Each pair runs from two IP addresses, so that the per-IP limits of one side do not touch the other.
"""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.portal.test_login import without_csrf

UNKNOWN = "ukendt@example.dk"


@pytest.fixture(params=["staff", "member"])
def known(request, db) -> str:
    """A registered address: staff with a password and TOTP, or a member."""
    if request.param == "staff":
        user = factories.UserFactory(email="kl.admin@example.dk", is_staff=True)
        TOTP.activate(user, generate_totp_secret())
    else:
        user = factories.UserFactory(email="medlem@example.dk")
        factories.PersonFactory(user=user, email=user.email)
    return user.email


def answer(response, email: str) -> tuple:
    """What a visitor sees: status, where it sends them, and the page without the token and address."""
    body = without_csrf(response).replace(email.encode(), b"ADDR")
    return response.status_code, response.get("Location"), body


def both(known: str, script) -> dict[str, list[tuple]]:
    """Run the same steps for the known and the unknown address, each from its own IP."""
    answers = {}
    for n, email in enumerate((known, UNKNOWN)):
        address = f"192.0.2.{n + 1}"
        answers[email] = script(lambda address=address: Client(REMOTE_ADDR=address), email)
    return answers


def assert_same(answers: dict[str, list[tuple]], known: str) -> list[tuple]:
    assert answers[known] == answers[UNKNOWN]
    return answers[known]


# --- password login --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_wrong_password_answers_the_same_for_a_known_and_an_unknown_address(known):
    def script(new_client, email):
        client = new_client()
        page = client.get(reverse("account_login"))
        posts = [client.post(reverse("account_login"), {"login": email, "password": f"forkert-{n}"}) for n in range(6)]
        return [answer(response, email) for response in (page, *posts)]

    answers = assert_same(both(known, script), known)

    assert [status for status, _location, _body in answers] == [200] * 6 + [429]
    assert b"og/eller adgangskode er ikke korrekt" in answers[1][2]
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_admin_login_answers_the_same_for_a_known_and_an_unknown_address(known):
    def script(new_client, email):
        client = new_client()
        posted = client.post(reverse("admin:login"), {"username": email, "password": "forkert"})
        return [answer(posted, email)]

    answers = assert_same(both(known, script), known)

    assert answers[0][0] == 302
    assert answers[0][1].startswith(reverse("account_login"))


# --- password reset --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_password_reset_answers_the_same_for_a_known_and_an_unknown_address(known):
    def script(new_client, email):
        client = new_client()
        page = client.get(reverse("account_reset_password"))
        posted = client.post(reverse("account_reset_password"), {"email": email})
        done = client.get(posted["Location"])
        again = [client.post(reverse("account_reset_password"), {"email": email}) for _n in range(5)]
        return [answer(response, email) for response in (page, posted, done, *again)]

    answers = assert_same(both(known, script), known)

    assert answers[1][:2] == (302, reverse("account_reset_password_done"))
    assert answers[2][0] == 200
    # Five requests a minute for one address, then the portal's 429 page, for both alike.
    assert [status for status, _location, _body in answers[3:]] == [302] * 4 + [429]
    assert [message.to for message in mail.outbox] == [[known]] * 5


# --- a login code ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_login_code_request_answers_the_same_for_a_known_and_an_unknown_address(known):
    def script(new_client, email):
        client = new_client()
        posted = client.post(reverse("account_request_login_code"), {"email": email})
        page = client.get(posted["Location"])
        wrong = [client.post(reverse("account_confirm_login_code"), {"code": "BBBB-BBBB"}) for _n in range(3)]
        after = client.get(wrong[-1]["Location"])
        # A fresh browser for each (a browser with a code pending is only sent back to it).
        again = [new_client().post(reverse("account_request_login_code"), {"email": email}) for _n in range(3)]
        return [answer(response, email) for response in (posted, page, *wrong, after, *again)]

    answers = assert_same(both(known, script), known)

    assert answers[0][:2] == (302, reverse("account_confirm_login_code"))
    assert [status for status, _location, _body in answers[2:5]] == [200, 200, 302]
    # Three codes a minute for one address; the fourth request is the portal's 429 page.
    assert [status for status, _location, _body in answers[6:]] == [302, 302, 429]
    assert [message.to for message in mail.outbox] == [[known]] * 3
