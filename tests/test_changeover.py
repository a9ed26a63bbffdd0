"""The new-period changeover: the service (plan and apply) and the guided admin page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils.html import escape

from fora import changeover
from fora import services as fora_services
from fora.models import Appointment, Forum, Seat
from members import services as member_services
from members.models import Chairmanship, CouncilSeat, ElectionPeriod, KKRMembership, Person
from tests import factories
from tests.rules_helpers import COPENHAGEN, assert_refused, councillor

# After the municipal election of 18 November 2025, before the new period begins.
NOW = dt.datetime(2025, 12, 10, 12, 0, tzinfo=COPENHAGEN)
OLD_END = dt.date(2025, 12, 31)
NEW_START = dt.date(2026, 1, 1)
MODELS = [CouncilSeat, KKRMembership, Chairmanship, Forum, Seat, Appointment, Person]


@pytest.fixture(autouse=True)
def december_2025():
    with time_machine.travel(NOW, tick=False):
        yield


class Scenario:
    """KKR Syddanmark at the end of 2022-2025, and a little of KKR Sjælland beside it."""

    def __init__(self, syddanmark, sjaelland, odense, middelfart, roskilde, old, new):
        self.council, self.old, self.new = syddanmark, old, new
        self.odense, self.middelfart = odense, middelfart
        self.old_mayor = councillor(odense, old, role=CouncilSeat.Role.MAYOR, name="Gammel Borgmester")
        self.old_deputy = councillor(odense, old, role=CouncilSeat.Role.DEPUTY_MAYOR, name="Gammel Viceborgmester")
        self.supplementary = councillor(middelfart, old, name="Supplerende Medlem")
        member_services.add_membership(
            person=self.supplementary,
            council=syddanmark,
            period=old,
            basis=KKRMembership.Basis.SUPPLEMENTARY,
            started_on=old.starts_on,
        )
        self.chair = member_services.elect_chair(
            council=syddanmark,
            period=old,
            role=Chairmanship.Role.CHAIR,
            person=self.old_mayor,
            started_on=old.starts_on,
        )
        # A forum that continues: a member seat held, and its deputy seat with a pending proposal.
        self.forum = factories.ForumFactory(name="Erhvervshus Fyn", slug="erhvervshus-fyn-test")
        self.member_seat = factories.SeatFactory(forum=self.forum, period=old, label="Medlem 1")
        self.deputy_seat = factories.SeatFactory(
            forum=self.forum, period=old, label="Suppleant 1", kind=Seat.Kind.DEPUTY, deputy_for=self.member_seat
        )
        self.holder = self._appointed(self.member_seat, self.supplementary, dt.date(2022, 3, 1))
        self.proposal = fora_services.propose(
            seat=self.deputy_seat, person=self.old_deputy, starts_on=dt.date(2025, 6, 1)
        )
        # A forum dissolved in the old period: no seats in the new one; its appointee ends.
        self.dissolved = factories.ForumFactory(
            name="Nedlagt forum", slug="nedlagt-forum", dissolved_on=dt.date(2025, 6, 30)
        )
        dissolved_seat = factories.SeatFactory(forum=self.dissolved, period=old, label="Medlem 1")
        self.dissolved_holder = self._appointed(dissolved_seat, self.old_mayor, dt.date(2022, 3, 1))
        # The new council in Odense: the new mayor already has a seat in 2026-2029.
        self.new_mayor_odense = councillor(odense, new, name="Ny Borgmester")
        # Another KKR, which the changeover of Syddanmark must not touch.
        self.roskilde_mayor = councillor(roskilde, old, role=CouncilSeat.Role.MAYOR, name="Roskildes Borgmester")
        other_forum = factories.ForumFactory(council=sjaelland, name="Sjællands forum", slug="sjaellands-forum")
        self.other_seat = factories.SeatFactory(forum=other_forum, period=old, label="Medlem 1")
        self.other_holder = self._appointed(self.other_seat, self.roskilde_mayor, dt.date(2022, 3, 1))

    @staticmethod
    def _appointed(seat, person, starts_on):
        appointment = fora_services.propose(seat=seat, person=person, starts_on=starts_on)
        return fora_services.appoint(appointment=appointment, appointed_on=starts_on)

    def mayors(self, **extra):
        return {self.odense: self.new_mayor_odense, self.middelfart: self.supplementary, **extra}


@pytest.fixture
def scenario(syddanmark, sjaelland, odense, middelfart, roskilde, period_2022, period):
    return Scenario(syddanmark, sjaelland, odense, middelfart, roskilde, period_2022, period)


def snapshot() -> dict:
    """Every row of the changeover's models, as values: what "nothing changed" compares."""
    return {model.__name__: {row.pk: model_to_dict(row) for row in model.objects.all()} for model in MODELS}


