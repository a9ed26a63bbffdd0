"""What keeps the appointment change list's cost that of its page, not of the table (issue 6).

At the benchmark's 40x scale (26,000 appointments, 100,000 people) the page cost 577 ms: it
sorted every appointment joined to its person, counted the table twice and rendered a form widget
per row. These tests pin the shape of the fix; the figures are in ``make bench``.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fora import services
from fora.admin import AppointmentAdmin
from fora.models import Appointment
from tests import factories, rules_helpers
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

frozen_today = rules_helpers.frozen_today

CHANGELIST = reverse("admin:fora_appointment_changelist")
STARTED = dt.date(2026, 3, 1)


@pytest.fixture
def rows(frozen_today, syddanmark, odense, period) -> list[Appointment]:
    """Twelve appointments in three fora, every other one appointed, half of the people Jensens."""
    appointments = []
    for index in range(12):
        if index % 4 == 0:
            forum = factories.ForumFactory(council=syddanmark, name=f"Forum {'CBA'[index // 4]}")
        name = f"Person Jensen {index}" if index % 2 else f"Person Hansen {index}"
        appointment = services.propose(
            seat=factories.SeatFactory(forum=forum, label=f"Medlem {index}", position=index % 3),
            person=councillor(odense, period, name=name),
            starts_on=STARTED + dt.timedelta(days=index),
        )
        if index % 2:
            appointment = services.appoint(appointment=appointment, appointed_on=appointment.starts_on)
        appointments.append(appointment)
    return appointments


@pytest.fixture
def client_syd(client, staff_syddanmark):
    staff_syddanmark.user_permissions.set(Permission.objects.all())
    client.force_login(staff_syddanmark)
    return client


def _get(client, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, params or {})
    assert response.status_code == 200
    return response, [query["sql"] for query in queries.captured_queries]


PAGES = {
    "all": {},
    "filter": {"status__exact": "appointed"},
    "search": {"q": "jensen"},
    "seat kind filter": {"seat__kind__exact": "member"},
    "ordered by status": {"o": "-3"},
}


@pytest.mark.parametrize("params", PAGES.values(), ids=PAGES.keys())
def test_the_page_is_chosen_without_joining_the_people(client_syd, rows, params):
    # Joined, PostgreSQL may hash every person to find a page's hundred; the people are read
    # for the page's ids only.
    _response, queries = _get(client_syd, params)
    people_joined = [sql for sql in queries if 'JOIN "members_person"' in sql]
    assert people_joined
    assert all('WHERE "fora_appointment"."id" IN (' in sql for sql in people_joined), people_joined


@pytest.mark.parametrize("params", PAGES.values(), ids=PAGES.keys())
def test_the_page_is_in_the_order_django_asks_for(client_syd, rows, params):
    response, _queries = _get(client_syd, params)
    cl = response.context["cl"]
    shown = [appointment.pk for appointment in cl.result_list]
    assert shown
    assert shown == list(cl.queryset.values_list("pk", flat=True))


def test_the_default_order_is_forum_then_seat_then_newest(client_syd, rows):
    response, _queries = _get(client_syd)
    shown = [(a.seat.forum.name, a.seat.position, -a.starts_on.toordinal()) for a in response.context["cl"].result_list]
    assert shown == sorted(shown)
    assert shown[0][0] == "Forum A"


@pytest.mark.parametrize("params", PAGES.values(), ids=PAGES.keys())
def test_a_page_counts_its_rows_once(client_syd, rows, params):
    # Django counts the whole table a second time for "(N i alt)" unless told not to.
    _response, queries = _get(client_syd, params)
    assert sum("COUNT(" in sql for sql in queries) == 1


def test_the_unfiltered_list_shows_its_total_without_a_second_count(client_syd, rows):
    response, _queries = _get(client_syd)
    cl = response.context["cl"]
    assert cl.result_count == cl.full_result_count == len(rows)
    # Django's search bar shows "N resultater (…)" only when the rows are fewer than all.
    assert "resultater (" not in response.content.decode()


def test_a_filtered_list_offers_all_rows_instead_of_counting_them(client_syd, rows):
    response, _queries = _get(client_syd, {"status__exact": "appointed"})
    cl = response.context["cl"]
    assert cl.result_count == 6
    assert cl.full_result_count is None
    assert "6 resultater (" in response.content.decode()


def test_a_row_deleted_while_the_page_is_read_is_left_out(client_syd, rows):
    gone = rows[0]
    in_bulk = QuerySet.in_bulk

    def delete_then_read(queryset, *args, **kwargs):
        # Between the query that picks the page's ids and the one that reads the rows.
        Appointment.objects.filter(pk=gone.pk).delete()
        return in_bulk(queryset, *args, **kwargs)

    with mock.patch.object(QuerySet, "in_bulk", delete_then_read):
        response, _queries = _get(client_syd)
    shown = [appointment.pk for appointment in response.context["cl"].result_list]
    assert gone.pk not in shown
    assert len(shown) == len(rows) - 1


def test_an_editable_list_still_gets_the_queryset_its_formset_needs(client_syd, rows):
    with mock.patch.object(AppointmentAdmin, "list_editable", ["term_ends_on"]):
        response, _queries = _get(client_syd)
    cl = response.context["cl"]
    assert isinstance(cl.result_list, QuerySet)
    assert len(cl.formset.forms) == len(rows)


def test_the_checkbox_is_djangos_own(rows):
    model_admin = admin.site.get_model_admin(Appointment)
    for appointment in rows[:2]:
        assert model_admin.action_checkbox(appointment) == admin.ModelAdmin.action_checkbox(model_admin, appointment)


def test_each_row_links_to_its_own_page(client_syd, rows):
    response, _queries = _get(client_syd)
    cl = response.context["cl"]
    for appointment in cl.result_list:
        assert cl.url_for_result(appointment) == reverse("admin:fora_appointment_change", args=[appointment.pk])


def test_the_forum_name_is_indexed():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "fora_forum")
    assert any(c["index"] and c["columns"] == ["name"] for c in constraints.values()), constraints


@pytest.mark.postgres
def test_postgresql_can_read_the_default_order_from_the_forum_name_index(client_syd, rows):
    """Without the index, every page sorts all appointments; with it, PostgreSQL reads the fora
    in name order and sorts only within one forum (an incremental sort) until the page is full.
    Full sorts are priced out here so that the plan shows whether the index can serve the order."""
    _response, queries = _get(client_syd)
    (chooses_page,) = [sql for sql in queries if "ORDER BY" in sql and "fora_forum" in sql]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {chooses_page}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "fora_forum_name" in plan, plan
