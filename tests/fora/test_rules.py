"""Every rule of the fora app, broken on purpose: through the service, a ModelForm and the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from fora import services
from fora.models import Appointment, Forum, Seat
from kkr_portal.db import ENDS_AFTER_START
from tests import factories, rules_helpers
from tests.rules_helpers import (
    TODAY,
    admin_post,
    assert_admin_accepts,
    assert_admin_refuses,
    assert_form_refuses,
    assert_inline_refused,
    assert_refused,
    councillor,
    model_form,
    refused_by_database,
)

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client
frozen_today = rules_helpers.frozen_today

NOT_ELIGIBLE = (
    "Personen kan ikke udpeges: en udpeget skal være medlem af kommunalbestyrelsen "
    "i en af kommunerne i KKR Syddanmark, når udpegningen begynder."
)
OUTSIDE_PERIOD = "Datoen skal ligge i valgperioden 2026-2029"
SEAT_TAKEN = "Pladsen er allerede besat af"
NEEDS_DECISION_DATE = "En udpegning skal have datoen for det udpegende organs beslutning."
ENDED_NEEDS_DATE_AND_REASON = "En ophørt udpegning har en ophørsdato og en årsag; kun ophørte udpegninger har det."


def day(month: int, dom: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, dom)


@pytest.fixture
def forum(syddanmark) -> Forum:
    return factories.ForumFactory(name="RAR Syddanmark", slug="rar-syddanmark")


@pytest.fixture
def seat(forum, period) -> Seat:
    return factories.SeatFactory(forum=forum, period=period, label="Medlem 1")


@pytest.fixture
def eligible(odense, period):
    """A member of Odense's council (Syddanmark) for the whole period; not a KKR member."""
    return councillor(odense, period, name="Anne Odense")


@pytest.fixture
def from_sjaelland(roskilde, period):
    return councillor(roskilde, period, name="Bo Roskilde")


def appointed(seat, person, starts_on: dt.date, **kwargs) -> Appointment:
    """An appointment through the process: proposed, then appointed."""
    appointment = services.propose(seat=seat, person=person, starts_on=starts_on)
    if kwargs:
        for name, value in kwargs.items():
            setattr(appointment, name, value)
        appointment.save_checked()
    return services.appoint(appointment=appointment, appointed_on=starts_on - dt.timedelta(days=3))


# --- Forum ---------------------------------------------------------------------------------


class TestForum:
    DISSOLVED_EARLY = "Et forum kan ikke nedlægges, før det er oprettet."
    OWN_SUCCESSOR = "Et forum kan ikke afløse sig selv."

    def test_a_forum_dissolved_before_it_was_founded_is_refused(self, forum):
        forum.founded_on, forum.dissolved_on = day(3, 1), day(2, 28)
        with pytest.raises(ValidationError) as error:
            forum.save_checked()
        assert_refused(error, "dissolved_on", self.DISSOLVED_EARLY)

    def test_a_forum_dissolved_on_its_founding_day_is_accepted(self, forum):
        forum.founded_on = forum.dissolved_on = day(3, 1)
        forum.save_checked()
        forum.refresh_from_db()
        assert forum.dissolved_on == day(3, 1)

    def test_a_forum_dissolved_before_it_was_founded_is_refused_by_the_form(self, forum):
        form = model_form(Forum, forum, founded_on="2026-03-01", dissolved_on="2026-02-28")
        assert_form_refuses(form, "dissolved_on", self.DISSOLVED_EARLY)

    def test_a_forum_dissolved_before_it_was_founded_is_refused_by_the_admin(self, staff_client, syddanmark):
        assert_admin_refuses(
            staff_client,
            Forum,
            "dissolved_on",
            self.DISSOLVED_EARLY,
            council=syddanmark.pk,
            kind=factories.ForumFactory().kind_id,
            name="Erhvervshus Fyn",
            slug="erhvervshus-fyn",
            founded_on="2026-03-01",
            dissolved_on="2026-02-28",
        )

    def test_a_forum_dissolved_before_it_was_founded_is_refused_by_the_database(self, forum):
        forum.founded_on, forum.dissolved_on = day(3, 1), day(2, 28)
        with refused_by_database("fora_forum_dissolved_after_founded"):
            forum.save()

    def test_a_forum_that_succeeds_itself_is_refused(self, forum):
        forum.successor = forum
        with pytest.raises(ValidationError) as error:
            forum.save_checked()
        assert_refused(error, "successor", self.OWN_SUCCESSOR)

    def test_a_forum_succeeded_by_another_is_accepted(self, forum):
        forum.successor = factories.ForumFactory(name="RAR Fyn")
        forum.dissolved_on = day(6, 30)
        forum.save_checked()
        assert Forum.objects.get(name="RAR Fyn").predecessors.get() == forum

    def test_a_forum_that_succeeds_itself_is_refused_by_the_form(self, forum):
        assert_form_refuses(model_form(Forum, forum, successor=forum.pk), "successor", self.OWN_SUCCESSOR)

    def test_a_forum_that_succeeds_itself_is_refused_by_the_admin(self, staff_client, forum):
        assert_admin_refuses(staff_client, Forum, "successor", self.OWN_SUCCESSOR, obj=forum, successor=forum.pk)

    def test_a_forum_that_succeeds_itself_is_refused_by_the_database(self, forum):
        forum.successor_id = forum.pk
        with refused_by_database("fora_forum_not_own_successor"):
            forum.save()