# --- the service ---------------------------------------------------------------------------


def test_the_preview_lists_every_change_and_writes_nothing(scenario):
    before = snapshot()

    plan = changeover.plan_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())

    assert snapshot() == before
    assert plan.old_period == scenario.old
    assert [(m.municipality, m.person) for m in plan.mayors] == [
        (scenario.middelfart, scenario.supplementary),
        (scenario.odense, scenario.new_mayor_odense),
    ]
    assert {(m.person, m.role_label) for m in plan.memberships_created} == {
        (scenario.supplementary, "medlem"),
        (scenario.new_mayor_odense, "medlem"),
    }
    assert {m.person for m in plan.memberships_ended} == {
        scenario.old_mayor,
        scenario.old_deputy,
        scenario.supplementary,
    }
    assert plan.chairmanships_ended == [scenario.chair]
    assert [(e.appointment, e.reason, e.ended_on) for e in plan.appointments_ended] == [
        (scenario.proposal, Appointment.EndReason.WITHDRAWN, OLD_END),
        (scenario.dissolved_holder, Appointment.EndReason.FORUM_DISSOLVED, dt.date(2025, 6, 30)),
    ]
    assert plan.appointments_carried_over == [scenario.holder]
    assert [s.previous for s in plan.seats_created] == [scenario.member_seat, scenario.deputy_seat]
    assert plan.fora_skipped == [scenario.dissolved]
    assert plan.has_changes


def test_applying_writes_exactly_the_plan_and_deletes_nothing(scenario):
    counts = {model: model.objects.count() for model in MODELS}
    plan = changeover.plan_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())

    result = changeover.apply_changeover(
        council=scenario.council, new_period=scenario.new, mayors=scenario.mayors(), expected_token=plan.token
    )

    assert all(model.objects.count() >= counts[model] for model in MODELS), "a row was deleted"
    old = KKRMembership.objects.filter(council=scenario.council, period=scenario.old)
    assert set(old.values_list("ended_on", flat=True)) == {OLD_END}
    assert sorted(result.memberships_ended) == sorted(m.pk for m in plan.memberships_ended)
    scenario.chair.refresh_from_db()
    assert scenario.chair.ended_on == OLD_END
    # The new mayors' ex officio places follow their mayoralties.
    new = KKRMembership.objects.filter(council=scenario.council, period=scenario.new)
    assert {(m.person, m.basis, m.started_on) for m in new} == {
        (scenario.new_mayor_odense, KKRMembership.Basis.EX_OFFICIO, NEW_START),
        (scenario.supplementary, KKRMembership.Basis.EX_OFFICIO, NEW_START),
    }
    assert sorted(result.memberships_created) == sorted(new.values_list("pk", flat=True))
    assert set(
        CouncilSeat.objects.filter(period=scenario.new, role=CouncilSeat.Role.MAYOR).values_list(
            "person", "municipality"
        )
    ) == {(scenario.new_mayor_odense.pk, scenario.odense.pk), (scenario.supplementary.pk, scenario.middelfart.pk)}
    # Appointments: the proposal withdrawn, the dissolved forum's appointee ended, the holder kept.
    for appointment, reason, ended_on in [
        (scenario.proposal, Appointment.EndReason.WITHDRAWN, OLD_END),
        (scenario.dissolved_holder, Appointment.EndReason.FORUM_DISSOLVED, dt.date(2025, 6, 30)),
    ]:
        appointment.refresh_from_db()
        assert (appointment.status, appointment.end_reason, appointment.ended_on) == ("ended", reason, ended_on)
    scenario.holder.refresh_from_db()
    assert (scenario.holder.status, scenario.holder.ended_on) == (Appointment.Status.APPOINTED, None)
    # The seats, rebuilt as vacancies that continue the old ones; none for the dissolved forum.
    member_seat = Seat.objects.get(previous_seat=scenario.member_seat)
    deputy_seat = Seat.objects.get(previous_seat=scenario.deputy_seat)
    assert (member_seat.period, member_seat.label, member_seat.forum) == (scenario.new, "Medlem 1", scenario.forum)
    assert (deputy_seat.kind, deputy_seat.deputy_for) == (Seat.Kind.DEPUTY, member_seat)
    assert not Seat.objects.filter(forum=scenario.dissolved, period=scenario.new).exists()
    assert sorted(result.seats_created) == sorted([member_seat.pk, deputy_seat.pk])
    assert not member_seat.appointments.exists()
    assert not deputy_seat.appointments.exists()


