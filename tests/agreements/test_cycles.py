"""Closing a cycle of a recurring agreement: the next cycle, its milestones moved, previewed first."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from agreements import services
from agreements.models import Agreement, Milestone, MunicipalApproval
from tests import factories
from tests.rules_helpers import NOW

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:agreements_agreement_changelist")


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agreement(syddanmark, odense):
    """A rammeaftale 2027-2028 (every 24 months) with two milestones and one approval."""
    row = factories.AgreementFactory(
        title="Rammeaftale", valid_from=dt.date(2027, 1, 1), valid_to=dt.date(2028, 12, 31)
    )
    factories.MilestoneFactory(
        agreement=row, kind="kkr_approval", title="Godkendelse i KKR", due_on=dt.date(2027, 3, 15)
    )
    approval = factories.MilestoneFactory(
        agreement=row,
        kind="council_approval",
        title="Godkendelse i kommunalbestyrelserne",
        due_on=dt.date(2027, 5, 31),
        requires_every_council=True,
        completed_on=dt.date(2027, 5, 20),
    )
    MunicipalApproval.objects.create(milestone=approval, municipality=odense, approved_on=dt.date(2027, 4, 2))
    return row


def test_add_months_keeps_the_day_or_takes_the_last_day_of_a_shorter_month():
    assert services.add_months(dt.date(2027, 3, 15), 24) == dt.date(2029, 3, 15)
    assert services.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert services.add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)
    assert services.add_months(dt.date(2027, 12, 1), 12) == dt.date(2028, 12, 1)


def test_closing_a_cycle_creates_the_next_with_dates_and_milestones_moved_by_the_recurrence(agreement):
    following = services.close_cycle(agreement=agreement, closed_on=dt.date(2028, 12, 31))

    agreement.refresh_from_db()
    assert agreement.closed_on == dt.date(2028, 12, 31)
    assert following.previous == agreement
    assert following.cycle == 2
    assert (following.council, following.kind, following.counterpart) == (
        agreement.council,
        agreement.kind,
        agreement.counterpart,
    )
    assert (following.valid_from, following.valid_to) == (dt.date(2029, 1, 1), dt.date(2030, 12, 31))
    assert following.recurrence_months == 24
    copied = list(following.milestones.order_by("due_on").values_list("title", "due_on", "completed_on"))
    assert copied == [
        ("Godkendelse i KKR", dt.date(2029, 3, 15), None),
        ("Godkendelse i kommunalbestyrelserne", dt.date(2029, 5, 31), None),
    ]
    assert not MunicipalApproval.objects.filter(milestone__agreement=following).exists()
    assert Milestone.objects.get(agreement=following, kind="council_approval").requires_every_council


def test_the_recurrence_is_the_agreements_own_data(agreement):
    agreement.recurrence_months = 12
    agreement.save()

    following = services.close_cycle(agreement=agreement, closed_on=dt.date(2027, 12, 31))

    assert following.valid_from == dt.date(2028, 1, 1)
    assert following.milestones.get(kind="kkr_approval").due_on == dt.date(2028, 3, 15)


def test_a_non_recurring_agreement_is_refused_and_nothing_is_written(agreement):
    agreement.recurrence_months = None
    agreement.save()

    with pytest.raises(ValidationError, match="gentages ikke, så der er ingen næste cyklus"):
        services.close_cycle(agreement=agreement, closed_on=dt.date(2028, 12, 31))

    assert Agreement.objects.count() == 1
    agreement.refresh_from_db()
    assert agreement.closed_on is None


def test_closing_a_closed_cycle_again_is_refused(agreement):
    services.close_cycle(agreement=agreement, closed_on=dt.date(2028, 12, 31))

    with pytest.raises(ValidationError, match="Cyklus 1 af Rammeaftale blev allerede afsluttet"):
        services.close_cycle(agreement=agreement, closed_on=dt.date(2029, 1, 5))

    assert Agreement.objects.count() == 2


def test_a_cycle_whose_next_cycle_exists_is_refused(agreement):
    Agreement.objects.create(
        council=agreement.council,
        kind=agreement.kind,
        title=agreement.title,
        counterpart=agreement.counterpart,
        valid_from=dt.date(2029, 1, 1),
        cycle=2,
        previous=agreement,
    )

    with pytest.raises(ValidationError, match="Den næste cyklus af Rammeaftale findes allerede"):
        services.close_cycle(agreement=agreement, closed_on=dt.date(2028, 12, 31))

    agreement.refresh_from_db()
    assert agreement.closed_on is None


def test_closing_before_the_cycle_begins_is_refused(agreement):
    with pytest.raises(ValidationError, match="En cyklus kan ikke afsluttes, før den begynder"):
        services.close_cycle(agreement=agreement, closed_on=dt.date(2026, 12, 1))

    assert Agreement.objects.count() == 1


def test_a_milestone_that_cannot_be_copied_rolls_the_whole_close_back(agreement):
    # 30 and 31 January of the same kind both land on 28 February one month later.
    agreement.recurrence_months = 1
    agreement.save()
    factories.MilestoneFactory(agreement=agreement, kind="other", title="A", due_on=dt.date(2027, 1, 30))
    factories.MilestoneFactory(agreement=agreement, kind="other", title="B", due_on=dt.date(2027, 1, 31))

    with pytest.raises(ValidationError):
        services.close_cycle(agreement=agreement, closed_on=dt.date(2027, 1, 31))

    assert Agreement.objects.count() == 1
    agreement.refresh_from_db()
    assert agreement.closed_on is None


# --- the admin action -----------------------------------------------------------------------


@pytest.fixture
def staff(client, staff_syddanmark):
    staff_syddanmark.user_permissions.set(
        Permission.objects.filter(content_type__app_label="agreements", codename__endswith="agreement")
    )
    client.force_login(staff_syddanmark)
    return client


def text(response) -> str:
    return response.content.decode()


def test_the_action_first_shows_the_new_dates_of_every_milestone_and_changes_nothing(staff, agreement):
    response = staff.post(CHANGELIST, {"action": "close_cycles", ACTION_CHECKBOX_NAME: [agreement.pk]})

    assert response.status_code == 200
    content = text(response)
    assert "Ny cyklus 2 gælder fra 1. januar 2029" in content
    assert "15. marts 2029" in content
    assert "31. maj 2029" in content
    assert 'name="apply"' in content
    assert Agreement.objects.count() == 1


def test_confirming_the_preview_applies_it(staff, agreement):
    response = staff.post(
        CHANGELIST,
        {"action": "close_cycles", ACTION_CHECKBOX_NAME: [agreement.pk], "apply": "1", "closed_on": "2028-12-31"},
        follow=True,
    )

    assert "Cyklussen er afsluttet, og 1 ny cyklus er oprettet." in text(response)
    following = Agreement.objects.get(previous=agreement)
    assert following.milestones.count() == 2
    agreement.refresh_from_db()
    assert agreement.closed_on == dt.date(2028, 12, 31)


@pytest.mark.parametrize("closed_on", ["", "31-31-2028", "i morgen"])
def test_a_bad_closing_date_shows_the_preview_again_with_a_message(staff, agreement, closed_on):
    response = staff.post(
        CHANGELIST,
        {"action": "close_cycles", ACTION_CHECKBOX_NAME: [agreement.pk], "apply": "1", "closed_on": closed_on},
    )

    assert response.status_code == 200
    assert "Skriv" in text(response)
    assert Agreement.objects.count() == 1


def test_the_preview_says_why_an_agreement_cannot_be_closed(staff, agreement):
    agreement.recurrence_months = None
    agreement.save()

    response = staff.post(CHANGELIST, {"action": "close_cycles", ACTION_CHECKBOX_NAME: [agreement.pk]})

    assert escape("Rammeaftale gentages ikke, så der er ingen næste cyklus at oprette.") in text(response)
    assert 'name="apply"' not in text(response)


def test_the_action_ignores_another_kkrs_agreement(staff, agreement, sjaelland):
    other = factories.AgreementFactory(council=sjaelland, title="Sjællands aftale")

    preview = staff.post(CHANGELIST, {"action": "close_cycles", ACTION_CHECKBOX_NAME: [other.pk]})
    staff.post(
        CHANGELIST,
        {"action": "close_cycles", ACTION_CHECKBOX_NAME: [other.pk], "apply": "1", "closed_on": "2028-12-31"},
    )

    assert "Sjællands aftale" not in text(preview)
    other.refresh_from_db()
    assert other.closed_on is None
    assert not Agreement.objects.filter(previous=other).exists()
