"""Reads of the reminders app: which occasions are due, who is told, and the outbox rows to queue.

An *occasion* is the thing a reminder is about: a meeting, an agreement's milestone or an
appointment whose term ends. Every kind is read the same way twice: when the plan task decides
what is due, and again when the send task checks, just before sending, that it still is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# Date-only occasions (a milestone's deadline, the last day of a term) are reminded of as if
# they were at 08:00 in Denmark, the start of a working day, whatever the UTC offset that day.
DATE_ONLY_AT = dt.time(8, 0)
# A reminder whose due time passed more than this long ago is not planned any more: after a
# long outage a "7 days before" reminder 3 days before is noise, and the next rule covers it.
PLAN_WINDOW = dt.timedelta(days=1)
# The prefilter in SQL is wider than the exact test in Python by more than a DST shift.
_SLACK = dt.timedelta(hours=3)

MEMBERS = "members"
SECRETARIAT = "secretariat"


def local_morning(day: dt.date) -> dt.datetime:
    """08:00 in Copenhagen on the day, in UTC."""
    return dt.datetime.combine(day, DATE_ONLY_AT, tzinfo=COPENHAGEN).astimezone(dt.UTC)


def due_at(occasion_at: dt.datetime, days_before: int) -> dt.datetime:
    """The occasion's wall-clock time in Copenhagen, ``days_before`` calendar days earlier, in UTC.

    A reminder for a 10:00 meeting comes at 10:00 the days before, also across a DST change.
    A wall-clock time in the skipped hour (2026-03-29 02:00-03:00) or the repeated hour
    (2026-10-25 02:00-03:00) resolves with ``fold=0``: one fixed instant, so it is planned once.
    """
    wall = occasion_at.astimezone(COPENHAGEN).replace(tzinfo=None) - dt.timedelta(days=days_before)
    return wall.replace(tzinfo=COPENHAGEN, fold=0).astimezone(dt.UTC)


@dataclass(frozen=True)
class Occasion:
    kind: str
    pk: int
    at: dt.datetime
    council_id: int
    # Who the occasion concerns when a rule says "the occasion's own audience".
    audience: frozenset[str]
    obj: models.Model = field(compare=False, hash=False)

    @property
    def day(self) -> dt.date:
        """The occasion's day in Denmark: who is a member is decided on that day."""
        return self.at.astimezone(COPENHAGEN).date()


def _meetings():
    from members.models import Meeting

    return Meeting.objects.filter(status=Meeting.Status.PLANNED).select_related("council")


def _milestones():
    from agreements.models import Milestone

    return Milestone.objects.filter(completed_on__isnull=True).select_related("agreement__council")


def _term_ends():
    from fora.models import Appointment

    return (
        Appointment.objects.holding()
        .filter(ended_on__isnull=True)
        .exclude(status=Appointment.Status.ENDED)
        .annotate(term_end=Coalesce("term_ends_on", "seat__period__ends_on"))
        .select_related("person", "seat__forum__council")
    )


def _meeting_occasion(meeting) -> Occasion:
    return Occasion("meeting", meeting.pk, meeting.starts_at, meeting.council_id, frozenset({MEMBERS}), meeting)


def _milestone_occasion(milestone) -> Occasion:
    audience = {SECRETARIAT, MEMBERS} if milestone.audience == "members" else {SECRETARIAT}
    return Occasion(
        "milestone",
        milestone.pk,
        local_morning(milestone.due_on),
        milestone.agreement.council_id,
        frozenset(audience),
        milestone,
    )


def _term_end_occasion(appointment) -> Occasion:
    return Occasion(
        "term_end",
        appointment.pk,
        local_morning(appointment.term_end),
        appointment.seat.forum.council_id,
        frozenset({SECRETARIAT}),
        appointment,
    )


