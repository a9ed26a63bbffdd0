"""A person's roles on the person's page, and a forum's appointments on the forum's page.

Read-only, linked to each row's own page (where its rules and consequences apply), scoped to the
staff user's KKRs, and with a number of queries that does not grow with the rows shown.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fora import services as fora_services
from fora.models import Appointment
from members import services as member_services
from members.models import CouncilSeat, KKRMembership
from tests import factories, rules_helpers
from tests.rules_helpers import admin_post, admin_url, councillor

pytestmark = pytest.mark.django_db
frozen_today = rules_helpers.frozen_today


@pytest.fixture
def staff_client(client, staff_syddanmark, frozen_today):
    staff_syddanmark.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["fora", "members"]))
    client.force_login(staff_syddanmark)
    return client


def inline_rows(response) -> dict[str, list]:
    return {
        inline.formset.model._meta.model_name: [form.instance for form in inline.formset.initial_forms]
        for inline in response.context["inline_admin_formsets"]
    }


def appoint(person, forum, period, start):
    seat = factories.SeatFactory(forum=forum, period=period)
    appointment = fora_services.propose(seat=seat, person=person, starts_on=start)
    return fora_services.appoint(appointment=appointment, appointed_on=start)


@pytest.fixture
def mayor(odense, period):
    person = factories.PersonFactory(name="Peter Rahbæk")
    member_services.record_mayor(person=person, municipality=odense, period=period, started_on=period.starts_on)
    return person


def test_the_person_page_shows_their_council_seats_memberships_and_appointments(staff_client, mayor, period):
    appointment = appoint(mayor, factories.ForumFactory(), period, period.starts_on + dt.timedelta(days=30))

    response = staff_client.get(admin_url(type(mayor), mayor))

    assert inline_rows(response) == {
        "councilseat": [mayor.council_seats.get()],
        "kkrmembership": [mayor.memberships.get()],
        "appointment": [appointment],
    }
    page = response.content.decode()
    assert reverse("admin:fora_appointment_change", args=[appointment.pk]) in page
    assert reverse("admin:members_councilseat_change", args=[mayor.council_seats.get().pk]) in page


def test_staff_see_only_their_own_kkrs_rows_on_a_person_with_roles_in_two(
    staff_client, odense, roskilde, sjaelland, period, period_2022
):
    person = councillor(roskilde, period_2022, started_on=period_2022.starts_on, name="Hanne Hansen")
    member_services.add_membership(
        person=person, council=sjaelland, period=period_2022, basis="supplementary", started_on=period_2022.starts_on
    )
    sjaelland_forum = factories.ForumFactory(council=sjaelland)
    foreign = appoint(person, sjaelland_forum, period_2022, period_2022.starts_on + dt.timedelta(days=30))
    own_seat = member_services.add_council_seat(
        person=person, municipality=odense, period=period, started_on=period.starts_on
    )

    response = staff_client.get(admin_url(type(person), person))

    assert inline_rows(response) == {"councilseat": [own_seat], "kkrmembership": [], "appointment": []}
    assert reverse("admin:fora_appointment_change", args=[foreign.pk]) not in response.content.decode()


def test_the_inlines_are_read_only_and_a_posted_inline_row_changes_nothing(staff_client, mayor):
    seat = mayor.council_seats.get()
    membership = mayor.memberships.get()
    page = staff_client.get(admin_url(type(mayor), mayor))
    assert all(not inline.has_change_permission for inline in page.context["inline_admin_formsets"])

    admin_post(
        staff_client,
        type(mayor),
        mayor,
        **{
            "council_seats-TOTAL_FORMS": "1",
            "council_seats-INITIAL_FORMS": "1",
            "council_seats-0-id": str(seat.pk),
            "council_seats-0-person": str(mayor.pk),
            "council_seats-0-ended_on": "2026-06-30",
            "council_seats-0-role": "member",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-council": "1",
            "memberships-0-basis": "supplementary",
            "memberships-0-started_on": "2026-02-01",
        },
    )

    seat.refresh_from_db()
    assert (seat.ended_on, seat.role) == (None, "mayor")
    assert list(KKRMembership.objects.filter(person=mayor)) == [membership]


def test_the_person_page_makes_as_many_queries_for_many_roles_as_for_one(
    staff_client, mayor, period, syddanmark, middelfart
):
    start = period.starts_on + dt.timedelta(days=30)
    appoint(mayor, factories.ForumFactory(), period, start)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(admin_url(type(mayor), mayor)).status_code == 200
        return len(captured)

    queries()  # the session's first page also saves the session and caches content types
    one = queries()
    for _number in range(5):
        appoint(mayor, factories.ForumFactory(), period, start)
    seat = mayor.council_seats.get()
    member_services.end_council_seat(seat=seat, ended_on=start)
    member_services.add_council_seat(
        person=mayor, municipality=middelfart, period=period, started_on=start + dt.timedelta(days=1)
    )

    assert CouncilSeat.objects.filter(person=mayor).count() == 2
    assert queries() == one


# --- the forum's appointments ---------------------------------------------------------------------


def test_the_forum_page_lists_its_current_appointments_with_links(staff_client, odense, period):
    forum = factories.ForumFactory()
    start = period.starts_on + dt.timedelta(days=30)
    held = appoint(councillor(odense, period, name="Inge Isaksen"), forum, period, start)
    proposed = fora_services.propose(
        seat=factories.SeatFactory(forum=forum, period=period),
        person=councillor(odense, period, name="Jens Juhl"),
        starts_on=start,
    )
    withdrawn = fora_services.propose(
        seat=factories.SeatFactory(forum=forum, period=period),
        person=councillor(odense, period, name="Kirsten Krag"),
        starts_on=start,
    )
    fora_services.end(appointment=withdrawn, ended_on=start, reason="withdrawn")

    page = staff_client.get(admin_url(type(forum), forum)).content.decode()

    for row in (held, proposed):
        assert reverse("admin:fora_appointment_change", args=[row.pk]) in page
    assert "Inge Isaksen" in page
    assert "Jens Juhl" in page
    assert "Kirsten Krag" not in page


def test_the_forum_page_makes_as_many_queries_for_many_appointments_as_for_one(staff_client, odense, period):
    forum = factories.ForumFactory()
    start = period.starts_on + dt.timedelta(days=30)
    appoint(councillor(odense, period), forum, period, start)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(admin_url(type(forum), forum)).status_code == 200
        return len(captured)

    queries()
    one = queries()
    for _number in range(6):
        appoint(councillor(odense, period), forum, period, start)

    assert Appointment.objects.filter(seat__forum=forum).count() == 7
    assert queries() == one
