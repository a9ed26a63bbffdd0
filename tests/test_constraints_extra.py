"""The named rules that had no test yet, broken on purpose: through the model, a ModelForm, the
admin and the database itself; and every admin add page posted without its required links."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from agreements.models import Agreement, AgreementKind, Milestone, MunicipalApproval
from fora.models import Appointment, Forum, Seat
from kkr_portal.db import ENDS_AFTER_START
from members import services
from members.models import (
    AgendaItem,
    Chairmanship,
    Council,
    CouncilSeat,
    KKRMembership,
    Meeting,
    Municipality,
    SecretariatContact,
    StaffAssignment,
    TimelineEntry,
)
from reminders.models import ReminderKind, ReminderOptOut, ReminderRule
from tests import factories, rules_helpers
from tests.rules_helpers import (
    admin_post,
    admin_url,
    assert_admin_accepts,
    assert_admin_refuses,
    assert_form_refuses,
    assert_refused,
    councillor,
    model_form,
    refused_by_database,
)

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client

NOT_VOTING = "Formand og næstformand skal være medlemmer af KKR Syddanmark med stemmeret, så længe de har posten."


def day(month: int, dom: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, dom)


def all_messages(error: ValidationError) -> list[str]:
    return [str(text) for messages in error.message_dict.values() for text in messages]


def assert_admin_refuses_anywhere(client, model, message: str, obj=None, **data):
    """The admin answers 200 with ``message`` on the page (on a field or above the form) and saves nothing."""
    before = model._default_manager.count()
    response = admin_post(client, model, obj, **data)
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    errors = response.context["adminform"].form.errors
    assert any(message in text for texts in errors.values() for text in texts), errors.as_data()
    assert message in response.content.decode()
    assert model._default_manager.count() == before
    return response


# --- Council: region code --------------------------------------------------------------------


class TestCouncilRegionCode:
    INVALID = "Regionskoden skal være en af 1081-1085."

    def new(self, **fields) -> Council:
        values = {"slug": "faeroeerne", "name": "KKR Færøerne", "region_name": "Færøerne", "region_code": 1086}
        values.update(fields)
        return Council(**values)

    @pytest.mark.parametrize("code", [0, 1080, 1086])
    def test_a_region_code_outside_1081_to_1085_is_refused(self, db, code):
        with pytest.raises(ValidationError) as error:
            self.new(region_code=code).full_clean()
        assert self.INVALID in all_messages(error.value)

    def test_a_region_code_outside_1081_to_1085_is_reported_on_the_region_code(self, db):
        with pytest.raises(ValidationError) as error:
            self.new().full_clean()
        assert_refused(error, "region_code", self.INVALID)

    def test_a_region_code_outside_1081_to_1085_is_refused_by_the_form(self, db):
        form = model_form(Council, slug="faeroeerne", name="KKR Færøerne", region_name="Færøerne", region_code=1086)
        assert not form.is_valid()
        assert self.INVALID in [text for texts in form.errors.values() for text in texts]

    def test_a_region_code_outside_1081_to_1085_is_refused_by_the_admin(self, staff_client):
        assert_admin_refuses_anywhere(
            staff_client,
            Council,
            self.INVALID,
            slug="faeroeerne",
            name="KKR Færøerne",
            region_name="Færøerne",
            region_code="1086",
        )

    def test_changing_a_councils_region_code_to_an_invalid_one_is_refused_by_the_admin(self, staff_client, syddanmark):
        assert_admin_refuses_anywhere(staff_client, Council, self.INVALID, obj=syddanmark, region_code="1099")
        syddanmark.refresh_from_db()
        assert syddanmark.region_code == 1083

    @pytest.mark.parametrize("code", [1080, 1086])
    def test_a_region_code_outside_1081_to_1085_is_refused_by_the_database(self, db, code):
        with refused_by_database("members_council_region_code_valid"):
            self.new(region_code=code).save()


# --- Municipality: three-digit code ----------------------------------------------------------


class TestMunicipalityCode:
    INVALID = "Kommunekoden skal have tre cifre."

    def new(self, council, **fields) -> Municipality:
        values = {
            "code": 99,
            "name": "Testby",
            "official_name": "Testby Kommune",
            "slug": "testby",
            "council": council,
        }
        values.update(fields)
        return Municipality(**values)

    @pytest.mark.parametrize("code", [0, 99, 1000])
    def test_a_code_without_three_digits_is_refused(self, syddanmark, code):
        with pytest.raises(ValidationError) as error:
            self.new(syddanmark, code=code).full_clean()
        assert self.INVALID in all_messages(error.value)

    @pytest.mark.parametrize("code", [102, 999])
    def test_a_three_digit_code_is_accepted(self, syddanmark, code):
        self.new(syddanmark, code=code).full_clean()

    def test_a_code_without_three_digits_is_reported_on_the_code(self, syddanmark):
        with pytest.raises(ValidationError) as error:
            self.new(syddanmark, code=1000).full_clean()
        assert_refused(error, "code", self.INVALID)

    def test_a_code_without_three_digits_is_refused_by_the_form(self, syddanmark):
        form = model_form(
            Municipality, code=1000, name="Testby", official_name="Testby Kommune", slug="testby", council=syddanmark
        )
        assert not form.is_valid()
        assert self.INVALID in [text for texts in form.errors.values() for text in texts]

    def test_a_code_without_three_digits_is_refused_by_the_admin(self, staff_client, syddanmark):
        assert_admin_refuses_anywhere(
            staff_client,
            Municipality,
            self.INVALID,
            code="99",
            name="Testby",
            official_name="Testby Kommune",
            slug="testby",
            council=syddanmark.pk,
        )

    @pytest.mark.parametrize("code", [99, 1000])
    def test_a_code_without_three_digits_is_refused_by_the_database(self, syddanmark, code):
        with refused_by_database("members_municipality_code_three_digits"):
            self.new(syddanmark, code=code).save()

    def test_changing_a_code_to_four_digits_is_refused_by_the_database(self, odense):
        with refused_by_database("members_municipality_code_three_digits"):
            Municipality.objects.filter(pk=odense.pk).update(code=4610)


# --- TimelineEntry ---------------------------------------------------------------------------


class TestTimelineEntry:
    OUT_OF_ORDER = "Slutåret må ikke ligge før startåret."
    TAKEN = "Punktet findes allerede."

    def new(self, **fields) -> TimelineEntry:
        values = {"period_label": "2007-2010", "starts_year": 2007, "ends_year": 2010, "title": "Kommunalreformen"}
        values.update(fields)
        return TimelineEntry(**values)

    def test_an_entry_that_ends_before_it_starts_is_refused(self, db):
        with pytest.raises(ValidationError) as error:
            self.new(ends_year=2006).save_checked()
        assert_refused(error, "ends_year", self.OUT_OF_ORDER)
        assert not TimelineEntry.objects.exists()

    def test_an_entry_of_a_single_year_is_accepted(self, db):
        self.new(ends_year=2007).save_checked()
        assert TimelineEntry.objects.get().ends_year == 2007

    def test_an_entry_that_ends_before_it_starts_is_refused_by_the_form(self, db):
        form = model_form(TimelineEntry, period_label="2007-2010", starts_year=2007, ends_year=2006, title="X")
        assert_form_refuses(form, "ends_year", self.OUT_OF_ORDER)

    def test_an_entry_that_ends_before_it_starts_is_refused_by_the_admin(self, staff_client):
        assert_admin_refuses(
            staff_client,
            TimelineEntry,
            "ends_year",
            self.OUT_OF_ORDER,
            period_label="2007-2010",
            starts_year="2007",
            ends_year="2006",
            title="Kommunalreformen",
        )

    def test_an_entry_that_ends_before_it_starts_is_refused_by_the_database(self, db):
        with refused_by_database("members_timelineentry_years_in_order"):
            self.new(ends_year=2006).save()

    def test_moving_an_entrys_start_after_its_end_is_refused_by_the_database(self, db):
        entry = self.new()
        entry.save_checked()
        with refused_by_database("members_timelineentry_years_in_order"):
            TimelineEntry.objects.filter(pk=entry.pk).update(starts_year=2011)

    def test_the_same_entry_twice_is_refused(self, db):
        self.new().save_checked()
        with pytest.raises(ValidationError) as error:
            self.new(starts_year=2008, position=2).save_checked()
        assert_refused(error, "title", self.TAKEN)
        assert TimelineEntry.objects.count() == 1

    def test_the_same_title_in_another_period_is_accepted(self, db):
        self.new().save_checked()
        self.new(period_label="2011-2014", starts_year=2011, ends_year=2014).save_checked()
        assert TimelineEntry.objects.count() == 2

    def test_the_same_entry_twice_is_refused_by_the_form(self, db):
        self.new().save_checked()
        form = model_form(
            TimelineEntry, period_label="2007-2010", starts_year=2007, ends_year=2010, title="Kommunalreformen"
        )
        assert_form_refuses(form, "title", self.TAKEN)

    def test_the_same_entry_twice_is_refused_by_the_admin(self, staff_client):
        self.new().save_checked()
        assert_admin_refuses(
            staff_client,
            TimelineEntry,
            "title",
            self.TAKEN,
            period_label="2007-2010",
            starts_year="2007",
            ends_year="2010",
            title="Kommunalreformen",
        )

    def test_renaming_an_entry_into_another_is_refused_by_the_admin(self, staff_client):
        self.new().save_checked()
        other = self.new(title="Regionerne overtager sygehusene")
        other.save_checked()
        assert_admin_refuses(staff_client, TimelineEntry, "title", self.TAKEN, obj=other, title="Kommunalreformen")

    def test_the_same_entry_twice_is_refused_by_the_database(self, db):
        self.new().save()
        with refused_by_database(
            "members_timelineentry_unique",
            unique_columns="members_timelineentry.period_label, members_timelineentry.title",
        ):
            self.new(starts_year=2008).save()


# --- SecretariatContact ----------------------------------------------------------------------


class TestSecretariatContact:
    TAKEN = "Kontakten findes allerede for dette KKR."

    def new(self, council, **fields) -> SecretariatContact:
        values = {"council": council, "kind": "kkr", "unit": "KKR-sekretariat Syddanmark", "name": "Anne Konsulent"}
        values.update(fields)
        return SecretariatContact(**values)

    def test_the_same_contact_twice_is_refused(self, syddanmark):
        self.new(syddanmark).save_checked()
        with pytest.raises(ValidationError) as error:
            self.new(syddanmark, title="Chefkonsulent", position=2).save_checked()
        assert_refused(error, "name", self.TAKEN)
        assert SecretariatContact.objects.count() == 1

    def test_the_same_unit_twice_without_a_name_is_refused(self, syddanmark):
        self.new(syddanmark, kind="joint", unit="Sundhedssekretariatet", name="").save_checked()
        with pytest.raises(ValidationError) as error:
            self.new(syddanmark, kind="joint", unit="Sundhedssekretariatet", name="").save_checked()
        assert_refused(error, "name", self.TAKEN)

    def test_the_same_contact_for_another_council_is_accepted(self, syddanmark, sjaelland):
        self.new(syddanmark).save_checked()
        self.new(sjaelland).save_checked()
        assert SecretariatContact.objects.count() == 2

    def test_another_person_in_the_same_unit_is_accepted(self, syddanmark):
        self.new(syddanmark).save_checked()
        self.new(syddanmark, name="Bo Konsulent").save_checked()
        assert SecretariatContact.objects.count() == 2

    def test_the_same_contact_twice_is_refused_by_the_form(self, syddanmark):
        self.new(syddanmark).save_checked()
        form = model_form(
            SecretariatContact,
            council=syddanmark,
            kind="kkr",
            unit="KKR-sekretariat Syddanmark",
            name="Anne Konsulent",
            position=0,
        )
        assert_form_refuses(form, "name", self.TAKEN)

    def test_the_same_contact_twice_is_refused_by_the_admin(self, staff_client, syddanmark):
        self.new(syddanmark).save_checked()
        assert_admin_refuses(
            staff_client,
            SecretariatContact,
            "name",
            self.TAKEN,
            council=syddanmark.pk,
            kind="kkr",
            unit="KKR-sekretariat Syddanmark",
            name="Anne Konsulent",
        )

    def test_the_same_contact_twice_is_refused_by_the_database(self, syddanmark):
        self.new(syddanmark).save()
        with refused_by_database(
            "members_secretariatcontact_unique",
            unique_columns="members_secretariatcontact.council_id, members_secretariatcontact.unit, "
            "members_secretariatcontact.name",
        ):
            self.new(syddanmark, kind="joint").save()


# --- KKRMembership: ends after it starts -----------------------------------------------------


class TestMembershipEndsAfterStart:
    @pytest.fixture
    def member(self, middelfart, syddanmark, period) -> KKRMembership:
        return services.add_membership(
            person=councillor(middelfart, period),
            council=syddanmark,
            period=period,
            basis="supplementary",
            started_on=day(3, 1),
        )

    def test_a_membership_that_ends_before_it_starts_is_refused(self, member):
        member.ended_on = day(2, 28)
        with pytest.raises(ValidationError) as error:
            member.save_checked()
        assert_refused(error, "ended_on", ENDS_AFTER_START)

    def test_ending_a_membership_before_it_started_is_refused_by_the_service(self, member):
        with pytest.raises(ValidationError) as error:
            services.end_membership(membership=member, ended_on=day(2, 28))
        assert_refused(error, "ended_on", ENDS_AFTER_START)
        member.refresh_from_db()
        assert member.ended_on is None

    def test_a_membership_that_ends_on_its_first_day_is_accepted(self, member):
        services.end_membership(membership=member, ended_on=day(3, 1))
        member.refresh_from_db()
        assert member.ended_on == day(3, 1)

    def test_a_membership_that_ends_before_it_starts_is_refused_by_the_form(self, member):
        form = model_form(KKRMembership, member, ended_on="2026-02-28")
        assert_form_refuses(form, "ended_on", ENDS_AFTER_START)

    def test_a_membership_that_ends_before_it_starts_is_refused_by_the_admin(self, staff_client, member):
        assert_admin_refuses(
            staff_client, KKRMembership, "ended_on", ENDS_AFTER_START, obj=member, ended_on="2026-02-28"
        )

    def test_a_new_membership_that_ends_before_it_starts_is_refused_by_the_admin(
        self, staff_client, odense, syddanmark, period
    ):
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "ended_on",
            ENDS_AFTER_START,
            person=councillor(odense, period).pk,
            council=syddanmark.pk,
            period=period.pk,
            basis="supplementary",
            role="member",
            started_on="2026-03-01",
            ended_on="2026-02-28",
        )

    def test_a_membership_that_ends_before_it_starts_is_refused_by_the_database(self, member):
        member.ended_on = day(2, 28)
        with refused_by_database("members_kkrmembership_ends_after_start"):
            member.save()


# --- KKRMembership: one open place per mayoralty and deputy mayoralty ------------------------


class TestOnePlacePerMayoralty:
    TAKEN = "Hvervet har allerede en åben selvskreven plads i KKR."

    @pytest.fixture
    def mayoralty(self, odense, period) -> CouncilSeat:
        return services.record_mayor(
            person=factories.PersonFactory(), municipality=odense, period=period, started_on=day(1, 1)
        )

    @pytest.fixture
    def deputy_mayoralty(self, mayoralty, odense, period) -> CouncilSeat:
        return councillor(odense, period, role="deputy_mayor").council_seats.get()

    def second_place(self, seat, **fields) -> KKRMembership:
        values = {
            "person": seat.person,
            "council": seat.municipality.council,
            "period": seat.period,
            "basis": "ex_officio",
            "mayoralty": seat,
            "started_on": day(2, 1),
        }
        values.update(fields)
        return KKRMembership(**values)

    def second_substitute_place(self, deputy_seat, mayoralty, **fields) -> KKRMembership:
        principal = KKRMembership.objects.get(mayoralty=mayoralty)
        return self.second_place(deputy_seat, role="substitute", substitute_for=principal, **fields)

    def test_the_mayoralty_has_its_place_and_the_deputy_mayoralty_its_substitute_place(
        self, mayoralty, deputy_mayoralty
    ):
        assert KKRMembership.objects.filter(mayoralty=mayoralty, ended_on=None).count() == 1
        assert KKRMembership.objects.filter(mayoralty=deputy_mayoralty, ended_on=None).get().role == "substitute"

    def test_a_second_open_place_for_a_mayoralty_is_refused(self, mayoralty):
        with pytest.raises(ValidationError) as error:
            self.second_place(mayoralty).save_checked()
        assert_refused(error, "mayoralty", self.TAKEN)
        assert KKRMembership.objects.filter(mayoralty=mayoralty).count() == 1

    def test_a_new_place_for_a_mayoralty_after_the_old_one_ended_is_accepted(self, mayoralty):
        services.end_membership(membership=KKRMembership.objects.get(mayoralty=mayoralty), ended_on=day(1, 31))
        self.second_place(mayoralty).save_checked()
        assert KKRMembership.objects.filter(mayoralty=mayoralty).count() == 2

    def test_a_second_open_place_for_a_mayoralty_is_refused_by_the_constraint(self, mayoralty):
        with pytest.raises(ValidationError) as error:
            self.second_place(mayoralty).validate_constraints()
        assert_refused(error, "mayoralty", self.TAKEN)

    def test_a_second_open_place_for_a_mayoralty_is_refused_by_the_form(self, mayoralty):
        form = model_form(
            KKRMembership,
            person=mayoralty.person,
            council=mayoralty.municipality.council,
            period=mayoralty.period,
            basis="ex_officio",
            role="member",
            mayoralty=mayoralty,
            started_on="2026-02-01",
        )
        assert_form_refuses(form, "mayoralty", self.TAKEN)

    def test_a_second_open_place_for_a_mayoralty_is_refused_by_the_admin(self, staff_client, mayoralty):
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "mayoralty",
            self.TAKEN,
            person=mayoralty.person_id,
            council=mayoralty.municipality.council_id,
            period=mayoralty.period_id,
            basis="ex_officio",
            role="member",
            mayoralty=mayoralty.pk,
            started_on="2026-02-01",
        )

    def test_a_second_open_place_for_a_mayoralty_is_refused_by_the_database(self, mayoralty, period_2022):
        # In another period, so that only the mayoralty's own constraint is broken.
        with refused_by_database(
            "members_kkrmembership_one_per_mayoralty", unique_columns="members_kkrmembership.mayoralty_id"
        ):
            self.second_place(mayoralty, period=period_2022, started_on=day(1, 1, 2022)).save()

    def test_a_second_open_substitute_place_for_a_deputy_mayoralty_is_refused(self, mayoralty, deputy_mayoralty):
        with pytest.raises(ValidationError) as error:
            self.second_substitute_place(deputy_mayoralty, mayoralty).save_checked()
        assert_refused(error, "mayoralty", self.TAKEN)
        assert KKRMembership.objects.filter(mayoralty=deputy_mayoralty).count() == 1

    def test_a_second_open_substitute_place_for_a_deputy_mayoralty_is_refused_by_the_admin(
        self, staff_client, mayoralty, deputy_mayoralty
    ):
        assert_admin_refuses(
            staff_client,
            KKRMembership,
            "mayoralty",
            self.TAKEN,
            person=deputy_mayoralty.person_id,
            council=deputy_mayoralty.municipality.council_id,
            period=deputy_mayoralty.period_id,
            basis="ex_officio",
            role="substitute",
            substitute_for=KKRMembership.objects.get(mayoralty=mayoralty).pk,
            mayoralty=deputy_mayoralty.pk,
            started_on="2026-02-01",
        )

    def test_a_second_open_substitute_place_for_a_deputy_mayoralty_is_refused_by_the_database(
        self, mayoralty, deputy_mayoralty, period_2022
    ):
        with refused_by_database(
            "members_kkrmembership_one_per_mayoralty", unique_columns="members_kkrmembership.mayoralty_id"
        ):
            self.second_substitute_place(
                deputy_mayoralty, mayoralty, period=period_2022, started_on=day(1, 1, 2022)
            ).save()


# --- Chairmanship: the chair is a voting member ----------------------------------------------


class TestChairIsVotingMember:
    @pytest.fixture
    def member(self, middelfart, syddanmark, period) -> KKRMembership:
        return services.add_membership(
            person=councillor(middelfart, period),
            council=syddanmark,
            period=period,
            basis="supplementary",
            started_on=day(1, 1),
        )

    def elect(self, member, started_on, role="chair") -> Chairmanship:
        return services.elect_chair(
            council=member.council, period=member.period, role=role, person=member.person, started_on=started_on
        )

    def test_a_chair_elected_while_voting_stays_valid_after_the_membership_ends(self, member):
        chair = self.elect(member, day(1, 15))
        services.end_membership(membership=member, ended_on=day(6, 30))
        chair.refresh_from_db()
        assert chair.ended_on == day(6, 30)
        chair.full_clean()
        chair.save_checked()

    def test_a_chair_elected_while_voting_stays_valid_in_the_admin_after_the_membership_ends(
        self, staff_client, member
    ):
        chair = self.elect(member, day(1, 15))
        services.end_membership(membership=member, ended_on=day(6, 30))
        assert_admin_accepts(staff_client, Chairmanship, obj=chair)
        chair.refresh_from_db()
        assert (chair.started_on, chair.ended_on) == (day(1, 15), day(6, 30))

    def test_a_mayors_chair_post_stays_valid_after_the_mayoralty_ends(self, odense, period):
        seat = services.record_mayor(
            person=factories.PersonFactory(), municipality=odense, period=period, started_on=day(1, 1)
        )
        chair = self.elect(KKRMembership.objects.get(mayoralty=seat), day(1, 15))
        services.end_council_seat(seat=seat, ended_on=day(9, 30))
        chair.refresh_from_db()
        assert chair.ended_on == day(9, 30)
        chair.full_clean()

    def test_a_chair_elected_on_the_last_day_of_the_membership_is_accepted(self, member):
        services.end_membership(membership=member, ended_on=day(3, 31))
        chair = Chairmanship(
            council=member.council,
            period=member.period,
            role="chair",
            person=member.person,
            started_on=day(3, 31),
            ended_on=day(3, 31),
        )
        chair.save_checked()

    def test_a_chair_elected_after_the_membership_ended_is_refused(self, member):
        services.end_membership(membership=member, ended_on=day(3, 31))
        with pytest.raises(ValidationError) as error:
            self.elect(member, day(4, 1))
        assert_refused(error, "person", NOT_VOTING)
        assert not Chairmanship.objects.exists()

    def test_a_vice_chair_elected_after_the_membership_ended_is_refused(self, member):
        services.end_membership(membership=member, ended_on=day(3, 31))
        with pytest.raises(ValidationError) as error:
            self.elect(member, day(6, 1), role="vice_chair")
        assert_refused(error, "person", NOT_VOTING)

    def test_a_chair_elected_before_the_membership_began_is_refused(self, odense, syddanmark, period):
        person = councillor(odense, period)
        services.add_membership(
            person=person, council=syddanmark, period=period, basis="supplementary", started_on=day(3, 1)
        )
        with pytest.raises(ValidationError) as error:
            services.elect_chair(council=syddanmark, period=period, role="chair", person=person, started_on=day(2, 28))
        assert_refused(error, "person", NOT_VOTING)

    def test_a_chair_elected_after_the_membership_ended_is_refused_by_the_form(self, member):
        services.end_membership(membership=member, ended_on=day(3, 31))
        form = model_form(
            Chairmanship,
            council=member.council,
            period=member.period,
            role="chair",
            person=member.person,
            started_on="2026-04-01",
        )
        assert_form_refuses(form, "person", NOT_VOTING)

    def test_a_chair_elected_after_the_membership_ended_is_refused_by_the_admin(self, staff_client, member):
        services.end_membership(membership=member, ended_on=day(3, 31))
        assert_admin_refuses(
            staff_client,
            Chairmanship,
            "person",
            NOT_VOTING,
            council=member.council_id,
            period=member.period_id,
            role="chair",
            person=member.person_id,
            started_on="2026-04-01",
        )

    def test_moving_a_chairs_start_after_the_membership_ended_is_refused_by_the_admin(self, staff_client, member):
        chair = self.elect(member, day(1, 15))
        services.end_membership(membership=member, ended_on=day(3, 31))
        assert_admin_refuses(
            staff_client, Chairmanship, "person", NOT_VOTING, obj=chair, started_on="2026-04-01", ended_on=""
        )

    def test_a_chair_post_that_outlasts_the_membership_is_refused(self, member):
        services.end_membership(membership=member, ended_on=day(3, 31))
        chair = Chairmanship(
            council=member.council,
            period=member.period,
            role="chair",
            person=member.person,
            started_on=day(3, 1),
            ended_on=day(9, 30),
        )
        with pytest.raises(ValidationError) as error:
            chair.save_checked()
        assert_refused(error, "person", NOT_VOTING)

    def test_a_chair_elected_on_the_last_day_of_an_ended_membership_does_not_stay_chair(self, member):
        services.end_membership(membership=member, ended_on=day(3, 31))
        try:
            chair = self.elect(member, day(3, 31))
        except ValidationError as error:
            assert_refused(error, "person", NOT_VOTING)
        else:
            assert chair.ended_on == day(3, 31)


# --- Forum: unique name per KKR --------------------------------------------------------------


class TestForumName:
    TAKEN = "KKR'et har allerede et forum med dette navn."

    @pytest.fixture
    def forum(self, syddanmark) -> Forum:
        return factories.ForumFactory(name="RAR Syddanmark", slug="rar-syddanmark")

    def twin(self, forum, **fields) -> Forum:
        values = {"council": forum.council, "kind": forum.kind, "name": forum.name, "slug": "rar-syddanmark-2"}
        values.update(fields)
        return Forum(**values)

    def test_a_second_forum_with_the_same_name_in_the_kkr_is_refused(self, forum):
        with pytest.raises(ValidationError) as error:
            self.twin(forum).save_checked()
        assert_refused(error, "name", self.TAKEN)
        assert Forum.objects.filter(name=forum.name).count() == 1

    def test_the_same_name_in_another_kkr_is_accepted(self, forum, sjaelland):
        self.twin(forum, council=sjaelland).save_checked()
        assert Forum.objects.filter(name=forum.name).count() == 2

    def test_a_second_forum_with_the_same_name_is_refused_by_the_form(self, forum):
        form = model_form(
            Forum, council=forum.council, kind=forum.kind, name=forum.name, slug="rar-2", basis="statutory"
        )
        assert_form_refuses(form, "name", self.TAKEN)

    def test_a_second_forum_with_the_same_name_is_refused_by_the_admin(self, staff_client, forum):
        assert_admin_refuses(
            staff_client,
            Forum,
            "name",
            self.TAKEN,
            council=forum.council_id,
            kind=forum.kind_id,
            name=forum.name,
            slug="rar-syddanmark-2",
        )

    def test_renaming_a_forum_to_another_forums_name_is_refused_by_the_admin(self, staff_client, forum):
        other = factories.ForumFactory(name="Erhvervshus Fyn", slug="erhvervshus-fyn")
        assert_admin_refuses(staff_client, Forum, "name", self.TAKEN, obj=other, name=forum.name)

    def test_a_second_forum_with_the_same_name_is_refused_by_the_database(self, forum):
        with refused_by_database("fora_forum_unique_name", unique_columns="fora_forum.council_id, fora_forum.name"):
            self.twin(forum).save()


# --- Seat: not its own previous seat ---------------------------------------------------------


class TestSeatNotItsOwnPrevious:
    OWN_PREVIOUS = "En plads kan ikke fortsætte sig selv."
    EARLIER_PERIOD = "Den fortsatte plads skal høre til en tidligere valgperiode."

    @pytest.fixture
    def seat(self, period) -> Seat:
        return factories.SeatFactory(period=period, label="Medlem 1")

    def test_a_seat_that_continues_itself_is_refused(self, seat):
        seat.previous_seat = seat
        with pytest.raises(ValidationError) as error:
            seat.save_checked()
        # The rule function answers first: a seat's own period is not an earlier one.
        assert_refused(error, "previous_seat", self.EARLIER_PERIOD)
        seat.refresh_from_db()
        assert seat.previous_seat is None

    def test_a_seat_that_continues_itself_is_refused_by_the_constraint(self, seat):
        seat.previous_seat = seat
        with pytest.raises(ValidationError) as error:
            seat.validate_constraints()
        assert_refused(error, "previous_seat", self.OWN_PREVIOUS)

    def test_a_seat_that_continues_itself_is_refused_by_the_form(self, seat):
        form = model_form(Seat, seat, previous_seat=seat.pk)
        assert_form_refuses(form, "previous_seat", self.EARLIER_PERIOD)

    def test_a_seat_that_continues_itself_is_refused_by_the_admin(self, staff_client, seat):
        assert_admin_refuses(staff_client, Seat, "previous_seat", self.EARLIER_PERIOD, obj=seat, previous_seat=seat.pk)
        seat.refresh_from_db()
        assert seat.previous_seat_id is None

    def test_a_seat_that_continues_itself_is_refused_by_the_database(self, seat):
        seat.previous_seat_id = seat.pk
        with refused_by_database("fora_seat_not_its_own_previous"):
            seat.save()

    def test_pointing_a_seat_at_itself_in_bulk_is_refused_by_the_database(self, seat):
        with refused_by_database("fora_seat_not_its_own_previous"):
            Seat.objects.filter(pk=seat.pk).update(previous_seat_id=seat.pk)


# --- AgreementKind and Agreement: recurrence -------------------------------------------------

AT_LEAST_A_MONTH = "En gentagelse er mindst én måned."


class TestAgreementKindRecurrence:
    def new(self, **fields) -> AgreementKind:
        values = {"slug": "ny-aftaletype", "name": "Ny aftaletype", "recurrence_months": 0}
        values.update(fields)
        return AgreementKind(**values)

    def test_a_kind_recurring_every_zero_months_is_refused(self, db):
        with pytest.raises(ValidationError) as error:
            self.new().full_clean()
        assert AT_LEAST_A_MONTH in all_messages(error.value)

    @pytest.mark.parametrize("months", [None, 1, 48])
    def test_a_kind_that_does_not_recur_or_recurs_monthly_or_more_is_accepted(self, db, months):
        kind = self.new(recurrence_months=months)
        kind.full_clean()
        kind.save()
        assert AgreementKind.objects.get(slug="ny-aftaletype").recurrence_months == months

    def test_a_kind_recurring_every_zero_months_is_reported_on_the_recurrence(self, db):
        with pytest.raises(ValidationError) as error:
            self.new().full_clean()
        assert_refused(error, "recurrence_months", AT_LEAST_A_MONTH)

    def test_a_kind_recurring_every_zero_months_is_refused_by_the_form(self, db):
        form = model_form(AgreementKind, slug="ny-aftaletype", name="Ny aftaletype", recurrence_months=0)
        assert not form.is_valid()
        assert AT_LEAST_A_MONTH in [text for texts in form.errors.values() for text in texts]

    def test_a_kind_recurring_every_zero_months_is_refused_by_the_admin(self, staff_client):
        assert_admin_refuses_anywhere(
            staff_client,
            AgreementKind,
            AT_LEAST_A_MONTH,
            slug="ny-aftaletype",
            name="Ny aftaletype",
            recurrence_months="0",
        )

    def test_a_kind_recurring_every_zero_months_is_refused_by_the_database(self, db):
        with refused_by_database("agreements_agreementkind_recurrence_positive"):
            self.new().save()

    def test_setting_a_kinds_recurrence_to_zero_is_refused_by_the_database(self, db):
        with refused_by_database("agreements_agreementkind_recurrence_positive"):
            AgreementKind.objects.filter(slug="rammeaftale").update(recurrence_months=0)


@pytest.fixture
def kind(db) -> AgreementKind:
    return AgreementKind.objects.get(slug="rammeaftale")


def new_agreement(council, kind, **fields) -> Agreement:
    values = {
        "council": council,
        "kind": kind,
        "title": "Rammeaftale 2027-2028",
        "counterpart": "Region Syddanmark",
        "valid_from": day(1, 1, 2027),
        "valid_to": day(12, 31, 2028),
        "recurrence_months": 24,
    }
    values.update(fields)
    return Agreement(**values)


def agreement_form_values(agreement: Agreement) -> dict:
    fields = ["council", "kind", "title", "counterpart", "valid_from", "valid_to", "recurrence_months", "cycle"]
    return {name: getattr(agreement, name) for name in fields}


class TestAgreementRecurrence:
    def test_an_agreement_recurring_every_zero_months_is_refused(self, syddanmark, kind):
        with pytest.raises(ValidationError) as error:
            new_agreement(syddanmark, kind, recurrence_months=0).save_checked()
        assert_refused(error, "recurrence_months", AT_LEAST_A_MONTH)
        assert not Agreement.objects.exists()

    @pytest.mark.parametrize("months", [None, 1])
    def test_an_agreement_that_does_not_recur_or_recurs_monthly_is_accepted(self, syddanmark, kind, months):
        new_agreement(syddanmark, kind, recurrence_months=months).save_checked()
        assert Agreement.objects.get().recurrence_months == months

    def test_an_agreement_recurring_every_zero_months_is_refused_by_the_form(self, syddanmark, kind):
        form = model_form(Agreement, **agreement_form_values(new_agreement(syddanmark, kind, recurrence_months=0)))
        assert_form_refuses(form, "recurrence_months", AT_LEAST_A_MONTH)

    def test_changing_an_agreements_recurrence_to_zero_is_refused_by_the_admin(self, staff_client, syddanmark, kind):
        agreement = new_agreement(syddanmark, kind)
        agreement.save_checked()
        assert_admin_refuses(
            staff_client, Agreement, "recurrence_months", AT_LEAST_A_MONTH, obj=agreement, recurrence_months="0"
        )

    def test_an_agreement_recurring_every_zero_months_is_refused_by_the_database(self, syddanmark, kind):
        with refused_by_database("agreements_agreement_recurrence_positive"):
            new_agreement(syddanmark, kind, recurrence_months=0).save()


# --- Agreement: cycles and validity ----------------------------------------------------------


class TestAgreementCycleAndValidity:
    CYCLE_TAKEN = "Denne cyklus af aftalen findes allerede."
    EXPIRES_EARLY = "En aftale kan ikke udløbe, før den gælder."

    @pytest.fixture
    def agreement(self, syddanmark, kind) -> Agreement:
        agreement = new_agreement(syddanmark, kind)
        agreement.save_checked()
        return agreement

    def test_the_same_cycle_for_another_kkr_is_accepted(self, agreement, sjaelland, kind):
        new_agreement(sjaelland, kind).save_checked()
        assert Agreement.objects.count() == 2

    def test_the_same_cycle_of_another_kind_is_accepted(self, agreement, syddanmark):
        new_agreement(syddanmark, AgreementKind.objects.get(slug="praksisplan")).save_checked()
        assert Agreement.objects.count() == 2

    def test_changing_the_counterpart_into_a_clash_is_refused(self, agreement, syddanmark, kind):
        other = new_agreement(syddanmark, kind, counterpart="Region Sjælland")
        other.save_checked()
        other.counterpart = agreement.counterpart
        with pytest.raises(ValidationError) as error:
            other.save_checked()
        assert_refused(error, "cycle", self.CYCLE_TAKEN)

    def test_changing_the_counterpart_into_a_clash_is_refused_by_the_admin(
        self, staff_client, agreement, syddanmark, kind
    ):
        other = new_agreement(syddanmark, kind, counterpart="Region Sjælland")
        other.save_checked()
        assert_admin_refuses(
            staff_client, Agreement, "cycle", self.CYCLE_TAKEN, obj=other, counterpart=agreement.counterpart
        )
        other.refresh_from_db()
        assert other.counterpart == "Region Sjælland"

    def test_changing_the_counterpart_into_a_clash_is_refused_by_the_database(self, agreement, syddanmark, kind):
        other = new_agreement(syddanmark, kind, counterpart="Region Sjælland")
        other.save_checked()
        with refused_by_database(
            "agreements_agreement_unique_cycle",
            unique_columns="agreements_agreement.council_id, agreements_agreement.kind_id, "
            "agreements_agreement.counterpart, agreements_agreement.cycle",
        ):
            Agreement.objects.filter(pk=other.pk).update(counterpart=agreement.counterpart)

    def test_an_agreement_that_expires_the_day_before_it_applies_is_refused(self, syddanmark, kind):
        with pytest.raises(ValidationError) as error:
            new_agreement(syddanmark, kind, valid_to=day(12, 31, 2026)).save_checked()
        assert_refused(error, "valid_to", self.EXPIRES_EARLY)

    def test_an_agreement_without_an_end_is_accepted(self, syddanmark, kind):
        new_agreement(syddanmark, kind, valid_to=None).save_checked()
        assert Agreement.objects.get().valid_to is None

    def test_moving_the_start_after_the_end_is_refused_by_the_admin(self, staff_client, agreement):
        assert_admin_refuses(
            staff_client, Agreement, "valid_to", self.EXPIRES_EARLY, obj=agreement, valid_from="2029-01-01"
        )

    def test_moving_the_start_after_the_end_is_refused_by_the_database(self, agreement):
        with refused_by_database("agreements_agreement_valid_to_after_from"):
            Agreement.objects.filter(pk=agreement.pk).update(valid_from=day(1, 1, 2029))


# --- ReminderRule: days before ---------------------------------------------------------------


class TestReminderRuleDays:
    DAYS_RANGE = "Antal dage skal være mellem 1 og 365."

    @pytest.mark.parametrize("days", [0, 366])
    def test_days_before_outside_one_to_365_are_refused_by_the_form(self, db, days):
        form = model_form(ReminderRule, kind="milestone", days_before=days, audience="secretariat", is_active=True)
        assert_form_refuses(form, "days_before", self.DAYS_RANGE)

    @pytest.mark.parametrize("days", [0, 366])
    def test_days_before_outside_one_to_365_are_refused_by_the_database(self, db, days):
        with refused_by_database("reminders_reminderrule_days_positive"):
            ReminderRule.objects.create(kind="milestone", days_before=days, audience="secretariat")

    @pytest.mark.parametrize("days", [0, 366])
    def test_changing_a_rule_to_days_outside_one_to_365_is_refused_by_the_database(self, db, days):
        rule = ReminderRule.objects.get(kind=ReminderKind.MEETING, days_before=7, audience="members")
        with refused_by_database("reminders_reminderrule_days_positive"):
            ReminderRule.objects.filter(pk=rule.pk).update(days_before=days)

    @pytest.mark.parametrize("days", [1, 365])
    def test_days_before_at_the_limits_are_accepted_by_the_database(self, db, days):
        ReminderRule.objects.create(kind="term_end", days_before=days, audience="secretariat")
        assert ReminderRule.objects.filter(kind="term_end", days_before=days).exists()


# --- ReminderOptOut --------------------------------------------------------------------------


class TestReminderOptOut:
    TAKEN = "Påmindelsen er allerede fravalgt."

    @pytest.fixture
    def opted_out(self, db) -> ReminderOptOut:
        return ReminderOptOut.objects.create(person=factories.PersonFactory(), kind=ReminderKind.MEETING)

    def test_turning_off_the_same_kind_twice_is_refused_on_the_kind(self, opted_out):
        with pytest.raises(ValidationError) as error:
            ReminderOptOut(person=opted_out.person, kind=ReminderKind.MEETING).save_checked()
        assert_refused(error, "kind", self.TAKEN)
        assert ReminderOptOut.objects.count() == 1

    def test_turning_off_another_kind_is_accepted(self, opted_out):
        ReminderOptOut(person=opted_out.person, kind=ReminderKind.MILESTONE).save_checked()
        assert opted_out.person.reminder_opt_outs.count() == 2

    def test_another_person_turning_off_the_same_kind_is_accepted(self, opted_out):
        ReminderOptOut(person=factories.PersonFactory(), kind=ReminderKind.MEETING).save_checked()
        assert ReminderOptOut.objects.count() == 2

    def test_turning_off_the_same_kind_twice_is_refused_by_the_form(self, opted_out):
        form = model_form(ReminderOptOut, person=opted_out.person, kind="meeting")
        assert_form_refuses(form, "kind", self.TAKEN)

    def test_turning_off_the_same_kind_twice_is_refused_on_the_kind_by_the_admin(self, staff_client, opted_out):
        assert_admin_refuses(
            staff_client, ReminderOptOut, "kind", self.TAKEN, person=opted_out.person_id, kind="meeting"
        )

    def test_changing_an_opt_out_into_another_is_refused_by_the_admin(self, staff_client, opted_out):
        other = ReminderOptOut.objects.create(person=opted_out.person, kind=ReminderKind.TERM_END)
        assert_admin_refuses(staff_client, ReminderOptOut, "kind", self.TAKEN, obj=other, kind="meeting")

    def test_changing_an_opt_out_into_another_is_refused_by_the_database(self, opted_out):
        other = ReminderOptOut.objects.create(person=opted_out.person, kind=ReminderKind.TERM_END)
        with refused_by_database(
            "reminders_reminderoptout_unique",
            unique_columns="reminders_reminderoptout.person_id, reminders_reminderoptout.kind",
        ):
            ReminderOptOut.objects.filter(pk=other.pk).update(kind=ReminderKind.MEETING)


# --- every admin add page, posted without its required links ---------------------------------

PORTAL_APPS = ("members", "fora", "agreements", "reminders", "elections")
ADD_PAGES = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PORTAL_APPS
    ),
    key=lambda item: item[0]._meta.label,
)


def _required_links(form: forms.BaseForm) -> list[str]:
    """The form's required single-choice foreign keys (and one-to-ones)."""
    return [
        name
        for name, field in form.fields.items()
        if isinstance(field, forms.ModelChoiceField)
        and not isinstance(field, forms.ModelMultipleChoiceField)
        and field.required
    ]