def test_the_other_kkr_is_left_as_it_was(scenario, sjaelland):
    other = {
        model.__name__: rows
        for model, rows in (
            (KKRMembership, list(KKRMembership.objects.filter(council=sjaelland).values())),
            (Appointment, list(Appointment.objects.filter(seat__forum__council=sjaelland).values())),
            (Seat, list(Seat.objects.filter(forum__council=sjaelland).values())),
        )
    }
    changeover.apply_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())

    assert list(KKRMembership.objects.filter(council=sjaelland).values()) == other["KKRMembership"]
    assert list(Appointment.objects.filter(seat__forum__council=sjaelland).values()) == other["Appointment"]
    assert list(Seat.objects.filter(forum__council=sjaelland).values()) == other["Seat"]


def test_applying_twice_changes_nothing_the_second_time(scenario):
    changeover.apply_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())
    after_first = snapshot()

    second = changeover.apply_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())

    assert not second.changed_anything
    assert snapshot() == after_first
    plan = changeover.plan_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())
    assert not plan.has_changes
    assert plan.appointments_carried_over == [scenario.holder]


def test_the_carry_over_stays_until_a_successor_is_appointed_to_the_continuing_seat(scenario):
    changeover.apply_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())
    new_seat = Seat.objects.get(previous_seat=scenario.member_seat)
    february = dt.date(2026, 2, 1)

    assert list(Appointment.objects.for_council(scenario.council).carry_overs(february)) == [scenario.holder]
    assert not Seat.objects.filter(pk=new_seat.pk).vacant_on(february).exists(), "the carry-over holds it"

    successor = fora_services.propose(seat=new_seat, person=scenario.new_mayor_odense, starts_on=dt.date(2026, 3, 1))
    assert list(Appointment.objects.for_council(scenario.council).carry_overs(february)) == [scenario.holder], (
        "a proposal is no successor"
    )
    fora_services.appoint(appointment=successor, appointed_on=dt.date(2026, 2, 20))

    scenario.holder.refresh_from_db()
    assert scenario.holder.status == Appointment.Status.ENDED
    assert scenario.holder.ended_on == dt.date(2026, 2, 28)
    assert scenario.holder.end_reason == Appointment.EndReason.TERM_EXPIRED
    assert list(Appointment.objects.for_council(scenario.council).carry_overs(dt.date(2026, 3, 1))) == []


def test_seats_already_created_in_the_new_period_are_not_duplicated(scenario):
    by_hand = factories.SeatFactory(forum=scenario.forum, period=scenario.new, label="Medlem 1")

    plan = changeover.plan_changeover(council=scenario.council, new_period=scenario.new)
    changeover.apply_changeover(council=scenario.council, new_period=scenario.new, expected_token=plan.token)

    assert [s.existing for s in plan.seats_linked] == [by_hand]
    assert Seat.objects.filter(forum=scenario.forum, period=scenario.new, label="Medlem 1").count() == 1
    by_hand.refresh_from_db()
    assert by_hand.previous_seat == scenario.member_seat
    assert Seat.objects.get(previous_seat=scenario.deputy_seat).deputy_for == by_hand


