"""The delete page and the delete action list only what the user may see (kkr_portal.admin_scope).

Django's delete confirmation walks every relation of the row unscoped and names each related row
with a link; staff of one KKR must not learn another KKR's rows that way, nor delete them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from fora import services as fora_services
from members import services as member_services
from members.models import AgendaItem, Meeting, Person
from reminders.models import ReminderKind, ReminderOptOut
from tests import factories
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_a(client, staff_syddanmark):
    """Syddanmark's staff with every permission: only the scoping stands in the way."""
    staff_syddanmark.user_permissions.set(Permission.objects.all())
    client.force_login(staff_syddanmark)
    return client


@pytest.fixture
def shared_person(odense, roskilde, sjaelland, period):
    """A councillor of Odense (KKR Syddanmark) who also sat in Roskilde's council and holds a
    seat in a forum of KKR Sjælland."""
    person = councillor(roskilde, period, name="Delt Person")
    forum = factories.ForumFactory(council=sjaelland, name="Sjællands Hemmelige Forum", slug="hemmeligt")
    seat = factories.SeatFactory(forum=forum, period=period, label="Hemmelig Plads")
    fora_services.propose(seat=seat, person=person, starts_on=period.starts_on + dt.timedelta(days=30))
    moved_on = period.starts_on + dt.timedelta(days=60)
    member_services.end_council_seat(seat=person.council_seats.get(), ended_on=moved_on)
    member_services.add_council_seat(
        person=person, municipality=odense, period=period, started_on=moved_on + dt.timedelta(days=1)
    )
    return person


def _delete_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])


def test_the_delete_page_names_no_row_of_another_kkr_and_counts_them(client_a, shared_person):
    response = client_a.get(_delete_url(shared_person))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Hemmelig Plads" not in page
    assert "Sjællands Hemmelige Forum" not in page
    assert "2 rækker i et andet KKR" in page
    # The user's own related rows are still named (the Odense council seat).
    assert "Odense" in page


def test_a_delete_of_a_row_tied_to_another_kkr_is_refused(client_a, shared_person):
    response = client_a.post(_delete_url(shared_person), {"post": "yes"})

    assert response.status_code == 200
    assert "2 rækker i et andet KKR" in response.content.decode()
    assert Person.objects.filter(pk=shared_person.pk).exists()


def test_the_delete_selected_confirmation_names_no_row_of_another_kkr(client_a, shared_person):
    url = reverse("admin:members_person_changelist")
    data = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [shared_person.pk], "index": 0}

    confirmation = client_a.post(url, data)
    confirmed = client_a.post(url, {**data, "post": "yes"})

    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    assert "Hemmelig Plads" not in page
    assert "Sjællands Hemmelige Forum" not in page
    assert "2 rækker i et andet KKR" in page
    assert "Hemmelig Plads" not in confirmed.content.decode()
    assert Person.objects.filter(pk=shared_person.pk).exists()


def test_a_delete_within_the_kkr_lists_its_rows_and_goes_through(client_a, syddanmark):
    meeting = factories.MeetingFactory(council=syddanmark, title="Decembermøde")
    AgendaItem.objects.create(meeting=meeting, number=1, title="Godkendelse af referat")

    page = client_a.get(_delete_url(meeting)).content.decode()
    response = client_a.post(_delete_url(meeting), {"post": "yes"})

    assert "Godkendelse af referat" in page
    assert "andet KKR" not in page
    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()


def test_rows_only_kl_sees_are_counted_not_named_and_go_with_the_row(client_a):
    person = factories.PersonFactory(name="Ny Person")
    ReminderOptOut.objects.create(person=person, kind=ReminderKind.MEETING)

    page = client_a.get(_delete_url(person)).content.decode()
    response = client_a.post(_delete_url(person), {"post": "yes"})

    assert "1 række, som kun KL&#x27;s administratorer kan se" in page
    assert "Fravalg" not in page
    assert response.status_code == 302
    assert not ReminderOptOut.objects.filter(person_id=person.pk).exists()


def test_the_superuser_sees_every_related_row_by_name(client, superuser, shared_person):
    client.force_login(superuser)
    page = client.get(_delete_url(shared_person)).content.decode()
    assert "Hemmelig Plads" in page
