"""Sending one delivery: at most once, only while still due, retried on transient SMTP errors."""

from __future__ import annotations

import datetime as dt
import smtplib
from unittest import mock

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.mail.backends import smtp as smtp_backend
from django.db import connection

from agreements.models import Milestone
from fora import services as fora_services
from members import services as member_services
from members.models import KKRMembership, Meeting, Person, PolicyArea, SecretariatContact
from reminders import services, smtp, tasks
from reminders.models import Delivery, ReminderKind, ReminderRule
from tests import factories
from tests.reminders.conftest import MEETING_AT, meeting_at, milestone
from tests.rules_helpers import COPENHAGEN, councillor

pytestmark = pytest.mark.django_db

WEEK_BEFORE = MEETING_AT - dt.timedelta(days=7)
LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


def plan(at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        services.plan_deliveries()


def send(delivery: Delivery, at: dt.datetime = WEEK_BEFORE) -> str:
    with time_machine.travel(at, tick=False):
        return tasks.send_delivery(delivery.pk)


@pytest.fixture
def anne(meeting) -> Delivery:
    plan(WEEK_BEFORE)
    return Delivery.objects.get(email="anne@example.dk")


def test_sending_marks_the_delivery_sent(anne):
    assert send(anne) == "sent"
    anne.refresh_from_db()
    assert anne.status == Delivery.Status.SENT
    assert anne.sent_at == WEEK_BEFORE
    assert anne.attempts == 1
    assert [message.to for message in mail.outbox] == [["anne@example.dk"]]


def test_the_send_task_run_twice_sends_one_email(anne):
    send(anne)
    assert send(anne, WEEK_BEFORE + dt.timedelta(minutes=1)) == "not ready"
    assert len(mail.outbox) == 1


def test_a_delivery_is_not_sent_before_its_due_time(anne):
    assert send(anne, WEEK_BEFORE - dt.timedelta(seconds=1)) == "not ready"
    assert not mail.outbox


def test_a_missing_delivery_is_harmless(db):
    assert tasks.send_delivery(987654) == "not ready"


def assert_skipped(delivery: Delivery, reason: str) -> None:
    assert send(delivery) == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SKIPPED
    assert reason in delivery.last_error
    assert not mail.outbox


def test_a_cancelled_meeting_is_not_reminded_of(anne, meeting):
    member_services.cancel_meeting(meeting=meeting)
    assert_skipped(anne, "aflyst")


def test_a_deleted_meeting_is_not_reminded_of(anne, meeting):
    meeting.delete()
    assert_skipped(anne, "findes ikke")


def test_a_moved_meeting_is_not_reminded_of_at_its_old_time_but_at_its_new_one(anne, meeting):
    meeting.starts_at += dt.timedelta(days=2)
    meeting.ends_at += dt.timedelta(days=2)
    member_services.save_meeting(meeting=meeting)
    assert_skipped(anne, "flyttet")
    new_due = WEEK_BEFORE + dt.timedelta(days=2)
    plan(new_due)
    moved = Delivery.objects.get(email="anne@example.dk", occasion_at=meeting.starts_at)
    assert send(moved, new_due) == "sent"
    assert len(mail.outbox) == 1


def test_a_member_who_turns_reminders_off_after_planning_gets_none(anne):
    services.set_reminder_preferences(person=anne.recipient, wanted_kinds={"milestone", "term_end"})
    assert_skipped(anne, "fravalgt")


def test_a_member_whose_email_changed_gets_it_at_the_new_address_only(anne):
    Person.objects.filter(pk=anne.recipient_id).update(email="anne.ny@example.dk")
    assert send(anne) == "sent"
    anne.refresh_from_db()
    assert anne.email == "anne.ny@example.dk"
    assert [message.to for message in mail.outbox] == [["anne.ny@example.dk"]]


def test_a_member_whose_email_changed_after_the_reminder_was_sent_does_not_get_it_again(anne):
    assert send(anne) == "sent"
    Person.objects.filter(pk=anne.recipient_id).update(email="anne.ny@example.dk")
    later = WEEK_BEFORE + dt.timedelta(minutes=5)
    plan(later)
    for delivery in Delivery.objects.filter(status=Delivery.Status.PENDING):
        send(delivery, later)
    assert Delivery.objects.filter(recipient_id=anne.recipient_id, rule=anne.rule).count() == 1
    assert [message.to for message in mail.outbox if message.to != ["bo@example.dk"]] == [
        ["anne@example.dk"],
        ["carl@example.dk"],
    ]


def test_a_member_whose_email_was_removed_gets_none(anne):
    Person.objects.filter(pk=anne.recipient_id).update(email="")
    assert_skipped(anne, "uden e-mail")


def test_a_member_who_left_the_kkr_gets_none(anne, members):
    member_services.end_membership(membership=members[0], ended_on=WEEK_BEFORE.date())
    assert_skipped(anne, "ikke længere med")


def test_a_rule_switched_off_after_planning_sends_nothing(anne):
    anne.rule.is_active = False
    anne.rule.save()
    assert_skipped(anne, "slået fra")


def test_a_meeting_that_has_begun_is_not_reminded_of(anne):
    assert send(anne, MEETING_AT) == "skipped"
    assert not mail.outbox


def test_a_completed_milestone_is_not_reminded_of(syddanmark, secretariat):
    due = milestone(syddanmark, dt.date(2026, 12, 31))
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    Milestone.objects.filter(pk=due.pk).update(completed_on=dt.date(2026, 12, 1))
    assert send(Delivery.objects.get(), at) == "skipped"


def test_an_ended_appointment_is_not_reminded_of(odense, period, secretariat):
    person = councillor(odense, period)
    appointment = fora_services.propose(
        seat=factories.SeatFactory(), person=person, starts_on=period.starts_on, term_ends_on=dt.date(2027, 3, 1)
    )
    appointment = fora_services.appoint(appointment=appointment, appointed_on=period.starts_on)
    at = dt.datetime(2026, 12, 31, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    fora_services.end(appointment=appointment, ended_on=dt.date(2026, 12, 31), reason="resigned")
    assert send(Delivery.objects.get(), at) == "skipped"
    assert not mail.outbox


def test_an_appointment_still_running_is_reminded_of(odense, period, secretariat):
    person = councillor(odense, period, name="Dorte Udpeget")
    appointment = fora_services.propose(
        seat=factories.SeatFactory(), person=person, starts_on=period.starts_on, term_ends_on=dt.date(2027, 3, 1)
    )
    fora_services.appoint(appointment=appointment, appointed_on=period.starts_on)
    at = dt.datetime(2026, 12, 31, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    assert send(Delivery.objects.get(), at) == "sent"
    assert "Dorte Udpeget" in mail.outbox[0].subject


# --- SMTP failures ----------------------------------------------------------------------------


def test_a_temporary_smtp_error_is_retried_with_growing_backoff_then_failed(
    anne, settings, queued, django_capture_on_commit_callbacks
):
    settings.REMINDERS_MAX_ATTEMPTS = 3
    settings.REMINDERS_RETRY_BACKOFF = 60
    error = smtplib.SMTPResponseException(451, b"4.3.0 Try again later")
    at = WEEK_BEFORE
    with mock.patch(LOCMEM_SEND, side_effect=error), django_capture_on_commit_callbacks(execute=True):
        assert send(anne, at) == "retry"
        anne.refresh_from_db()
        assert (anne.status, anne.attempts) == (Delivery.Status.PENDING, 1)
        assert anne.next_attempt_at == at + dt.timedelta(seconds=60)
        assert send(anne, at + dt.timedelta(seconds=59)) == "not ready"
        at = anne.next_attempt_at
        assert send(anne, at) == "retry"
        anne.refresh_from_db()
        assert anne.next_attempt_at == at + dt.timedelta(seconds=120)
        assert send(anne, anne.next_attempt_at) == "failed"
    anne.refresh_from_db()
    assert (anne.status, anne.attempts, anne.next_attempt_at) == (Delivery.Status.FAILED, 3, None)
    assert "451" in anne.last_error
    assert "Try again later" in anne.last_error
    assert queued == [(anne.pk, 60.0), (anne.pk, 120.0)]


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError("timed out"),
        ConnectionRefusedError(111, "Connection refused"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPRecipientsRefused({"anne@example.dk": (450, b"Mailbox busy")}),
    ],
    ids=["timeout", "refused", "disconnected", "4xx-recipient"],
)
def test_timeouts_and_lost_connections_are_retried(anne, queued, error):
    with mock.patch(LOCMEM_SEND, side_effect=error):
        assert send(anne) == "retry"
    anne.refresh_from_db()
    assert anne.status == Delivery.Status.PENDING
    assert type(error).__name__ in anne.last_error


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused({"anne@example.dk": (550, b"5.1.1 No such user")}),
        smtplib.SMTPDataError(554, b"5.7.1 Rejected"),
    ],
    ids=["recipient-rejected", "data-rejected"],
)
def test_a_permanent_smtp_error_fails_at_once_without_retry(anne, queued, django_capture_on_commit_callbacks, error):
    with mock.patch(LOCMEM_SEND, side_effect=error), django_capture_on_commit_callbacks(execute=True):
        assert send(anne) == "failed"
    anne.refresh_from_db()
    assert (anne.status, anne.attempts) == (Delivery.Status.FAILED, 1)
    assert "5" in anne.last_error
    assert queued == []


