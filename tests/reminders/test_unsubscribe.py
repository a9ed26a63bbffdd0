"""The one-click unsubscribe link: no login, GET asks, POST turns the kind off, tampering is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reminders import emails
from reminders.models import Delivery, ReminderOptOut, ReminderRule
from reminders.services import wanted_kinds
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return factories.PersonFactory(name="Anne Hansen", email="anne@example.dk")


def url_for(token: str) -> str:
    return reverse("reminders:unsubscribe", args=[token])


@pytest.fixture
def url(person) -> str:
    return url_for(emails.unsubscribe_token(person_id=person.pk, kind="meeting"))


def test_opening_the_link_asks_first_and_changes_nothing(client, url, person):
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Vil du, Anne Hansen, frameldes påmindelser om møder?" in text
    assert 'method="post"' in text
    assert not ReminderOptOut.objects.exists()


def test_neither_the_question_nor_the_answer_is_kept_by_a_browser_or_proxy(client, url):
    """The page names the person (or the address) the link belongs to."""
    for response in (client.get(url), client.post(url)):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_confirming_turns_off_that_kind_only(client, url, person):
    page = client.post(url)
    assert page.status_code == 200
    assert "Du får ikke længere påmindelser om møder." in page.content.decode()
    assert wanted_kinds(person) == {"milestone", "term_end"}


def test_a_mail_clients_one_click_post_needs_no_csrf_token_and_no_login(url, person):
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert wanted_kinds(person) == {"milestone", "term_end"}


def test_unsubscribing_twice_is_harmless(client, url, person):
    client.post(url)
    assert client.post(url).status_code == 200
    assert list(ReminderOptOut.objects.values_list("kind", flat=True)) == ["meeting"]


def test_other_kinds_already_off_stay_off(client, url, person):
    ReminderOptOut.objects.create(person=person, kind="term_end")
    client.post(url)
    assert wanted_kinds(person) == {"milestone"}


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "eyJwIjoxLCJrIjoibWVldGluZyJ9:1xXxEu:forged",
        signing.dumps({"p": 1, "k": "meeting"}, salt="another.purpose"),
    ],
    ids=["garbage", "forged-signature", "other-salt"],
)
def test_a_tampered_link_is_the_portals_404_and_changes_nothing(client, person, token):
    for method in (client.get, client.post):
        response = method(url_for(token))
        assert response.status_code == 404
        assert "Siden findes ikke" in response.content.decode()
    assert not ReminderOptOut.objects.exists()


def test_a_link_whose_person_was_changed_in_the_token_is_a_404(client, person):
    other = factories.PersonFactory()
    token = emails.unsubscribe_token(person_id=person.pk, kind="meeting")
    payload, rest = token.split(":", 1)
    forged_payload = emails.unsubscribe_token(person_id=other.pk, kind="meeting").split(":", 1)[0]
    assert client.post(url_for(f"{forged_payload}:{rest}")).status_code == 404
    assert not ReminderOptOut.objects.exists()
    assert payload != forged_payload


def test_a_signed_link_for_an_unknown_kind_or_person_is_a_404(client, person):
    unknown_kind = signing.dumps({"p": person.pk, "k": "birthday"}, salt=emails.UNSUBSCRIBE_SALT, compress=True)
    unknown_person = emails.unsubscribe_token(person_id=person.pk + 1000, kind="meeting")
    wrong_shape = signing.dumps(["meeting"], salt=emails.UNSUBSCRIBE_SALT)
    for token in (unknown_kind, unknown_person, wrong_shape):
        assert client.post(url_for(token)).status_code == 404
    assert not ReminderOptOut.objects.exists()


def test_other_methods_are_refused(client, url):
    assert client.put(url).status_code == 405


# --- a secretariat contact's address (not a person in the portal) -------------------------------


def address_delivery(email: str) -> Delivery:
    """A deadline reminder sent to a secretariat contact's address (no person in the portal)."""
    rule = ReminderRule.objects.filter(kind="milestone").order_by("pk").first()
    occasion = timezone.now()
    due = occasion - dt.timedelta(days=rule.days_before)
    return Delivery.objects.create(
        rule=rule, occasion_type="milestone", occasion_id=7, occasion_at=occasion, email=email, due_at=due
    )


def address_token(email: str) -> str:
    return emails.unsubscribe_token(delivery_id=address_delivery(email).pk, kind="milestone")


@pytest.fixture
def address_url() -> str:
    return url_for(address_token("sara@kl.dk"))


def test_an_address_link_names_no_address_in_the_url(address_url):
    assert "sara" not in signing.b64_decode(address_url.split("/")[-2].split(":")[0].lstrip(".").encode()).decode(
        "latin-1"
    )


def test_an_address_link_asks_first_and_changes_nothing(client, address_url):
    page = client.get(address_url)
    assert page.status_code == 200
    assert "sara@kl.dk" in page.content.decode()
    assert "frister i aftaler" in page.content.decode()
    assert not ReminderOptOut.objects.exists()


def test_a_one_click_post_unsubscribes_the_address_from_that_kind_only(address_url):
    for _ in range(2):
        assert Client(enforce_csrf_checks=True).post(address_url).status_code == 200
    assert list(ReminderOptOut.objects.values_list("person", "email", "kind")) == [(None, "sara@kl.dk", "milestone")]


def test_an_address_link_in_other_case_is_the_same_opt_out(client, address_url):
    client.post(address_url)
    client.post(url_for(address_token("Sara@KL.dk")))
    assert ReminderOptOut.objects.count() == 1


def test_an_address_whose_token_was_changed_is_a_404(client, address_url):
    token = address_token("sara@kl.dk")
    forged_payload = address_token("boss@kl.dk").split(":", 1)[0]
    assert client.post(url_for(f"{forged_payload}:{token.split(':', 1)[1]}")).status_code == 404
    both = signing.dumps({"p": 1, "e": "sara@kl.dk", "k": "milestone"}, salt=emails.UNSUBSCRIBE_SALT, compress=True)
    empty = signing.dumps({"e": "", "k": "milestone"}, salt=emails.UNSUBSCRIBE_SALT, compress=True)
    for token in (both, empty):
        assert client.post(url_for(token)).status_code == 404
    assert not ReminderOptOut.objects.exists()