# --- Seat ----------------------------------------------------------------------------------


class TestSeat:
    TIED = "En suppleantplads hører til en medlemsplads; en medlemsplads til ingen."
    SAME_FORUM = "Medlemspladsen skal være i samme forum og valgperiode."
    NAMES_BODY = "Angiv hvilket organ der udpeger, når KKR indstiller."

    def deputy(self, seat, **fields) -> Seat:
        values = {"forum": seat.forum, "period": seat.period, "label": "Suppleant 1", "kind": "deputy"}
        values.update(fields)
        return Seat(**values)

    def test_a_deputy_seat_for_the_member_seat_of_the_same_forum_is_accepted(self, seat):
        self.deputy(seat, deputy_for=seat).save_checked()
        assert seat.deputies.get().label == "Suppleant 1"

    def test_a_deputy_seat_without_a_member_seat_is_refused(self, seat):
        with pytest.raises(ValidationError) as error:
            self.deputy(seat).save_checked()
        assert_refused(error, "deputy_for", self.TIED)

    def test_a_member_seat_that_names_a_member_seat_is_refused(self, seat):
        with pytest.raises(ValidationError) as error:
            self.deputy(seat, kind="member", deputy_for=seat).save_checked()
        assert_refused(error, "deputy_for", self.TIED)

    def test_a_deputy_seat_without_a_member_seat_is_refused_by_the_form(self, seat):
        form = model_form(Seat, **{**model_to_dict(self.deputy(seat)), "mode": "appoints"})
        assert_form_refuses(form, "deputy_for", self.TIED)

    def test_a_deputy_seat_without_a_member_seat_is_refused_by_the_admin(self, staff_client, seat):
        assert_admin_refuses(
            staff_client,
            Seat,
            "deputy_for",
            self.TIED,
            forum=seat.forum_id,
            period=seat.period_id,
            label="Suppleant 1",
            kind="deputy",
        )

    def test_a_deputy_seat_without_a_member_seat_is_refused_by_the_database(self, seat):
        with refused_by_database("fora_seat_deputy_names_member_seat"):
            self.deputy(seat).save()

    def test_a_deputy_for_a_seat_in_another_forum_is_refused(self, seat):
        other = factories.SeatFactory(forum=factories.ForumFactory(name="Erhvervshus Fyn"), period=seat.period)
        with pytest.raises(ValidationError) as error:
            self.deputy(seat, deputy_for=other).save_checked()
        assert_refused(error, "deputy_for", self.SAME_FORUM)

    def test_a_deputy_for_a_seat_in_another_period_is_refused(self, seat, period_2022):
        old = factories.SeatFactory(forum=seat.forum, period=period_2022, label="Medlem 1")
        with pytest.raises(ValidationError) as error:
            self.deputy(seat, deputy_for=old).save_checked()
        assert_refused(error, "deputy_for", self.SAME_FORUM)

    def test_a_deputy_for_a_seat_in_another_forum_is_refused_by_the_admin(self, staff_client, seat):
        other = factories.SeatFactory(forum=factories.ForumFactory(name="Erhvervshus Fyn"), period=seat.period)
        assert_admin_refuses(
            staff_client,
            Seat,
            "deputy_for",
            self.SAME_FORUM,
            forum=seat.forum_id,
            period=seat.period_id,
            label="Suppleant 1",
            kind="deputy",
            deputy_for=other.pk,
        )

    def test_a_deputy_for_a_deputy_seat_is_refused(self, seat):
        first = self.deputy(seat, deputy_for=seat)
        first.save_checked()
        with pytest.raises(ValidationError) as error:
            self.deputy(seat, label="Suppleant 2", deputy_for=first).save_checked()
        assert_refused(error, "deputy_for", "En suppleant er suppleant for en medlemsplads.")

    def seat_inline(self, seat, **fields) -> dict:
        row = {"period": seat.period_id, "label": seat.label, "kind": "member", "mode": "appoints", "position": 0}
        row.update(fields)
        data = {"seats-TOTAL_FORMS": "1", "seats-INITIAL_FORMS": "0"}
        data.update({f"seats-0-{name}": value for name, value in row.items() if value is not None})
        return data

    def test_a_deputy_seat_for_another_forums_seat_is_refused_in_the_forums_admin_page(self, staff_client, seat):
        other = factories.SeatFactory(forum=factories.ForumFactory(name="Erhvervshus Fyn"), period=seat.period)
        response = admin_post(
            staff_client,
            Forum,
            seat.forum,
            **self.seat_inline(seat, label="Suppleant 1", kind="deputy", deputy_for=other.pk),
        )
        assert_inline_refused(response, "deputy_for", self.SAME_FORUM)
        assert seat.forum.seats.count() == 1

    def test_a_nominated_seat_without_an_appointing_body_is_refused_in_the_forums_admin_page(self, staff_client, seat):
        response = admin_post(staff_client, Forum, seat.forum, **self.seat_inline(seat, label="B", mode="nominates"))
        assert_inline_refused(response, "appointing_body", self.NAMES_BODY)
        assert seat.forum.seats.count() == 1

    def test_a_second_seat_with_the_same_label_is_refused_in_the_forums_admin_page(self, staff_client, seat):
        response = admin_post(staff_client, Forum, seat.forum, **self.seat_inline(seat))
        assert_inline_refused(response, "label", "Forummet har allerede en plads med denne betegnelse i valgperioden.")

    def test_a_second_seat_with_the_same_label_is_refused_by_the_seat_admin(self, staff_client, seat):
        assert_admin_refuses(
            staff_client,
            Seat,
            "label",
            "Forummet har allerede en plads med denne betegnelse i valgperioden.",
            forum=seat.forum_id,
            period=seat.period_id,
            label=seat.label,
            kind="member",
        )

    def test_a_nominated_seat_without_an_appointing_body_is_refused(self, forum, period):
        with pytest.raises(ValidationError) as error:
            Seat(forum=forum, period=period, label="Medlem 2", mode="nominates").save_checked()
        assert_refused(error, "appointing_body", self.NAMES_BODY)

    def test_a_nominated_seat_that_names_its_appointing_body_is_accepted(self, forum, period):
        Seat(
            forum=forum, period=period, label="Medlem 2", mode="nominates", appointing_body="Ministeren"
        ).save_checked()
        assert Seat.objects.get(label="Medlem 2").appointing_body == "Ministeren"

    def test_a_nominated_seat_without_an_appointing_body_is_refused_by_the_form(self, forum, period):
        form = model_form(Seat, forum=forum, period=period, label="Medlem 2", kind="member", mode="nominates")
        assert_form_refuses(form, "appointing_body", self.NAMES_BODY)

    def test_a_nominated_seat_without_an_appointing_body_is_refused_by_the_admin(self, staff_client, seat):
        assert_admin_refuses(staff_client, Seat, "appointing_body", self.NAMES_BODY, obj=seat, mode="nominates")

    def test_a_nominated_seat_without_an_appointing_body_is_refused_by_the_database(self, forum, period):
        with refused_by_database("fora_seat_nominated_names_body"):
            Seat.objects.create(forum=forum, period=period, label="Medlem 2", mode="nominates")