class FakeSMTP:
    """An SMTP connection that accepts every message and then fails on QUIT."""

    def __init__(self, error: BaseException, accepted: list, quits: list) -> None:
        self.error, self.accepted, self.quits = error, accepted, quits

    def sendmail(self, from_addr, to_addrs, msg):
        self.accepted.append(to_addrs)
        return {}

    def quit(self):
        self.quits.append(self.error)
        raise self.error

    def close(self):
        pass


class QuitFailsBackend(smtp_backend.EmailBackend):
    """Django's SMTP backend on a server that has accepted the message and then errs on QUIT."""

    error: BaseException = smtplib.SMTPResponseException(421, b"4.4.2 Timeout, closing connection")
    accepted: list = []
    quits: list = []

    def open(self):
        if self.connection:
            return False
        self.connection = FakeSMTP(self.error, self.accepted, self.quits)
        return True


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPResponseException(421, b"4.4.2 Timeout, closing connection"),
        TimeoutError("timed out"),
        SoftTimeLimitExceeded(),
    ],
    ids=["421-on-quit", "timeout-on-quit", "soft-time-limit-on-quit"],
)
def test_an_error_after_the_server_accepted_the_message_does_not_send_it_again(
    anne, settings, queued, django_capture_on_commit_callbacks, error
):
    settings.EMAIL_BACKEND = f"{__name__}.QuitFailsBackend"
    QuitFailsBackend.error, QuitFailsBackend.accepted, QuitFailsBackend.quits = error, [], []
    with django_capture_on_commit_callbacks(execute=True):
        assert send(anne) == "sent"
    anne.refresh_from_db()
    assert (anne.status, anne.attempts, anne.last_error) == (Delivery.Status.SENT, 1, "")
    assert queued == []
    assert send(anne, WEEK_BEFORE + dt.timedelta(hours=1)) == "not ready"
    # The connection is kept for the next task; QUIT fails when the worker process ends, quietly.
    smtp.discard()
    assert QuitFailsBackend.quits == [error]
    anne.refresh_from_db()
    assert anne.status == Delivery.Status.SENT
    assert QuitFailsBackend.accepted == [["anne@example.dk"]]


