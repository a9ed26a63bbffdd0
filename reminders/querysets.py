"""Reads of the reminders app: which occasions are due, who is told, and the outbox rows to queue.

An *occasion* is the thing a reminder is about: a meeting, an agreement's milestone or an
appointment whose term ends. Every kind is read the same way twice: when the plan task decides
what is due, and again when the send task checks, just before sending, that it still is.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, connections, models
from django.db.models import CharField, DateField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.transaction import TransactionManagementError

from .choices import DeliveryStatus, ReminderAudience, ReminderKind

if TYPE_CHECKING:
    from .models import ReminderRule

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

    return Meeting.objects.filter(status=Meeting.Status.PLANNED)


def agenda(meeting) -> list:
    """The meeting's agenda items in order, with their policy areas (one query): what its .ics
    shows. Read apart from the meeting, as a plain query: a prefetch costs three times as much,
    and the send task needs the agenda only when the meeting's .ics is not built already."""
    from members.models import AgendaItem

    return list(AgendaItem.objects.filter(meeting=meeting).select_related("policy_area").order_by("number"))


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
        meetings = _meetings().filter(starts_at__gt=now, starts_at__lte=latest)
        return [_meeting_occasion(row) for row in meetings]
    days = (now.astimezone(COPENHAGEN).date(), latest.astimezone(COPENHAGEN).date())
    if kind == ReminderKind.MILESTONE:
        return [_milestone_occasion(row) for row in _milestones().filter(due_on__range=days)]
    return [_term_end_occasion(row) for row in _term_ends().filter(term_end__range=days)]


def due_occasions(rules: Iterable[ReminderRule], now: dt.datetime) -> list[tuple[ReminderRule, Occasion]]:
    """``(rule, occasion)`` for every active rule and occasion whose reminder is due: its due time
    has passed and the occasion itself is still ahead. One query per kind, whatever the number
    of rules and occasions.

    There is no cut-off on how long ago the due time passed: after beat or the workers were down
    for days, every reminder still useful is planned. What is left out is a reminder superseded
    by a shorter rule (an active rule of the same kind and audience with fewer days) that is due
    for the same occasion too: after a long outage a member gets "tomorrow", not "in 7 days" and
    "tomorrow" together.
    """
    by_kind: dict[str, list[ReminderRule]] = defaultdict(list)
    for rule in rules:
        by_kind[rule.kind].append(rule)
    due = []
    for kind, kind_rules in by_kind.items():
        # One read for the kind, as far ahead as its longest rule; each rule's exact test below.
        longest = max(rule.days_before for rule in kind_rules)
        occasions = _occasions_before(kind, now, now + dt.timedelta(days=longest))
        for rule in kind_rules:
            shorter = [
                other.days_before
                for other in kind_rules
                if other.audience == rule.audience and other.days_before < rule.days_before
            ]
            due.extend(
                (rule, occasion)
                for occasion in occasions
                if occasion.at > now
                and due_at(occasion.at, rule.days_before) <= now
                and not any(due_at(occasion.at, days) <= now for days in shorter)
            )
    return due


def current_occasion(kind: str, pk: int) -> Occasion | None:
    """The occasion as it is now, or ``None`` if it is gone, cancelled, completed or ended."""
    row = _current(kind).filter(pk=pk).first()
    return row and _OCCASION[kind](row)


def _current(kind: str) -> models.QuerySet:
    """The occasions of the kind that are still live, with what a reminder's email shows: a
    meeting with its KKR (its agenda only as a digest, for the .ics: ``emails``)."""
    if kind == ReminderKind.MEETING:
        meetings = _meetings().select_related("council")
        digest = _agenda_digest()
        return meetings if digest is None else meetings.annotate(agenda_digest=digest)
    return _milestones() if kind == ReminderKind.MILESTONE else _term_ends()


_OCCASION = {
    ReminderKind.MEETING: _meeting_occasion,
    ReminderKind.MILESTONE: _milestone_occasion,
    ReminderKind.TERM_END: _term_end_occasion,
}
# The occasion's KKR, from its row: who is told depends on it.
_COUNCIL = {
    ReminderKind.MEETING: "council_id",
    ReminderKind.MILESTONE: "agreement__council_id",
    ReminderKind.TERM_END: "seat__forum__council_id",
}


