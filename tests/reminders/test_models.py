"""The reminder rules and the outbox: what the database refuses, and what the admin shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from reminders.models import Delivery, ReminderKind, ReminderOptOut, ReminderRule
from tests import factories, rules_helpers
from tests.rules_helpers import (
    assert_admin_accepts,
    assert_admin_refuses,
    assert_form_refuses,
    assert_refused,
    model_form,
    refused_by_database,
)

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client

RULE_EXISTS = "Der findes allerede en regel for dette antal dage og disse modtagere."
DAYS_RANGE = "Antal dage skal være mellem 1 og 365."
AUDIENCE_FITS = (
    "Modtagerne passer ikke til påmindelsestypen: møder går til KKR's medlemmer og stedfortrædere, "
    "frister til sekretariatet eller milepælens målgruppe, udløb af udpegninger til sekretariatet."
)
MEETING_AT = dt.datetime(2026, 12, 7, 10, 0, tzinfo=rules_helpers.COPENHAGEN)


@pytest.fixture
def meeting_rule(db) -> ReminderRule:
    """Reference data: 7 days before a meeting, to the members."""
    return ReminderRule.objects.get(kind=ReminderKind.MEETING, days_before=7, audience="members")


# --- ReminderRule --------------------------------------------------------------------------


class TestReminderRule:
    def test_a_second_rule_for_the_same_kind_days_and_audience_is_refused(self, meeting_rule):
        with pytest.raises(ValidationError) as error:
            ReminderRule(kind="meeting", days_before=7, audience="members", is_active=False).save_checked()
        assert_refused(error, "days_before", RULE_EXISTS)

    def test_the_same_days_for_another_audience_is_accepted(self, db):
        ReminderRule(kind="milestone", days_before=7, audience="secretariat").save_checked()
        assert ReminderRule.objects.filter(kind="milestone", days_before=7).count() == 2

    def test_a_second_rule_is_refused_by_the_form(self, meeting_rule):
        form = model_form(ReminderRule, kind="meeting", days_before=7, audience="members", is_active=True)
        assert_form_refuses(form, "days_before", RULE_EXISTS)

    def test_a_second_rule_is_refused_by_the_admin(self, staff_client, meeting_rule):
        assert_admin_refuses(
            staff_client, ReminderRule, "days_before", RULE_EXISTS, kind="meeting", days_before=7, audience="members"
        )

    def test_what_a_rule_says_cannot_be_changed_in_the_admin_only_switched_off(self, staff_client, meeting_rule):
        one_day = ReminderRule.objects.get(kind="meeting", days_before=1, audience="members")
        assert_admin_accepts(
            staff_client,
            ReminderRule,
            obj=one_day,
            kind="milestone",
            days_before=7,
            audience="secretariat",
            is_active=False,
        )
        one_day.refresh_from_db()
        assert (one_day.kind, one_day.days_before, one_day.audience, one_day.is_active) == (
            "meeting",
            1,
            "members",
            False,
        )

    @pytest.mark.parametrize(
        ("kind", "audience"),
        [
            ("meeting", "secretariat"),
            ("meeting", "milestone_audience"),
            ("milestone", "members"),
            ("term_end", "members"),
            ("term_end", "milestone_audience"),
        ],
    )
    def test_an_audience_that_does_not_fit_the_kind_is_refused(self, staff_client, kind, audience):
        with pytest.raises(ValidationError) as error:
            ReminderRule(kind=kind, days_before=3, audience=audience).save_checked()
        assert_refused(error, "audience", AUDIENCE_FITS)
        assert_admin_refuses(
            staff_client, ReminderRule, "audience", AUDIENCE_FITS, kind=kind, days_before="3", audience=audience
        )
        with refused_by_database("reminders_reminderrule_audience_fits_kind"):
            ReminderRule.objects.create(kind=kind, days_before=3, audience=audience)
        assert not ReminderRule.objects.filter(days_before=3).exists()

    @pytest.mark.parametrize(
        ("kind", "audience"),
        [
            ("meeting", "members"),
            ("milestone", "secretariat"),
            ("milestone", "milestone_audience"),
            ("term_end", "secretariat"),
        ],
    )
    def test_an_audience_that_fits_the_kind_is_accepted(self, db, kind, audience):
        ReminderRule(kind=kind, days_before=3, audience=audience).save_checked()
        assert ReminderRule.objects.filter(kind=kind, days_before=3, audience=audience).exists()

    def test_the_reference_rules_fit_their_kinds(self, db):
        for rule in ReminderRule.objects.all():
            rule.full_clean()

    def test_a_second_rule_is_refused_by_the_database(self, meeting_rule):
        with refused_by_database(
            "reminders_reminderrule_unique",
            unique_columns="reminders_reminderrule.kind, reminders_reminderrule.days_before, "
            "reminders_reminderrule.audience",
        ):
            ReminderRule.objects.create(kind="meeting", days_before=7, audience="members")

    @pytest.mark.parametrize("days", [0, 366])
    def test_days_before_outside_one_to_365_are_refused(self, db, days):
        with pytest.raises(ValidationError) as error:
            ReminderRule(kind="milestone", days_before=days, audience="secretariat").save_checked()
        assert_refused(error, "days_before", DAYS_RANGE)

    @pytest.mark.parametrize("days", [2, 365])
    def test_days_before_inside_one_to_365_are_accepted(self, db, days):
        ReminderRule(kind="milestone", days_before=days, audience="secretariat").save_checked()
        assert ReminderRule.objects.filter(kind="milestone", days_before=days).exists()

    @pytest.mark.parametrize("days", ["0", "366"])
    def test_days_before_outside_one_to_365_are_refused_by_the_admin(self, staff_client, days):
        assert_admin_refuses(
            staff_client,
            ReminderRule,
            "days_before",
            DAYS_RANGE,
            kind="milestone",
            days_before=days,
            audience="secretariat",
        )

    def test_days_before_of_zero_is_refused_by_the_form(self, db):
        form = model_form(ReminderRule, kind="milestone", days_before=0, audience="secretariat", is_active=True)
        assert_form_refuses(form, "days_before", DAYS_RANGE)

    def test_days_before_of_zero_is_refused_by_the_database(self, db):
        with refused_by_database("reminders_reminderrule_days_positive"):
            ReminderRule.objects.create(kind="milestone", days_before=0, audience="secretariat")

    def test_a_new_rule_is_accepted_by_the_admin(self, staff_client):
        assert_admin_accepts(staff_client, ReminderRule, kind="term_end", days_before=30, audience="secretariat")
        assert ReminderRule.objects.filter(kind="term_end", days_before=30).exists()


# --- Delivery (the outbox) -----------------------------------------------------------------


def delivery(rule, **fields) -> Delivery:
    values = {
        "rule": rule,
        "occasion_type": ReminderKind.MEETING,
        "occasion_id": 41,
        "occasion_at": MEETING_AT,
        "email": "anne@example.dk",
        "due_at": MEETING_AT - dt.timedelta(days=rule.days_before),
    }
    values.update(fields)
    return Delivery(**values)


PER_ADDRESS_COLUMNS = (
    "reminders_delivery.rule_id, reminders_delivery.occasion_type, "
    "reminders_delivery.occasion_id, reminders_delivery.occasion_at, reminders_delivery.email"
)
PER_PERSON_COLUMNS = (
    "reminders_delivery.rule_id, reminders_delivery.occasion_type, "
    "reminders_delivery.occasion_id, reminders_delivery.occasion_at, reminders_delivery.recipient_id"
)


class TestDelivery:
    def test_a_second_delivery_of_the_same_reminder_to_the_same_address_is_refused(self, meeting_rule):
        delivery(meeting_rule).save()
        with refused_by_database("reminders_delivery_once_per_address", unique_columns=PER_ADDRESS_COLUMNS):
            delivery(meeting_rule, status=Delivery.Status.FAILED).save()
        assert Delivery.objects.count() == 1

    def test_a_second_delivery_in_one_bulk_insert_is_refused(self, meeting_rule):
        with refused_by_database("reminders_delivery_once_per_address", unique_columns=PER_ADDRESS_COLUMNS):
            Delivery.objects.bulk_create([delivery(meeting_rule), delivery(meeting_rule)])

    def test_a_second_delivery_to_the_same_person_at_a_new_address_is_refused(self, meeting_rule):
        person = factories.PersonFactory()
        delivery(meeting_rule, recipient=person, status=Delivery.Status.SENT, sent_at=MEETING_AT).save()
        with refused_by_database("reminders_delivery_once_per_person", unique_columns=PER_PERSON_COLUMNS):
            delivery(meeting_rule, recipient=person, email="anne.ny@example.dk").save()
        assert Delivery.objects.count() == 1

    def test_a_person_and_a_secretariat_address_are_keyed_apart(self, meeting_rule):
        delivery(meeting_rule, recipient=factories.PersonFactory()).save()
        delivery(meeting_rule).save()
        assert Delivery.objects.count() == 2

    def test_planning_a_persons_delivery_again_at_a_new_address_adds_nothing(self, meeting_rule):
        person = factories.PersonFactory()
        Delivery.objects.bulk_create([delivery(meeting_rule, recipient=person)], ignore_conflicts=True)
        Delivery.objects.bulk_create(
            [delivery(meeting_rule, recipient=person, email="anne.ny@example.dk")], ignore_conflicts=True
        )
        assert list(Delivery.objects.values_list("email", flat=True)) == ["anne@example.dk"]

    def test_a_moved_meeting_gets_a_delivery_for_its_new_time(self, meeting_rule):
        delivery(meeting_rule).save()
        moved = MEETING_AT + dt.timedelta(days=1)
        delivery(meeting_rule, occasion_at=moved, due_at=moved - dt.timedelta(days=7)).save()
        assert Delivery.objects.count() == 2

    def test_another_recipient_gets_a_delivery_of_their_own(self, meeting_rule):
        delivery(meeting_rule).save()
        delivery(meeting_rule, email="bo@example.dk").save()
        assert Delivery.objects.count() == 2

    def test_planning_the_same_deliveries_twice_adds_nothing(self, meeting_rule):
        Delivery.objects.bulk_create([delivery(meeting_rule)], ignore_conflicts=True)
        Delivery.objects.bulk_create(
            [delivery(meeting_rule), delivery(meeting_rule, email="bo@example.dk")], ignore_conflicts=True
        )
        assert sorted(Delivery.objects.values_list("email", flat=True)) == ["anne@example.dk", "bo@example.dk"]

    def test_a_sent_delivery_without_a_time_is_refused(self, meeting_rule):
        with refused_by_database("reminders_delivery_sent_has_time"):
            delivery(meeting_rule, status=Delivery.Status.SENT).save()

    def test_marking_a_delivery_sent_without_a_time_is_refused(self, meeting_rule):
        row = delivery(meeting_rule)
        row.save()
        with refused_by_database("reminders_delivery_sent_has_time"):
            Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.SENT)

    def test_a_sent_delivery_with_its_time_is_accepted(self, meeting_rule):
        delivery(meeting_rule, status=Delivery.Status.SENT, sent_at=MEETING_AT - dt.timedelta(days=7)).save()
        assert Delivery.objects.get().status == Delivery.Status.SENT

    def test_a_delivery_due_after_its_occasion_is_refused(self, meeting_rule):
        with refused_by_database("reminders_delivery_due_before_occasion"):
            delivery(meeting_rule, due_at=MEETING_AT).save()

    def test_the_admin_offers_no_way_to_add_a_delivery(self, staff_client):
        assert staff_client.get(rules_helpers.admin_url(Delivery)).status_code == 403

    def test_the_admin_shows_a_delivery_read_only(self, staff_client, meeting_rule):
        row = delivery(meeting_rule)
        row.save()
        page = staff_client.get(rules_helpers.admin_url(Delivery, row))
        assert page.status_code == 200
        assert not page.context["adminform"].form.fields


# --- ReminderOptOut ------------------------------------------------------------------------


class TestReminderOptOut:
    def test_an_opt_out_needs_a_person_or_an_address_but_not_both(self, db):
        message = "Angiv enten en person eller en e-mail, ikke begge."
        for fields in ({}, {"person": factories.PersonFactory(), "email": "sara@kl.dk"}):
            with pytest.raises(ValidationError) as error:
                ReminderOptOut(kind=ReminderKind.MEETING, **fields).save_checked()
            assert_refused(error, "email", message)
            with refused_by_database("reminders_reminderoptout_person_or_email"):
                ReminderOptOut.objects.create(kind=ReminderKind.MEETING, **fields)
        assert not ReminderOptOut.objects.exists()

    def test_an_address_turning_off_the_same_kind_twice_is_refused(self, db):
        ReminderOptOut.objects.create(email="sara@kl.dk", kind=ReminderKind.MILESTONE)
        with pytest.raises(ValidationError) as error:
            ReminderOptOut(email="sara@kl.dk", kind=ReminderKind.MILESTONE).save_checked()
        assert_refused(error, "kind", "Påmindelsen er allerede fravalgt for denne e-mail.")
        with refused_by_database(
            "reminders_reminderoptout_unique_email",
            unique_columns="reminders_reminderoptout.email, reminders_reminderoptout.kind",
        ):
            ReminderOptOut.objects.create(email="sara@kl.dk", kind=ReminderKind.MILESTONE)
        ReminderOptOut(email="sara@kl.dk", kind=ReminderKind.TERM_END).save_checked()
        assert ReminderOptOut.objects.count() == 2

    def test_turning_off_the_same_kind_twice_is_refused(self, db):
        person = factories.PersonFactory()
        ReminderOptOut.objects.create(person=person, kind=ReminderKind.MEETING)
        with pytest.raises(ValidationError) as error:
            ReminderOptOut(person=person, kind=ReminderKind.MEETING).full_clean()
        assert "Påmindelsen er allerede fravalgt." in str(error.value)
        with refused_by_database(
            "reminders_reminderoptout_unique",
            unique_columns="reminders_reminderoptout.person_id, reminders_reminderoptout.kind",
        ):
            ReminderOptOut.objects.create(person=person, kind=ReminderKind.MEETING)

    def test_turning_off_the_same_kind_twice_is_refused_by_the_admin(self, staff_client):
        person = factories.PersonFactory()
        ReminderOptOut.objects.create(person=person, kind=ReminderKind.MEETING)
        before = ReminderOptOut.objects.count()
        response = rules_helpers.admin_post(staff_client, ReminderOptOut, person=person.pk, kind="meeting")
        assert response.status_code == 200
        assert "Påmindelsen er allerede fravalgt." in response.content.decode()
        assert ReminderOptOut.objects.count() == before
