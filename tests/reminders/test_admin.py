"""The outbox in the admin: status, attempts and errors to read, and one action to retry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from reminders.models import Delivery, ReminderRule
from tests import rules_helpers
from tests.reminders.conftest import MEETING_AT

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client
CHANGELIST = "admin:reminders_delivery_changelist"


def deliveries(count: int, *, status: str = Delivery.Status.FAILED, start: int = 0, council=None) -> list[Delivery]:
    rule = ReminderRule.objects.get(kind="meeting", days_before=7)
    return Delivery.objects.bulk_create(
        Delivery(
            rule=rule,
            council=council,
            occasion_type="meeting",
            occasion_id=41,
            occasion_at=MEETING_AT,
            email=f"m{n}@example.dk",
            due_at=MEETING_AT - dt.timedelta(days=7),
            status=status,
            attempts=5,
            last_error=f"SMTPResponseException: (451, 'Try again later {n}')",
        )
        for n in range(start, start + count)
    )


def test_the_list_shows_status_attempts_and_error(staff_client):
    deliveries(1)
    page = staff_client.get(reverse(CHANGELIST))
    text = page.content.decode()
    assert page.status_code == 200
    assert "m0@example.dk" in text
    assert "fejlet" in text
    assert "Try again later 0" in text


def test_the_list_filters_by_status(staff_client):
    deliveries(1)
    deliveries(1, status=Delivery.Status.PENDING, start=1)
    page = staff_client.get(reverse(CHANGELIST), {"status__exact": "failed"})
    text = page.content.decode()
    assert "m0@example.dk" in text
    assert "m1@example.dk" not in text


@pytest.mark.parametrize("count", [2, 30])
def test_the_list_needs_the_same_queries_for_few_and_many_rows(staff_client, count, django_assert_max_num_queries):
    deliveries(count)
    staff_client.get(reverse(CHANGELIST))  # warm the session and the permission caches
    with django_assert_max_num_queries(12):
        assert staff_client.get(reverse(CHANGELIST)).status_code == 200


def retry(client, rows):
    return client.post(
        reverse(CHANGELIST), {"action": "retry_failed", ACTION_CHECKBOX_NAME: [row.pk for row in rows]}, follow=True
    )


def test_retrying_failed_deliveries_queues_them_again_after_commit(
    staff_client, queued, django_capture_on_commit_callbacks
):
    failed = deliveries(2)
    sent = Delivery.objects.create(
        rule=failed[0].rule,
        occasion_type="meeting",
        occasion_id=41,
        occasion_at=MEETING_AT,
        email="sent@example.dk",
        due_at=MEETING_AT - dt.timedelta(days=7),
        status=Delivery.Status.SENT,
        sent_at=MEETING_AT - dt.timedelta(days=7),
    )
    with django_capture_on_commit_callbacks(execute=True):
        page = retry(staff_client, [*failed, sent])
    assert "2 udsendelser sendes igen." in page.content.decode()
    assert sorted(pk for pk, _countdown in queued) == sorted(row.pk for row in failed)
    for row in failed:
        row.refresh_from_db()
        assert (row.status, row.attempts, row.next_attempt_at) == (Delivery.Status.PENDING, 0, None)
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT


def test_retrying_nothing_failed_says_so(staff_client, queued):
    rows = deliveries(1, status=Delivery.Status.PENDING)
    page = retry(staff_client, rows)
    assert "Ingen af de valgte udsendelser er fejlet." in page.content.decode()
    assert queued == []


def test_a_delivery_cannot_be_deleted_in_the_admin(staff_client):
    (row,) = deliveries(1)
    url = reverse("admin:reminders_delivery_delete", args=[row.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert Delivery.objects.filter(pk=row.pk).exists()


@pytest.fixture
def kkr_staff(client, staff_syddanmark):
    """Syddanmark's staff with the permissions the demo gives them: view and change the outbox."""
    staff_syddanmark.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="reminders", codename__in=["view_delivery", "change_delivery"]
        )
    )
    client.force_login(staff_syddanmark)
    return client


def test_staff_see_their_own_kkrs_deliveries_and_not_anothers(kkr_staff, syddanmark, sjaelland):
    (own,) = deliveries(1, council=syddanmark)
    (other,) = deliveries(1, council=sjaelland, start=1)
    page = kkr_staff.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert list(page.context["cl"].queryset.values_list("pk", flat=True)) == [own.pk]
    assert kkr_staff.get(reverse("admin:reminders_delivery_change", args=[own.pk])).status_code == 200
    assert kkr_staff.get(reverse("admin:reminders_delivery_change", args=[other.pk])).status_code == 404


def test_staff_retry_their_own_kkrs_failed_deliveries_only(
    kkr_staff, syddanmark, sjaelland, queued, django_capture_on_commit_callbacks
):
    (own,) = deliveries(1, council=syddanmark)
    (other,) = deliveries(1, council=sjaelland, start=1)
    with django_capture_on_commit_callbacks(execute=True):
        page = retry(kkr_staff, [own, other])
    assert "1 udsendelse sendes igen." in page.content.decode()
    assert [pk for pk, _countdown in queued] == [own.pk]
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.status, other.status) == (Delivery.Status.PENDING, Delivery.Status.FAILED)


def test_staff_can_neither_add_nor_delete_deliveries(kkr_staff, syddanmark):
    staff = kkr_staff
    (own,) = deliveries(1, council=syddanmark)
    assert staff.get(reverse("admin:reminders_delivery_add")).status_code == 403
    assert staff.post(reverse("admin:reminders_delivery_delete", args=[own.pk]), {"post": "yes"}).status_code == 403
    assert Delivery.objects.filter(pk=own.pk).exists()


def test_staff_do_not_see_the_rows_planned_before_deliveries_had_a_kkr(kkr_staff):
    (old,) = deliveries(1)
    assert kkr_staff.get(reverse("admin:reminders_delivery_change", args=[old.pk])).status_code == 404


def test_a_rule_can_be_switched_off_in_the_admin(staff_client):
    rule = ReminderRule.objects.get(kind="meeting", days_before=1)
    rules_helpers.assert_admin_accepts(staff_client, ReminderRule, obj=rule, is_active=False)
    rule.refresh_from_db()
    assert rule.is_active is False


def test_what_a_rule_says_is_read_only_once_it_exists(staff_client):
    rule = ReminderRule.objects.get(kind="meeting", days_before=1)
    form = staff_client.get(rules_helpers.admin_url(ReminderRule, rule)).context["adminform"].form
    assert set(form.fields) == {"is_active"}
    add_form = staff_client.get(rules_helpers.admin_url(ReminderRule)).context["adminform"].form
    assert {"kind", "days_before", "audience", "is_active"} <= set(add_form.fields)
