"""Every rule of the members app, broken on purpose: through the service, a ModelForm and the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from kkr_portal.db import ENDS_AFTER_START
from members import services
from members.models import AgendaItem, Chairmanship, Council, CouncilSeat, ElectionPeriod, KKRMembership, Meeting, Party
from tests import factories, rules_helpers
from tests.rules_helpers import (
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

PERIOD_ENDS_AFTER_START = "Valgperioden skal slutte efter, at den er begyndt."

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client
frozen_today = rules_helpers.frozen_today

OUTSIDE_PERIOD = "Datoen skal ligge i valgperioden 2026-2029"
NOT_VOTING = "Formand og næstformand skal være medlemmer af KKR Syddanmark med stemmeret, så længe de har posten."
NOT_IN_AREA = "Personen sidder ikke i kommunalbestyrelsen i en af kommunerne i KKR Syddanmark på startdatoen."


def day(month: int, dom: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, dom)


# --- ElectionPeriod ------------------------------------------------------------------------


class TestElectionPeriod:
    def new(self, **fields) -> ElectionPeriod:
        values = {"name": "2030-2033", "starts_on": day(1, 1, 2030), "ends_on": day(12, 31, 2033)}
        values.update(fields)
        return ElectionPeriod(**values)

    def test_a_period_that_ends_before_it_starts_is_refused(self, db):
        with pytest.raises(ValidationError) as error:
            self.new(ends_on=day(12, 31, 2029)).save_checked()
        assert_refused(error, "ends_on", PERIOD_ENDS_AFTER_START)

    def test_a_period_that_ends_on_its_first_day_is_refused(self, db):
        with pytest.raises(ValidationError) as error:
            self.new(ends_on=day(1, 1, 2030)).save_checked()
        assert_refused(error, "ends_on", PERIOD_ENDS_AFTER_START)

    def test_a_period_that_ends_before_it_starts_is_refused_by_the_form(self, db):
        form = model_form(ElectionPeriod, **model_to_dict(self.new(ends_on=day(6, 1, 2029))))
        assert_form_refuses(form, "ends_on", PERIOD_ENDS_AFTER_START)

    def test_a_period_that_ends_before_it_starts_is_refused_by_the_admin(self, staff_client):
        assert_admin_refuses(
            staff_client,
            ElectionPeriod,
            "ends_on",
            PERIOD_ENDS_AFTER_START,
            name="2030-2033",
            starts_on="2030-01-01",
            ends_on="2029-06-01",
        )

    def test_a_period_that_ends_before_it_starts_is_refused_by_the_database(self, db):
        with refused_by_database("members_electionperiod_ends_after_start"):
            self.new(ends_on=day(12, 31, 2029)).save()

    def test_an_election_day_after_the_start_is_refused(self, db):
        with pytest.raises(ValidationError) as error:
            self.new(election_day=day(1, 2, 2030)).save_checked()
        assert "Valgdagen skal ligge før periodens start." in str(error.value)

    def test_an_election_day_after_the_start_is_reported_on_the_election_day(self, db):
        with pytest.raises(ValidationError) as error:
            self.new(election_day=day(1, 1, 2030)).save_checked()
        assert_refused(error, "election_day", "Valgdagen skal ligge før periodens start.")

    def test_an_election_day_after_the_start_is_refused_by_the_form(self, db):
        form = model_form(ElectionPeriod, **model_to_dict(self.new(election_day=day(3, 1, 2030))))
        assert not form.is_valid()
        assert "Valgdagen skal ligge før periodens start." in str(form.errors)

    def test_an_election_day_after_the_start_is_refused_by_the_admin(self, staff_client):
        before = ElectionPeriod.objects.count()
        response = rules_helpers.admin_post(
            staff_client,
            ElectionPeriod,
            name="2030-2033",
            starts_on="2030-01-01",
            ends_on="2033-12-31",
            election_day="2030-01-01",
        )
        assert response.status_code == 200
        assert "Valgdagen skal ligge før periodens start." in response.content.decode()
        assert ElectionPeriod.objects.count() == before

    def test_an_election_day_after_the_start_is_refused_by_the_database(self, db):
        with refused_by_database("members_electionperiod_election_before_start"):
            self.new(election_day=day(1, 2, 2030)).save()

    def test_a_period_that_overlaps_another_is_refused(self, period):
        with pytest.raises(ValidationError) as error:
            self.new(name="2029-2032", starts_on=day(12, 31, 2029), ends_on=day(12, 31, 2032)).save_checked()
        assert_refused(error, "starts_on", "Valgperioden overlapper valgperioden 2026-2029.")

    def test_a_period_that_starts_the_day_after_the_last_one_ends_is_accepted(self, period):
        self.new().save_checked()
        assert ElectionPeriod.objects.filter(name="2030-2033").exists()

    def test_a_period_that_overlaps_another_is_refused_by_the_form(self, period):
        form = model_form(ElectionPeriod, name="2029-2032", starts_on="2029-06-01", ends_on="2032-12-31")
        assert_form_refuses(form, "starts_on", "Valgperioden overlapper valgperioden 2026-2029.")

    def test_a_period_that_overlaps_another_is_refused_by_the_admin(self, staff_client, period):
        assert_admin_refuses(
            staff_client,
            ElectionPeriod,
            "starts_on",
            "Valgperioden overlapper valgperioden 2026-2029.",
            name="2029-2032",
            starts_on="2029-06-01",
            ends_on="2032-12-31",
        )

    def test_moving_a_period_onto_another_is_refused_by_the_admin(self, staff_client, period_2022):
        assert_admin_refuses(
            staff_client,
            ElectionPeriod,
            "starts_on",
            "Valgperioden overlapper valgperioden 2026-2029.",
            obj=period_2022,
            ends_on="2026-03-01",
        )

    @pytest.mark.postgres
    def test_a_period_that_overlaps_another_is_refused_by_the_database(self, period):
        with refused_by_database("members_electionperiod_no_overlap"):
            self.new(name="2029-2032", starts_on=day(6, 1, 2029), ends_on=day(12, 31, 2032)).save()


# --- Party ---------------------------------------------------------------------------------


class TestParty:
    LOCAL_LIST = "En lokalliste hører til én kommune; et landsparti til ingen."

    def test_a_local_list_without_a_municipality_is_refused(self, db):
        with pytest.raises(ValidationError) as error:
            Party(name="Borgerlisten", short_name="Borgerlisten", kind=Party.Kind.LOCAL).save_checked()
        assert_refused(error, "municipality", self.LOCAL_LIST)

    def test_a_national_party_with_a_municipality_is_refused(self, odense):
        with pytest.raises(ValidationError) as error:
            Party(name="Nyt parti", short_name="Nyt", kind=Party.Kind.NATIONAL, municipality=odense).save_checked()
        assert_refused(error, "municipality", self.LOCAL_LIST)

    def test_a_local_list_with_its_municipality_is_accepted(self, odense):
        Party(name="Borgerlisten", short_name="Borgerlisten", kind=Party.Kind.LOCAL, municipality=odense).save_checked()
        assert Party.objects.get(name="Borgerlisten").municipality == odense

    def test_a_local_list_without_a_municipality_is_refused_by_the_form(self, db):
        form = model_form(Party, name="Borgerlisten", short_name="Borgerlisten", kind="local")
        assert_form_refuses(form, "municipality", self.LOCAL_LIST)

    def test_a_local_list_without_a_municipality_is_refused_by_the_admin(self, staff_client):
        assert_admin_refuses(
            staff_client,
            Party,
            "municipality",
            self.LOCAL_LIST,
            name="Borgerlisten",
            short_name="Borgerlisten",
            kind="local",
        )

    def test_a_local_list_without_a_municipality_is_refused_by_the_database(self, db):
        with refused_by_database("members_party_local_list_has_municipality"):
            Party(name="Borgerlisten", short_name="Borgerlisten", kind=Party.Kind.LOCAL).save()

    LETTER_TAKEN = "Et andet landsparti har allerede dette bogstav."

    def test_a_second_national_party_with_the_same_letter_is_refused(self, venstre):
        with pytest.raises(ValidationError) as error:
            Party(letter="V", name="Nye Venstre", short_name="Nye Venstre").save_checked()
        assert_refused(error, "letter", self.LETTER_TAKEN)

    def test_a_local_list_may_use_a_national_letter(self, venstre, odense):
        Party(
            letter="V", name="Odense-listen", short_name="Odense-listen", kind="local", municipality=odense
        ).save_checked()
        assert Party.objects.filter(letter="V").count() == 2

    def test_a_second_national_party_with_the_same_letter_is_refused_by_the_form(self, venstre):
        form = model_form(Party, letter="V", name="Nye Venstre", short_name="Nye Venstre", kind="national")
        assert_form_refuses(form, "letter", self.LETTER_TAKEN)

    def test_a_second_national_party_with_the_same_letter_is_refused_by_the_admin(self, staff_client, venstre):
        assert_admin_refuses(
            staff_client, Party, "letter", self.LETTER_TAKEN, letter="V", name="Nye Venstre", short_name="Nye Venstre"
        )

    def test_a_second_national_party_with_the_same_letter_is_refused_by_the_database(self, venstre):
        with refused_by_database("members_party_national_letter_unique", unique_columns="members_party.letter"):
            Party(letter="V", name="Nye Venstre", short_name="Nye Venstre").save()

    NAME_TAKEN = "Et parti med dette navn findes allerede."
    LOCAL_NAME_TAKEN = "Kommunen har allerede en liste med dette navn."

    def test_a_second_national_party_with_the_same_name_is_refused(self, venstre):
        with pytest.raises(ValidationError) as error:
            Party(letter="Q", name=venstre.name, short_name="Venstre 2").save_checked()
        assert_refused(error, "name", self.NAME_TAKEN)

    def test_a_second_national_party_with_the_same_name_is_refused_by_the_form(self, venstre):
        form = model_form(Party, letter="Q", name=venstre.name, short_name="Venstre 2", kind="national")
        assert_form_refuses(form, "name", self.NAME_TAKEN)

    def test_a_second_national_party_with_the_same_name_is_refused_by_the_admin(self, staff_client, venstre):
        assert_admin_refuses(
            staff_client, Party, "name", self.NAME_TAKEN, letter="Q", name=venstre.name, short_name="Venstre 2"
        )

    def test_a_second_national_party_with_the_same_name_is_refused_by_the_database(self, venstre):
        with refused_by_database("members_party_national_name_unique", unique_columns="members_party.name"):
            Party(letter="Q", name=venstre.name, short_name="Venstre 2").save()

    def test_two_local_lists_with_the_same_name_in_one_municipality_are_refused(self, odense):
        Party(name="Borgerlisten", short_name="Borgerlisten", kind="local", municipality=odense).save_checked()
        with pytest.raises(ValidationError) as error:
            Party(name="Borgerlisten", short_name="BL", kind="local", municipality=odense).save_checked()
        assert_refused(error, "name", self.LOCAL_NAME_TAKEN)

    def test_local_lists_with_the_same_name_in_two_municipalities_are_accepted(self, odense, middelfart):
        Party(name="Borgerlisten", short_name="Borgerlisten", kind="local", municipality=odense).save_checked()
        Party(name="Borgerlisten", short_name="Borgerlisten", kind="local", municipality=middelfart).save_checked()
        assert Party.objects.filter(name="Borgerlisten").count() == 2

    def test_two_local_lists_with_the_same_name_in_one_municipality_are_refused_by_the_admin(
        self, staff_client, odense
    ):
        Party(name="Borgerlisten", short_name="Borgerlisten", kind="local", municipality=odense).save_checked()
        assert_admin_refuses(
            staff_client,
            Party,
            "name",
            self.LOCAL_NAME_TAKEN,
            name="Borgerlisten",
            short_name="BL",
            kind="local",
            municipality=odense.pk,
        )

    def test_two_local_lists_with_the_same_name_in_one_municipality_are_refused_by_the_database(self, odense):
        Party(name="Borgerlisten", short_name="Borgerlisten", kind="local", municipality=odense).save()
        with refused_by_database(
            "members_party_local_name_unique", unique_columns="members_party.municipality_id, members_party.name"
        ):
            Party(name="Borgerlisten", short_name="BL", kind="local", municipality=odense).save()


# --- CouncilSeat ---------------------------------------------------------------------------


class TestCouncilSeatDates:
    def test_a_seat_that_ends_before_it_starts_is_refused(self, odense, period):
        person = councillor(odense, period, started_on=day(3, 1))
        seat = person.council_seats.get()
        with pytest.raises(ValidationError) as error:
            services.end_council_seat(seat=seat, ended_on=day(2, 1))
        assert_refused(error, "ended_on", ENDS_AFTER_START)
        seat.refresh_from_db()
        assert seat.ended_on is None

    def test_a_mayoralty_that_ends_before_it_starts_is_refused_with_that_message_alone(self, odense, period):
        seat = councillor(odense, period, role="mayor", started_on=day(3, 1)).council_seats.get()
        with pytest.raises(ValidationError) as error:
            services.end_council_seat(seat=seat, ended_on=day(2, 1))
        assert error.value.message_dict == {"ended_on": [ENDS_AFTER_START]}

    def test_a_seat_that_ends_before_it_starts_is_refused_by_the_form(self, odense, period):
        seat = councillor(odense, period, started_on=day(3, 1)).council_seats.get()
        assert_form_refuses(model_form(CouncilSeat, seat, ended_on="2026-02-01"), "ended_on", ENDS_AFTER_START)

    def test_a_seat_that_ends_before_it_starts_is_refused_by_the_admin(self, staff_client, odense, period):
        seat = councillor(odense, period, started_on=day(3, 1)).council_seats.get()
        assert_admin_refuses(staff_client, CouncilSeat, "ended_on", ENDS_AFTER_START, obj=seat, ended_on="2026-02-01")

    def test_a_seat_that_ends_before_it_starts_is_refused_by_the_database(self, odense, period):
        seat = councillor(odense, period, started_on=day(3, 1)).council_seats.get()
        seat.ended_on = day(2, 1)
        with refused_by_database("members_councilseat_ends_after_start"):
            seat.save()

    def test_a_seat_that_starts_before_its_period_is_refused(self, odense, period):
        with pytest.raises(ValidationError) as error:
            councillor(odense, period, started_on=day(12, 1, 2025))
        assert_refused(error, "started_on", OUTSIDE_PERIOD)
        assert not CouncilSeat.objects.exists()

    def test_a_seat_that_ends_after_its_period_is_refused(self, odense, period):
        seat = councillor(odense, period).council_seats.get()
        with pytest.raises(ValidationError) as error:
            services.end_council_seat(seat=seat, ended_on=day(1, 1, 2030))
        assert_refused(error, "ended_on", OUTSIDE_PERIOD)

    def test_a_seat_on_the_first_and_last_day_of_its_period_is_accepted(self, odense, period):
        seat = councillor(odense, period, started_on=period.starts_on).council_seats.get()
        services.end_council_seat(seat=seat, ended_on=period.ends_on)
        seat.refresh_from_db()
        assert (seat.started_on, seat.ended_on) == (period.starts_on, period.ends_on)

    def test_a_seat_outside_its_period_is_refused_by_the_form(self, odense, period):
        form = model_form(
            CouncilSeat,
            person=factories.PersonFactory(),
            municipality=odense,
            period=period,
            role="member",
            started_on="2025-12-31",
        )
        assert_form_refuses(form, "started_on", OUTSIDE_PERIOD)

    def test_a_seat_outside_its_period_is_refused_by_the_admin(self, staff_client, odense, period):
        assert_admin_refuses(
            staff_client,
            CouncilSeat,
            "started_on",
            OUTSIDE_PERIOD,
            person=factories.PersonFactory().pk,
            municipality=odense.pk,
            period=period.pk,
            role="member",
            started_on="2025-12-31",
        )


class TestOneMayorAtATime:
    def test_a_second_mayor_for_the_same_municipality_is_refused(self, odense, period):
        first = councillor(odense, period, role="mayor", name="Peter Rahbæk Juel")
        with pytest.raises(ValidationError) as error:
            councillor(odense, period, role="mayor", started_on=day(6, 1))
        assert_refused(error, "role", f"Odense har allerede {first} som borgmester i en del af perioden.")
        assert CouncilSeat.objects.mayors().filter(municipality=odense).count() == 1

    def test_mayors_of_two_municipalities_are_accepted(self, odense, middelfart, period):
        councillor(odense, period, role="mayor")
        councillor(middelfart, period, role="mayor")
        assert CouncilSeat.objects.mayors().count() == 2

    def test_a_mayor_whose_dates_overlap_an_ended_mayoralty_is_refused(self, odense, period):
        first = councillor(odense, period, role="mayor")
        services.end_council_seat(seat=first.council_seats.get(), ended_on=day(6, 30))
        with pytest.raises(ValidationError) as error:
            councillor(odense, period, role="mayor", started_on=day(6, 30))
        assert_refused(error, "role", "Odense har allerede")

    def test_a_mayor_from_the_day_after_the_last_mayoralty_ended_is_accepted(self, odense, period):
        first = councillor(odense, period, role="mayor")
        services.end_council_seat(seat=first.council_seats.get(), ended_on=day(6, 30))
        councillor(odense, period, role="mayor", started_on=day(7, 1))
        assert CouncilSeat.objects.mayors().filter(municipality=odense).count() == 2

    def test_a_second_mayor_is_refused_by_the_form(self, odense, period):
        councillor(odense, period, role="mayor")
        form = model_form(
            CouncilSeat,
            person=factories.PersonFactory(),
            municipality=odense,
            period=period,
            role="mayor",
            started_on="2026-06-01",
        )
        assert_form_refuses(form, "role", "Odense har allerede")

    def test_a_second_mayor_is_refused_by_the_admin(self, staff_client, odense, period):
        councillor(odense, period, role="mayor")
        assert_admin_refuses(
            staff_client,
            CouncilSeat,
            "role",
            "Odense har allerede",
            person=factories.PersonFactory().pk,
            municipality=odense.pk,
            period=period.pk,
            role="mayor",
            started_on="2026-06-01",
        )

    def test_the_role_of_a_recorded_seat_cannot_be_changed_in_the_admin(self, staff_client, odense, period):
        # A councillor who becomes mayor gets a new seat (services.record_mayor); the old one is kept.
        councillor(odense, period, role="mayor")
        seat = councillor(odense, period).council_seats.get()
        admin_post(staff_client, CouncilSeat, seat, role="mayor")
        seat.refresh_from_db()
        assert seat.role == "member"
        assert CouncilSeat.objects.filter(municipality=odense, role="mayor").count() == 1

    def test_a_second_mayor_added_in_the_admin_is_refused(self, staff_client, odense, period):
        councillor(odense, period, role="mayor")
        other = factories.PersonFactory()
        assert_admin_refuses(
            staff_client,
            CouncilSeat,
            "role",
            "Odense har allerede",
            person=other.pk,
            municipality=odense.pk,
            period=period.pk,
            role="mayor",
            started_on="2026-03-01",
        )

    def test_two_open_mayoralties_are_refused_by_the_constraint_on_every_database(self, odense, period):
        councillor(odense, period, role="mayor")
        second = CouncilSeat(
            person=factories.PersonFactory(), municipality=odense, period=period, role="mayor", started_on=day(6, 1)
        )
        with pytest.raises(ValidationError) as error:
            second.validate_constraints()
        assert_refused(
            error, "role", "Kommunen har allerede en borgmester. Afslut det nuværende borgmesterhverv først."
        )

    def test_two_open_mayoralties_are_refused_by_the_database(self, odense, period):
        councillor(odense, period, role="mayor")
        second = CouncilSeat(
            person=factories.PersonFactory(), municipality=odense, period=period, role="mayor", started_on=day(6, 1)
        )
        # On PostgreSQL the date-range exclusion may answer before the partial unique index.
        with refused_by_database(
            ("members_councilseat_one_mayor", "members_councilseat_one_mayor_at_a_time"),
            unique_columns="members_councilseat.municipality_id, members_councilseat.period_id",
        ):
            second.save()

    @pytest.mark.postgres
    def test_overlapping_dated_mayoralties_are_refused_by_the_database(self, odense, period):
        first = councillor(odense, period, role="mayor")
        services.end_council_seat(seat=first.council_seats.get(), ended_on=day(6, 30))
        second = CouncilSeat(
            person=factories.PersonFactory(), municipality=odense, period=period, role="mayor", started_on=day(6, 1)
        )
        with refused_by_database("members_councilseat_one_mayor_at_a_time"):
            second.save()

    @pytest.mark.postgres
    def test_overlapping_dated_mayoralties_are_reported_on_the_role(self, odense, period):
        first = councillor(odense, period, role="mayor")
        services.end_council_seat(seat=first.council_seats.get(), ended_on=day(6, 30))
        second = CouncilSeat(
            person=factories.PersonFactory(), municipality=odense, period=period, role="mayor", started_on=day(6, 1)
        )
        with pytest.raises(ValidationError) as error:
            second.validate_constraints()
        assert_refused(error, "role", "Kommunen havde en anden borgmester i en del af perioden.")


class TestOneOpenSeatPerPerson:
    TAKEN = "Personen har allerede et åbent mandat i denne valgperiode. Afslut det først."

    def test_a_second_open_seat_in_the_same_period_is_refused(self, odense, middelfart, period):
        person = councillor(odense, period)
        with pytest.raises(ValidationError) as error:
            services.add_council_seat(person=person, municipality=middelfart, period=period, started_on=day(6, 1))
        assert_refused(error, "person", self.TAKEN)
        assert person.council_seats.count() == 1

    def test_a_new_seat_after_the_old_one_ended_is_accepted(self, odense, middelfart, period):
        person = councillor(odense, period)
        services.end_council_seat(seat=person.council_seats.get(), ended_on=day(5, 31))
        services.add_council_seat(person=person, municipality=middelfart, period=period, started_on=day(6, 1))
        assert person.council_seats.count() == 2

    def test_open_seats_in_two_periods_are_accepted(self, odense, period, period_2022):
        person = councillor(odense, period_2022)
        services.add_council_seat(person=person, municipality=odense, period=period, started_on=period.starts_on)
        assert person.council_seats.count() == 2

    def test_a_second_open_seat_is_refused_by_the_form(self, odense, middelfart, period):
        person = councillor(odense, period)
        form = model_form(
            CouncilSeat, person=person, municipality=middelfart, period=period, role="member", started_on="2026-06-01"
        )
        assert_form_refuses(form, "person", self.TAKEN)

    def test_a_second_open_seat_is_refused_by_the_admin(self, staff_client, odense, middelfart, period):
        person = councillor(odense, period)
        assert_admin_refuses(
            staff_client,
            CouncilSeat,
            "person",
            self.TAKEN,
            person=person.pk,
            municipality=middelfart.pk,
            period=period.pk,
            role="member",
            started_on="2026-06-01",
        )

    def test_a_second_open_seat_is_refused_by_the_database(self, odense, middelfart, period):
        person = councillor(odense, period)
        with refused_by_database(
            "members_councilseat_one_open_per_person",
            unique_columns="members_councilseat.person_id, members_councilseat.period_id",
        ):
            CouncilSeat.objects.create(person=person, municipality=middelfart, period=period, started_on=day(6, 1))


# --- KKRMembership: ex officio -------------------------------------------------------------


class TestExOfficioMembership:
    def test_recording_a_mayor_starts_an_ex_officio_membership_with_a_vote(self, odense, syddanmark, period):
        person = factories.PersonFactory()
        seat = services.record_mayor(person=person, municipality=odense, period=period, started_on=day(1, 1))
        membership = KKRMembership.objects.get(person=person)
        assert (membership.council, membership.basis, membership.mayoralty, membership.started_on) == (
            syddanmark,
            KKRMembership.Basis.EX_OFFICIO,
            seat,
            day(1, 1),
        )
        assert membership.has_vote
        assert membership.ended_on is None

    def test_the_deputy_mayor_becomes_the_mayors_ex_officio_substitute(self, odense, period):
        mayor = factories.PersonFactory()
        services.record_mayor(person=mayor, municipality=odense, period=period, started_on=day(1, 1))
        deputy = councillor(odense, period, role="deputy_mayor")
        substitute = KKRMembership.objects.get(person=deputy)
        assert (substitute.basis, substitute.role, substitute.substitute_for.person) == (
            "ex_officio",
            "substitute",
            mayor,
        )
        assert not substitute.has_vote
        assert list(KKRMembership.objects.members().values_list("person", flat=True)) == [mayor.pk]

    def test_ending_the_mayoralty_ends_the_membership_and_its_substitutes(self, odense, period):
        mayor = factories.PersonFactory()
        seat = services.record_mayor(person=mayor, municipality=odense, period=period, started_on=day(1, 1))
        membership = KKRMembership.objects.get(person=mayor)
        substitute = KKRMembership.objects.get(person=councillor(odense, period, role="deputy_mayor"))
        services.end_council_seat(seat=seat, ended_on=day(9, 30))
        membership.refresh_from_db()
        substitute.refresh_from_db()
        assert (membership.ended_on, substitute.ended_on) == (day(9, 30), day(9, 30))

    def test_a_new_mayor_takes_over_the_deputy_mayor_as_substitute(self, odense, period):
        services.record_mayor(
            person=factories.PersonFactory(), municipality=odense, period=period, started_on=day(1, 1)
        )
        deputy = councillor(odense, period, role="deputy_mayor")
        new = factories.PersonFactory()
        services.record_mayor(person=new, municipality=odense, period=period, started_on=day(8, 1))
        places = list(KKRMembership.objects.filter(person=deputy).order_by("started_on"))
        assert [(place.substitute_for.person_id, place.started_on, place.ended_on) for place in places] == [
            (places[0].substitute_for.person_id, day(1, 1), day(7, 31)),
            (new.pk, day(8, 1), None),
        ]

    def test_a_supplementary_member_cannot_hold_a_deputy_mayoralty_as_an_ex_officio_member(
        self, odense, syddanmark, period
    ):
        deputy = councillor(odense, period, role="deputy_mayor")
        seat = deputy.council_seats.get()
        with pytest.raises(ValidationError) as error:
            KKRMembership(
                person=deputy,
                council=syddanmark,
                period=period,
                basis="ex_officio",
                mayoralty=seat,
                started_on=day(1, 1),
            ).save_checked()
        assert_refused(error, "mayoralty", "Et selvskrevent medlemskab følger af et borgmesterhverv.")

    def test_a_new_mayor_ends_the_previous_mayoralty_and_membership_the_day_before(self, odense, period):
        old, new = factories.PersonFactory(), factories.PersonFactory()
        old_seat = services.record_mayor(person=old, municipality=odense, period=period, started_on=day(1, 1))
        services.record_mayor(person=new, municipality=odense, period=period, started_on=day(8, 1))
        old_seat.refresh_from_db()
        assert old_seat.ended_on == day(7, 31)
        assert KKRMembership.objects.get(person=old).ended_on == day(7, 31)
        assert KKRMembership.objects.get(person=new).ended_on is None
        assert list(CouncilSeat.objects.mayors().active_on(day(8, 1)).values_list("person", flat=True)) == [new.pk]

    def test_a_councillor_who_becomes_mayor_leaves_the_member_seat_the_day_before(self, odense, period):
        person = councillor(odense, period, started_on=day(1, 1))
        services.record_mayor(person=person, municipality=odense, period=period, started_on=day(5, 1))
        seats = person.council_seats.order_by("started_on")
        assert [(seat.role, seat.started_on, seat.ended_on) for seat in seats] == [
            ("member", day(1, 1), day(4, 30)),
            ("mayor", day(5, 1), None),
        ]

    def test_a_councillor_elected_mayor_from_the_first_day_of_the_period_becomes_mayor(self, odense, period):
        person = councillor(odense, period, started_on=period.starts_on)
        services.record_mayor(person=person, municipality=odense, period=period, started_on=period.starts_on)
        assert KKRMembership.objects.get(person=person).basis == KKRMembership.Basis.EX_OFFICIO

    def test_ending_a_mayoralty_in_the_admin_ends_the_ex_officio_membership(self, staff_client, odense, period):
        seat = services.record_mayor(
            person=factories.PersonFactory(), municipality=odense, period=period, started_on=day(1, 1)
        )
        assert_admin_accepts(staff_client, CouncilSeat, obj=seat, ended_on="2026-09-30")
        assert KKRMembership.objects.get(mayoralty=seat).ended_on == day(9, 30)

    FROM_MAYORALTY = "En selvskreven plads følger af et borgmester- eller viceborgmesterhverv, og kun den."

    def test_an_ex_officio_membership_without_a_mayoralty_is_refused(self, odense, syddanmark, period):
        person = councillor(odense, period)
        with pytest.raises(ValidationError) as error:
            services.add_membership(
                person=person, council=syddanmark, period=period, basis="ex_officio", started_on=day(1, 1)
            )
        assert_refused(error, "mayoralty", self.FROM_MAYORALTY)

    def test_a_supplementary_membership_with_a_mayoralty_is_refused_by_the_form(self, odense, syddanmark, period):
        mayor = councillor(odense, period, role="mayor")
        KKRMembership.objects.filter(person=mayor).delete()
        form = model_form(
            KKRMembership,
            person=mayor,
            council=syddanmark,
            period=period,
            basis="supplementary",
            role="member",
            mayoralty=mayor.council_seats.get(),
            started_on="2026-01-01",
        )
        assert_form_refuses(form, "mayoralty", self.FROM_MAYORALTY)

    def test_an_ex_officio_membership_without_a_mayoralty_is_refused_by_the_admin(
        self, staff_client, odense, syddanmark, period
    ):
        person = councillor(odense, period)
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "mayoralty",
            self.FROM_MAYORALTY,
            person=person.pk,
            council=syddanmark.pk,
            period=period.pk,
            basis="ex_officio",
            role="member",
            started_on="2026-01-01",
        )

    def test_an_ex_officio_membership_on_another_persons_mayoralty_is_refused_by_the_admin(
        self, staff_client, odense, syddanmark, period
    ):
        mayor = councillor(odense, period, role="mayor")
        person = councillor(odense, period)
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "mayoralty",
            "Borgmesterhvervet tilhører en anden person.",
            person=person.pk,
            council=syddanmark.pk,
            period=period.pk,
            basis="ex_officio",
            role="member",
            mayoralty=mayor.council_seats.get().pk,
            started_on="2026-01-01",
        )

    def test_an_ex_officio_membership_without_a_mayoralty_is_refused_by_the_database(self, odense, syddanmark, period):
        person = councillor(odense, period)
        with refused_by_database("members_kkrmembership_ex_officio_from_mayoralty"):
            KKRMembership.objects.create(
                person=person, council=syddanmark, period=period, basis="ex_officio", started_on=day(1, 1)
            )


# --- KKRMembership: who may sit, substitutes, votes ----------------------------------------


class TestMembership:
    def test_a_person_without_a_council_seat_in_the_area_is_refused(self, roskilde, syddanmark, period):
        person = councillor(roskilde, period)
        with pytest.raises(ValidationError) as error:
            services.add_membership(
                person=person, council=syddanmark, period=period, basis="supplementary", started_on=day(1, 1)
            )
        assert_refused(error, "person", NOT_IN_AREA)
        assert not KKRMembership.objects.exists()

    def test_a_person_whose_council_seat_starts_later_is_refused(self, odense, syddanmark, period):
        person = councillor(odense, period, started_on=day(3, 1))
        with pytest.raises(ValidationError) as error:
            services.add_membership(
                person=person, council=syddanmark, period=period, basis="supplementary", started_on=day(2, 1)
            )
        assert_refused(error, "person", NOT_IN_AREA)

    def test_a_councillor_in_the_area_is_accepted(self, middelfart, syddanmark, period):
        person = councillor(middelfart, period)
        membership = services.add_membership(
            person=person, council=syddanmark, period=period, basis="supplementary", started_on=day(1, 1)
        )
        assert membership.has_vote

    def test_a_person_without_a_council_seat_in_the_area_is_refused_by_the_form(self, roskilde, syddanmark, period):
        form = model_form(
            KKRMembership,
            person=councillor(roskilde, period),
            council=syddanmark,
            period=period,
            basis="supplementary",
            role="member",
            started_on="2026-01-01",
        )
        assert_form_refuses(form, "person", NOT_IN_AREA)

    def test_a_person_without_a_council_seat_in_the_area_is_refused_by_the_admin(
        self, staff_client, roskilde, syddanmark, period
    ):
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "person",
            NOT_IN_AREA,
            person=councillor(roskilde, period).pk,
            council=syddanmark.pk,
            period=period.pk,
            basis="supplementary",
            role="member",
            started_on="2026-01-01",
        )

    def test_a_membership_outside_its_period_is_refused(self, odense, syddanmark, period):
        person = councillor(odense, period)
        with pytest.raises(ValidationError) as error:
            services.add_membership(
                person=person, council=syddanmark, period=period, basis="supplementary", started_on=day(1, 1, 2030)
            )
        assert_refused(error, "started_on", OUTSIDE_PERIOD)

    OPEN_TWICE = "Personen har allerede en åben plads i dette KKR i valgperioden."

    def test_a_second_open_membership_in_the_same_council_and_period_is_refused(self, odense, syddanmark, period):
        person = councillor(odense, period)
        services.add_membership(
            person=person, council=syddanmark, period=period, basis="kl_board", started_on=day(1, 1)
        )
        with pytest.raises(ValidationError) as error:
            services.add_membership(
                person=person, council=syddanmark, period=period, basis="supplementary", started_on=day(2, 1)
            )
        assert_refused(error, "person", self.OPEN_TWICE)
        assert KKRMembership.objects.filter(person=person).count() == 1

    def test_a_second_open_membership_is_refused_by_the_admin(self, staff_client, odense, syddanmark, period):
        person = councillor(odense, period)
        services.add_membership(
            person=person, council=syddanmark, period=period, basis="kl_board", started_on=day(1, 1)
        )
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "person",
            self.OPEN_TWICE,
            person=person.pk,
            council=syddanmark.pk,
            period=period.pk,
            basis="supplementary",
            role="member",
            started_on="2026-02-01",
        )

    def test_a_second_open_membership_is_refused_by_the_database(self, odense, syddanmark, period):
        person = councillor(odense, period)
        services.add_membership(
            person=person, council=syddanmark, period=period, basis="kl_board", started_on=day(1, 1)
        )
        with refused_by_database(
            "members_kkrmembership_one_open_per_person",
            unique_columns="members_kkrmembership.person_id, members_kkrmembership.council_id, "
            "members_kkrmembership.period_id",
        ):
            KKRMembership.objects.create(
                person=person, council=syddanmark, period=period, basis="supplementary", started_on=day(2, 1)
            )

    def test_a_kl_board_member_counts_as_a_member_without_a_vote(self, odense, syddanmark, period, frozen_today):
        person = councillor(odense, period)
        membership = services.add_membership(
            person=person, council=syddanmark, period=period, basis="kl_board", started_on=day(1, 1)
        )
        assert not membership.has_vote
        assert list(KKRMembership.objects.current().members()) == [membership]
        assert not KKRMembership.objects.voting().exists()


class TestSubstitutes:
    NAMES_MEMBER = "En stedfortræder skal være stedfortræder for et medlem; et medlem for ingen."

    @pytest.fixture
    def mayoralty(self, odense, period) -> KKRMembership:
        mayor = factories.PersonFactory()
        services.record_mayor(person=mayor, municipality=odense, period=period, started_on=day(1, 1))
        return KKRMembership.objects.get(person=mayor)

    @pytest.fixture
    def deputy(self, odense, period):
        return councillor(odense, period)  # a council member, substitute by election

    def test_a_substitute_never_counts_as_a_member_and_has_no_vote(
        self, mayoralty, deputy, syddanmark, period, frozen_today
    ):
        substitute = services.add_membership(
            person=deputy,
            council=syddanmark,
            period=period,
            basis="supplementary",
            started_on=day(1, 1),
            substitute_for=mayoralty,
        )
        assert substitute.role == KKRMembership.Role.SUBSTITUTE
        assert not substitute.has_vote
        assert list(KKRMembership.objects.current().members()) == [mayoralty]
        assert list(KKRMembership.objects.current().voting()) == [mayoralty]
        assert list(KKRMembership.objects.current().substitutes()) == [substitute]
        assert Council.objects.overview().get(pk=syddanmark.pk).member_count == 1

    def test_a_substitute_without_a_member_is_refused_by_the_form(self, deputy, syddanmark, period):
        form = model_form(
            KKRMembership,
            person=deputy,
            council=syddanmark,
            period=period,
            basis="supplementary",
            role="substitute",
            started_on="2026-01-01",
        )
        assert_form_refuses(form, "substitute_for", self.NAMES_MEMBER)

    def test_a_member_who_names_a_member_is_refused_by_the_admin(
        self, staff_client, mayoralty, deputy, syddanmark, period
    ):
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "substitute_for",
            self.NAMES_MEMBER,
            person=deputy.pk,
            council=syddanmark.pk,
            period=period.pk,
            basis="supplementary",
            role="member",
            substitute_for=mayoralty.pk,
            started_on="2026-01-01",
        )

    def test_a_substitute_without_a_member_is_refused_by_the_database(self, deputy, syddanmark, period):
        with refused_by_database("members_kkrmembership_substitute_names_member"):
            KKRMembership.objects.create(
                person=deputy,
                council=syddanmark,
                period=period,
                basis="supplementary",
                role="substitute",
                started_on=day(1, 1),
            )

    def test_a_substitute_for_a_substitute_is_refused(self, mayoralty, deputy, odense, syddanmark, period):
        first = services.add_membership(
            person=deputy,
            council=syddanmark,
            period=period,
            basis="supplementary",
            started_on=day(1, 1),
            substitute_for=mayoralty,
        )
        with pytest.raises(ValidationError) as error:
            services.add_membership(
                person=councillor(odense, period),
                council=syddanmark,
                period=period,
                basis="supplementary",
                started_on=day(1, 1),
                substitute_for=first,
            )
        assert_refused(error, "substitute_for", "En stedfortræder kan kun være stedfortræder for et medlem.")

    def test_a_substitute_for_a_member_of_another_council_is_refused_by_the_admin(
        self, staff_client, mayoralty, roskilde, sjaelland, period
    ):
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "substitute_for",
            "Medlemmet skal sidde i samme KKR og samme valgperiode.",
            person=councillor(roskilde, period).pk,
            council=sjaelland.pk,
            period=period.pk,
            basis="supplementary",
            role="substitute",
            substitute_for=mayoralty.pk,
            started_on="2026-01-01",
        )

    def test_a_member_cannot_be_their_own_substitute(self, middelfart, syddanmark, period):
        member = services.add_membership(
            person=councillor(middelfart, period),
            council=syddanmark,
            period=period,
            basis="supplementary",
            started_on=day(1, 1),
        )
        services.end_membership(membership=member, ended_on=day(1, 31))
        with pytest.raises(ValidationError) as error:
            services.add_membership(
                person=member.person,
                council=syddanmark,
                period=period,
                basis="supplementary",
                started_on=day(1, 1),
                substitute_for=member,
            )
        assert_refused(error, "substitute_for", "Man kan ikke være sin egen stedfortræder.")


# --- Chairmanship --------------------------------------------------------------------------


class TestChairmanship:
    @pytest.fixture
    def voting_members(self, odense, middelfart, syddanmark, period):
        people = []
        for municipality in (odense, middelfart):
            person = factories.PersonFactory()
            services.record_mayor(person=person, municipality=municipality, period=period, started_on=day(1, 1))
            people.append(person)
        return people

    def elect(self, person, council, period, role="chair", started_on=None):
        return services.elect_chair(
            council=council, period=period, role=role, person=person, started_on=started_on or day(1, 15)
        )

    def test_electing_a_new_chair_ends_the_current_one_the_day_before(
        self, voting_members, syddanmark, period, frozen_today
    ):
        first, second = voting_members
        old = self.elect(first, syddanmark, period)
        new = self.elect(second, syddanmark, period, started_on=day(6, 1))
        old.refresh_from_db()
        assert old.ended_on == day(5, 31)
        assert list(Chairmanship.objects.current().for_council(syddanmark)) == [new]

    def test_a_second_chair_at_the_same_time_is_refused(self, voting_members, syddanmark, period):
        first, second = voting_members
        self.elect(first, syddanmark, period)
        with pytest.raises(ValidationError) as error:
            Chairmanship(
                council=syddanmark, period=period, role="chair", person=second, started_on=day(6, 1)
            ).save_checked()
        assert_refused(error, "role", f"{first} er formand i en del af perioden. Afslut den post først.")

    def test_a_second_chair_at_the_same_time_is_refused_by_the_form(self, voting_members, syddanmark, period):
        first, second = voting_members
        self.elect(first, syddanmark, period)
        form = model_form(
            Chairmanship, council=syddanmark, period=period, role="chair", person=second, started_on="2026-06-01"
        )
        assert_form_refuses(form, "role", f"{first} er formand")

    def test_a_second_chair_at_the_same_time_is_refused_by_the_admin(
        self, staff_client, voting_members, syddanmark, period
    ):
        first, second = voting_members
        self.elect(first, syddanmark, period)
        assert_admin_refuses(
            staff_client,
            Chairmanship,
            "role",
            f"{first} er formand",
            council=syddanmark.pk,
            period=period.pk,
            role="chair",
            person=second.pk,
            started_on="2026-06-01",
        )

    def test_a_second_open_chair_is_refused_by_the_constraint(self, voting_members, syddanmark, period):
        first, second = voting_members
        self.elect(first, syddanmark, period)
        chair = Chairmanship(council=syddanmark, period=period, role="chair", person=second, started_on=day(6, 1))
        with pytest.raises(ValidationError) as error:
            chair.validate_constraints()
        assert_refused(error, "role", "KKR'et har allerede en indehaver af denne post. Afslut den nuværende først.")

    def test_a_second_open_chair_is_refused_by_the_database(self, voting_members, syddanmark, period):
        first, second = voting_members
        self.elect(first, syddanmark, period)
        # On PostgreSQL the date-range exclusion may answer before the partial unique index.
        with refused_by_database(
            ("members_chairmanship_one_current_per_role", "members_chairmanship_one_holder_at_a_time"),
            unique_columns="members_chairmanship.council_id, members_chairmanship.period_id, members_chairmanship.role",
        ):
            Chairmanship.objects.create(
                council=syddanmark, period=period, role="chair", person=second, started_on=day(6, 1)
            )

    @pytest.mark.postgres
    def test_overlapping_dated_chairs_are_refused_by_the_database(self, voting_members, syddanmark, period):
        first, second = voting_members
        services.elect_chair(council=syddanmark, period=period, role="chair", person=second, started_on=day(3, 1))
        Chairmanship.objects.filter(person=second).update(ended_on=day(8, 31))
        with refused_by_database("members_chairmanship_one_holder_at_a_time"):
            Chairmanship.objects.create(
                council=syddanmark, period=period, role="chair", person=first, started_on=day(1, 15), ended_on=day(3, 1)
            )

    def test_a_chair_and_a_vice_chair_at_the_same_time_are_accepted(self, voting_members, syddanmark, period):
        first, second = voting_members
        self.elect(first, syddanmark, period)
        self.elect(second, syddanmark, period, role="vice_chair")
        assert Chairmanship.objects.count() == 2

    def test_a_kl_board_member_cannot_be_chair(self, odense, syddanmark, period):
        person = councillor(odense, period)
        services.add_membership(
            person=person, council=syddanmark, period=period, basis="kl_board", started_on=day(1, 1)
        )
        with pytest.raises(ValidationError) as error:
            self.elect(person, syddanmark, period)
        assert_refused(error, "person", NOT_VOTING)
        assert not Chairmanship.objects.exists()

    def test_a_substitute_cannot_be_vice_chair(self, voting_members, odense, syddanmark, period):
        member = KKRMembership.objects.get(person=voting_members[0])
        deputy = councillor(odense, period)
        services.add_membership(
            person=deputy,
            council=syddanmark,
            period=period,
            basis="supplementary",
            started_on=day(1, 1),
            substitute_for=member,
        )
        with pytest.raises(ValidationError) as error:
            self.elect(deputy, syddanmark, period, role="vice_chair")
        assert_refused(error, "person", NOT_VOTING)

    def test_a_member_of_another_council_cannot_be_chair(self, roskilde, sjaelland, syddanmark, period):
        person = factories.PersonFactory()
        services.record_mayor(person=person, municipality=roskilde, period=period, started_on=day(1, 1))
        with pytest.raises(ValidationError) as error:
            self.elect(person, syddanmark, period)
        assert_refused(error, "person", NOT_VOTING)

    def test_a_kl_board_member_as_chair_is_refused_by_the_form(self, odense, syddanmark, period):
        person = councillor(odense, period)
        services.add_membership(
            person=person, council=syddanmark, period=period, basis="kl_board", started_on=day(1, 1)
        )
        form = model_form(
            Chairmanship, council=syddanmark, period=period, role="chair", person=person, started_on="2026-01-15"
        )
        assert_form_refuses(form, "person", NOT_VOTING)

    def test_a_kl_board_member_as_chair_is_refused_by_the_admin(self, staff_client, odense, syddanmark, period):
        person = councillor(odense, period)
        services.add_membership(
            person=person, council=syddanmark, period=period, basis="kl_board", started_on=day(1, 1)
        )
        assert_admin_refuses(
            staff_client,
            Chairmanship,
            "person",
            NOT_VOTING,
            council=syddanmark.pk,
            period=period.pk,
            role="chair",
            person=person.pk,
            started_on="2026-01-15",
        )

    BOTH_POSTS = "Samme person kan ikke være både formand og næstformand."

    def test_the_chair_cannot_also_be_vice_chair(self, voting_members, syddanmark, period):
        first, _second = voting_members
        self.elect(first, syddanmark, period)
        with pytest.raises(ValidationError) as error:
            self.elect(first, syddanmark, period, role="vice_chair", started_on=day(3, 1))
        assert_refused(error, "person", self.BOTH_POSTS)

    def test_the_chair_as_vice_chair_is_refused_by_the_admin(self, staff_client, voting_members, syddanmark, period):
        first, _second = voting_members
        self.elect(first, syddanmark, period)
        assert_admin_refuses(
            staff_client,
            Chairmanship,
            "person",
            self.BOTH_POSTS,
            council=syddanmark.pk,
            period=period.pk,
            role="vice_chair",
            person=first.pk,
            started_on="2026-03-01",
        )

    def test_a_former_vice_chair_may_become_chair_after_stepping_down(self, voting_members, syddanmark, period):
        first, second = voting_members
        self.elect(first, syddanmark, period, role="vice_chair")
        self.elect(second, syddanmark, period, role="vice_chair", started_on=day(3, 1))
        self.elect(first, syddanmark, period, started_on=day(3, 1))
        assert Chairmanship.objects.filter(person=first).count() == 2

    def test_a_chair_outside_the_period_is_refused(self, voting_members, syddanmark, period):
        with pytest.raises(ValidationError) as error:
            self.elect(voting_members[0], syddanmark, period, started_on=day(12, 31, 2025))
        assert_refused(error, "started_on", OUTSIDE_PERIOD)

    def test_a_chair_outside_the_period_is_refused_by_the_admin(self, staff_client, voting_members, syddanmark, period):
        chair = self.elect(voting_members[0], syddanmark, period)
        assert_admin_refuses(staff_client, Chairmanship, "ended_on", OUTSIDE_PERIOD, obj=chair, ended_on="2030-01-01")

    def test_a_chair_that_ends_before_it_starts_is_refused_by_the_admin(
        self, staff_client, voting_members, syddanmark, period
    ):
        chair = self.elect(voting_members[0], syddanmark, period)
        assert_admin_refuses(staff_client, Chairmanship, "ended_on", ENDS_AFTER_START, obj=chair, ended_on="2026-01-01")

    def test_a_chair_that_ends_before_it_starts_is_refused_by_the_database(self, voting_members, syddanmark, period):
        chair = self.elect(voting_members[0], syddanmark, period)
        chair.ended_on = day(1, 1)
        with refused_by_database("members_chairmanship_ends_after_start"):
            chair.save()


# --- Meeting -------------------------------------------------------------------------------


class TestMeeting:
    ENDS_AFTER = "Mødet skal slutte efter, at det er begyndt."

    def test_a_meeting_that_ends_when_it_starts_is_refused(self, db):
        meeting = factories.MeetingFactory.build()
        meeting.ends_at = meeting.starts_at
        with pytest.raises(ValidationError) as error:
            meeting.save_checked()
        assert_refused(error, "ends_at", self.ENDS_AFTER)

    def test_a_meeting_that_ends_before_it_starts_is_refused_by_the_form(self, syddanmark):
        form = model_form(
            Meeting,
            council=syddanmark,
            title="KKR-møde",
            starts_at="2026-12-07 10:00",
            ends_at="2026-12-07 09:00",
            status="planned",
        )
        assert_form_refuses(form, "ends_at", self.ENDS_AFTER)

    def test_a_meeting_that_ends_before_it_starts_is_refused_by_the_admin(self, staff_client, syddanmark):
        assert_admin_refuses(
            staff_client,
            Meeting,
            "ends_at",
            self.ENDS_AFTER,
            council=syddanmark.pk,
            title="KKR-møde",
            starts_at_0="2026-12-07",
            starts_at_1="10:00",
            ends_at_0="2026-12-07",
            ends_at_1="09:00",
            status="planned",
        )

    def test_a_meeting_that_ends_after_it_starts_is_accepted_by_the_admin(self, staff_client, syddanmark):
        assert_admin_accepts(
            staff_client,
            Meeting,
            council=syddanmark.pk,
            title="KKR-møde",
            starts_at_0="2026-12-07",
            starts_at_1="10:00",
            ends_at_0="2026-12-07",
            ends_at_1="13:00",
            status="planned",
        )
        assert Meeting.objects.get().ends_at.isoformat() == "2026-12-07T12:00:00+00:00"

    NUMBER_TAKEN = "Mødet har allerede et punkt med dette nummer."

    def test_a_second_agenda_item_with_the_same_number_is_refused_by_the_agenda_item_admin(self, staff_client):
        item = AgendaItem.objects.create(meeting=factories.MeetingFactory(), number=1, title="Godkendelse")
        before = AgendaItem.objects.count()
        response = admin_post(staff_client, AgendaItem, meeting=item.meeting_id, number=1, title="Igen")
        assert response.status_code == 200
        assert self.NUMBER_TAKEN in response.content.decode()
        assert AgendaItem.objects.count() == before

    def test_a_second_agenda_item_with_the_same_number_is_refused_in_the_meetings_admin_page(self, staff_client):
        meeting = factories.MeetingFactory()
        AgendaItem.objects.create(meeting=meeting, number=1, title="Godkendelse")
        response = admin_post(
            staff_client,
            Meeting,
            meeting,
            **{
                "agenda_items-TOTAL_FORMS": "1",
                "agenda_items-INITIAL_FORMS": "0",
                "agenda_items-0-number": "1",
                "agenda_items-0-title": "Igen",
            },
        )
        assert_inline_refused(response, "number", self.NUMBER_TAKEN)

    def test_a_meeting_that_ends_before_it_starts_is_refused_by_the_database(self, db):
        meeting = factories.MeetingFactory.build()
        meeting.ends_at = meeting.starts_at - dt.timedelta(minutes=1)
        with refused_by_database("members_meeting_ends_after_start"):
            meeting.save()
