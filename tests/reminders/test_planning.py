"""Planning: which deliveries the plan task writes to the outbox, and which send tasks it queues."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements import services as agreement_services
from agreements.models import Agreement, Milestone
from fora import services as fora_services
from members import services as member_services
from members.models import KKRMembership, SecretariatContact
from reminders import querysets, services, tasks
from reminders.models import Delivery, ReminderKind, ReminderOptOut, ReminderRule
from tests import factories
from tests.reminders.conftest import MEETING_AT, kkr_member, meeting_at, milestone
from tests.rules_helpers import COPENHAGEN, councillor

pytestmark = pytest.mark.django_db

UTC = dt.UTC
WEEK_BEFORE = MEETING_AT - dt.timedelta(days=7)


def plan(at: dt.datetime) -> int:
    with time_machine.travel(at, tick=False):
        return services.plan_deliveries()


def emails(**filters) -> list[str]:
    return sorted(Delivery.objects.filter(**filters).values_list("email", flat=True))


# --- when a reminder is due -------------------------------------------------------------------


def test_due_at_is_the_same_wall_clock_time_days_before():
    assert querysets.due_at(MEETING_AT, 7) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_due_at_keeps_the_local_hour_across_the_switch_to_winter_time():
    # 10:00 on Monday 26 October (CET, UTC+1) → 10:00 on Sunday 25 October (CET since 03:00).
    monday = dt.datetime(2026, 10, 26, 10, 0, tzinfo=COPENHAGEN)
    assert querysets.due_at(monday, 1) == dt.datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    # 10:00 on 1 November (CET) → 10:00 on 18 October (CEST, UTC+2).
    assert querysets.due_at(dt.datetime(2026, 11, 1, 10, 0, tzinfo=COPENHAGEN), 14) == dt.datetime(
        2026, 10, 18, 8, 0, tzinfo=UTC
    )


def test_a_due_time_in_the_skipped_hour_resolves_to_one_instant():
    # 02:30 on 29 March 2026 does not exist in Copenhagen; fold=0 reads it with the winter offset.
    occasion = dt.datetime(2026, 3, 30, 2, 30, tzinfo=COPENHAGEN)
    assert querysets.due_at(occasion, 1) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_due_time_in_the_repeated_hour_resolves_to_its_first_occurrence():
    occasion = dt.datetime(2026, 10, 26, 2, 30, tzinfo=COPENHAGEN)
    assert querysets.due_at(occasion, 1) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_date_only_occasion_is_at_eight_in_the_morning_danish_time_summer_and_winter():
    assert querysets.local_morning(dt.date(2026, 6, 1)) == dt.datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    assert querysets.local_morning(dt.date(2026, 12, 1)) == dt.datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


# --- meetings -----------------------------------------------------------------------------------


def test_nothing_is_planned_before_the_due_time(meeting):
    assert plan(WEEK_BEFORE - dt.timedelta(minutes=1)) == 0
    assert not Delivery.objects.exists()


def test_at_the_due_time_every_member_and_substitute_gets_one_delivery(meeting):
    plan(WEEK_BEFORE)
    assert emails() == ["anne@example.dk", "bo@example.dk", "carl@example.dk"]
    row = Delivery.objects.get(email="anne@example.dk")
    assert (row.occasion_type, row.occasion_id, row.occasion_at) == ("meeting", meeting.pk, MEETING_AT)
    assert row.due_at == WEEK_BEFORE
    assert row.rule == ReminderRule.objects.get(kind="meeting", days_before=7)
    assert row.recipient.email == "anne@example.dk"
    assert row.status == Delivery.Status.PENDING


def test_planning_twice_adds_nothing(meeting):
    plan(WEEK_BEFORE)
    first = set(Delivery.objects.values_list("pk", "email"))
    plan(WEEK_BEFORE + dt.timedelta(minutes=5))
    assert set(Delivery.objects.values_list("pk", "email")) == first


def test_the_plan_task_run_twice_is_harmless(meeting, queued, django_capture_on_commit_callbacks):
    with time_machine.travel(WEEK_BEFORE, tick=False), django_capture_on_commit_callbacks(execute=True):
        tasks.plan_reminders()
        tasks.plan_reminders()
    assert Delivery.objects.count() == 3
    assert sorted(pk for pk, _countdown in queued) == sorted(Delivery.objects.values_list("pk", flat=True))


def test_after_a_three_day_outage_the_reminder_still_ahead_is_planned(meeting):
    # Beat and the workers were down from the due time until three days later.
    plan(WEEK_BEFORE + dt.timedelta(days=3))
    assert emails() == ["anne@example.dk", "bo@example.dk", "carl@example.dk"]
    assert set(Delivery.objects.values_list("rule__days_before", "due_at")) == {(7, WEEK_BEFORE)}


def test_after_a_three_day_outage_over_the_one_day_reminder_only_that_one_is_planned(meeting):
    # Down from two days before the meeting until one hour after the one-day reminder was due:
    # the seven-day one (never sent) is superseded, not sent together with "tomorrow".
    day_before = MEETING_AT - dt.timedelta(days=1)
    plan(day_before + dt.timedelta(hours=1))
    assert set(Delivery.objects.values_list("rule__days_before", flat=True)) == {1}
    assert Delivery.objects.count() == 3


def test_after_a_three_day_outage_a_milestone_gets_its_seven_day_reminder_not_the_thirty_day_one(
    syddanmark, secretariat
):
    milestone(syddanmark, dt.date(2026, 12, 31))
    plan(dt.datetime(2026, 12, 27, 8, 0, tzinfo=COPENHAGEN))
    assert set(Delivery.objects.values_list("rule__days_before", "email")) == {(7, "sara@kl.dk")}


def test_a_reminder_superseded_only_by_an_inactive_rule_is_still_planned(meeting):
    ReminderRule.objects.filter(kind="meeting", days_before=1).update(is_active=False)
    plan(MEETING_AT - dt.timedelta(hours=12))
    assert set(Delivery.objects.values_list("rule__days_before", flat=True)) == {7}


def test_a_reminder_for_an_occasion_that_has_passed_is_not_planned_after_an_outage(meeting):
    plan(MEETING_AT + dt.timedelta(days=1))
    assert not Delivery.objects.exists()


def test_every_planned_delivery_belongs_to_the_occasions_kkr(meeting, syddanmark, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 30))  # 30 days before: 08:00 on 30 November
    plan(WEEK_BEFORE)
    assert set(Delivery.objects.values_list("council", flat=True)) == {syddanmark.pk}
    assert Delivery.objects.count() == 4


def test_a_meeting_created_hours_before_it_starts_gets_its_one_day_reminder(members):
    now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=COPENHAGEN)
    meeting_at(now + dt.timedelta(hours=3))
    plan(now)
    assert set(Delivery.objects.values_list("rule__days_before", flat=True)) == {1}


def test_a_cancelled_meeting_is_not_planned(meeting):
    member_services.cancel_meeting(meeting=meeting)
    assert plan(WEEK_BEFORE) == 0


def test_a_meeting_that_has_begun_is_not_planned(members):
    meeting_at(MEETING_AT)
    assert plan(MEETING_AT + dt.timedelta(minutes=1)) == 0


def test_a_member_without_an_email_is_skipped(meeting, odense, period):
    kkr_member(odense, period, "")
    plan(WEEK_BEFORE)
    assert Delivery.objects.count() == 3


def test_a_member_who_turned_meeting_reminders_off_is_skipped(meeting, members):
    ReminderOptOut.objects.create(person=members[1].person, kind=ReminderKind.MEETING)
    plan(WEEK_BEFORE)
    assert emails() == ["anne@example.dk", "carl@example.dk"]


def test_turning_off_another_kind_keeps_meeting_reminders(meeting, members):
    ReminderOptOut.objects.create(person=members[1].person, kind=ReminderKind.MILESTONE)
    plan(WEEK_BEFORE)
    assert "bo@example.dk" in emails()


def test_membership_is_judged_on_the_meeting_day(meeting, members):
    member_services.end_membership(membership=members[1], ended_on=MEETING_AT.date() - dt.timedelta(days=1))
    plan(WEEK_BEFORE)
    assert "bo@example.dk" not in emails()


def test_another_kkrs_members_are_not_told(meeting, roskilde, period):
    kkr_member(roskilde, period, "sjaelland@example.dk")
    plan(WEEK_BEFORE)
    assert "sjaelland@example.dk" not in emails()


def test_an_inactive_rule_plans_nothing(meeting):
    ReminderRule.objects.filter(kind="meeting", days_before=7).update(is_active=False)
    assert plan(WEEK_BEFORE) == 0


def test_a_moved_meeting_is_planned_again_for_its_new_time(meeting):
    plan(WEEK_BEFORE)
    meeting.starts_at += dt.timedelta(days=1)
    meeting.ends_at += dt.timedelta(days=1)
    member_services.save_meeting(meeting=meeting)
    plan(WEEK_BEFORE + dt.timedelta(days=1))
    assert Delivery.objects.filter(occasion_at=MEETING_AT).count() == 3
    assert Delivery.objects.filter(occasion_at=MEETING_AT + dt.timedelta(days=1)).count() == 3


# --- milestones and term ends ---------------------------------------------------------------------


def test_a_milestone_for_the_secretariat_reminds_the_kkr_secretariat_only(syddanmark, members, secretariat):
    due = milestone(syddanmark, dt.date(2026, 12, 31))
    plan(dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN))
    assert emails(occasion_type="milestone") == ["sara@kl.dk"]
    row = Delivery.objects.get()
    assert row.recipient is None
    assert row.occasion_id == due.pk
    assert row.occasion_at == dt.datetime(2026, 12, 31, 7, 0, tzinfo=UTC)


def test_a_milestone_for_the_members_reminds_members_and_secretariat(syddanmark, members, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 31), audience="members")
    plan(dt.datetime(2026, 12, 24, 8, 0, tzinfo=COPENHAGEN))
    assert emails() == ["anne@example.dk", "bo@example.dk", "carl@example.dk", "sara@kl.dk"]


def test_a_completed_milestone_is_not_planned(syddanmark, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 31), completed_on=dt.date(2026, 11, 20))
    assert plan(dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN)) == 0


def test_an_open_milestone_of_a_closed_cycle_is_neither_planned_nor_sent(syddanmark, members, secretariat):
    planned = milestone(syddanmark, dt.date(2026, 12, 31))
    unplanned = Milestone.objects.create(
        agreement=planned.agreement, kind=Milestone.Kind.SIGNING, title="Underskrift", due_on=dt.date(2027, 1, 5)
    )
    Agreement.objects.filter(pk=planned.agreement_id).update(recurrence_months=24)
    first = dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN)
    plan(first)
    assert emails(occasion_id=planned.pk) == ["sara@kl.dk"]
    agreement_services.close_cycle(agreement=Agreement.objects.get(pk=planned.agreement_id), closed_on=first.date())
    with time_machine.travel(first, tick=False):
        assert tasks.send_delivery(Delivery.objects.get().pk) == "skipped"
    assert plan(dt.datetime(2026, 12, 24, 8, 0, tzinfo=COPENHAGEN)) == 0
    assert plan(dt.datetime(2026, 12, 29, 8, 0, tzinfo=COPENHAGEN)) == 0
    assert not Delivery.objects.filter(occasion_id=unplanned.pk).exists()


def appointed(odense, period, *, term_ends_on: dt.date | None):
    person = councillor(odense, period)
    appointment = fora_services.propose(
        seat=factories.SeatFactory(), person=person, starts_on=period.starts_on, term_ends_on=term_ends_on
    )
    return fora_services.appoint(appointment=appointment, appointed_on=period.starts_on)


def test_an_appointment_whose_term_ends_reminds_the_secretariat_sixty_days_before(odense, period, secretariat):
    appointment = appointed(odense, period, term_ends_on=dt.date(2027, 3, 1))
    plan(dt.datetime(2026, 12, 31, 8, 0, tzinfo=COPENHAGEN))
    row = Delivery.objects.get()
    assert (row.occasion_type, row.occasion_id, row.email) == ("term_end", appointment.pk, "sara@kl.dk")
    assert row.occasion_at == dt.datetime(2027, 3, 1, 7, 0, tzinfo=UTC)


def test_an_appointment_without_its_own_term_ends_with_the_period(odense, period, secretariat):
    appointed(odense, period, term_ends_on=None)
    ends = period.ends_on
    plan(dt.datetime.combine(ends - dt.timedelta(days=60), dt.time(8, 0), tzinfo=COPENHAGEN))
    assert Delivery.objects.get().occasion_at == querysets.local_morning(ends)


def test_an_ended_appointment_is_not_planned(odense, period, secretariat):
    appointment = appointed(odense, period, term_ends_on=dt.date(2027, 3, 1))
    fora_services.end(appointment=appointment, ended_on=dt.date(2026, 12, 1), reason="resigned")
    assert plan(dt.datetime(2026, 12, 31, 8, 0, tzinfo=COPENHAGEN)) == 0


# --- a reminder skipped for a reason that went away is not lost ------------------------------------


def send_all(at: dt.datetime) -> list[str]:
    with time_machine.travel(at, tick=False):
        return [tasks.send_delivery(pk) for pk in services.queue_ready_deliveries(now=at)]


def sent_to() -> list[str]:
    return sorted(message.to[0] for message in mail.outbox)


@pytest.fixture
def skipped_anne(meeting, members, queued):
    """Anne turned meeting reminders off just before hers was sent: her row is skipped."""
    plan(WEEK_BEFORE)
    anne = members[0].person
    services.set_reminder_preferences(person=anne, wanted_kinds={"milestone", "term_end"})
    assert sorted(send_all(WEEK_BEFORE)) == ["sent", "sent", "skipped"]
    return Delivery.objects.get(recipient=anne)


def test_a_reminder_turned_off_and_back_on_is_sent_after_all(skipped_anne):
    services.set_reminder_preferences(person=skipped_anne.recipient, wanted_kinds=set(ReminderKind.values))
    later = WEEK_BEFORE + dt.timedelta(minutes=5)
    plan(later)
    skipped_anne.refresh_from_db()
    assert (skipped_anne.status, skipped_anne.attempts, skipped_anne.last_error) == (Delivery.Status.PENDING, 0, "")
    assert (skipped_anne.queued_at, skipped_anne.next_attempt_at) == (None, None)
    assert send_all(later) == ["sent"]
    assert sent_to() == ["anne@example.dk", "bo@example.dk", "carl@example.dk"]
    plan(later + dt.timedelta(minutes=5))
    assert send_all(later + dt.timedelta(minutes=5)) == []


def test_a_reminder_still_turned_off_stays_skipped(skipped_anne):
    plan(WEEK_BEFORE + dt.timedelta(minutes=5))
    skipped_anne.refresh_from_db()
    assert skipped_anne.status == Delivery.Status.SKIPPED


def test_a_rule_switched_off_and_on_again_sends_its_reminders(meeting, queued):
    plan(WEEK_BEFORE)
    ReminderRule.objects.filter(kind="meeting", days_before=7).update(is_active=False)
    assert send_all(WEEK_BEFORE) == ["skipped"] * 3
    ReminderRule.objects.filter(kind="meeting", days_before=7).update(is_active=True)
    later = WEEK_BEFORE + dt.timedelta(minutes=5)
    plan(later)
    assert send_all(later) == ["sent"] * 3
    assert sent_to() == ["anne@example.dk", "bo@example.dk", "carl@example.dk"]


def test_a_meeting_moved_and_moved_back_sends_its_reminders_once(meeting, queued):
    plan(WEEK_BEFORE)
    meeting.starts_at += dt.timedelta(days=2)
    meeting.ends_at += dt.timedelta(days=2)
    member_services.save_meeting(meeting=meeting)
    assert send_all(WEEK_BEFORE) == ["skipped"] * 3
    meeting.starts_at -= dt.timedelta(days=2)
    meeting.ends_at -= dt.timedelta(days=2)
    member_services.save_meeting(meeting=meeting)
    later = WEEK_BEFORE + dt.timedelta(minutes=5)
    plan(later)
    assert send_all(later) == ["sent"] * 3
    assert Delivery.objects.count() == 3


def test_a_membership_ended_by_mistake_and_restored_gets_its_reminder(meeting, members, queued):
    plan(WEEK_BEFORE)
    bo = members[1]
    member_services.end_membership(membership=bo, ended_on=WEEK_BEFORE.date())
    assert sorted(send_all(WEEK_BEFORE)) == ["sent", "sent", "skipped"]
    KKRMembership.objects.filter(pk=bo.pk).update(ended_on=None)
    later = WEEK_BEFORE + dt.timedelta(minutes=5)
    plan(later)
    assert send_all(later) == ["sent"]
    assert sent_to() == ["anne@example.dk", "bo@example.dk", "carl@example.dk"]


def test_sent_and_failed_rows_are_never_revived(meeting, queued):
    plan(WEEK_BEFORE)
    Delivery.objects.filter(email="anne@example.dk").update(status=Delivery.Status.SENT, sent_at=WEEK_BEFORE)
    Delivery.objects.filter(email="bo@example.dk").update(status=Delivery.Status.FAILED, attempts=5)
    Delivery.objects.filter(email="carl@example.dk").update(status=Delivery.Status.SKIPPED)
    plan(WEEK_BEFORE + dt.timedelta(minutes=5))
    assert dict(Delivery.objects.values_list("email", "status")) == {
        "anne@example.dk": Delivery.Status.SENT,
        "bo@example.dk": Delivery.Status.FAILED,
        "carl@example.dk": Delivery.Status.PENDING,
    }
    assert Delivery.objects.get(email="bo@example.dk").attempts == 5


def test_a_skipped_reminder_of_a_meeting_that_has_passed_is_not_revived(meeting, queued):
    plan(WEEK_BEFORE)
    Delivery.objects.update(status=Delivery.Status.SKIPPED)
    plan(MEETING_AT + dt.timedelta(minutes=1))
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SKIPPED}


def test_a_secretariat_address_unsubscribed_and_skipped_stays_skipped_until_resubscribed(syddanmark, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 31))
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN)
    plan(at)
    services.unsubscribe_address(email="Sara@KL.dk", kind="milestone")
    with time_machine.travel(at, tick=False):
        assert tasks.send_delivery(Delivery.objects.get().pk) == "skipped"
    plan(at + dt.timedelta(minutes=5))
    assert Delivery.objects.get().status == Delivery.Status.SKIPPED
    ReminderOptOut.objects.filter(email="sara@kl.dk").delete()
    plan(at + dt.timedelta(minutes=10))
    assert Delivery.objects.get().status == Delivery.Status.PENDING


# --- queueing -------------------------------------------------------------------------------------


def queue(at: dt.datetime, capture) -> list[int]:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return services.queue_ready_deliveries()


def test_each_new_delivery_is_queued_once_after_commit(meeting, queued, django_capture_on_commit_callbacks):
    plan(WEEK_BEFORE)
    ids = queue(WEEK_BEFORE, django_capture_on_commit_callbacks)
    assert sorted(ids) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert sorted(pk for pk, _countdown in queued) == sorted(ids)
    assert queue(WEEK_BEFORE + dt.timedelta(minutes=5), django_capture_on_commit_callbacks) == []
    assert len(queued) == 3


def test_a_pending_delivery_whose_message_was_lost_is_queued_again(
    meeting, queued, django_capture_on_commit_callbacks, settings
):
    settings.REMINDERS_REQUEUE_AFTER = 600
    plan(WEEK_BEFORE)
    queue(WEEK_BEFORE, django_capture_on_commit_callbacks)
    Delivery.objects.filter(email="bo@example.dk").update(status=Delivery.Status.SENT, sent_at=WEEK_BEFORE)
    assert queue(WEEK_BEFORE + dt.timedelta(minutes=9), django_capture_on_commit_callbacks) == []
    again = queue(WEEK_BEFORE + dt.timedelta(minutes=11), django_capture_on_commit_callbacks)
    assert sorted(Delivery.objects.filter(pk__in=again).values_list("email", flat=True)) == [
        "anne@example.dk",
        "carl@example.dk",
    ]


def test_a_delivery_waiting_for_its_next_attempt_is_not_queued(meeting, queued, django_capture_on_commit_callbacks):
    plan(WEEK_BEFORE)
    Delivery.objects.update(next_attempt_at=WEEK_BEFORE + dt.timedelta(minutes=30))
    assert queue(WEEK_BEFORE + dt.timedelta(minutes=29), django_capture_on_commit_callbacks) == []
    assert len(queue(WEEK_BEFORE + dt.timedelta(minutes=30), django_capture_on_commit_callbacks)) == 3


def test_beat_runs_the_plan_task_every_five_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["plan-reminders"]
    assert entry["task"] == tasks.plan_reminders.name
    assert entry["schedule"] == 300.0


def test_a_secretariat_address_unsubscribed_from_a_kind_is_not_planned_for_it(syddanmark, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 31))
    ReminderOptOut.objects.create(email="sara@kl.dk", kind=ReminderKind.MILESTONE)
    assert plan(dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN)) == 0
    ReminderOptOut.objects.update(kind=ReminderKind.TERM_END)
    assert plan(dt.datetime(2026, 12, 1, 8, 5, tzinfo=COPENHAGEN)) == 1


# --- set-based planning -----------------------------------------------------------------------------


def planning_queries(at: dt.datetime) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        plan(at)
    return [query["sql"] for query in context.captured_queries]


@pytest.fixture
def two_kkrs(syddanmark, sjaelland, odense, roskilde, period):
    """Members and a secretariat contact in KKR Syddanmark and KKR Sjælland."""
    for n in range(3):
        kkr_member(odense, period, f"syd{n}@example.dk")
        kkr_member(roskilde, period, f"sj{n}@example.dk")
    SecretariatContact.objects.create(council=syddanmark, kind="kkr", unit="KKR", name="Sara", email="sara@kl.dk")
    SecretariatContact.objects.create(council=sjaelland, kind="kkr", unit="KKR", name="Sif", email="sif@kl.dk")
    return syddanmark, sjaelland


def occasions(councils, size: int) -> None:
    """``size`` meetings and milestones (for members and secretariat) on different days in both
    KKRs, all with a reminder due a week before MEETING_AT."""
    agreements = {}
    for n in range(size):
        council = councils[n % 2]
        meeting_at(MEETING_AT - dt.timedelta(days=n % 4, hours=n), council=council)
        due_on = dt.date(2026, 12, 7) - dt.timedelta(days=n % 3)
        if council not in agreements:
            agreements[council] = milestone(council, due_on, audience="members").agreement
        else:
            Milestone.objects.create(
                agreement=agreements[council],
                kind=Milestone.Kind.SIGNING,
                title=f"Frist {n}",
                due_on=due_on,
                audience="members",
            )


@pytest.mark.parametrize("size", [1, 8])
def test_planning_needs_the_same_queries_for_few_and_many_occasions(two_kkrs, size):
    occasions(two_kkrs, size)
    queries = planning_queries(WEEK_BEFORE)
    # The rules (1); the occasions of each kind (3); the skipped rows (1); the recipients: members
    # (1) and secretariat contacts (1); the insert (1); the transaction's savepoint (2).
    assert len(queries) == 10, "\n\n".join(queries)
    assert Delivery.objects.count() == size * (3 + 3 + 1)


def test_each_occasion_is_planned_for_the_recipients_it_has_on_its_own(two_kkrs):
    """Read together, the recipients of many occasions are still each occasion's own: its KKR,
    its day, its kind's opt-outs, its audience."""
    occasions(two_kkrs, 8)
    with time_machine.travel(WEEK_BEFORE, tick=False):
        rules = ReminderRule.objects.filter(is_active=True)
        due = querysets.due_occasions(rules, WEEK_BEFORE)
    assert len(due) == 16
    plan(WEEK_BEFORE)
    for rule, occasion in due:
        planned = Delivery.objects.filter(
            rule=rule, occasion_type=occasion.kind, occasion_id=occasion.pk, occasion_at=occasion.at
        )
        assert set(planned.values_list("recipient", "email")) == querysets.recipients(rule, occasion)
        assert set(planned.values_list("council", flat=True)) == {occasion.council_id}


