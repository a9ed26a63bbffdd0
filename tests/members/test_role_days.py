"""``members_person.role_days`` (migration members.0008): the days a person held any role, kept by
the database on PostgreSQL for whatever writes, and read by the Blå Bog's name search
(``members.filters.RoleDays``). Each test writes one way and checks that the kept days say what
the role tables say (``Criteria.person_q``), on days around the change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import QueryDict

from fora import services as fora_services
from fora.models import Appointment
from members import services
from members.filters import Criteria, DirectoryFilterSet, RoleDays, _listed
from members.models import Chairmanship, CouncilSeat, KKRMembership, Person
from tests import factories
from tests.rules_helpers import councillor

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAYS = [dt.date(2021, 12, 31), dt.date(2025, 6, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 10), dt.date(2026, 3, 1)]


def held(person: Person, on: dt.date | None) -> bool:
    """What the kept days say (one person, one day or ``None``: ever)."""
    return Person.objects.filter(pk=person.pk).filter(RoleDays(on)).exists()


def asked(person: Person, on: dt.date | None) -> bool:
    """What the role tables say."""
    criteria = Criteria(on=on or dt.date(2026, 3, 1))
    return Person.objects.filter(pk=person.pk).filter(criteria.person_q(on=on)).exists()


def assert_agree(*people: Person) -> None:
    for person in people:
        for on in [None, *DAYS]:
            assert held(person, on) == asked(person, on), (person.name, on)


def test_no_role_is_never_held(db):
    person = factories.PersonFactory()
    assert not held(person, None)
    assert_agree(person)


def test_a_council_seat_from_the_service_and_its_end(odense, period):
    person = councillor(odense, period, started_on=dt.date(2026, 2, 1))
    assert held(person, dt.date(2026, 3, 1))
    assert not held(person, dt.date(2026, 1, 1))
    assert_agree(person)
    services.end_council_seat(seat=person.council_seats.get(), ended_on=dt.date(2026, 2, 15))
    assert not held(person, dt.date(2026, 3, 1))
    assert held(person, None)
    assert_agree(person)


def test_a_seat_counts_within_its_period_only(odense, period_2022):
    person = councillor(odense, period_2022)
    assert held(person, dt.date(2025, 6, 1))
    assert not held(person, dt.date(2026, 3, 1))
    assert_agree(person)


def test_a_bulk_update_and_a_bulk_create(odense, period, period_2022):
    person = councillor(odense, period_2022)
    CouncilSeat.objects.filter(person=person).update(ended_on=dt.date(2022, 6, 30))
    assert not held(person, dt.date(2025, 6, 1))
    other = factories.PersonFactory()
    CouncilSeat.objects.bulk_create(
        [CouncilSeat(person=other, municipality=odense, period=period, started_on=period.starts_on)]
    )
    assert held(other, dt.date(2026, 3, 1))
    assert_agree(person, other)


def test_a_seat_moved_to_another_person_moves_its_days(odense, period):
    first = councillor(odense, period)
    second = factories.PersonFactory()
    CouncilSeat.objects.filter(person=first).update(person=second)
    assert not held(first, None)
    assert held(second, dt.date(2026, 3, 1))
    assert_agree(first, second)


def test_a_deleted_role_leaves_no_days(odense, period):
    person = councillor(odense, period)
    person.council_seats.all().delete()
    assert not held(person, None)
    assert_agree(person)


def test_kkr_places_and_chair_posts(odense, syddanmark, period):
    member = councillor(odense, period)
    place = services.add_membership(
        person=member,
        council=syddanmark,
        period=period,
        basis=KKRMembership.Basis.SUPPLEMENTARY,
        started_on=dt.date(2026, 2, 1),
    )
    services.elect_chair(
        council=syddanmark,
        period=period,
        role=Chairmanship.Role.CHAIR,
        person=member,
        started_on=dt.date(2026, 2, 1),
    )
    member.council_seats.update(ended_on=dt.date(2026, 2, 5))  # then the place and the post alone
    assert held(member, dt.date(2026, 3, 1))
    assert_agree(member)
    services.end_membership(membership=place, ended_on=dt.date(2026, 2, 20))  # the post ends with it
    assert not held(member, dt.date(2026, 3, 1))
    assert held(member, dt.date(2026, 2, 10))
    assert_agree(member)


def test_an_appointment_from_the_services_until_it_ends(odense, period):
    person = councillor(odense, period)
    appointment = fora_services.propose(seat=factories.SeatFactory(), person=person, starts_on=dt.date(2026, 2, 1))
    fora_services.appoint(appointment=appointment, appointed_on=dt.date(2026, 1, 20))
    assert_agree(person)
    fora_services.end(appointment=appointment, ended_on=dt.date(2026, 2, 10), reason=Appointment.EndReason.RESIGNED)
    person.council_seats.update(ended_on=dt.date(2026, 1, 31))  # then the appointment alone
    assert held(person, dt.date(2026, 2, 10))
    assert not held(person, dt.date(2026, 3, 1))
    assert_agree(person)


def test_an_appointment_counts_once_it_is_made(db):
    person = factories.PersonFactory()
    Appointment.objects.bulk_create(
        [Appointment(seat=factories.SeatFactory(), person=person, starts_on=dt.date(2026, 2, 1))]
    )
    assert not held(person, None)  # proposed
    assert_agree(person)
    person.appointments.update(status=Appointment.Status.APPOINTED, appointed_on=dt.date(2026, 1, 20))
    assert held(person, dt.date(2026, 3, 1))
    assert not held(person, dt.date(2026, 1, 1))
    assert_agree(person)


def test_a_period_with_new_dates_moves_the_days_of_its_roles(odense, period):
    person = councillor(odense, period)
    period.starts_on = dt.date(2026, 2, 1)
    period.save()
    assert not held(person, dt.date(2026, 1, 1))
    assert held(person, dt.date(2026, 3, 1))
    assert_agree(person)


def test_a_write_to_the_person_cannot_change_them(odense, period):
    person = councillor(odense, period)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_person SET role_days = NULL, name = 'Ny' WHERE id = %s", [person.pk])
    person.refresh_from_db()
    person.name = "Nyt Navn"
    person.save()
    Person.objects.filter(pk=person.pk).update(sort_name="Navn, Nyt")
    assert held(person, dt.date(2026, 3, 1))
    assert_agree(person)


def test_emptying_a_role_table(odense, period):
    person = councillor(odense, period)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign key checks pending
        cursor.execute("TRUNCATE members_councilseat CASCADE")
    assert not held(person, None)
    assert_agree(person)


@pytest.mark.parametrize("query", ["q=hansen", "q=ha", "q=hansen&parti=V", "q=hansen&dato=2025-06-01"])
def test_a_name_search_lists_the_same_people_as_from_the_role_tables(monkeypatch, odense, period, period_2022, query):
    for number in range(3):
        councillor(odense, period, name=f"Hans Hansen {number}", sort_name=f"Hansen, Hans {number}")
        councillor(odense, period_2022, name=f"Anna Hansen {number}", sort_name=f"Hansen, Anna {number}")
    factories.PersonFactory(name="Aage Hansen", sort_name="Hansen, Aage")

    def listed() -> list[tuple[str, bool]]:
        _listed.cache_clear()
        return list(DirectoryFilterSet(QueryDict(query)).qs.values_list("name", "is_current"))

    kept = listed()
    monkeypatch.setattr(Criteria, "plain", property(lambda self: False))  # the role tables' way
    assert listed() == kept
    assert len(kept) >= 3 or "parti" in query