def test_the_generated_add_page_tests_cover_the_portal_apps():
    labels = {model._meta.app_label for model, _admin in ADD_PAGES}
    assert labels == set(PORTAL_APPS)
    assert len(ADD_PAGES) >= 20


@pytest.mark.parametrize(("model", "model_admin"), ADD_PAGES, ids=[model._meta.label for model, _admin in ADD_PAGES])
def test_an_add_page_posted_without_its_required_links_answers_with_the_form(
    staff_client, superuser, model, model_admin
):
    request = RequestFactory().get("/")
    request.user = superuser
    if not model_admin.has_add_permission(request):
        assert staff_client.get(admin_url(model)).status_code == 403
        return
    page = staff_client.get(admin_url(model))
    assert page.status_code == 200
    links = _required_links(page.context["adminform"].form)
    before = model._default_manager.count()
    response = admin_post(staff_client, model, **dict.fromkeys(links, ""))
    assert response.status_code == 200, f"{model._meta.label}: expected the form again, got {response.status_code}"
    errors = response.context["adminform"].form.errors
    assert not set(links) - set(errors), f"{model._meta.label}: {links} should all be refused, got {errors.as_data()}"
    assert model._default_manager.count() == before


# --- every required link left out of otherwise valid data ------------------------------------


@pytest.fixture
def world(odense, middelfart, syddanmark, period):
    """A mayor with a KKR place, a forum with a seat, a meeting, an agreement with a milestone."""
    mayoralty = services.record_mayor(
        person=factories.PersonFactory(), municipality=odense, period=period, started_on=day(1, 1)
    )
    seat = factories.SeatFactory(period=period, label="Medlem 1")
    agreement = new_agreement(syddanmark, AgreementKind.objects.get(slug="rammeaftale"))
    agreement.save_checked()
    milestone = Milestone.objects.create(
        agreement=agreement,
        kind="council_approval",
        title="Godkendelse",
        due_on=day(10, 15),
        requires_every_council=True,
    )
    return {
        "odense": odense,
        "syddanmark": syddanmark,
        "period": period,
        "mayoralty": mayoralty,
        "place": KKRMembership.objects.get(mayoralty=mayoralty),
        "councillor": councillor(middelfart, period),
        "newcomer": factories.PersonFactory(),
        "staff": factories.UserFactory(email="ny.medarbejder@example.dk", is_staff=True),
        "seat": seat,
        "meeting": factories.MeetingFactory(),
        "agreement": agreement,
        "milestone": milestone,
    }


