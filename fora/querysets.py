"""Reads of the fora app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import models
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from members.access import party_public
from members.querysets import membership_rows, organisation_rows, today


class ForumQuerySet(models.QuerySet):
    def for_council(self, council) -> ForumQuerySet:
        return self.filter(council=council)

    def active_on(self, on: date) -> ForumQuerySet:
        return self.filter(Q(founded_on__isnull=True) | Q(founded_on__lte=on)).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=on)
        )

    def active(self) -> ForumQuerySet:
        return self.active_on(today())

    def in_policy_area(self, area) -> ForumQuerySet:
        return self.filter(policy_areas=area)

    def as_organisation_rows(self) -> models.QuerySet:
        """Popolo organisations: the fora, each under the KKR that appoints or nominates to it."""
        return organisation_rows(
            self,
            o_kind=Value("forum", output_field=models.CharField()),
            o_parent=F("council_id"),
            o_founded=F("founded_on"),
            o_dissolved=F("dissolved_on"),
            o_forum_kind=F("kind__name"),
            o_website=F("website"),
        )

    def listing(self, on: date) -> ForumQuerySet:
        """The fora list: council, kind and policy areas, and per forum the number of seats in the
        period that contains the day and how many of them are vacant (two queries)."""
        from .models import Seat

        seats = Seat.objects.filter(forum=OuterRef("pk"), period__starts_on__lte=on, period__ends_on__gte=on)

        def count(queryset) -> Subquery:
            return Subquery(
                queryset.order_by().values("forum").annotate(n=Count("pk")).values("n"), output_field=IntegerField()
            )

        is_dissolved = Q(dissolved_on__isnull=False, dissolved_on__lt=on)
        return (
            self.select_related("council", "kind")
            .prefetch_related("policy_areas")
            .annotate(
                seat_count=Coalesce(count(seats), 0),
                vacant_count=Coalesce(count(seats.vacant_on(on)), 0),
                dissolved_order=models.Case(models.When(is_dissolved, then=1), default=0, output_field=IntegerField()),
            )
            .order_by("council__name", "dissolved_order", "name")
        )

    def with_seating(self, on: date) -> ForumQuerySet:
        """With the policy areas and the seats of the period that contains the day
        (``current_seats``), each with the appointments that are live on that day and the holder
        of the seat it continues; ``seating(forum, on)`` reads them. Four queries beside the fora's.
        Each appointment says whether the public may see its person's party (``person_party_public``,
        ``members.access``).
        """
        from .models import Appointment, Seat

        seats = (
            Seat.objects.filter(period__starts_on__lte=on, period__ends_on__gte=on)
            .select_related("period", "deputy_for", "previous_seat__period")
            .prefetch_related(
                Prefetch(
                    "appointments",
                    queryset=Appointment.objects.live_on(on)
                    .select_related("person__party")
                    .annotate(person_party_public=party_public("person")),
                    to_attr="live_appointments",
                ),
                Prefetch(
                    "previous_seat__appointments",
                    queryset=Appointment.objects.active_on(on)
                    .select_related("person__party")
                    .annotate(person_party_public=party_public("person")),
                    to_attr="live_appointments",
                ),
            )
            .order_by("position", "label")
        )
        return self.prefetch_related("policy_areas", Prefetch("seats", queryset=seats, to_attr="current_seats"))


@dataclass
class SeatState:
    """Who sits on a seat on a day: the holder (or the carry-over from the seat it continues),
    the proposed or nominated successors, and whether it is vacant."""

    seat: models.Model
    holder: models.Model | None = None
    carried_over: bool = False
    pending: list = field(default_factory=list)

    @property
    def vacant(self) -> bool:
        return self.holder is None

    @property
    def status(self) -> str:
        """``carry_over``, ``appointed`` or ``vacant`` (the template words them)."""
        if self.holder is None:
            return "vacant"
        return "carry_over" if self.carried_over else "appointed"


def seating(forum, on: date) -> list[SeatState]:
    """The state of each of a forum's current seats, from what ``with_seating`` prefetched."""
    states = []
    for seat in forum.current_seats:
        state = SeatState(seat)
        for appointment in seat.live_appointments:
            if appointment.status in ("appointed", "ended") and appointment.starts_on <= on:
                state.holder = appointment
            else:
                state.pending.append(appointment)
        previous = seat.previous_seat
        if state.holder is None and previous is not None and previous.live_appointments:
            # The previous period's appointee stays on until a successor is appointed.
            state.holder = previous.live_appointments[0]
            state.carried_over = True
        elif state.holder is not None:
            state.carried_over = state.holder.effective_term_end < on
        states.append(state)
    return states


