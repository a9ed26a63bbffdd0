"""Reads of the members app: chainable QuerySet methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from .access import party_public


def today() -> date:
    return timezone.localdate()


def active_on_q(on: date, *, prefix: str = "") -> Q:
    """Rows whose ``started_on``..``ended_on`` (inclusive, open-ended) contain ``on``."""
    return Q(**{f"{prefix}started_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": on})
    )


# --- Rows in common shapes, for combining several models in one UNION query (the open-data API) ---
#
# Every column is an annotation, named apart from the model's fields and added in one fixed
# order, so the columns of each part line up in the UNION whatever the model.

MEMBERSHIP_COLUMNS = (
    "m_kind",  # council_seat, kkr_membership, chairmanship, appointment
    "m_pk",
    "m_person",
    "m_org_kind",  # municipality, kkr, forum
    "m_org",
    "m_post",  # a forum seat (appointments only)
    "m_role",
    "m_basis",  # a KKR place's basis
    "m_status",  # an appointment's status
    "m_substitute_for",  # the KKR membership a substitute stands in for
    "m_start",
    "m_end",
    "m_period",
)

ORGANISATION_COLUMNS = (
    "o_kind",  # kkr, municipality, forum
    "o_pk",
    "o_name",
    "o_slug",
    "o_parent",  # the KKR a municipality or forum belongs to
    "o_founded",
    "o_dissolved",
    "o_forum_kind",
    "o_website",
    "o_code",  # a municipality's official code, a KKR's region code
)


def _none(field) -> Cast:
    """A typed NULL: PostgreSQL types a bare NULL in a UNION as text, which no date column matches."""
    return Cast(Value(None), output_field=field)


def _text(value: str) -> Value:
    return Value(value, output_field=CharField())


def membership_rows(queryset: models.QuerySet, **columns) -> models.QuerySet:
    """``queryset`` as ``MEMBERSHIP_COLUMNS`` rows; ``columns`` gives each column's expression."""
    defaults = {
        "m_post": _none(IntegerField()),
        "m_basis": _text(""),
        "m_status": _text(""),
        "m_substitute_for": _none(IntegerField()),
        "m_start": F("started_on"),
        "m_end": F("ended_on"),
        "m_period": F("period__name"),
    }
    expressions = {**defaults, **columns}
    return (
        queryset.order_by()
        .annotate(**{name: expressions[name] for name in MEMBERSHIP_COLUMNS})
        .values(*MEMBERSHIP_COLUMNS)
    )


def organisation_rows(queryset: models.QuerySet, **columns) -> models.QuerySet:
    """``queryset`` as ``ORGANISATION_COLUMNS`` rows; ``columns`` gives each column's expression."""
    defaults = {
        "o_pk": F("pk"),
        "o_name": F("name"),
        "o_slug": F("slug"),
        "o_parent": _none(IntegerField()),
        "o_founded": _none(DateField()),
        "o_dissolved": _none(DateField()),
        "o_forum_kind": _none(CharField()),
        "o_website": _text(""),
        "o_code": _none(IntegerField()),
    }
    expressions = {**defaults, **columns}
    return (
        queryset.order_by()
        .annotate(**{name: expressions[name] for name in ORGANISATION_COLUMNS})
        .values(*ORGANISATION_COLUMNS)
    )


class ElectionPeriodQuerySet(models.QuerySet):
    def containing(self, on: date) -> ElectionPeriodQuerySet:
        return self.filter(starts_on__lte=on, ends_on__gte=on)

    def current(self):
        """The period that contains today, or ``None`` between periods."""
        return self.containing(today()).first()


class DatedQuerySet(models.QuerySet):
    """Rows with ``started_on``/``ended_on`` that belong to an election period."""

    def active_on(self, on: date) -> DatedQuerySet:
        return self.filter(active_on_q(on), period__starts_on__lte=on, period__ends_on__gte=on)

    def current(self) -> DatedQuerySet:
        """In the period that contains today and not ended (DESIGN: what "current" means)."""
        return self.active_on(today())


