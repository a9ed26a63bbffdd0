"""The appointment change list takes the same number of queries for 5 rows as for 60."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fora import services
from fora.models import Appointment
from tests import factories, rules_helpers
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

frozen_today = rules_helpers.frozen_today

CHANGELIST = reverse("admin:fora_appointment_changelist")


def _add_appointments(n: int, odense, period) -> None:
    """Appointments in every state, each on a seat of its own, in a forum of its own every fifth."""
    start = period.starts_on
    for index in range(n):
        if index % 5 == 0:
            forum = factories.ForumFactory()
        seat = factories.SeatFactory(forum=forum)
        appointment = services.propose(seat=seat, person=councillor(odense, period), starts_on=start)
        if index % 3 == 1:
            services.nominate(appointment=appointment, nominated_on=start)
        elif index % 3 == 2:
            services.appoint(appointment=appointment, appointed_on=start)


@pytest.fixture
def client_syd(client, staff_syddanmark):
    staff_syddanmark.user_permissions.set(Permission.objects.all())
    client.force_login(staff_syddanmark)
    return client


def _count(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, params or {})
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    "params", [{}, {"q": "Medlem"}, {"status__exact": "appointed"}], ids=["all", "search", "filter"]
)
def test_the_appointment_change_list_takes_as_many_queries_for_60_rows_as_for_5(
    client_syd, odense, period, frozen_today, params
):
    _add_appointments(5, odense, period)
    client_syd.get(CHANGELIST)  # the session and the content types are read once
    small = _count(client_syd, params)
    _add_appointments(55, odense, period)
    assert Appointment.objects.count() == 60
    assert _count(client_syd, params) == small


def test_the_change_list_shows_every_row_of_the_page(client_syd, odense, period, frozen_today):
    _add_appointments(60, odense, period)
    response = client_syd.get(CHANGELIST)
    assert response.context["cl"].result_count == 60
    assert len(response.context["cl"].result_list) == 60
