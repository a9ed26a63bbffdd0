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

from .choices import DeliveryStatus, ReminderAudience, ReminderKind

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# Date-only occasions (a milestone's deadline, the last day of a term) are reminded of as if
# they were at 08:00 in Denmark, the start of a working day, whatever the UTC offset that day.
DATE_ONLY_AT = dt.time(8, 0)
# The prefilter in SQL is wider than the exact test in Python by more than a DST shift.
_SLACK = dt.timedelta(hours=3)

MEMBERS = ReminderAudience.MEMBERS_AND_SUBSTITUTES.value
SECRETARIAT = ReminderAudience.SECRETARIAT.value


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

    # The agenda goes into the email and its .ics: fetched with the meeting, not per item.
    return Meeting.objects.filter(status=Meeting.Status.PLANNED).with_agenda()


def _milestones():
    from agreements.models import Milestone

    # A closed cycle's open milestones are history: the next cycle carries the live ones.
    return Milestone.objects.filter(completed_on__isnull=True, agreement__closed_on__isnull=True).select_related(
        "agreement__council"
    )


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
    return Occasion(
        ReminderKind.MEETING, meeting.pk, meeting.starts_at, meeting.council_id, frozenset({MEMBERS}), meeting
    )


def _milestone_occasion(milestone) -> Occasion:
    audience = {SECRETARIAT, MEMBERS} if milestone.audience == milestone.Audience.MEMBERS else {SECRETARIAT}
    return Occasion(
        ReminderKind.MILESTONE,
        milestone.pk,
        local_morning(milestone.due_on),
        milestone.agreement.council_id,
        frozenset(audience),
        milestone,
    )


def _term_end_occasion(appointment) -> Occasion:
    return Occasion(
        ReminderKind.TERM_END,
        appointment.pk,
        local_morning(appointment.term_end),
        appointment.seat.forum.council_id,
        frozenset({SECRETARIAT}),
        appointment,
    )


def _occasions_before(kind: str, now: dt.datetime, latest: dt.datetime) -> list[Occasion]:
    """The occasions of the kind still ahead of ``now`` and (roughly) no later than ``latest``."""
    latest += _SLACK
    if kind == ReminderKind.MEETING:
        return [_meeting_occasion(row) for row in _meetings().filter(starts_at__gt=now, starts_at__lte=latest)]
    days = (now.astimezone(COPENHAGEN).date(), latest.astimezone(COPENHAGEN).date())
    if kind == ReminderKind.MILESTONE:
        return [_milestone_occasion(row) for row in _milestones().filter(due_on__range=days)]
    return [_term_end_occasion(row) for row in _term_ends().filter(term_end__range=days)]


def due_occasions(rule, now: dt.datetime, *, shorter_days: list[int] = ()) -> list[Occasion]:
    """The occasions for which the rule's reminder is due: its due time has passed and the
    occasion itself is still ahead.

    There is no cut-off on how long ago the due time passed: after beat or the workers were down
    for days, every reminder still useful is planned. What is left out is a reminder superseded
    by a shorter rule (``shorter_days``: the days of the active rules of the same kind and
    audience with fewer days) that is due for the same occasion too: after a long outage a member
    gets "tomorrow", not "in 7 days" and "tomorrow" together.
    """
    occasions = _occasions_before(rule.kind, now, now + dt.timedelta(days=rule.days_before))
    return [
        occasion
        for occasion in occasions
        if occasion.at > now
        and due_at(occasion.at, rule.days_before) <= now
        and not any(due_at(occasion.at, days) <= now for days in shorter_days)
    ]


def current_occasion(kind: str, pk: int) -> Occasion | None:
    """The occasion as it is now, or ``None`` if it is gone, cancelled, completed or ended."""
    if kind == ReminderKind.MEETING:
        row = _meetings().filter(pk=pk).first()
        return row and _meeting_occasion(row)
    if kind == ReminderKind.MILESTONE:
        row = _milestones().filter(pk=pk).first()
        return row and _milestone_occasion(row)
    row = _term_ends().filter(pk=pk).first()
    return row and _term_end_occasion(row)


def _audience(rule, occasion: Occasion) -> frozenset[str]:
    if rule.audience == ReminderAudience.MILESTONE_AUDIENCE:
        return occasion.audience
    return frozenset({rule.audience})


def recipients(rule, occasion: Occasion) -> set[tuple[int | None, str]]:
    """``(person id, email)`` for everyone the rule tells about the occasion.

    Members: everyone holding a place in the KKR (members and substitutes) on the occasion's day,
    who has an email address and has not turned this kind off. Secretariat: the KKR's own
    secretariat contacts (``SecretariatContact`` of kind "kkr") with an email address that has
    not been unsubscribed from this kind; they are the named consultants who own the KKR's
    deadlines and appointments, kept current by the secretariat itself, whereas staff logins
    (``StaffAssignment``) include KL's central administrators and temporary accounts. They are
    not people in the portal (person ``None``).
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
        # Addresses compare without case: the link unsubscribes the address, however it is typed.
        opted_out = ReminderOptOut.objects.filter(person__isnull=True, kind=rule.kind, email__iexact=OuterRef("email"))
        contacts = (
            SecretariatContact.objects.filter(
                council_id=occasion.council_id, kind=SecretariatContact.Kind.KKR_SECRETARIAT
            )
            .exclude(email="")
            .filter(~Exists(opted_out))
        )
        found |= {(None, email) for email in contacts.values_list("email", flat=True)}
    return found


class DeliveryQuerySet(models.QuerySet):
    def ready(self, now: dt.datetime) -> DeliveryQuerySet:
        """Pending rows whose time has come: due, and past the backoff of a failed attempt."""
        return self.filter(status=DeliveryStatus.PENDING, due_at__lte=now).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )

    def to_queue(self, now: dt.datetime) -> DeliveryQuerySet:
        """Ready rows that no send task is known to be waiting for: never queued, or queued so long
        ago that the message must be lost (an emptied Redis, a killed worker)."""
        stale = now - dt.timedelta(seconds=settings.REMINDERS_REQUEUE_AFTER)
        return self.ready(now).filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
