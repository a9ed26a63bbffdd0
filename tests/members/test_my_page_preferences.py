"""Min side: reminder preferences and the personal calendar link, each its own form on one page."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from members import calendar
from members.models import CalendarFeed
from reminders.models import ReminderKind, ReminderOptOut
from reminders.services import unsubscribe, wanted_kinds
from tests.rules_helpers import NOW

pytestmark = pytest.mark.django_db

MY_PAGE = reverse("my_page")


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def text(response) -> str:
    return response.content.decode()


def test_every_kind_a_person_can_receive_is_on_until_they_turn_one_off(signed_in, member):
    response = signed_in.get(MY_PAGE)

    form = response.context["reminder_form"]
    assert set(form.initial["kinds"]) == {"meeting", "milestone"}
    content = text(response)
    assert 'name="save_reminders"' in content
    assert "frister i aftaler" in content


def test_term_end_reminders_go_to_the_secretariat_only_and_are_not_offered(signed_in, member):
    response = signed_in.get(MY_PAGE)

    assert [value for value, _label in response.context["reminder_form"].fields["kinds"].choices] == [
        "meeting",
        "milestone",
    ]
    assert 'value="term_end"' not in text(response)
    assert "udløb af udpegninger" not in text(response)


def test_posting_a_kind_that_is_not_offered_is_refused_and_nothing_changes(signed_in, member):
    response = signed_in.post(MY_PAGE, {"save_reminders": "1", "kinds": ["meeting", "term_end"]})

    assert response.status_code == 200
    assert response.context["reminder_form"].errors["kinds"] == ["term_end er ikke en type påmindelse, vi sender."]
    assert wanted_kinds(member) == set(ReminderKind.values)


def test_preferences_round_trip(signed_in, member):
    response = signed_in.post(MY_PAGE, {"save_reminders": "1", "kinds": ["meeting"]}, follow=True)

    assert "Dine valg af påmindelser er gemt." in text(response)
    assert wanted_kinds(member) == {"meeting", "term_end"}
    assert signed_in.get(MY_PAGE).context["reminder_form"].initial["kinds"] == ["meeting"]

    signed_in.post(MY_PAGE, {"save_reminders": "1", "kinds": ["milestone"]})
    assert wanted_kinds(member) == {"milestone", "term_end"}


def test_saving_the_form_keeps_a_stored_opt_out_of_a_kind_it_does_not_offer(signed_in, member):
    unsubscribe(person=member, kind="term_end")  # e.g. from before, or by a link

    signed_in.post(MY_PAGE, {"save_reminders": "1", "kinds": ["meeting", "milestone"]})

    assert wanted_kinds(member) == {"meeting", "milestone"}
    assert ReminderOptOut.objects.filter(person=member, kind="term_end").count() == 1


def test_turning_every_offered_kind_off_is_allowed(signed_in, member):
    signed_in.post(MY_PAGE, {"save_reminders": "1"})

    assert wanted_kinds(member) == {"term_end"}


def test_an_unknown_kind_is_refused_with_a_danish_message_and_nothing_changes(signed_in, member):
    response = signed_in.post(MY_PAGE, {"save_reminders": "1", "kinds": ["meeting", "spam"]})

    assert response.status_code == 200
    assert response.context["reminder_form"].errors["kinds"] == ["spam er ikke en type påmindelse, vi sender."]
    assert "spam er ikke en type påmindelse, vi sender." in text(response)
    assert wanted_kinds(member) == set(ReminderKind.values)


def test_saving_preferences_leaves_the_contact_details_alone(signed_in, member):
    before = member.history.count()

    signed_in.post(MY_PAGE, {"save_reminders": "1", "kinds": ["meeting"], "email": "ikke-en-adresse", "phone": "x"})

    member.refresh_from_db()
    assert member.email == "medlem@example.dk"
    assert member.history.count() == before


def test_the_contact_form_still_shows_its_own_errors(signed_in, member):
    response = signed_in.post(MY_PAGE, {"save": "Gem", "phone": "", "email": "ikke-en-adresse", "bio": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not response.context["reminder_form"].errors
    assert wanted_kinds(member) == set(ReminderKind.values)


# --- the calendar link ----------------------------------------------------------------------


def test_a_person_without_a_link_is_offered_one(signed_in, member):
    response = signed_in.get(MY_PAGE)

    assert response.context["feed_url"] is None
    assert "Opret mit kalenderlink" in text(response)
    assert not CalendarFeed.objects.filter(person=member).exists()


def test_creating_and_rotating_the_link_retires_the_old_url(signed_in, member, client):
    response = signed_in.post(MY_PAGE, {"rotate_feed": "1"}, follow=True)
    first = response.context["feed_url"]
    assert first.startswith("http://127.0.0.1:8000/kalender/")
    assert first in text(response)
    path = first.removeprefix("http://127.0.0.1:8000")
    assert signed_in.get(path).status_code == 200

    response = signed_in.post(MY_PAGE, {"rotate_feed": "1"}, follow=True)

    second = response.context["feed_url"]
    assert second != first
    assert "Dit kalenderlink er nyt. Det gamle link virker ikke længere." in text(response)
    assert signed_in.get(path).status_code == 404
    assert signed_in.get(second.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_the_link_shown_is_the_same_on_every_visit(signed_in, member):
    signed_in.post(MY_PAGE, {"rotate_feed": "1"})
    feed = CalendarFeed.objects.get(person=member)

    assert signed_in.get(MY_PAGE).context["feed_url"] == calendar.feed_url(feed)
    assert signed_in.get(MY_PAGE).context["feed_url"] == calendar.feed_url(feed)


def test_rotating_needs_a_login_and_a_post(client, signed_in, member):
    assert client.get(MY_PAGE + "?rotate_feed=1").status_code == 200  # signed in: a GET changes nothing
    assert not CalendarFeed.objects.filter(person=member).exists()
    client.logout()
    response = client.post(MY_PAGE, {"rotate_feed": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not CalendarFeed.objects.filter(person=member).exists()