class AppointmentQuerySet(models.QuerySet):
    def holding(self) -> AppointmentQuerySet:
        """Appointments that occupy their seat: appointed (and perhaps ended since); not a withdrawn nomination."""
        return self.filter(appointed_on__isnull=False)

    def active_on(self, on: date) -> AppointmentQuerySet:
        """Who held a seat on a day, carry-overs included (their term ended, no successor yet)."""
        return self.holding().filter(starts_on__lte=on).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))

    def current(self) -> AppointmentQuerySet:
        return self.active_on(today())

    def live_on(self, on: date) -> AppointmentQuerySet:
        """Holders on the day, and the proposed, nominated or appointed that have not ended."""
        return self.filter(
            Q(status__in=["proposed", "nominated", "appointed"], ended_on__isnull=True)
            | Q(status="ended", starts_on__lte=on, ended_on__gte=on)
        ).order_by("starts_on", "pk")

    def carry_overs(self, on: date | None = None) -> AppointmentQuerySet:
        on = on or today()
        term_end = Coalesce("term_ends_on", "seat__period__ends_on")
        return self.active_on(on).alias(term_end=term_end).filter(term_end__lt=on)

    def for_council(self, council) -> AppointmentQuerySet:
        return self.filter(seat__forum__council=council)

    def as_membership_rows(self) -> models.QuerySet:
        """Popolo memberships of the fora, on their seats (posts): appointments once appointed.
        The role is the seat's (member or deputy); the note and the end reason are not columns."""
        return membership_rows(
            self.holding(),
            m_kind=Value("appointment", output_field=models.CharField()),
            m_pk=F("pk"),
            m_person=F("person_id"),
            m_org_kind=Value("forum", output_field=models.CharField()),
            m_org=F("seat__forum_id"),
            m_post=F("seat_id"),
            m_role=F("seat__kind"),
            m_status=F("status"),
            m_start=F("starts_on"),
            m_end=F("ended_on"),
            m_period=F("seat__period__name"),
        )

    def without_council_seat(self, on: date) -> AppointmentQuerySet:
        """Holders on the day (carry-overs included) who no longer sit in a municipal council of
        the forum's KKR: they are no longer eligible and should be replaced."""
        from members.models import CouncilSeat

        seats = CouncilSeat.objects.active_on(on).filter(
            person=OuterRef("person"), municipality__council=OuterRef("seat__forum__council")
        )
        return self.active_on(on).exclude(Exists(seats))

    def term_ending_within(self, on: date, days: int) -> AppointmentQuerySet:
        """Appointed and not ended, with a term that runs out within ``days`` days of the day."""
        term_end = Coalesce("term_ends_on", "seat__period__ends_on")
        return (
            self.filter(status="appointed", ended_on__isnull=True)
            .alias(term_end=term_end)
            .filter(term_end__gte=on, term_end__lte=on + timedelta(days=days))
        )


class SeatQuerySet(models.QuerySet):
    def for_council(self, council) -> SeatQuerySet:
        return self.filter(forum__council=council)

    def vacant_on(self, on: date) -> SeatQuerySet:
        """Seats of the period containing the day, in fora active that day, that nobody holds (the
        carry-over from the seat it continues counts as holding it). A dissolved forum's seats are
        not vacancies to fill."""
        from .models import Appointment, Forum

        held = Appointment.objects.active_on(on).filter(seat=OuterRef("pk"))
        carried_over = Appointment.objects.active_on(on).filter(seat=OuterRef("previous_seat"))
        return (
            self.filter(period__starts_on__lte=on, period__ends_on__gte=on)
            .filter(forum__in=Forum.objects.active_on(on).values("pk"))
            .exclude(Exists(held))
            .exclude(Exists(carried_over))
        )

    def vacant(self) -> SeatQuerySet:
        return self.vacant_on(today())

    def as_posts(self) -> SeatQuerySet:
        """Popolo posts: the seats with their period, in forum and seat order (one query)."""
        return self.select_related("period").order_by("forum_id", "period__starts_on", "position", "label", "pk")