def _agenda_digest() -> RawSQL:
    """A digest of every column of the meeting's agenda items and their policy areas (what its
    .ics shows beside the meeting and its KKR), for the meeting's own query on PostgreSQL: equal
    digests mean equal agendas, so the send task reads the agenda only when the .ics has to be
    built anew. Raw SQL, as a row's text (``ROW(…)::text``) has no ORM form and the expression
    spelt out column by column cost more to compile than reading the agenda.

    Elsewhere (SQLite, the tests' default) ``None``: the agenda is read instead.
    """
    from members.models import AgendaItem, Meeting, PolicyArea

    if connection.vendor != "postgresql":
        return None
    quote = connection.ops.quote_name
    item, area, meeting = (quote(model._meta.db_table) for model in (AgendaItem, PolicyArea, Meeting))
    # Identifiers from the models' own metadata; no values.
    sql = (
        f"SELECT COALESCE(string_agg(md5(ROW(i.*, a.*)::text), '' ORDER BY i.{quote('number')}), '') "  # noqa: S608
        f"FROM {item} i LEFT JOIN {area} a ON a.{quote('id')} = i.{quote('policy_area_id')} "
        f"WHERE i.{quote('meeting_id')} = {meeting}.{quote('id')}"
    )
    return RawSQL(sql, (), output_field=models.TextField())  # noqa: S611 - no values in it


class Prepared:
    """A query of one shape whose SQL is built once per thread, then run with other values.

    Django builds a query's SQL anew every time it runs it. For the send task's two reads (the
    row lock and the re-check), a few rows by primary key, that cost three times the database's
    own work. ``build`` returns the queryset for keyword values; it is built once with a mark per
    value, and every run puts the values where the marks are in the parameters and reads the rows
    as the queryset would (the same model instances, ``select_related`` rows and annotations).
    The SQL is the queryset's own, so it holds the same locks and sees the same rows.

    PostgreSQL only; elsewhere (SQLite) the queryset is built and run as usual.
    """

    # Values no real parameter has, one kind per value type the builders take.
    MARKS = {
        int: (-1_999_999_917, -1_999_999_919, -1_999_999_921),
        str: ("prepared-mark-a-7c41", "prepared-mark-b-7c41", "prepared-mark-c-7c41"),
        dt.datetime: tuple(dt.datetime(1901, 1, 1, 0, 0, n, 417, tzinfo=dt.UTC) for n in (1, 2, 3)),
    }

    def __init__(self, build: Callable[..., models.QuerySet], **types: type) -> None:
        self.build = build
        self.types = types
        self._local = threading.local()

    def rows(self, **values) -> list[models.Model]:
        if connection.vendor != "postgresql":
            return list(self.build(**values))
        compiled = self._compiled()
        if compiled["for_update"] and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled["params"])
        for name, positions in compiled["positions"].items():
            for position in positions:
                params[position] = _like(params[position], values[name])
        sql, params = compiled["sql"], tuple(params)
        compiler = copy.copy(compiled["compiler"])
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        run = compiled["queryset"]._chain()
        run.query.get_compiler = lambda *args, **kwargs: compiler
        return list(run._iterable_class(run))

    def _compiled(self) -> dict:
        compiled = getattr(self._local, "compiled", None)
        # A thread's connection to the database is the same object from one query to the next.
        if compiled is not None and compiled["compiler"].connection is connections[compiled["queryset"].db]:
            return compiled
        used: dict[type, int] = defaultdict(int)
        marks = {}
        for name, kind in self.types.items():
            marks[name] = self.MARKS[kind][used[kind]]
            used[kind] += 1
        queryset = self.build(**marks)
        compiler = queryset.query.get_compiler(using=queryset.db)
        # Fills the compiler's columns (compiler.select, klass_info) for reading the rows.
        sql, params = compiler.as_sql()
        positions = {
            name: [i for i, param in enumerate(params) if isinstance(param, type(mark)) and param == mark]
            for name, mark in marks.items()
        }
        unused = [name for name, found in positions.items() if not found]
        if unused:
            raise ValueError(f"The query does not use the values {unused}")
        compiled = {
            "queryset": queryset,
            "compiler": compiler,
            "sql": sql,
            "params": params,
            "positions": positions,
            "for_update": queryset.query.select_for_update,
        }
        self._local.compiled = compiled
        return compiled


