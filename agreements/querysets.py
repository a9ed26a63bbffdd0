"""Reads of the agreements app."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from members.querysets import today


class AgreementQuerySet(models.QuerySet):
    def for_council(self, council) -> AgreementQuerySet:
        return self.filter(council=council)

    def open(self) -> AgreementQuerySet:
        """Cycles that have not been closed."""
        return self.filter(closed_on__isnull=True)


class MilestoneQuerySet(models.QuerySet):
    def for_council(self, council) -> MilestoneQuerySet:
        return self.filter(agreement__council=council)

    def upcoming(self) -> MilestoneQuerySet:
        return self.filter(due_on__gte=today(), completed_on__isnull=True).order_by("due_on")

    def missing_approvals(self) -> MilestoneQuerySet:
        """Milestones every council must approve where some municipality has not yet."""
        from members.models import Municipality

        from .models import MunicipalApproval

        approved = MunicipalApproval.objects.filter(milestone=OuterRef(OuterRef("pk")), municipality=OuterRef("pk"))
        missing = Municipality.objects.filter(council=OuterRef("agreement__council")).filter(~Exists(approved))
        return self.filter(Q(requires_every_council=True) & Exists(missing))
