"""Saving in the admin has the same consequences as the services, and a broken rule is a message."""

from __future__ import annotations

import datetime as dt

import pytest

from members import services
from members.models import Chairmanship, CouncilSeat, KKRMembership
from tests import factories, rules_helpers
from tests.rules_helpers import admin_post, assert_admin_accepts, councillor

pytestmark = pytest.mark.django_db
staff_client = rules_helpers.staff_client


def day(month: int, day_: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day_)


def test_a_mayor_added_in_the_admin_gets_the_ex_officio_place(staff_client, odense, period):
    person = factories.PersonFactory()
    assert_admin_accepts(
        staff_client,
        CouncilSeat,
        person=person.pk,
        municipality=odense.pk,
        period=period.pk,
        role="mayor",
        started_on="2026-01-01",
    )
    place = KKRMembership.objects.get(person=person)
    assert (place.basis, place.role, place.council.slug) == ("ex_officio", "member", "syddanmark")


def test_a_supplementary_member_recorded_as_deputy_mayor_keeps_the_place_and_nothing_breaks(
    staff_client, odense, syddanmark, period
):
    services.record_mayor(person=factories.PersonFactory(), municipality=odense, period=period, started_on=day(1, 1))
    member = councillor(odense, period)
    services.add_membership(
        person=member, council=syddanmark, period=period, basis="supplementary", started_on=day(1, 1)
    )
    services.end_council_seat(seat=member.council_seats.get(), ended_on=day(5, 31))

    assert_admin_accepts(
        staff_client,
        CouncilSeat,
        person=member.pk,
        municipality=odense.pk,
        period=period.pk,
        role="deputy_mayor",
        started_on="2026-06-01",
    )

    assert list(KKRMembership.objects.filter(person=member).values_list("basis", "role")) == [
        ("supplementary", "member")
    ]


def test_a_mayor_whose_supplementary_place_began_the_same_day_is_refused_with_a_message(
    staff_client, odense, syddanmark, period
):
    member = councillor(odense, period, started_on=day(3, 1))
    services.add_membership(
        person=member, council=syddanmark, period=period, basis="supplementary", started_on=day(3, 1)
    )
    services.end_council_seat(seat=member.council_seats.get(), ended_on=day(3, 1))
    before = CouncilSeat.objects.count()

    response = admin_post(
        staff_client,
        CouncilSeat,
        person=member.pk,
        municipality=odense.pk,
        period=period.pk,
        role="mayor",
        started_on="2026-03-01",
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("en efterfølger skal tiltræde senere" in error for error in errors), errors
    assert CouncilSeat.objects.count() == before


def test_ending_a_membership_in_the_admin_ends_its_chair_post_and_substitutes(staff_client, odense, syddanmark, period):
    mayor = factories.PersonFactory()
    services.record_mayor(person=mayor, municipality=odense, period=period, started_on=day(1, 1))
    deputy = councillor(odense, period, role="deputy_mayor")
    services.elect_chair(council=syddanmark, period=period, role="chair", person=mayor, started_on=day(1, 20))
    membership = KKRMembership.objects.get(person=mayor)

    assert_admin_accepts(staff_client, KKRMembership, membership, ended_on="2026-11-30")

    assert Chairmanship.objects.get(person=mayor).ended_on == day(11, 30)
    assert KKRMembership.objects.get(person=deputy).ended_on == day(11, 30)


def test_what_a_membership_is_cannot_be_changed_in_the_admin(staff_client, odense, period):
    mayor = factories.PersonFactory()
    services.record_mayor(person=mayor, municipality=odense, period=period, started_on=day(1, 1))
    membership = KKRMembership.objects.get(person=mayor)
    admin_post(staff_client, KKRMembership, membership, basis="kl_board", role="substitute")
    membership.refresh_from_db()
    assert (membership.basis, membership.role) == ("ex_officio", "member")
