"""Reads of the election results and the supplementary seats."""

from __future__ import annotations

from django.db import models


class ElectionResultQuerySet(models.QuerySet):
    def for_council(self, council, period):
        return self.filter(council=council, period=period)

    def latest_for(self, council, period):
        """The newest import for the KKR and period, or None: a new import supersedes the older ones."""
        return self.for_council(council, period).select_related("imported_by").order_by("-imported_at", "-pk").first()


class SupplementarySeatsQuerySet(models.QuerySet):
    def for_council(self, council, period):
        return self.filter(council=council, period=period).select_related("party", "decided_by")
