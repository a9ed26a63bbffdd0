"""Reads of the members app: chainable QuerySet methods."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone


def today() -> date:
    return timezone.localdate()


def active_on_q(on: date, *, prefix: str = "") -> Q:
    """Rows whose ``started_on``..``ended_on`` (inclusive, open-ended) contain ``on``."""
    return Q(**{f"{prefix}started_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": on})
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

    def in_period(self, period) -> DatedQuerySet:
        return self.filter(period=period)


class CouncilSeatQuerySet(DatedQuerySet):
    def for_council(self, council) -> CouncilSeatQuerySet:
        return self.filter(municipality__council=council)

    def mayors(self) -> CouncilSeatQuerySet:
        return self.filter(role="mayor")


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


class ChairmanshipQuerySet(DatedQuerySet):
    def for_council(self, council) -> ChairmanshipQuerySet:
        return self.filter(council=council)


class PersonQuerySet(models.QuerySet):
    def with_email(self) -> PersonQuerySet:
        return self.exclude(email="")


class MeetingQuerySet(models.QuerySet):
    def for_council(self, council) -> MeetingQuerySet:
        return self.filter(council=council)

    def upcoming(self) -> MeetingQuerySet:
        return self.filter(ends_at__gte=timezone.now()).exclude(status="cancelled").order_by("starts_at")


class CouncilQuerySet(models.QuerySet):
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