def _valid_data(w) -> dict[type, dict]:
    """For each model with required links: what its add page would accept (links as pks)."""
    return {
        Municipality: {
            "code": "998",
            "name": "Testby",
            "official_name": "Testby Kommune",
            "slug": "testby",
            "council": w["syddanmark"].pk,
        },
        CouncilSeat: {
            "person": w["newcomer"].pk,
            "municipality": w["odense"].pk,
            "period": w["period"].pk,
            "role": "deputy_mayor",
            "started_on": "2026-03-01",
        },
        KKRMembership: {
            "person": w["councillor"].pk,
            "council": w["syddanmark"].pk,
            "period": w["period"].pk,
            "basis": "supplementary",
            "role": "substitute",
            "substitute_for": w["place"].pk,
            "started_on": "2026-03-01",
        },
        Chairmanship: {
            "council": w["syddanmark"].pk,
            "period": w["period"].pk,
            "role": "chair",
            "person": w["place"].person_id,
            "started_on": "2026-03-01",
        },
        Meeting: {
            "council": w["syddanmark"].pk,
            "title": "KKR-møde",
            "starts_at_0": "2026-12-14",
            "starts_at_1": "10:00",
            "ends_at_0": "2026-12-14",
            "ends_at_1": "13:00",
            "status": "planned",
        },
        AgendaItem: {"meeting": w["meeting"].pk, "number": "1", "title": "Godkendelse af dagsorden"},
        SecretariatContact: {
            "council": w["syddanmark"].pk,
            "kind": "kkr",
            "unit": "KKR-sekretariat Syddanmark",
            "name": "Anne Konsulent",
        },
        Forum: {
            "council": w["syddanmark"].pk,
            "kind": w["seat"].forum.kind_id,
            "name": "Erhvervshus Fyn",
            "slug": "erhvervshus-fyn",
            "basis": "statutory",
            "successor": w["seat"].forum_id,
        },
        Seat: {
            "forum": w["seat"].forum_id,
            "period": w["period"].pk,
            "label": "Suppleant 1",
            "kind": "deputy",
            "deputy_for": w["seat"].pk,
            "mode": "appoints",
            "position": "1",
        },
        Appointment: {
            "seat": w["seat"].pk,
            "person": w["councillor"].pk,
            "starts_on": "2026-03-01",
            "decided_at": w["meeting"].pk,
        },
        Agreement: {
            "council": w["syddanmark"].pk,
            "kind": w["agreement"].kind_id,
            "title": "Rammeaftale 2029-2030",
            "counterpart": w["agreement"].counterpart,
            "valid_from": "2029-01-01",
            "recurrence_months": "24",
            "cycle": "2",
            "previous": w["agreement"].pk,
        },
        Milestone: {
            "agreement": w["agreement"].pk,
            "kind": "draft",
            "title": "Udkast",
            "due_on": "2026-06-01",
            "audience": "secretariat",
        },
        MunicipalApproval: {
            "milestone": w["milestone"].pk,
            "municipality": w["odense"].pk,
            "approved_on": "2026-09-01",
            "approved_by": "Kommunalbestyrelsen",
        },
        StaffAssignment: {"user": w["staff"].pk, "council": w["syddanmark"].pk},
    }