# --- Appointment: who may be appointed, and when -------------------------------------------


class TestEligibility:
    def test_a_person_from_sjaelland_is_refused_for_a_syddanmark_forum(self, seat, from_sjaelland):
        with pytest.raises(ValidationError) as error:
            services.propose(seat=seat, person=from_sjaelland, starts_on=day(3, 1))
        assert_refused(error, "person", NOT_ELIGIBLE)
        assert not Appointment.objects.exists()

    def test_a_councillor_of_the_area_who_is_not_a_kkr_member_is_accepted(self, seat, eligible):
        appointment = services.propose(seat=seat, person=eligible, starts_on=day(3, 1))
        assert appointment.status == Appointment.Status.PROPOSED
        assert not eligible.memberships.exists()

    def test_a_person_without_any_council_seat_is_refused(self, seat):
        with pytest.raises(ValidationError) as error:
            services.propose(seat=seat, person=factories.PersonFactory(), starts_on=day(3, 1))
        assert_refused(error, "person", NOT_ELIGIBLE)

    def test_a_councillor_whose_seat_begins_after_the_appointment_is_refused(self, seat, middelfart, period):
        person = councillor(middelfart, period, started_on=day(3, 2))
        with pytest.raises(ValidationError) as error:
            services.propose(seat=seat, person=person, starts_on=day(3, 1))
        assert_refused(error, "person", NOT_ELIGIBLE)

    def test_a_former_councillor_is_refused(self, seat, middelfart, period):
        from members.services import end_council_seat

        person = councillor(middelfart, period)
        end_council_seat(seat=person.council_seats.get(), ended_on=day(2, 28))
        with pytest.raises(ValidationError) as error:
            services.propose(seat=seat, person=person, starts_on=day(3, 1))
        assert_refused(error, "person", NOT_ELIGIBLE)

    def test_a_person_from_sjaelland_is_refused_by_the_form(self, seat, from_sjaelland):
        form = model_form(Appointment, seat=seat, person=from_sjaelland, status="proposed", starts_on="2026-03-01")
        assert_form_refuses(form, "person", NOT_ELIGIBLE)

    def test_a_person_from_sjaelland_is_refused_by_the_admin(self, staff_client, seat, from_sjaelland):
        assert_admin_refuses(
            staff_client,
            Appointment,
            "person",
            NOT_ELIGIBLE,
            seat=seat.pk,
            person=from_sjaelland.pk,
            starts_on="2026-03-01",
        )

    def test_moving_an_appointment_to_a_person_from_sjaelland_is_refused_by_the_admin(
        self, staff_client, seat, eligible, from_sjaelland
    ):
        appointment = services.propose(seat=seat, person=eligible, starts_on=day(3, 1))
        assert_admin_refuses(
            staff_client, Appointment, "person", NOT_ELIGIBLE, obj=appointment, person=from_sjaelland.pk
        )

    def test_a_decision_at_another_councils_meeting_is_refused(self, seat, eligible, sjaelland):
        meeting = factories.MeetingFactory(council=sjaelland)
        with pytest.raises(ValidationError) as error:
            services.propose(seat=seat, person=eligible, starts_on=day(3, 1), decided_at=meeting)
        assert_refused(error, "decided_at", "Mødet skal være et møde i KKR Syddanmark.")

    def test_an_appointment_starting_before_the_seats_period_is_refused(self, seat, eligible):
        with pytest.raises(ValidationError) as error:
            services.propose(seat=seat, person=eligible, starts_on=day(12, 31, 2025))
        assert_refused(error, "starts_on", OUTSIDE_PERIOD)

    def test_a_term_ending_after_the_seats_period_is_refused_by_the_form(self, seat, eligible):
        form = model_form(
            Appointment,
            seat=seat,
            person=eligible,
            status="proposed",
            starts_on="2026-03-01",
            term_ends_on="2030-01-01",
        )
        assert_form_refuses(form, "term_ends_on", OUTSIDE_PERIOD)

    def test_a_term_ending_after_the_seats_period_is_refused_by_the_admin(self, staff_client, seat, eligible):
        assert_admin_refuses(
            staff_client,
            Appointment,
            "term_ends_on",
            OUTSIDE_PERIOD,
            seat=seat.pk,
            person=eligible.pk,
            starts_on="2026-03-01",
            term_ends_on="2030-01-01",
        )

    def test_a_term_ending_before_it_starts_is_refused_by_the_admin(self, staff_client, seat, eligible):
        assert_admin_refuses(
            staff_client,
            Appointment,
            "term_ends_on",
            "Perioden kan ikke udløbe, før den er begyndt.",
            seat=seat.pk,
            person=eligible.pk,
            starts_on="2026-03-01",
            term_ends_on="2026-02-28",
        )

    def test_a_term_ending_before_it_starts_is_refused_by_the_database(self, seat, eligible):
        with refused_by_database("fora_appointment_term_after_start"):
            Appointment.objects.create(seat=seat, person=eligible, starts_on=day(3, 1), term_ends_on=day(2, 28))


