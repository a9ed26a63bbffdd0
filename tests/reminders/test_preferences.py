"""Which kinds of reminder a person receives, as the Min side form sets them."""

from __future__ import annotations

import pytest

from reminders.models import ReminderKind, ReminderOptOut
from reminders.services import set_reminder_preferences, wanted_kinds
from tests import factories

pytestmark = pytest.mark.django_db

ALL_KINDS = {"meeting", "milestone", "term_end"}


def test_a_person_without_opt_outs_wants_every_kind():
    assert wanted_kinds(factories.PersonFactory()) == ALL_KINDS


def test_turning_off_a_kind_opts_the_person_out_of_exactly_that_kind():
    person = factories.PersonFactory()
    set_reminder_preferences(person=person, wanted_kinds={"meeting", "term_end"})
    assert set(ReminderOptOut.objects.filter(person=person).values_list("kind", flat=True)) == {"milestone"}
    assert wanted_kinds(person) == {"meeting", "term_end"}


def test_setting_the_same_preferences_twice_changes_nothing():
    person = factories.PersonFactory()
    set_reminder_preferences(person=person, wanted_kinds={"meeting"})
    first = set(ReminderOptOut.objects.values_list("pk", "kind"))
    set_reminder_preferences(person=person, wanted_kinds={"meeting"})
    assert set(ReminderOptOut.objects.values_list("pk", "kind")) == first


def test_turning_a_kind_back_on_removes_its_opt_out():
    person = factories.PersonFactory()
    set_reminder_preferences(person=person, wanted_kinds=set())
    set_reminder_preferences(person=person, wanted_kinds=ALL_KINDS)
    assert not ReminderOptOut.objects.filter(person=person).exists()
    assert wanted_kinds(person) == ALL_KINDS


def test_one_persons_preferences_leave_anothers_alone():
    person, other = factories.PersonFactory(), factories.PersonFactory()
    ReminderOptOut.objects.create(person=other, kind=ReminderKind.MEETING)
    set_reminder_preferences(person=person, wanted_kinds=ALL_KINDS)
    assert wanted_kinds(other) == ALL_KINDS - {"meeting"}


def test_an_unknown_kind_is_refused_and_nothing_changes():
    person = factories.PersonFactory()
    with pytest.raises(ValueError, match="Unknown reminder kinds"):
        set_reminder_preferences(person=person, wanted_kinds={"meeting", "birthday"})
    assert not ReminderOptOut.objects.exists()
