"""The municipal election result of a region, and the supplementary seats per party it gives a KKR."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kkr_portal import text
from kkr_portal.db import RuleErrorsMixin
from kkr_portal.db import check_constraint as _check
from kkr_portal.db import unique_constraint as _unique
from members.models import Council, ElectionPeriod, Municipality, Party

from . import querysets

REASON_MAX_LENGTH = 1000


class ElectionResult(RuleErrorsMixin, models.Model):
    """One imported file: the votes per party and municipality of one region's municipal election.

    ``period`` is the election period the election was for (the votes of November 2025 make up
    the KKR of 2026-2029). A new import does not overwrite an older one; the newest is used.
    """

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="election_results", verbose_name=_("KKR")
    )
    period = models.ForeignKey(
        ElectionPeriod, on_delete=models.PROTECT, related_name="election_results", verbose_name=_("valgperiode")
    )
    source_name = text.PlainCharField(_("fil"), max_length=255)
    imported_at = models.DateTimeField(_("importeret"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("importeret af"),
    )

    objects = querysets.ElectionResultQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("valgresultat")
        verbose_name_plural = _("valgresultater")

    def __str__(self) -> str:
        return f"{self.council}, {self.period}: {self.source_name}"


class PartyVotes(RuleErrorsMixin, models.Model):
    """A party's (or local list's) votes in one municipality."""

    result = models.ForeignKey(
        ElectionResult, on_delete=models.CASCADE, related_name="votes", verbose_name=_("valgresultat")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("kommune")
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("parti"))
    votes = models.PositiveIntegerField(_("stemmer"))

    constraint_fields = {
        "elections_partyvotes_unique": "party",
        "elections_partyvotes_votes_not_negative": "votes",
    }

    class Meta:
        ordering = ["result", "municipality__name", "party__letter", "party__name"]
        verbose_name = _("stemmetal")
        verbose_name_plural = _("stemmetal")
        constraints = [
            _unique(
                "elections_partyvotes_unique",
                ["result", "municipality", "party"],
                _("Partiet har allerede et stemmetal for denne kommune i valgresultatet."),
            ),
            _check(
                "elections_partyvotes_votes_not_negative",
                Q(votes__gte=0),
                _("Stemmetallet kan ikke være negativt."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party}, {self.municipality}: {self.votes}"


class SupplementarySeats(RuleErrorsMixin, models.Model):
    """How many supplementary members a party elects to a KKR in a period: as calculated, and as decided.

    The secretariat may decide another number than the calculation's (a lot after a tie, an
    agreement between the parties), but only with a reason; the history keeps who decided what, when.
    """

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="supplementary_seats", verbose_name=_("KKR")
    )
    period = models.ForeignKey(
        ElectionPeriod, on_delete=models.PROTECT, related_name="supplementary_seats", verbose_name=_("valgperiode")
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("parti"))
    result = models.ForeignKey(
        ElectionResult,
        on_delete=models.PROTECT,
        related_name="supplementary_seats",
        verbose_name=_("valgresultat"),
        help_text=_("Det valgresultat, beregningen bygger på."),
    )
    computed_seats = models.PositiveSmallIntegerField(_("beregnede pladser"))
    decided_seats = models.PositiveSmallIntegerField(_("besluttede pladser"))
    reason = text.PlainTextField(
        _("begrundelse"),
        max_length=REASON_MAX_LENGTH,
        blank=True,
        help_text=_("Skal udfyldes, når det besluttede antal afviger fra det beregnede."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("besluttet af"),
    )
    decided_at = models.DateTimeField(_("besluttet"), default=timezone.now)

    history = HistoricalRecords()
    objects = querysets.SupplementarySeatsQuerySet.as_manager()

    constraint_fields = {
        "elections_supplementaryseats_unique": "party",
        "elections_supplementaryseats_override_has_reason": "reason",
    }

    class Meta:
        ordering = ["council__name", "period__starts_on", "party__letter", "party__name"]
        verbose_name = _("supplerende pladser")
        verbose_name_plural = _("supplerende pladser")
        constraints = [
            _unique(
                "elections_supplementaryseats_unique",
                ["council", "period", "party"],
                _("Partiet har allerede et antal supplerende pladser i dette KKR i valgperioden."),
            ),
            _check(
                "elections_supplementaryseats_override_has_reason",
                Q(decided_seats=F("computed_seats")) | ~Q(reason=""),
                _("Skriv en begrundelse, når antallet afviger fra det beregnede."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.decided_seats} ({self.council}, {self.period})"

    @property
    def overridden(self) -> bool:
        return self.decided_seats != self.computed_seats