# --- Appointment: one holder per seat ------------------------------------------------------


class TestOneHolderPerSeat:
    def test_appointing_a_second_holder_from_the_same_day_is_refused(self, seat, eligible, middelfart, period):
        first = appointed(seat, eligible, day(1, 15))
        second = services.propose(seat=seat, person=councillor(middelfart, period), starts_on=day(1, 15))
        with pytest.raises(ValidationError) as error:
            services.appoint(appointment=second, appointed_on=day(1, 10))
        assert_refused(error, "seat", f"{SEAT_TAKEN} {eligible} i en del af perioden.")
        second.refresh_from_db()
        first.refresh_from_db()
        assert (first.status, second.status) == ("appointed", "proposed")

    def test_appointing_a_holder_from_before_the_current_one_began_is_refused(self, seat, eligible, middelfart, period):
        first = appointed(seat, eligible, day(3, 1))
        earlier = services.propose(seat=seat, person=councillor(middelfart, period), starts_on=day(1, 15))
        with pytest.raises(ValidationError) as error:
            services.appoint(appointment=earlier, appointed_on=day(1, 10))
        assert_refused(error, "seat", SEAT_TAKEN)
        first.refresh_from_db()
        assert first.status == "appointed"

    def test_a_successor_on_the_same_seat_ends_the_holder_the_day_before(self, seat, eligible, middelfart, period):
        first = appointed(seat, eligible, day(1, 15))
        second = appointed(seat, councillor(middelfart, period), day(6, 1))
        first.refresh_from_db()
        assert (first.status, first.ended_on, first.end_reason) == ("ended", day(5, 31), "term_expired")
        assert second.status == "appointed"

    def test_two_proposals_for_one_seat_are_accepted(self, seat, eligible, middelfart, period):
        services.propose(seat=seat, person=eligible, starts_on=day(3, 1))
        services.propose(seat=seat, person=councillor(middelfart, period), starts_on=day(3, 1))
        assert seat.appointments.count() == 2

    def test_a_second_holder_is_refused_by_the_form(self, seat, eligible, middelfart, period):
        appointed(seat, eligible, day(1, 15))
        form = model_form(
            Appointment,
            seat=seat,
            person=councillor(middelfart, period),
            status="appointed",
            appointed_on="2026-02-25",
            starts_on="2026-03-01",
        )
        assert_form_refuses(form, "seat", SEAT_TAKEN)

    def test_moving_a_holders_start_into_the_previous_holders_time_is_impossible_in_the_admin(
        self, staff_client, seat, eligible, middelfart, period
    ):
        first = appointed(seat, eligible, day(1, 15))
        second = appointed(seat, councillor(middelfart, period), day(4, 1))
        first.refresh_from_db()
        before = (model_to_dict(first), model_to_dict(second))

        # Once appointed the start is read-only: a forged value in the POST is ignored, not saved.
        response = admin_post(staff_client, Appointment, second, starts_on="2026-03-01")

        assert response.status_code == 302
        first.refresh_from_db()
        second.refresh_from_db()
        assert second.starts_on == day(4, 1)
        assert (model_to_dict(first), model_to_dict(second)) == before

    @pytest.mark.postgres
    def test_the_database_refuses_a_second_holder_created_without_the_rules(self, seat, eligible, middelfart, period):
        appointed(seat, eligible, day(1, 15))
        with refused_by_database("fora_appointment_one_holder_at_a_time"):
            Appointment.objects.create(
                seat=seat,
                person=councillor(middelfart, period),
                status="appointed",
                appointed_on=day(2, 25),
                starts_on=day(3, 1),
            )

    @pytest.mark.postgres
    def test_the_database_refuses_overlapping_holders_in_one_bulk_create(self, seat, eligible, middelfart, period):
        other = councillor(middelfart, period)
        with refused_by_database("fora_appointment_one_holder_at_a_time"):
            Appointment.objects.bulk_create(
                [
                    Appointment(
                        seat=seat,
                        person=person,
                        status="ended",
                        appointed_on=day(1, 10),
                        starts_on=starts_on,
                        ended_on=day(9, 30),
                        end_reason="resigned",
                    )
                    for person, starts_on in [(eligible, day(1, 15)), (other, day(6, 1))]
                ]
            )

    @pytest.mark.postgres
    def test_the_database_accepts_holders_one_after_the_other(self, seat, eligible, middelfart, period):
        Appointment.objects.bulk_create(
            [
                Appointment(
                    seat=seat,
                    person=eligible,
                    status="ended",
                    appointed_on=day(1, 10),
                    starts_on=day(1, 15),
                    ended_on=day(5, 31),
                    end_reason="resigned",
                ),
                Appointment(
                    seat=seat,
                    person=councillor(middelfart, period),
                    status="appointed",
                    appointed_on=day(5, 20),
                    starts_on=day(6, 1),
                ),
            ]
        )
        assert seat.appointments.holding().count() == 2