def test_a_failed_delivery_is_not_sent_by_a_late_message(anne):
    Delivery.objects.filter(pk=anne.pk).update(status=Delivery.Status.FAILED)
    assert send(anne) == "not ready"
    assert not mail.outbox


def test_retrying_failed_deliveries_starts_them_afresh(anne, queued, django_capture_on_commit_callbacks):
    Delivery.objects.filter(pk=anne.pk).update(status=Delivery.Status.FAILED, attempts=5, last_error="550")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.retry_failed(deliveries=Delivery.objects.all()) == 1
    anne.refresh_from_db()
    assert (anne.status, anne.attempts) == (Delivery.Status.PENDING, 0)
    assert queued == [(anne.pk, None)]
    assert send(anne) == "sent"


# --- daylight saving time -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        # 1 day before 02:30 on 30 March is 02:30 on 29 March: the hour the clocks skip.
        dt.datetime(2026, 3, 30, 2, 30, tzinfo=COPENHAGEN),
        # 1 day before 02:30 on 26 October is 02:30 on 25 October: the hour that happens twice.
        dt.datetime(2026, 10, 26, 2, 30, tzinfo=COPENHAGEN),
    ],
    ids=["spring", "autumn"],
)
def test_a_reminder_due_in_the_skipped_or_repeated_hour_is_planned_and_sent_once(
    members, start, queued, django_capture_on_commit_callbacks
):
    # Only the one-day reminder: the seven-day one, due since the meeting was created, is not the point.
    ReminderRule.objects.filter(kind=ReminderKind.MEETING, days_before=7).update(is_active=False)
    meeting = meeting_at(start)
    # Beat ticks every five minutes from 00:00 to 05:00 UTC on the day of the change.
    day = (start - dt.timedelta(days=1)).astimezone(dt.UTC).replace(hour=0, minute=0)
    for tick in range(61):
        now = day + dt.timedelta(minutes=5 * tick)
        with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
            tasks.plan_reminders()
        for delivery_id, _countdown in queued:
            with time_machine.travel(now, tick=False):
                tasks.send_delivery(delivery_id)
        queued.clear()
    one_day = Delivery.objects.filter(occasion_id=meeting.pk, rule__days_before=1)
    assert one_day.count() == 3
    assert set(one_day.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert sorted(message.to[0] for message in mail.outbox) == ["anne@example.dk", "bo@example.dk", "carl@example.dk"]


def test_a_delivery_of_another_kind_is_not_affected_by_an_opt_out(anne):
    services.set_reminder_preferences(person=anne.recipient, wanted_kinds={ReminderKind.MEETING})
    assert send(anne) == "sent"


def test_a_meeting_marked_held_is_not_reminded_of(anne, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.HELD)
    assert send(anne) == "skipped"


@pytest.mark.parametrize("items", [1, 12])
def test_sending_a_meeting_reminder_needs_the_same_queries_for_a_short_and_a_long_agenda(
    meeting, items, django_assert_num_queries
):
    for number in range(1, items + 1):
        factories.AgendaItemFactory(
            meeting=meeting, number=number, policy_area=PolicyArea.objects.order_by("?").first()
        )
    plan(WEEK_BEFORE)
    anne, bo = Delivery.objects.get(email="anne@example.dk"), Delivery.objects.get(email="bo@example.dk")
    # The row and its rule, locked (1); the meeting with its KKR, a digest of its agenda, and the
    # recipient's current address (1); the row marked sent (1); the transaction (2: its savepoint
    # here). The first reminder of the meeting builds its .ics, which loads the meeting and its
    # agenda (2). Without PostgreSQL's digest, the agenda is read for every reminder (1).
    agenda = 0 if connection.vendor == "postgresql" else 1
    with django_assert_num_queries(7 + agenda):
        assert send(anne) == "sent"
    with django_assert_num_queries(5 + agenda):
        assert send(bo) == "sent"


def test_sending_a_reminder_to_a_secretariat_address_needs_five_queries(
    syddanmark, secretariat, django_assert_num_queries
):
    milestone(syddanmark, dt.date(2026, 12, 31))
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    delivery = Delivery.objects.get()
    # The row and its rule, locked; the milestone with its agreement and KKR and the address as
    # a current contact; the row marked sent; the transaction (its savepoint here).
    with django_assert_num_queries(5):
        assert send(delivery, at) == "sent"
    assert [message.to for message in mail.outbox] == [["sara@kl.dk"]]


def test_a_member_whose_place_moved_to_another_kkr_gets_none(anne, members, sjaelland):
    KKRMembership.objects.filter(pk=members[0].pk).update(council=sjaelland)
    assert_skipped(anne, "ikke længere med")


def test_a_member_whose_place_starts_after_the_meeting_gets_none(anne, members):
    KKRMembership.objects.filter(pk=members[0].pk).update(started_on=MEETING_AT.date() + dt.timedelta(days=1))
    assert_skipped(anne, "ikke længere med")


def test_a_secretariat_address_unsubscribed_after_planning_gets_none(syddanmark, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 31))
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    services.unsubscribe_address(email="Sara@KL.dk", kind="milestone")
    delivery = Delivery.objects.get()
    assert send(delivery, at) == "skipped"
    delivery.refresh_from_db()
    assert "frameldt" in delivery.last_error
    assert not mail.outbox