def _like(param, value):
    """``value`` as the ORM passed the mark it replaces: an ``Int4`` for an integer ``Value``."""
    if value is None or type(param) in (int, str, dt.datetime):
        return value
    return type(param)(value)


def recheck(delivery) -> tuple[Occasion | None, str | None]:
    """The delivery's occasion as it is now (``None``: gone, cancelled, completed or ended) and
    the address its recipient would be planned with now (``None``: not any more: opted out, no
    email, no longer a member or contact, or outside the occasion's audience). One query.

    The recipient is looked up for the day of the occasion as planned: if the occasion has moved,
    the caller skips the delivery whatever the answer.
    """
    kind = delivery.occasion_type
    to_person = delivery.recipient_id is not None
    day = delivery.occasion_at.astimezone(COPENHAGEN).date() if to_person else None
    recipient = delivery.recipient_id if to_person else delivery.email
    rows = _recheck_query(kind, day).rows(pk=delivery.occasion_id, recipient=recipient)
    if not rows:
        return None, None
    (row,) = rows
    occasion = _OCCASION[kind](row)
    wanted = MEMBERS if to_person else SECRETARIAT
    return occasion, row.recipient_email if wanted in _audience(delivery.rule, occasion) else None


@functools.lru_cache(maxsize=64)
def _recheck_query(kind: str, day: dt.date | None) -> Prepared:
    """``recheck``'s query for the kind and (a person's) day: the occasion by primary key, with the
    address of the recipient named by ``recipient`` (a person's id, or a secretariat address)."""

    def build(pk: int, recipient: int | str) -> models.QuerySet:
        rows = _current(kind).filter(pk=pk).alias(recipient=Value(recipient))
        return rows.annotate(recipient_email=_current_address(kind, day))[:1]

    return Prepared(build, pk=int, recipient=int if day is not None else str)


def _ready_row(now: dt.datetime, pk: int) -> models.QuerySet:
    from .models import Delivery

    rows = Delivery.objects.ready(now).filter(pk=pk).select_for_update(skip_locked=True, of=("self",))
    return rows.select_related("rule")[:1]


_READY_ROW = Prepared(_ready_row, now=dt.datetime, pk=int)


def lock_ready(pk: int, now: dt.datetime):
    """The delivery with its rule if it is ready, locked until the transaction ends; ``None`` if it
    is not ready (sent, skipped, failed, waiting for its time) or another task holds it."""
    rows = _READY_ROW.rows(now=now, pk=pk)
    return rows[0] if rows else None


@functools.lru_cache(maxsize=64)
def _current_address(kind: str, day: dt.date | None) -> Subquery:
    """For ``recheck``: the address of the person (on ``day``), or the secretariat address, that
    the outer query names as ``recipient``, if the occasion's KKR has them as a recipient of the
    kind. Built once per kind and day: the subquery cost more to build than to run, and the
    recipient is a value of the outer query, so one serves every delivery of a meeting."""
    council = OuterRef(_COUNCIL[kind])
    if day is not None:
        rows = _member_rows(kind, day).filter(council_id=council, person_id=OuterRef("recipient"))
        return Subquery(rows.order_by().values("person__email")[:1])
    rows = _contact_rows(kind).filter(council_id=council, email=OuterRef("recipient"))
    return Subquery(rows.order_by().values("email")[:1])


def _audience(rule, occasion: Occasion) -> frozenset[str]:
    if rule.audience == ReminderAudience.MILESTONE_AUDIENCE:
        return occasion.audience
    return frozenset({rule.audience})


Recipient = tuple[int | None, str]


def recipients(rule: ReminderRule, occasion: Occasion) -> set[Recipient]:
    """``(person id, email)`` for everyone the rule tells about the occasion (see ``recipients_of``)."""
    return recipients_of([(rule, occasion)])[0]