# --- Appointment: the process --------------------------------------------------------------


class TestProcess:
    @pytest.fixture
    def proposal(self, seat, eligible) -> Appointment:
        return services.propose(seat=seat, person=eligible, starts_on=day(3, 1))

    def test_an_appointment_goes_from_proposed_to_nominated_to_appointed_to_ended(self, proposal):
        nominated = services.nominate(appointment=proposal, nominated_on=day(2, 1))
        assert (nominated.status, nominated.nominated_on) == ("nominated", day(2, 1))
        appointment = services.appoint(appointment=nominated, appointed_on=day(2, 20))
        assert (appointment.status, appointment.appointed_on) == ("appointed", day(2, 20))
        ended = services.end(appointment=appointment, ended_on=day(9, 30), reason="resigned")
        ended.refresh_from_db()
        assert (ended.status, ended.ended_on, ended.end_reason) == ("ended", day(9, 30), "resigned")

    def test_the_kkr_may_appoint_a_proposal_directly(self, proposal):
        assert services.appoint(appointment=proposal, appointed_on=day(2, 20)).status == "appointed"

    def test_an_ended_appointment_cannot_be_appointed_again(self, proposal):
        services.appoint(appointment=proposal, appointed_on=day(2, 20))
        services.end(appointment=proposal, ended_on=day(9, 30), reason="resigned")
        with pytest.raises(ValidationError) as error:
            services.appoint(appointment=proposal, appointed_on=day(10, 1))
        assert_refused(error, "status", "En udpegning kan ikke gå fra »ophørt« til »udpeget«.")
        proposal.refresh_from_db()
        assert (proposal.status, proposal.appointed_on) == ("ended", day(2, 20))

    def test_an_appointed_person_cannot_go_back_to_nominated(self, proposal):
        services.appoint(appointment=proposal, appointed_on=day(2, 20))
        with pytest.raises(ValidationError) as error:
            services.nominate(appointment=proposal, nominated_on=day(3, 1))
        assert_refused(error, "status", "En udpegning kan ikke gå fra »udpeget« til »indstillet«.")
        proposal.refresh_from_db()
        assert (proposal.status, proposal.nominated_on) == ("appointed", None)

    def test_an_ended_appointment_cannot_end_twice(self, proposal):
        services.end(appointment=proposal, ended_on=day(3, 1), reason="withdrawn")
        with pytest.raises(ValidationError) as error:
            services.end(appointment=proposal, ended_on=day(3, 1), reason="other")
        assert_refused(error, "status", "En udpegning kan ikke gå fra »ophørt« til »ophørt«.")

    def test_an_appointment_without_a_decision_date_is_refused(self, proposal):
        with pytest.raises(ValidationError) as error:
            services.appoint(appointment=proposal, appointed_on=None)
        assert_refused(error, "appointed_on", NEEDS_DECISION_DATE)
        proposal.refresh_from_db()
        assert proposal.status == "proposed"

    def test_a_nomination_without_a_date_is_refused(self, proposal):
        with pytest.raises(ValidationError) as error:
            services.nominate(appointment=proposal, nominated_on=None)
        assert_refused(error, "nominated_on", "En indstilling skal have en dato.")

    def test_an_end_without_a_reason_is_refused(self, proposal):
        services.appoint(appointment=proposal, appointed_on=day(2, 20))
        with pytest.raises(ValidationError) as error:
            services.end(appointment=proposal, ended_on=day(9, 30), reason="")
        assert_refused(error, "ended_on", ENDED_NEEDS_DATE_AND_REASON)
        proposal.refresh_from_db()
        assert proposal.status == "appointed"

    def test_an_end_without_a_date_is_refused(self, proposal):
        services.appoint(appointment=proposal, appointed_on=day(2, 20))
        with pytest.raises(ValidationError) as error:
            services.end(appointment=proposal, ended_on=None, reason="resigned")
        assert_refused(error, "ended_on", ENDED_NEEDS_DATE_AND_REASON)

    def test_an_end_before_the_start_is_refused_with_that_message_alone(self, proposal):
        services.appoint(appointment=proposal, appointed_on=day(2, 20))
        with pytest.raises(ValidationError) as error:
            services.end(appointment=proposal, ended_on=day(2, 28), reason="resigned")
        assert error.value.message_dict == {"ended_on": [ENDS_AFTER_START]}

    def test_an_appointed_status_without_a_decision_date_is_refused_by_the_form(self, seat, eligible):
        form = model_form(Appointment, seat=seat, person=eligible, status="appointed", starts_on="2026-03-01")
        assert_form_refuses(form, "appointed_on", NEEDS_DECISION_DATE)

    def test_an_ended_status_without_a_reason_is_refused_by_the_form(self, seat, eligible):
        form = model_form(
            Appointment, seat=seat, person=eligible, status="ended", starts_on="2026-03-01", ended_on="2026-04-01"
        )
        assert_form_refuses(form, "ended_on", ENDED_NEEDS_DATE_AND_REASON)

    def test_an_ended_appointment_cannot_be_appointed_again_through_a_form(self, proposal):
        services.appoint(appointment=proposal, appointed_on=day(2, 20))
        services.end(appointment=proposal, ended_on=day(9, 30), reason="resigned")
        proposal.refresh_from_db()
        form = model_form(Appointment, proposal, status="appointed", ended_on="", end_reason="")
        assert not form.is_valid()

    def test_the_admin_cannot_set_the_status(self, staff_client, seat, eligible):
        assert_admin_accepts(
            staff_client,
            Appointment,
            seat=seat.pk,
            person=eligible.pk,
            starts_on="2026-03-01",
            status="appointed",
            appointed_on="2026-02-20",
        )
        appointment = Appointment.objects.get()
        assert (appointment.status, appointment.appointed_on) == ("proposed", None)

    def test_moving_an_ended_appointments_start_past_its_end_is_impossible_in_the_admin(self, staff_client, proposal):
        services.appoint(appointment=proposal, appointed_on=day(2, 20))
        services.end(appointment=proposal, ended_on=day(4, 30), reason="resigned")
        proposal.refresh_from_db()
        before = model_to_dict(proposal)

        # Start and end are both read-only once ended: a forged start in the POST is ignored.
        response = admin_post(staff_client, Appointment, proposal, starts_on="2026-05-15")

        assert response.status_code == 302
        proposal.refresh_from_db()
        assert model_to_dict(proposal) == before
        assert proposal.starts_on <= proposal.ended_on == day(4, 30)

    def test_an_appointed_row_without_a_decision_date_is_refused_by_the_database(self, seat, eligible):
        with refused_by_database("fora_appointment_appointed_has_decision_date"):
            Appointment(seat=seat, person=eligible, status="appointed", starts_on=day(3, 1)).save()

    def test_a_nominated_row_without_a_date_is_refused_by_the_database(self, seat, eligible):
        with refused_by_database("fora_appointment_nominated_has_date"):
            Appointment(seat=seat, person=eligible, status="nominated", starts_on=day(3, 1)).save()

    def test_an_ended_row_without_a_date_and_reason_is_refused_by_the_database(self, proposal):
        proposal.status = "ended"
        with refused_by_database("fora_appointment_ended_has_date_and_reason"):
            proposal.save()

    def test_an_ended_row_without_a_reason_is_refused_by_the_database(self, proposal):
        proposal.status, proposal.ended_on = "ended", day(4, 1)
        with refused_by_database("fora_appointment_ended_has_date_and_reason"):
            proposal.save()

    def test_a_row_that_is_not_ended_but_has_an_end_date_is_refused_by_the_database(self, proposal):
        proposal.ended_on, proposal.end_reason = day(4, 1), "resigned"
        with refused_by_database("fora_appointment_ended_has_date_and_reason"):
            proposal.save()


