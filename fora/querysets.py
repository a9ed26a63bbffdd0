"""Reads of the fora app."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce

from members.querysets import today


class ForumQuerySet(models.QuerySet):
    def for_council(self, council) -> ForumQuerySet:
        return self.filter(council=council)

    def active_on(self, on: date) -> ForumQuerySet:
        return self.filter(Q(founded_on__isnull=True) | Q(founded_on__lte=on)).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=on)
        )

    def active(self) -> ForumQuerySet:
        return self.active_on(today())


class AppointmentQuerySet(models.QuerySet):
    def holding(self) -> AppointmentQuerySet:
        """Appointments that occupy their seat (appointed, or ended with a date)."""
        return self.filter(status__in=["appointed", "ended"])

    def active_on(self, on: date) -> AppointmentQuerySet:
        """Who held a seat on a day, carry-overs included (their term ended, no successor yet)."""
        return self.holding().filter(starts_on__lte=on).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))

    def current(self) -> AppointmentQuerySet:
        return self.active_on(today())

    def carry_overs(self, on: date | None = None) -> AppointmentQuerySet:
        on = on or today()
        term_end = Coalesce("term_ends_on", "seat__period__ends_on")
        return self.active_on(on).alias(term_end=term_end).filter(term_end__lt=on)

    def for_council(self, council) -> AppointmentQuerySet:
        return self.filter(seat__forum__council=council)


class SeatQuerySet(models.QuerySet):
    def for_council(self, council) -> SeatQuerySet:
        return self.filter(forum__council=council)

    def vacant_on(self, on: date) -> SeatQuerySet:
        from .models import Appointment

        held = Appointment.objects.active_on(on).filter(seat=OuterRef("pk"))
        carried_over = Appointment.objects.active_on(on).filter(seat=OuterRef("previous_seat"))
        return (
            self.filter(period__starts_on__lte=on, period__ends_on__gte=on)
            .exclude(Exists(held))
            .exclude(Exists(carried_over))
        )

    def vacant(self) -> SeatQuerySet:
        return self.vacant_on(today())