def _renumbered(scenario) -> Seat:
    """By hand, the new period's "Medlem 1" was made to continue the old "Medlem 2", so the old
    "Medlem 1" cannot continue under its own label."""
    old_second = factories.SeatFactory(forum=scenario.forum, period=scenario.old, label="Medlem 2")
    return factories.SeatFactory(forum=scenario.forum, period=scenario.new, label="Medlem 1", previous_seat=old_second)


COLLISION = (
    "Pladsen »Medlem 1« i Erhvervshus Fyn kan ikke videreføres: valgperioden 2026-2029 har allerede en plads "
    "»Medlem 1«, som fortsætter pladsen »Medlem 2«."
)


def test_a_label_taken_by_a_seat_continuing_another_seat_blocks_the_changeover(scenario):
    _renumbered(scenario)
    plan = changeover.plan_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())
    assert len(plan.problems) == 1
    assert plan.problems[0].startswith(COLLISION)
    assert not plan.can_apply
    assert scenario.member_seat not in [planned.previous for planned in plan.seats_created + plan.seats_linked]
    before = snapshot()

    with pytest.raises(changeover.BlockedPlan) as error:
        changeover.apply_changeover(
            council=scenario.council, new_period=scenario.new, mayors=scenario.mayors(), expected_token=plan.token
        )

    assert error.value.messages[0].startswith(COLLISION)
    assert snapshot() == before


def test_the_changeover_goes_ahead_once_the_label_collision_is_resolved(scenario):
    by_hand = _renumbered(scenario)
    by_hand.label = "Medlem 2"
    by_hand.save_checked()

    plan = changeover.plan_changeover(council=scenario.council, new_period=scenario.new)
    changeover.apply_changeover(council=scenario.council, new_period=scenario.new, expected_token=plan.token)

    assert plan.problems == []
    continued = Seat.objects.get(previous_seat=scenario.member_seat)
    assert (continued.label, continued.period) == ("Medlem 1", scenario.new)


def test_a_stale_preview_is_refused_and_nothing_changes(scenario):
    plan = changeover.plan_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())
    # A colleague adds a member to the old period after the preview was made.
    late = councillor(scenario.middelfart, scenario.old, name="Sent Medlem")
    member_services.add_membership(
        person=late,
        council=scenario.council,
        period=scenario.old,
        basis=KKRMembership.Basis.KL_BOARD,
        started_on=dt.date(2025, 1, 1),
    )
    before = snapshot()

    with pytest.raises(changeover.StalePlan):
        changeover.apply_changeover(
            council=scenario.council, new_period=scenario.new, mayors=scenario.mayors(), expected_token=plan.token
        )

    assert snapshot() == before


@pytest.mark.parametrize("name", ["2022-2025"])
def test_a_period_that_is_not_after_the_current_one_is_refused(scenario, name):
    with pytest.raises(ValidationError) as error:
        changeover.plan_changeover(council=scenario.council, new_period=ElectionPeriod.objects.get(name=name))
    assert_refused(error, changeover.PERIOD_FIELD, "Valgperioden 2022-2025 kan ikke vælges")


def test_a_mayor_who_does_not_sit_in_the_municipality_is_refused(scenario):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        changeover.apply_changeover(
            council=scenario.council, new_period=scenario.new, mayors={scenario.odense: scenario.supplementary}
        )
    assert_refused(error, "mayor_461", "Supplerende Medlem sidder ikke i kommunalbestyrelsen i Odense")
    assert snapshot() == before


def test_a_mayor_with_a_new_seat_in_another_municipality_is_refused(scenario):
    with pytest.raises(ValidationError) as error:
        changeover.plan_changeover(
            council=scenario.council, new_period=scenario.new, mayors={scenario.middelfart: scenario.new_mayor_odense}
        )
    assert_refused(error, "mayor_410", "Ny Borgmester sidder i kommunalbestyrelsen i Odense")