# --- Appointment: carry-over ---------------------------------------------------------------


class TestCarryOver:
    @pytest.fixture
    def old_seat(self, forum, period_2022) -> Seat:
        return factories.SeatFactory(forum=forum, period=period_2022, label="Medlem 1")

    @pytest.fixture
    def old_holder(self, odense, period_2022):
        return councillor(odense, period_2022, started_on=day(1, 1, 2022), name="Carl Carry")

    def test_an_appointee_whose_term_ended_without_a_successor_is_a_carry_over(
        self, old_seat, old_holder, frozen_today
    ):
        appointment = appointed(old_seat, old_holder, day(3, 1, 2022), term_ends_on=day(12, 31, 2025))
        assert appointment.is_carry_over(TODAY)
        assert list(Appointment.objects.carry_overs()) == [appointment]
        assert list(Appointment.objects.current()) == [appointment]

    def test_an_appointee_whose_term_ended_with_the_period_is_a_carry_over(self, old_seat, old_holder, frozen_today):
        appointment = appointed(old_seat, old_holder, day(3, 1, 2022))
        assert appointment.term_ends_on is None
        assert appointment.is_carry_over(TODAY)
        assert list(Appointment.objects.carry_overs()) == [appointment]

    def test_an_appointee_within_the_term_is_no_carry_over(self, seat, eligible, frozen_today):
        appointment = appointed(seat, eligible, day(3, 1), term_ends_on=day(12, 31, 2029))
        assert not appointment.is_carry_over(TODAY)
        assert not Appointment.objects.carry_overs().exists()

    def test_an_ended_appointment_is_no_carry_over(self, old_seat, old_holder, frozen_today):
        appointment = appointed(old_seat, old_holder, day(3, 1, 2022), term_ends_on=day(12, 31, 2025))
        services.end(appointment=appointment, ended_on=day(3, 31), reason="left_council")
        assert not Appointment.objects.carry_overs().exists()

    def test_a_successor_on_the_next_periods_seat_ends_the_carry_over_the_day_before(
        self, old_seat, old_holder, seat, eligible, frozen_today
    ):
        carry_over = appointed(old_seat, old_holder, day(3, 1, 2022), term_ends_on=day(12, 31, 2025))
        seat.previous_seat = old_seat
        seat.save_checked()
        assert list(Seat.objects.vacant()) == [], "a seat whose carry-over still sits is not vacant"
        successor = appointed(seat, eligible, day(11, 1))
        carry_over.refresh_from_db()
        assert (carry_over.status, carry_over.ended_on, carry_over.end_reason) == (
            "ended",
            day(10, 31),
            "term_expired",
        )
        assert not Appointment.objects.carry_overs().exists()
        assert list(Appointment.objects.current()) == [successor]

    def test_a_successor_on_a_seat_that_does_not_continue_the_old_one_leaves_the_carry_over(
        self, old_seat, old_holder, forum, period, eligible, frozen_today
    ):
        carry_over = appointed(old_seat, old_holder, day(3, 1, 2022), term_ends_on=day(12, 31, 2025))
        other_seat = factories.SeatFactory(forum=forum, period=period, label="Medlem 1 (ny)")
        appointed(other_seat, eligible, day(11, 1))
        assert list(Appointment.objects.carry_overs()) == [carry_over]

    def test_a_proposed_successor_does_not_end_the_carry_over(self, old_seat, old_holder, seat, eligible, frozen_today):
        carry_over = appointed(old_seat, old_holder, day(3, 1, 2022), term_ends_on=day(12, 31, 2025))
        services.propose(seat=seat, person=eligible, starts_on=day(11, 1))
        assert list(Appointment.objects.carry_overs()) == [carry_over]