class CouncilSeatQuerySet(DatedQuerySet):
    def for_council(self, council) -> CouncilSeatQuerySet:
        return self.filter(municipality__council=council)

    def mayors(self) -> CouncilSeatQuerySet:
        return self.filter(role="mayor")

    def as_membership_rows(self) -> models.QuerySet:
        """Popolo memberships of municipal councils (member, mayor, deputy mayor)."""
        return membership_rows(
            self,
            m_kind=_text("council_seat"),
            m_pk=F("pk"),
            m_person=F("person_id"),
            m_org_kind=_text("municipality"),
            m_org=F("municipality_id"),
            m_role=F("role"),
        )


class KKRMembershipQuerySet(DatedQuerySet):
    def for_council(self, council) -> KKRMembershipQuerySet:
        return self.filter(council=council)

    def voting(self) -> KKRMembershipQuerySet:
        return self.filter(role="member", basis__in=["ex_officio", "supplementary"])

    def members(self) -> KKRMembershipQuerySet:
        """Everyone but substitutes, who never count as members."""
        return self.filter(role="member")

    def substitutes(self) -> KKRMembershipQuerySet:
        return self.filter(role="substitute")

    def as_membership_rows(self) -> models.QuerySet:
        """Popolo memberships of the KKRs: members (with their basis) and substitutes."""
        return membership_rows(
            self,
            m_kind=_text("kkr_membership"),
            m_pk=F("pk"),
            m_person=F("person_id"),
            m_org_kind=_text("kkr"),
            m_org=F("council_id"),
            m_role=F("role"),
            m_basis=F("basis"),
            m_substitute_for=F("substitute_for_id"),
        )

    def roster(self, council, on: date) -> KKRMembershipQuerySet:
        """A KKR's members on a day, for its page: person and party, the municipality of their
        council seat, and their substitutes on that day (``current_substitutes``), in two queries.

        Ordered by municipality, the mayor (ex officio) first, then by name.
        """
        from .models import CouncilSeat, KKRMembership

        seat = (
            CouncilSeat.objects.filter(person=OuterRef("person"), municipality__council=council)
            .active_on(on)
            .order_by("-started_on")
        )
        substitutes = (
            KKRMembership.objects.active_on(on)
            .substitutes()
            .select_related("person__party")
            .annotate(person_party_public=party_public("person"))
        )
        return (
            self.for_council(council)
            .active_on(on)
            .members()
            .select_related("person__party")
            .annotate(
                municipality_name=Subquery(seat.values("municipality__name")[:1]),
                person_party_public=party_public("person"),
                seat_role=Subquery(seat.values("role")[:1]),
                basis_order=Case(
                    When(basis="ex_officio", then=Value(0)),
                    When(basis="supplementary", then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                ),
            )
            .prefetch_related(
                Prefetch(
                    "substitutes", queryset=substitutes.order_by("person__sort_name"), to_attr="current_substitutes"
                )
            )
            .order_by("municipality_name", "basis_order", "person__sort_name")
        )


class ChairmanshipQuerySet(DatedQuerySet):
    def for_council(self, council) -> ChairmanshipQuerySet:
        return self.filter(council=council)

    def holders(self, council, on: date) -> ChairmanshipQuerySet:
        """A KKR's chair and vice-chair on a day, with person and party (and whether the public
        may see the party: ``person_party_public``, see ``members.access``)."""
        return (
            self.for_council(council)
            .active_on(on)
            .select_related("person__party")
            .annotate(person_party_public=party_public("person"))
        )

    def as_membership_rows(self) -> models.QuerySet:
        """Popolo memberships for the chair and vice-chair posts of the KKRs."""
        return membership_rows(
            self,
            m_kind=_text("chairmanship"),
            m_pk=F("pk"),
            m_person=F("person_id"),
            m_org_kind=_text("kkr"),
            m_org=F("council_id"),
            m_role=F("role"),
        )


class MunicipalityQuerySet(models.QuerySet):
    def as_organisation_rows(self) -> models.QuerySet:
        """Popolo organisations: the municipal councils, each under its KKR."""
        return organisation_rows(self, o_kind=_text("municipality"), o_parent=F("council_id"), o_code=F("code"))


class PersonQuerySet(models.QuerySet):
    def with_roles(self) -> PersonQuerySet:
        """People with party (``party_public``: whether the public may see it, ``members.access``)
        and every role they have held (see ``person_roles``), in five queries."""
        from fora.models import Appointment

        from .models import Chairmanship, CouncilSeat, KKRMembership

        people = self.select_related("party").annotate(party_public=party_public())
        return people.prefetch_related(
            Prefetch("council_seats", queryset=CouncilSeat.objects.select_related("municipality__council", "period")),
            Prefetch(
                "memberships",
                queryset=KKRMembership.objects.select_related("council", "period", "substitute_for__person"),
            ),
            Prefetch("chairmanships", queryset=Chairmanship.objects.select_related("council", "period")),
            Prefetch(
                "appointments",
                queryset=Appointment.objects.select_related("seat__forum__council", "seat__period", "seat__deputy_for"),
            ),
        )

    def with_held_role(self) -> PersonQuerySet:
        """People who hold or held a role: a council seat, a KKR place, a chair post, or an
        appointment once appointed (a proposal or a withdrawn nomination is not a role held).
        The people the open-data API lists; their roles are its memberships."""
        from fora.models import Appointment

        from .models import Chairmanship, CouncilSeat, KKRMembership

        person = OuterRef("pk")
        return self.filter(
            Exists(CouncilSeat.objects.filter(person=person))
            | Exists(KKRMembership.objects.filter(person=person))
            | Exists(Chairmanship.objects.filter(person=person))
            | Exists(Appointment.objects.holding().filter(person=person))
        )

    def for_public(self, on: date | None = None) -> PersonQuerySet:
        """Name and party, and whether the public may see the party on the day (``party_public``),
        without the contact fields (e-mail, phone, bio, photo): one query, in name order."""
        return (
            self.select_related("party")
            .only("pk", "name", "sort_name", "slug", "party__name", "party__short_name", "party__letter")
            .annotate(party_public=party_public(on=on))
            .order_by("sort_name", "name", "pk")
        )

    def without_email(self) -> PersonQuerySet:
        return self.filter(email="")

    def serving(self, council, on: date) -> PersonQuerySet:
        """People who serve the KKR on the day: a member or substitute, a chair or vice-chair, or
        an appointee on one of its fora's seats (carry-overs included) — the reminders' audience."""
        from fora.models import Appointment

        from .models import Chairmanship, KKRMembership

        person = OuterRef("pk")
        return self.filter(
            Exists(KKRMembership.objects.for_council(council).active_on(on).filter(person=person))
            | Exists(Chairmanship.objects.for_council(council).active_on(on).filter(person=person))
            | Exists(Appointment.objects.for_council(council).active_on(on).filter(person=person))
        )


# The order roles are listed in: council seat, KKR membership, chair posts, appointments.
ROLE_KINDS = ("seat", "membership", "chair", "appointment")


@dataclass
class Role:
    """One role of a person, for the person page and Min side. ``obj`` is the row itself."""

    kind: str
    obj: models.Model
    period: models.Model
    started_on: date
    ended_on: date | None
    is_current: bool
    is_carry_over: bool = False

    @property
    def sort_key(self) -> tuple:
        return (ROLE_KINDS.index(self.kind), -self.started_on.toordinal())


@dataclass
class PeriodRoles:
    period: models.Model
    roles: list[Role] = field(default_factory=list)


def person_roles(person, on: date | None = None) -> tuple[list[Role], list[PeriodRoles]]:
    """A person's current roles, and the others grouped by election period (newest first).

    Reads only what ``PersonQuerySet.with_roles()`` prefetched. Current means: in the period that
    contains the day and not ended; an appointment is current until it has ended (proposed,
    nominated, appointed, or a carry-over whose term has run out but who has no successor yet).
    """
    on = on or today()

    def dated(kind: str, row) -> Role:
        current = row.period.contains(on) and row.started_on <= on and (row.ended_on is None or row.ended_on >= on)
        return Role(kind, row, row.period, row.started_on, row.ended_on, current)

    roles = [dated("seat", row) for row in person.council_seats.all()]
    roles += [dated("membership", row) for row in person.memberships.all()]
    roles += [dated("chair", row) for row in person.chairmanships.all()]
    for appointment in person.appointments.all():
        current = appointment.status != "ended"
        roles.append(
            Role(
                "appointment",
                appointment,
                appointment.seat.period,
                appointment.starts_on,
                appointment.ended_on,
                current,
                is_carry_over=current and appointment.is_carry_over(on),
            )
        )
    current = sorted((role for role in roles if role.is_current), key=lambda role: role.sort_key)
    earlier: dict[int, PeriodRoles] = {}
    for role in sorted((role for role in roles if not role.is_current), key=lambda role: role.sort_key):
        earlier.setdefault(role.period.pk, PeriodRoles(role.period)).roles.append(role)
    history = sorted(earlier.values(), key=lambda group: group.period.starts_on, reverse=True)
    return current, history


# How far back the calendar feeds reach: a subscriber's calendar keeps the last year's meetings.
CALENDAR_HISTORY = timedelta(days=366)


class MeetingQuerySet(models.QuerySet):
    def for_council(self, council) -> MeetingQuerySet:
        return self.filter(council=council)

    def upcoming(self) -> MeetingQuerySet:
        return self.filter(ends_at__gte=timezone.now()).exclude(status="cancelled").order_by("starts_at")

    def ahead(self, now: datetime | None = None) -> MeetingQuerySet:
        """Meetings not yet over, cancelled ones included (the list shows them as cancelled)."""
        return self.filter(ends_at__gte=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now: datetime | None = None) -> MeetingQuerySet:
        """Meetings that are over, newest first."""
        return self.filter(ends_at__lt=now or timezone.now()).order_by("-starts_at", "-pk")

    def with_council(self) -> MeetingQuerySet:
        return self.select_related("council")

    def with_agenda(self) -> MeetingQuerySet:
        """With the council and the agenda items and their policy areas (two queries)."""
        from .models import AgendaItem

        return self.select_related("council").prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.select_related("policy_area"))
        )

    def for_calendar(self, now: datetime | None = None) -> MeetingQuerySet:
        """What a calendar feed carries: a year back and everything ahead, cancelled ones included
        (so calendars remove them), with council and agenda, in starting order."""
        since = (now or timezone.now()) - CALENDAR_HISTORY
        return self.filter(ends_at__gte=since).with_agenda().order_by("starts_at", "pk")

    def touching(self, area) -> MeetingQuerySet:
        """Meetings with at least one agenda item in the policy area."""
        from .models import AgendaItem

        return self.filter(Exists(AgendaItem.objects.filter(meeting=OuterRef("pk"), policy_area=area)))

    def with_items_in(self, area) -> MeetingQuerySet:
        """With the council and only the agenda items in the policy area (``area_items``; two queries)."""
        from .models import AgendaItem

        items = AgendaItem.objects.filter(policy_area=area).order_by("number")
        return self.select_related("council").prefetch_related(
            Prefetch("agenda_items", queryset=items, to_attr="area_items")
        )

    def for_person(self, person, on: date | None = None) -> MeetingQuerySet:
        """Meetings of the KKRs the person belongs to or represents (see ``CouncilQuerySet.of_person``)."""
        from .models import Council

        return self.filter(council__in=Council.objects.of_person(person, on))