def test_a_member_is_planned_for_the_meetings_on_days_they_belong_to_the_kkr(meeting, members, period):
    later = meeting_at(MEETING_AT + dt.timedelta(days=3), title="Senere møde")
    bo = members[1]
    member_services.end_membership(membership=bo, ended_on=(MEETING_AT + dt.timedelta(days=1)).date())
    ReminderOptOut.objects.create(person=members[2].person, kind=ReminderKind.MILESTONE)
    plan(WEEK_BEFORE + dt.timedelta(days=3))
    assert emails(occasion_id=meeting.pk) == ["anne@example.dk", "bo@example.dk", "carl@example.dk"]
    assert emails(occasion_id=later.pk) == ["anne@example.dk", "carl@example.dk"]


def test_skipped_rows_of_several_occasions_are_revived_in_one_update_for_the_recipients_wanted(meeting, members):
    other = meeting_at(MEETING_AT - dt.timedelta(hours=2), title="Andet møde")
    plan(WEEK_BEFORE)
    Delivery.objects.update(status=Delivery.Status.SKIPPED, last_error="Fravalgt")
    ReminderOptOut.objects.create(person=members[0].person, kind=ReminderKind.MEETING)
    queries = planning_queries(WEEK_BEFORE + dt.timedelta(minutes=5))
    assert len([sql for sql in queries if sql.startswith("UPDATE")]) == 1
    for occasion in (meeting, other):
        rows = Delivery.objects.filter(occasion_id=occasion.pk)
        assert dict(rows.values_list("email", "status")) == {
            "anne@example.dk": Delivery.Status.SKIPPED,
            "bo@example.dk": Delivery.Status.PENDING,
            "carl@example.dk": Delivery.Status.PENDING,
        }
        assert set(rows.exclude(email="anne@example.dk").values_list("last_error", flat=True)) == {""}


def test_a_planned_row_has_every_default_of_a_new_delivery(meeting, syddanmark):
    plan(WEEK_BEFORE)
    row = Delivery.objects.get(email="anne@example.dk")
    new = Delivery()
    assert (row.status, row.attempts, row.last_error) == (new.status, new.attempts, new.last_error)
    assert (row.next_attempt_at, row.queued_at, row.sent_at) == (None, None, None)
    assert row.created_at == WEEK_BEFORE
    assert row.council == syddanmark


def test_planning_in_several_inserts_still_ignores_rows_that_exist(meeting, members, monkeypatch, odense, period):
    plan(WEEK_BEFORE)
    first = set(Delivery.objects.values_list("pk", "email"))
    kkr_member(odense, period, "dorte@example.dk")
    kkr_member(odense, period, "erik@example.dk")
    monkeypatch.setattr(services, "PLAN_BATCH_SIZE", 2)
    assert plan(WEEK_BEFORE + dt.timedelta(minutes=5)) == 5
    assert first < set(Delivery.objects.values_list("pk", "email"))
    assert emails() == [
        "anne@example.dk",
        "bo@example.dk",
        "carl@example.dk",
        "dorte@example.dk",
        "erik@example.dk",
    ]