def test_a_municipality_whose_new_mayor_is_recorded_keeps_them(scenario):
    changeover.apply_changeover(council=scenario.council, new_period=scenario.new, mayors=scenario.mayors())
    other = councillor(scenario.odense, scenario.new, name="Anden Kandidat")

    with pytest.raises(ValidationError) as error:
        changeover.plan_changeover(council=scenario.council, new_period=scenario.new, mayors={scenario.odense: other})
    assert_refused(error, "mayor_461", "Odense har allerede Ny Borgmester som borgmester")


def test_a_staff_user_cannot_apply_another_kkrs_changeover_through_the_service(scenario, staff_sjaelland):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        changeover.apply_changeover(council=scenario.council, new_period=scenario.new, user=staff_sjaelland)
    assert snapshot() == before


# --- the admin pages -----------------------------------------------------------------------


@pytest.fixture
def secretary(client, staff_syddanmark):
    """Syddanmark's staff with the staff group's permissions, signed in."""
    codenames = [name.split(".")[1] for name in _changeover_permissions()]
    staff_syddanmark.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(staff_syddanmark)
    return client


def _changeover_permissions():
    from kkr_portal.admin_views import CHANGEOVER_PERMISSIONS

    return CHANGEOVER_PERMISSIONS


def _url(council) -> str:
    return reverse("kkr_admin:changeover", args=[council.slug])


def _posted(scenario, **extra) -> dict:
    return {
        "period": scenario.new.pk,
        "mayor_461": scenario.new_mayor_odense.pk,
        "mayor_410": scenario.supplementary.pk,
        **extra,
    }


def test_staff_walk_through_the_changeover_in_the_admin(scenario, secretary):
    index = secretary.get(reverse("admin:index"))
    assert index.status_code == 200
    assert _url(scenario.council) in index.content.decode()
    assert "Dine KKR" in index.content.decode()

    step1 = secretary.get(_url(scenario.council))
    assert step1.status_code == 200
    assert [str(p) for p in step1.context["form"].fields["period"].queryset.filter(pk=scenario.new.pk)] == ["2026-2029"]

    step2 = secretary.get(_url(scenario.council), {"period": scenario.new.pk})
    assert step2.status_code == 200
    assert "Odense" in step2.content.decode()
    assert "Middelfart" in step2.content.decode()

    before = snapshot()
    preview = secretary.post(_url(scenario.council), _posted(scenario, action="preview"))
    assert preview.status_code == 200
    assert snapshot() == before, "the preview wrote something"
    plan = preview.context["plan"]
    page = preview.content.decode()
    for text in ["Ny Borgmester", "Gammel Viceborgmester", "Nedlagt forum", "Suppleant 1", "Anvend"]:
        assert text in page

    applied = secretary.post(_url(scenario.council), _posted(scenario, action="apply", token=plan.token))
    assert applied.status_code == 302
    assert applied.url == reverse("kkr_admin:changeover_done", args=[scenario.council.slug])
    assert Seat.objects.filter(previous_seat=scenario.member_seat).exists()

    summary = secretary.get(applied.url)
    assert summary.status_code == 200
    links = {label: (count, url) for label, count, url in summary.context["links"]}
    count, url = links["Pladser oprettet i den nye valgperiode"]
    assert count == 2
    listed = secretary.get(url)
    assert listed.status_code == 200
    assert {seat.previous_seat_id for seat in listed.context["cl"].result_list} == {
        scenario.member_seat.pk,
        scenario.deputy_seat.pk,
    }

    after = snapshot()
    again = secretary.post(_url(scenario.council), _posted(scenario, action="apply", token=plan.token))
    assert again.status_code == 302, "applying twice is not an error: there is nothing left to do"
    assert snapshot() == after