def test_a_secretariat_contact_who_left_gets_none(syddanmark, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 31))
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    SecretariatContact.objects.filter(email="sara@kl.dk").update(kind=SecretariatContact.Kind.JOINT_SECRETARIAT)
    assert send(Delivery.objects.get(), at) == "skipped"
    assert not mail.outbox


def test_members_are_not_reminded_of_a_milestone_that_became_the_secretariats_alone(syddanmark, members, secretariat):
    due = milestone(syddanmark, dt.date(2026, 12, 31), audience="members")
    at = dt.datetime(2026, 12, 24, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    Milestone.objects.filter(pk=due.pk).update(audience=Milestone.Audience.SECRETARIAT)
    outcomes = {row.email: send(row, at) for row in Delivery.objects.filter(occasion_type="milestone")}
    assert outcomes.pop("sara@kl.dk") == "sent"
    assert set(outcomes) == {"anne@example.dk", "bo@example.dk", "carl@example.dk"}
    assert set(outcomes.values()) == {"skipped"}
    assert [message.to for message in mail.outbox] == [["sara@kl.dk"]]


def test_a_member_is_reminded_of_a_milestone_of_their_own(syddanmark, members, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 31), audience="members")
    at = dt.datetime(2026, 12, 24, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    anne = Delivery.objects.get(occasion_type="milestone", email="anne@example.dk")
    assert send(anne, at) == "sent"
    assert [message.to for message in mail.outbox] == [["anne@example.dk"]]
