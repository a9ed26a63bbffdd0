"""Picking an appointee: the person autocomplete offers eligible people first, and stays scoped."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from members import services as member_services
from members.models import ElectionPeriod
from tests import factories, rules_helpers
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db
frozen_today = rules_helpers.frozen_today


@pytest.fixture
def staff_client(client, staff_syddanmark, frozen_today):
    staff_syddanmark.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["fora", "members"]))
    client.force_login(staff_syddanmark)
    return client


def offered(client, term: str = "", *, model_name: str = "appointment", app_label: str = "fora") -> list[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": "person", "term": term},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


@pytest.fixture
def people(odense, middelfart, roskilde, period):
    """Sorted by name, the ineligible come first; only some hold a council seat in Syddanmark today."""
    return {
        "newcomer": factories.PersonFactory(name="Aase Andersen", sort_name="Andersen, Aase"),
        "former": councillor(
            middelfart, period, name="Bodil Berg", sort_name="Berg, Bodil", started_on=period.starts_on
        ),
        "odense": councillor(odense, period, name="Øjvind Østergaard", sort_name="Østergaard, Øjvind"),
        "middelfart": councillor(middelfart, period, name="Carl Clausen", sort_name="Clausen, Carl"),
        "sjaelland": councillor(roskilde, period, name="Alfred Als", sort_name="Als, Alfred"),
    }


@pytest.fixture
def former_left(people):
    """Bodil left the council in the spring: not eligible any more."""
    seat = people["former"].council_seats.get()
    member_services.end_council_seat(seat=seat, ended_on=dt.date(2026, 4, 30))
    return people


def test_people_holding_a_council_seat_in_the_kkr_today_come_first_for_an_appointment(staff_client, former_left):
    assert offered(staff_client) == ["Carl Clausen", "Øjvind Østergaard", "Aase Andersen", "Bodil Berg"]


def test_the_search_term_still_narrows_the_list(staff_client, former_left):
    assert offered(staff_client, "en") == ["Carl Clausen", "Aase Andersen"]


def test_a_councillor_of_another_kkr_is_not_offered_at_all(staff_client, former_left):
    assert "Alfred Als" not in offered(staff_client)
    assert "Alfred Als" not in offered(staff_client, "Als")


def test_elsewhere_people_are_offered_in_name_order(staff_client, former_left):
    names = offered(staff_client, app_label="members", model_name="kkrmembership")
    assert names == ["Aase Andersen", "Bodil Berg", "Carl Clausen", "Øjvind Østergaard"]


def test_for_the_central_administrator_a_council_seat_in_any_kkr_counts(client, superuser, former_left, frozen_today):
    client.force_login(superuser)
    assert offered(client) == ["Alfred Als", "Carl Clausen", "Øjvind Østergaard", "Aase Andersen", "Bodil Berg"]


@pytest.fixture
def changeover_window(client, staff_syddanmark):
    """10 December 2025: elected in November, the new councillors take their seats on 1 January."""
    with time_machine.travel(dt.datetime(2025, 12, 10, 12, 0, tzinfo=rules_helpers.COPENHAGEN), tick=False):
        staff_syddanmark.user_permissions.set(
            Permission.objects.filter(content_type__app_label__in=["fora", "members"])
        )
        client.force_login(staff_syddanmark)
        yield client


def test_in_the_changeover_window_the_new_periods_councillors_come_first_too(
    changeover_window, odense, middelfart, roskilde, period_2022, period
):
    factories.PersonFactory(name="Aase Andersen", sort_name="Andersen, Aase")
    councillor(odense, period_2022, name="Dorte Dahl", sort_name="Dahl, Dorte")  # sits until 31 December
    councillor(middelfart, period, name="Carl Clausen", sort_name="Clausen, Carl")  # from 1 January
    councillor(roskilde, period, name="Alfred Als", sort_name="Als, Alfred")  # Sjælland's, not offered
    retired = councillor(odense, period, name="Bodil Berg", sort_name="Berg, Bodil")
    member_services.end_council_seat(seat=retired.council_seats.get(), ended_on=period.starts_on)

    assert offered(changeover_window) == ["Carl Clausen", "Dorte Dahl", "Aase Andersen", "Bodil Berg"]


def test_only_the_next_period_counts_not_one_further_ahead(changeover_window, odense, period_2022):
    later = ElectionPeriod.objects.create(
        name="2030-2033", starts_on=dt.date(2030, 1, 1), ends_on=dt.date(2033, 12, 31)
    )
    factories.PersonFactory(name="Aase Andersen", sort_name="Andersen, Aase")
    councillor(odense, later, name="Birte Bech", sort_name="Bech, Birte")
    councillor(odense, period_2022, name="Carl Clausen", sort_name="Clausen, Carl")

    assert offered(changeover_window) == ["Carl Clausen", "Aase Andersen", "Birte Bech"]