def recipients_of(due: Sequence[tuple[ReminderRule, Occasion]]) -> list[set[Recipient]]:
    """For each ``(rule, occasion)``, ``(person id, email)`` for everyone the rule tells about it;
    at most two queries for all of them (members, secretariat contacts), however many occasions.

    Members: everyone holding a place in the KKR (members and substitutes) on the occasion's day,
    who has an email address and has not turned this kind off. Secretariat: the KKR's own
    secretariat contacts (``SecretariatContact`` of kind "kkr") with an email address that has
    not been unsubscribed from this kind; they are the named consultants who own the KKR's
    deadlines and appointments, kept current by the secretariat itself, whereas staff logins
    (``StaffAssignment``) include KL's central administrators and temporary accounts. They are
    not people in the portal (person ``None``). ``recheck`` asks the same of one delivery.
    """
    # Who is told depends on the kind (opt-outs), the KKR and, for members, the day alone.
    member_days: dict[tuple[str, dt.date], set[int]] = defaultdict(set)
    secretariats: dict[str, set[int]] = defaultdict(set)
    audiences = [_audience(rule, occasion) for rule, occasion in due]
    for (rule, occasion), audience in zip(due, audiences, strict=True):
        if MEMBERS in audience:
            member_days[rule.kind, occasion.day].add(occasion.council_id)
        if SECRETARIAT in audience:
            secretariats[rule.kind].add(occasion.council_id)
    members = _members(member_days)
    contacts = _secretariat_contacts(secretariats)
    found = []
    for (rule, occasion), audience in zip(due, audiences, strict=True):
        wanted: set[Recipient] = set()
        if MEMBERS in audience:
            wanted |= members.get((rule.kind, occasion.day, occasion.council_id), set())
        if SECRETARIAT in audience:
            wanted |= contacts.get((rule.kind, occasion.council_id), set())
        found.append(wanted)
    return found


def _union(branches: list[models.QuerySet]) -> Iterable[tuple]:
    """The rows of all the querysets in one query (``UNION ALL``)."""
    if not branches:
        return ()
    return branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]


def _member_rows(kind: str, day: dt.date) -> models.QuerySet:
    """Memberships of anyone holding a place in a KKR on the day, with an email address, who has
    not turned the kind off: the members a reminder of the kind goes to."""
    from members.models import KKRMembership

    from .models import ReminderOptOut

    opted_out = ReminderOptOut.objects.filter(person=OuterRef("person"), kind=kind)
    return KKRMembership.objects.active_on(day).exclude(person__email="").filter(~Exists(opted_out))


def _contact_rows(kind: str) -> models.QuerySet:
    """KKR secretariat contacts with an email address not unsubscribed from the kind."""
    from members.models import SecretariatContact

    from .models import ReminderOptOut

    # Addresses compare without case: the link unsubscribes the address, however it is typed.
    opted_out = ReminderOptOut.objects.filter(person__isnull=True, kind=kind, email__iexact=OuterRef("email"))
    return (
        SecretariatContact.objects.filter(kind=SecretariatContact.Kind.KKR_SECRETARIAT)
        .exclude(email="")
        .filter(~Exists(opted_out))
    )


def _members(days: dict[tuple[str, dt.date], set[int]]) -> dict[tuple[str, dt.date, int], set[Recipient]]:
    """``(kind, day, KKR) -> {(person id, email)}``: one branch per kind and day, one query."""
    branches = []
    for (kind, day), council_ids in days.items():
        rows = _member_rows(kind, day).filter(council_id__in=sorted(council_ids))
        branches.append(
            rows.order_by().values_list(
                Value(kind, output_field=CharField()),
                Value(day, output_field=DateField()),
                "council_id",
                "person_id",
                "person__email",
            )
        )
    found: dict[tuple[str, dt.date, int], set[Recipient]] = defaultdict(set)
    for kind, day, council_id, member_id, email in _union(branches):
        found[kind, day, council_id].add((member_id, email))
    return found


def _secretariat_contacts(kinds: dict[str, set[int]]) -> dict[tuple[str, int], set[Recipient]]:
    """``(kind, KKR) -> {(None, email)}``: one branch per kind, one query."""
    branches = []
    for kind, council_ids in kinds.items():
        rows = _contact_rows(kind).filter(council_id__in=sorted(council_ids))
        branches.append(rows.order_by().values_list(Value(kind, output_field=CharField()), "council_id", "email"))
    found: dict[tuple[str, int], set[Recipient]] = defaultdict(set)
    for kind, council_id, email in _union(branches):
        found[kind, council_id].add((None, email))
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