def due_occasions(rule, now: dt.datetime) -> list[Occasion]:
    """The occasions for which the rule's reminder is due: due time passed, within PLAN_WINDOW,
    and the occasion itself still ahead."""
    earliest = now - PLAN_WINDOW + dt.timedelta(days=rule.days_before) - _SLACK
    latest = now + dt.timedelta(days=rule.days_before) + _SLACK
    if rule.kind == "meeting":
        rows = _meetings().filter(starts_at__gt=now, starts_at__range=(earliest, latest))
        occasions = [_meeting_occasion(row) for row in rows]
    else:
        days = (earliest.astimezone(COPENHAGEN).date(), latest.astimezone(COPENHAGEN).date())
        if rule.kind == "milestone":
            occasions = [_milestone_occasion(row) for row in _milestones().filter(due_on__range=days)]
        else:
            occasions = [_term_end_occasion(row) for row in _term_ends().filter(term_end__range=days)]
    return [
        occasion
        for occasion in occasions
        if occasion.at > now and now - PLAN_WINDOW <= due_at(occasion.at, rule.days_before) <= now
    ]


def current_occasion(kind: str, pk: int) -> Occasion | None:
    """The occasion as it is now, or ``None`` if it is gone, cancelled, completed or ended."""
    if kind == "meeting":
        row = _meetings().filter(pk=pk).first()
        return row and _meeting_occasion(row)
    if kind == "milestone":
        row = _milestones().filter(pk=pk).first()
        return row and _milestone_occasion(row)
    row = _term_ends().filter(pk=pk).first()
    return row and _term_end_occasion(row)


def _audience(rule, occasion: Occasion) -> frozenset[str]:
    if rule.audience == "milestone_audience":
        return occasion.audience
    return frozenset({rule.audience})


def recipients(rule, occasion: Occasion) -> set[tuple[int | None, str]]:
    """``(person id, email)`` for everyone the rule tells about the occasion.

    Members: everyone holding a place in the KKR (members and substitutes) on the occasion's day,
    who has an email address and has not turned this kind off. Secretariat: the KKR's own
    secretariat contacts (``SecretariatContact`` of kind "kkr") with an email address; they are
    the named consultants who own the KKR's deadlines and appointments, kept current by the
    secretariat itself, whereas staff logins (``StaffAssignment``) include KL's central
    administrators and temporary accounts. They are not people in the portal (person ``None``).
    """
    from members.models import KKRMembership, SecretariatContact

    from .models import ReminderOptOut

    audience = _audience(rule, occasion)
    found: set[tuple[int | None, str]] = set()
    if MEMBERS in audience:
        opted_out = ReminderOptOut.objects.filter(person=OuterRef("person"), kind=rule.kind)
        found |= set(
            KKRMembership.objects.filter(council_id=occasion.council_id)
            .active_on(occasion.day)
            .exclude(person__email="")
            .filter(~Exists(opted_out))
            .values_list("person_id", "person__email")
        )
    if SECRETARIAT in audience:
        contacts = SecretariatContact.objects.filter(
            council_id=occasion.council_id, kind=SecretariatContact.Kind.KKR_SECRETARIAT
        ).exclude(email="")
        found |= {(None, email) for email in contacts.values_list("email", flat=True)}
    return found


def members_without_email(council, on: dt.date):
    """People in the KKR on the day whom no reminder can reach: they have no email address."""
    from members.models import KKRMembership, Person

    holders = KKRMembership.objects.filter(council=council, person=OuterRef("pk")).active_on(on)
    return Person.objects.filter(Exists(holders), email="").order_by("sort_name")


class DeliveryQuerySet(models.QuerySet):
    def ready(self, now: dt.datetime) -> DeliveryQuerySet:
        """Pending rows whose time has come: due, and past the backoff of a failed attempt."""
        return self.filter(status="pending", due_at__lte=now).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )

    def to_queue(self, now: dt.datetime) -> DeliveryQuerySet:
        """Ready rows that no send task is known to be waiting for: never queued, or queued so long
        ago that the message must be lost (an emptied Redis, a killed worker)."""
        stale = now - dt.timedelta(seconds=settings.REMINDERS_REQUEUE_AFTER)
        return self.ready(now).filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