class CouncilQuerySet(models.QuerySet):
    def of_person(self, person, on: date | None = None) -> CouncilQuerySet:
        """The KKRs a person belongs to on a day (member or substitute) or represents (an appointment
        that has not ended). Used as a subquery: it adds no query of its own."""
        from fora.models import Appointment

        from .models import KKRMembership

        on = on or today()
        memberships = KKRMembership.objects.filter(council=OuterRef("pk"), person=person).active_on(on)
        appointments = Appointment.objects.filter(seat__forum__council=OuterRef("pk"), person=person).exclude(
            status="ended"
        )
        return self.filter(Exists(memberships) | Exists(appointments))

    def as_organisation_rows(self) -> models.QuerySet:
        """Popolo organisations: the five KKRs."""
        return organisation_rows(self, o_kind=_text("kkr"), o_code=F("region_code"))

    def overview(self) -> CouncilQuerySet:
        """The five KKRs with their size, current chair and vice-chair and next meeting, in one query."""
        from .models import Chairmanship, KKRMembership, Meeting

        on = today()

        def holder(role: str) -> models.Subquery:
            return models.Subquery(
                Chairmanship.objects.filter(council=models.OuterRef("pk"), role=role)
                .active_on(on)
                .values("person__name")[:1]
            )

        members = (
            KKRMembership.objects.filter(council=models.OuterRef("pk"))
            .active_on(on)
            .members()
            .order_by()
            .values("council")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        next_meeting = (
            Meeting.objects.filter(council=models.OuterRef("pk"), ends_at__gte=timezone.now())
            .exclude(status="cancelled")
            .order_by("starts_at")
            .values("starts_at")[:1]
        )
        return self.annotate(
            municipality_count=models.Count("municipalities", distinct=True),
            member_count=Coalesce(models.Subquery(members), 0),
            chair_name=holder("chair"),
            vice_chair_name=holder("vice_chair"),
            next_meeting_at=models.Subquery(next_meeting),
        ).order_by("name")


def policy_areas_of(council):
    """The six policy areas with how many of the KKR's active fora and open agreements work on each."""
    from .models import PolicyArea

    on = today()
    active_fora = (
        Q(fora__council=council)
        & (Q(fora__founded_on__isnull=True) | Q(fora__founded_on__lte=on))
        & (Q(fora__dissolved_on__isnull=True) | Q(fora__dissolved_on__gte=on))
    )
    return PolicyArea.objects.annotate(
        forum_count=models.Count("fora", filter=active_fora, distinct=True),
        agreement_count=models.Count(
            "agreements", filter=Q(agreements__council=council, agreements__closed_on__isnull=True), distinct=True
        ),
    ).order_by("position", "name")


def secretariat_of(council):
    """The people serving a KKR: its KKR secretariat and the joint secretariats, in order."""
    from .models import SecretariatContact

    return SecretariatContact.objects.filter(council=council).select_related("policy_area")


def policy_area_overview(on: date, now: datetime):
    """The six policy areas, each with how many active fora, open agreements and meetings not yet
    over work on it across the five KKRs, in one query (counted in subqueries, so the joins do
    not multiply each other)."""
    from agreements.models import Agreement
    from fora.models import Forum

    from .models import Meeting, PolicyArea

    def count(queryset) -> Subquery:
        # COUNT as a plain function, not an aggregate: no GROUP BY, one number per area.
        counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    area = OuterRef("pk")
    return PolicyArea.objects.annotate(
        forum_count=count(Forum.objects.active_on(on).filter(policy_areas=area)),
        agreement_count=count(Agreement.objects.open().filter(policy_area=area)),
        # touching() looks from inside its own subquery: the area is two levels out from there.
        meeting_count=count(
            Meeting.objects.filter(ends_at__gte=now).exclude(status="cancelled").touching(OuterRef(area))
        ),
    ).order_by("position", "name")