def _has_add_page(model_admin) -> bool:
    """Rows some admins never add by hand (the outbox, calendar links) have no add page at all."""
    request = RequestFactory().get("/")
    request.user = type("Superuser", (), {"is_active": True, "is_staff": True, "is_superuser": True})()
    request.user.has_perm = lambda perm, obj=None: True
    return model_admin.has_add_permission(request)


# Every required link of every add page.
LINKED_MODELS = [
    (model, field.name)
    for model, model_admin in ADD_PAGES
    if _has_add_page(model_admin)
    for field in model._meta.concrete_fields
    if field.is_relation and field.editable and not field.blank
]
LINKED = sorted({model for model, _name in LINKED_MODELS}, key=lambda model: model._meta.label)


def test_every_model_with_required_links_has_valid_data_below(world):
    assert set(LINKED) == set(_valid_data(world))


@pytest.mark.parametrize("model", LINKED, ids=[model._meta.label for model in LINKED])
def test_the_valid_data_of_each_add_page_is_accepted(staff_client, world, model):
    assert_admin_accepts(staff_client, model, **_valid_data(world)[model])


@pytest.mark.parametrize(
    ("model", "link"), LINKED_MODELS, ids=[f"{model._meta.label}.{name}" for model, name in LINKED_MODELS]
)
def test_an_add_page_posted_with_one_required_link_left_out_answers_with_the_form(staff_client, world, model, link):
    before = model._default_manager.count()
    response = admin_post(staff_client, model, **{**_valid_data(world)[model], link: ""})
    assert response.status_code == 200, (
        f"{model._meta.label}.{link}: expected the form again, got {response.status_code}"
    )
    assert link in response.context["adminform"].form.errors
    assert model._default_manager.count() == before
