"""The send task's two reads compiled once per thread (``querysets.Prepared``): the same rows, the
same lock, and a re-check that still sees every change made after the query was compiled."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from members import services as member_services
from members.models import Meeting, Person
from reminders import querysets, services, tasks
from reminders.models import Delivery
from tests.reminders.conftest import MEETING_AT

pytestmark = pytest.mark.django_db

WEEK_BEFORE = MEETING_AT - dt.timedelta(days=7)


def send(delivery: Delivery) -> str:
    with time_machine.travel(WEEK_BEFORE, tick=False):
        return tasks.send_delivery(delivery.pk)


@pytest.fixture
def planned(meeting) -> dict[str, Delivery]:
    with time_machine.travel(WEEK_BEFORE, tick=False):
        services.plan_deliveries()
    return {delivery.email: delivery for delivery in Delivery.objects.all()}


def _off(anne, meeting):
    services.set_reminder_preferences(person=anne.recipient, wanted_kinds={"milestone"})


def _moved(anne, meeting):
    meeting.starts_at += dt.timedelta(days=1)
    meeting.ends_at += dt.timedelta(days=1)
    member_services.save_meeting(meeting=meeting)


def _cancelled(anne, meeting):
    member_services.cancel_meeting(meeting=meeting)


def _rule_off(anne, meeting):
    anne.rule.is_active = False
    anne.rule.save()


def _no_email(anne, meeting):
    Person.objects.filter(pk=anne.recipient_id).update(email="")


@pytest.mark.parametrize("change", [_off, _moved, _cancelled, _rule_off, _no_email])
def test_a_change_after_one_reminder_of_the_meeting_was_sent_is_seen_by_the_next(planned, meeting, change):
    # Bo's reminder compiles the queries of this thread; Anne's runs them again with her values.
    assert send(planned["bo@example.dk"]) == "sent"
    anne = planned["anne@example.dk"]
    change(anne, meeting)
    assert send(anne) == "skipped"
    assert [message.to for message in mail.outbox] == [["bo@example.dk"]]


def test_each_recipient_is_rechecked_with_their_own_values(planned):
    for delivery in planned.values():
        assert send(delivery) == "sent"
    assert sorted(message.to[0] for message in mail.outbox) == sorted(planned)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == len(planned)


@pytest.mark.postgres
def test_the_prepared_recheck_reads_what_the_queryset_reads(planned, meeting):
    anne = Delivery.objects.select_related("rule").get(email="anne@example.dk")
    day = anne.occasion_at.astimezone(querysets.COPENHAGEN).date()
    for _ in range(2):  # compiled on the first run, reused on the second
        (row,) = querysets._recheck_query("meeting", day).rows(pk=meeting.pk, recipient=anne.recipient_id)
        expected = querysets._recheck_query("meeting", day).build(pk=meeting.pk, recipient=anne.recipient_id).get()
        assert type(row) is Meeting
        assert [f.value_from_object(row) for f in Meeting._meta.concrete_fields] == [
            f.value_from_object(expected) for f in Meeting._meta.concrete_fields
        ]
        assert row.council == expected.council
        assert row.council.name == expected.council.name
        assert (row.recipient_email, row.agenda_digest) == (expected.recipient_email, expected.agenda_digest)
        assert row.recipient_email == "anne@example.dk"
    bo = Delivery.objects.get(email="bo@example.dk")
    (row,) = querysets._recheck_query("meeting", day).rows(pk=meeting.pk, recipient=bo.recipient_id)
    assert row.recipient_email == "bo@example.dk"
    assert querysets._recheck_query("meeting", day).rows(pk=meeting.pk + 1000, recipient=bo.recipient_id) == []


@pytest.mark.postgres
def test_the_prepared_lock_is_the_querysets_own_sql_with_skip_locked(planned):
    anne = planned["anne@example.dk"]
    now = WEEK_BEFORE
    with transaction.atomic():
        locked = querysets.lock_ready(anne.pk, now)
        assert locked == anne
        assert locked.rule.days_before == anne.rule.days_before
        expected, _params = querysets._ready_row(now, anne.pk).query.sql_with_params()
        compiled = querysets._READY_ROW._compiled()
        assert compiled["sql"] == expected
        assert "FOR UPDATE OF" in compiled["sql"]
        assert "SKIP LOCKED" in compiled["sql"]
        # Not due yet, or no such row: nothing, as from the queryset.
        assert querysets.lock_ready(anne.pk, now - dt.timedelta(days=1)) is None
        assert querysets.lock_ready(anne.pk + 1000, now) is None


@pytest.mark.postgres
def test_the_prepared_lock_refuses_to_run_outside_a_transaction(planned, monkeypatch):
    anne = planned["anne@example.dk"]
    querysets.lock_ready(anne.pk, WEEK_BEFORE)  # compiled, inside the test's transaction
    # As in autocommit (a transactional test would flush the reference data the suite shares).
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)
    with pytest.raises(TransactionManagementError):
        querysets.lock_ready(anne.pk, WEEK_BEFORE)


@pytest.mark.postgres
def test_a_builder_that_ignores_a_value_is_refused(db):
    prepared = querysets.Prepared(lambda pk, other: Delivery.objects.filter(pk=pk)[:1], pk=int, other=int)
    with pytest.raises(ValueError, match="other"):
        prepared.rows(pk=1, other=2)