class TestContinuedSeat:
    def test_a_seat_cannot_continue_a_seat_of_the_same_or_a_later_period(self, forum, period, period_2022):
        old = factories.SeatFactory(forum=forum, period=period_2022, label="Medlem 1")
        new = factories.SeatFactory(forum=forum, period=period, label="Medlem 1")
        old.previous_seat = new
        with pytest.raises(ValidationError) as error:
            old.save_checked()
        assert_refused(error, "previous_seat", "Den fortsatte plads skal høre til en tidligere valgperiode.")

    def test_a_member_seat_cannot_continue_a_deputy_seat(self, forum, period, period_2022):
        member = factories.SeatFactory(forum=forum, period=period_2022, label="Medlem 1")
        deputy = factories.SeatFactory(
            forum=forum, period=period_2022, label="Suppleant 1", kind="deputy", deputy_for=member
        )
        new = factories.SeatFactory.build(forum=forum, period=period, label="Medlem 1", previous_seat=deputy)
        with pytest.raises(ValidationError) as error:
            new.save_checked()
        assert_refused(
            error,
            "previous_seat",
            "Den fortsatte plads skal være samme slags plads i samme forum eller dets forgænger.",
        )

    def test_a_seat_may_continue_a_seat_of_the_forum_it_replaced(self, forum, period, period_2022):
        old_forum = factories.ForumFactory(council=forum.council)
        old = factories.SeatFactory(forum=old_forum, period=period_2022, label="Medlem 1")
        old_forum.successor = forum
        old_forum.save_checked()
        new = factories.SeatFactory.build(forum=forum, period=period, label="Medlem 1", previous_seat=old)
        new.save_checked()
        assert old.next_seat == new