def test_another_kkrs_changeover_page_is_a_404_and_changes_nothing(scenario, secretary, sjaelland):
    before = snapshot()
    assert secretary.get(_url(sjaelland)).status_code == 404
    assert secretary.get(reverse("kkr_admin:dashboard", args=[sjaelland.slug])).status_code == 404
    response = secretary.post(_url(sjaelland), {"period": scenario.new.pk, "action": "apply", "token": "x"})
    assert response.status_code == 404
    assert secretary.get(_url(factories.ForumFactory.build(slug="findes-ikke"))).status_code == 404
    assert snapshot() == before


def test_a_stale_preview_is_refused_in_the_admin(scenario, secretary):
    before = snapshot()
    response = secretary.post(_url(scenario.council), _posted(scenario, action="apply", token="forældet"))
    assert response.status_code == 200
    assert "Data er ændret, siden forhåndsvisningen blev lavet" in response.content.decode()
    assert snapshot() == before
    # The page shows the plan as it is now, ready to be applied.
    assert response.context["plan"].has_changes


def test_a_label_collision_is_shown_in_the_preview_and_cannot_be_applied_in_the_admin(scenario, secretary):
    _renumbered(scenario)
    before = snapshot()

    preview = secretary.post(_url(scenario.council), _posted(scenario, action="preview"))

    assert preview.status_code == 200
    page = preview.content.decode()
    assert 'id="problems"' in page
    assert escape(COLLISION) in page
    assert 'value="apply"' not in page, "no Anvend while the plan has problems"
    # Forcing "Anvend" with the preview's own token is refused the same way.
    applied = secretary.post(
        _url(scenario.council), _posted(scenario, action="apply", token=preview.context["plan"].token)
    )
    assert applied.status_code == 200
    assert escape(COLLISION) in applied.content.decode()
    assert snapshot() == before


def test_a_services_refusal_on_a_field_the_page_does_not_have_is_shown_not_a_500(scenario, secretary, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"label": ["Der findes allerede en plads med denne betegnelse."]})

    monkeypatch.setattr(changeover, "apply_changeover", refuse)
    before = snapshot()

    response = secretary.post(_url(scenario.council), _posted(scenario, action="apply", token="x"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Der findes allerede en plads med denne betegnelse."]
    assert "Der findes allerede en plads med denne betegnelse." in response.content.decode()
    assert snapshot() == before


def test_a_forged_person_is_refused_in_the_admin(scenario, secretary):
    before = snapshot()
    response = secretary.post(
        _url(scenario.council), _posted(scenario, action="apply", mayor_461=scenario.roskilde_mayor.pk, token="x")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["mayor_461"] == ["Vælg en person fra listen."]
    assert snapshot() == before


def test_a_person_from_another_municipality_gets_a_danish_message_in_the_admin(scenario, secretary):
    before = snapshot()
    response = secretary.post(
        _url(scenario.council), _posted(scenario, action="preview", mayor_461=scenario.supplementary.pk, mayor_410="")
    )
    assert response.status_code == 200
    (error,) = response.context["form"].errors["mayor_461"]
    assert error.startswith("Supplerende Medlem sidder ikke i kommunalbestyrelsen i Odense")
    assert snapshot() == before


@pytest.mark.parametrize("posted", ["2022-2025", "999999", "abc"])
def test_a_period_that_is_not_after_the_current_one_is_refused_in_the_admin(scenario, secretary, posted):
    value = str(ElectionPeriod.objects.get(name=posted).pk) if posted == "2022-2025" else posted
    before = snapshot()
    step = secretary.get(_url(scenario.council), {"period": value})
    assert step.status_code == 200
    assert step.context["form"].errors["period"]
    response = secretary.post(_url(scenario.council), {"period": value, "action": "apply", "token": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["period"]
    assert snapshot() == before


def test_staff_without_the_permissions_to_write_get_a_403(scenario, client, staff_syddanmark):
    client.force_login(staff_syddanmark)
    assert client.get(_url(scenario.council)).status_code == 403


def test_a_superuser_may_change_over_any_kkr(scenario, client, superuser, sjaelland):
    client.force_login(superuser)
    assert client.get(_url(sjaelland)).status_code == 200
    assert client.get(_url(scenario.council), {"period": scenario.new.pk}).status_code == 200
