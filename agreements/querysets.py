"""Reads of the agreements app."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q

from members.models import Municipality
from members.querysets import CALENDAR_HISTORY, today


class AgreementQuerySet(models.QuerySet):
    def for_council(self, council) -> AgreementQuerySet:
        return self.filter(council=council)

    def in_policy_area(self, area) -> AgreementQuerySet:
        return self.filter(policy_area=area)

    def open(self) -> AgreementQuerySet:
        """Cycles that have not been closed."""
        return self.filter(closed_on__isnull=True)

    def with_next_milestones(self, *, approvals: bool = False) -> AgreementQuerySet:
        """With council, kind and policy area, and the milestones not yet completed, earliest first
        (``open_milestones``). With ``approvals``, each milestone's municipal approvals and the
        council's municipalities too, for ``approval_status`` (two more queries)."""
        from .models import Milestone, MunicipalApproval

        milestones = Milestone.objects.filter(completed_on__isnull=True).order_by("due_on", "pk")
        lookups = []
        if approvals:
            milestones = milestones.prefetch_related(
                Prefetch("approvals", queryset=MunicipalApproval.objects.select_related("municipality"))
            )
            lookups.append("council__municipalities")
        return (
            self.select_related("council", "kind", "policy_area")
            .prefetch_related(Prefetch("milestones", queryset=milestones, to_attr="open_milestones"), *lookups)
            .order_by("council__name", "kind__name", "counterpart", "-valid_from")
        )

    def with_milestones(self) -> AgreementQuerySet:
        """For one agreement's page: council with its municipalities, kind, policy area, the cycles
        before and after, and every milestone (``all_milestones``) with its municipal approvals."""
        from .models import Milestone, MunicipalApproval

        milestones = Milestone.objects.order_by("due_on", "pk").prefetch_related(
            Prefetch("approvals", queryset=MunicipalApproval.objects.select_related("municipality"))
        )
        return self.select_related("council", "kind", "policy_area", "previous", "next_cycle").prefetch_related(
            Prefetch("milestones", queryset=milestones, to_attr="all_milestones"),
            Prefetch("council__municipalities", queryset=Municipality.objects.order_by("name")),
        )


class MilestoneQuerySet(models.QuerySet):
    def for_council(self, council) -> MilestoneQuerySet:
        return self.filter(agreement__council=council)

    def upcoming(self) -> MilestoneQuerySet:
        return self.filter(due_on__gte=today(), completed_on__isnull=True).order_by("due_on")

    def for_calendar(self, on: date | None = None) -> MilestoneQuerySet:
        """What a calendar feed carries: a year back and everything ahead, with agreement and council."""
        since = (on or today()) - CALENDAR_HISTORY
        return self.filter(due_on__gte=since).with_agreement().order_by("due_on", "pk")

    def with_agreement(self) -> MilestoneQuerySet:
        return self.select_related("agreement__council")

    def due_within(self, on: date, days: int) -> MilestoneQuerySet:
        """Not completed, due from the day until ``days`` days later."""
        return self.filter(completed_on__isnull=True, due_on__gte=on, due_on__lte=on + timedelta(days=days))

    def for_members(self) -> MilestoneQuerySet:
        """Milestones whose audience includes the KKR's members."""
        return self.filter(audience="members")

    def for_person(self, person, on: date | None = None) -> MilestoneQuerySet:
        """Milestones of the agreements of the KKRs the person belongs to or represents."""
        from members.models import Council

        return self.filter(agreement__council__in=Council.objects.of_person(person, on))

    def missing_approvals(self) -> MilestoneQuerySet:
        """Milestones every council must approve where some municipality has not yet."""
        from members.models import Municipality

        from .models import MunicipalApproval

        approved = MunicipalApproval.objects.filter(milestone=OuterRef(OuterRef("pk")), municipality=OuterRef("pk"))
        missing = Municipality.objects.filter(council=OuterRef("agreement__council")).filter(~Exists(approved))
        return self.filter(Q(requires_every_council=True) & Exists(missing))


def approval_status(milestone, municipalities) -> tuple[list, list]:
    """(approvals, municipalities still missing) of a milestone every council must approve,
    from what ``AgreementQuerySet.with_next_milestones(approvals=True)`` prefetched."""
    approvals = sorted(milestone.approvals.all(), key=lambda approval: approval.municipality.name)
    approved = {approval.municipality_id for approval in approvals}
    return approvals, [municipality for municipality in municipalities if municipality.pk not in approved]


def with_approval_status(agreements) -> list:
    """The agreements as a list; each open milestone that every council must approve gets
    ``approved`` (the approvals) and ``missing`` (the municipalities that have not approved)."""
    agreements = list(agreements)
    for agreement in agreements:
        municipalities = list(agreement.council.municipalities.all())
        for milestone in agreement.open_milestones:
            if milestone.requires_every_council:
                milestone.approved, milestone.missing = approval_status(milestone, municipalities)
    return agreements
