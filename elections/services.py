"""Writes (and the reads that feed them): importing a result, calculating and deciding the seats."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kkr_portal import scoping
from members.models import Council, CouncilSeat, ElectionPeriod, KKRMembership, Party

from . import composition as calc
from .importing import ReadResult
from .models import ElectionResult, PartyVotes, SupplementarySeats

STALE_MESSAGE = gettext_lazy(
    "Valgresultatet, borgmestrene eller de besluttede pladser er ændret, siden beregningen blev vist "
    "(fx af en kollega). Intet er gemt. Se den nye beregning igennem, og anvend den igen."
)


NO_COUNCIL_SEATS = gettext_lazy(
    "Der er ingen kommunalbestyrelsesmandater registreret for valgperioden i KKR'ets kommuner. "
    "Beregningen bruger dem til at afgøre, hvilke partier der har mandat i en kommunalbestyrelse; "
    "uden dem deltager intet parti."
)
NO_MAYORS = gettext_lazy(
    "Der er ingen borgmestre registreret for valgperioden i KKR'ets kommuner. "
    "Beregningen bruger dem som selvskrevne medlemmer og partiernes første pladser."
)
NOT_READY_MESSAGE = gettext_lazy(
    "De supplerende pladser kan ikke gemmes, før valgperiodens mandater og borgmestre er registreret."
)


class StaleComposition(ValidationError):
    """The result, the mayors or the seats changed between showing the calculation and applying it."""


def _check_council(council: Council, user) -> None:
    """The views look the KKR up among the user's; the services refuse another one on their own too."""
    if user is not None and not scoping.councils_of(user).filter(pk=council.pk).exists():
        raise PermissionDenied


# --- importing ------------------------------------------------------------------------------


@transaction.atomic
def import_result(
    *, council: Council, period: ElectionPeriod, read: ReadResult, source_name: str, user=None
) -> ElectionResult:
    """Write a checked file as a new result, all rows or none."""
    _check_council(council, user)
    if not read.ok:
        raise ValidationError(_("Filen har fejl og blev ikke importeret."))
    if any(row.municipality.council_id != council.pk for row in read.rows):
        raise PermissionDenied
    result = ElectionResult(council=council, period=period, source_name=source_name[:255], imported_by=user)
    result.save_checked()
    votes = [
        PartyVotes(result=result, municipality=row.municipality, party=row.party, votes=row.votes) for row in read.rows
    ]
    for row in votes:
        row.full_clean(exclude=["result"], validate_unique=False, validate_constraints=False)
    PartyVotes.objects.bulk_create(votes)
    return result


# --- the calculation ------------------------------------------------------------------------


@dataclass
class CompositionPlan:
    """The calculation for a KKR and period, with what the database holds around it."""

    council: Council
    period: ElectionPeriod
    result: ElectionResult
    composition: calc.Composition
    parties: dict[int, Party]
    decided: dict[int, SupplementarySeats] = field(default_factory=dict)
    # Whether the period has any council seat / any mayor recorded for the KKR's municipalities:
    # without them every party is excluded (no seat) and the mayors are 0, silently.
    has_council_seats: bool = True
    has_mayors: bool = True

    @property
    def missing(self) -> list[str]:
        """What the calculation needs that is not recorded for the period, in the user's words."""
        missing = []
        if not self.has_council_seats:
            missing.append(str(NO_COUNCIL_SEATS))
        if not self.has_mayors:
            missing.append(str(NO_MAYORS))
        return missing

    @property
    def rows(self) -> list[tuple[Party, int]]:
        """The parties the decision is about: those that take part, then any with an earlier
        decision that no longer take part (their computed number is now 0)."""
        keys = [line.party.key for line in self.composition.seats]
        keys += sorted((pk for pk in self.decided if pk not in keys), key=lambda pk: str(self.parties[pk]))
        return [(self.parties[pk], self.composition.supplementary_for(pk)) for pk in keys]

    @property
    def token(self) -> str:
        parts = [f"result:{self.result.pk}", *(f"{party.pk}:{computed}" for party, computed in self.rows)]
        parts += [f"decided:{pk}:{row.decided_seats}:{row.computed_seats}" for pk, row in sorted(self.decided.items())]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]

    @property
    def all_mayors(self) -> int:
        return self.composition.qualifying_mayors + self.composition.outside_mayor_count


def _party_input(party: Party, votes: int, with_seat: set[int], mayors: dict[int, int]) -> calc.PartyInput:
    return calc.PartyInput(
        key=party.pk,
        name=str(party.short_name),
        letter=party.letter,
        votes=votes,
        has_council_seat=party.pk in with_seat,
        mayors=mayors.get(party.pk, 0),
    )


def plan_composition(*, council: Council, period: ElectionPeriod) -> CompositionPlan | None:
    """The calculation from the newest result, the period's council seats and mayors; None
    without a result. A fixed number of queries, whatever the size of the region."""
    result = ElectionResult.objects.latest_for(council, period)
    if result is None:
        return None
    votes = dict(
        PartyVotes.objects.filter(result=result)
        .values("party")
        .annotate(total=Sum("votes"))
        .values_list("party", "total")
    )
    seats = CouncilSeat.objects.filter(period=period, municipality__council=council)
    # Any seat of the period counts: a seat won at the election, even if its holder has left since.
    # None among them: a seat held by someone without a party (a seat all the same).
    seat_parties = set(seats.values_list("person__party", flat=True).distinct())
    with_seat = seat_parties - {None}
    mayors: dict[int | None, int] = dict(
        seats.filter(role=CouncilSeat.Role.MAYOR, ended_on__isnull=True)
        .values("person__party")
        .annotate(count=Count("pk"))
        .values_list("person__party", "count")
    )
    has_mayors = bool(mayors)
    without_party = mayors.pop(None, 0)
    decided = {row.party_id: row for row in SupplementarySeats.objects.for_council(council, period)}
    parties = {party.pk: party for party in Party.objects.filter(pk__in={*votes, *mayors, *decided})}
    inputs = [
        _party_input(party, votes.get(pk, 0), with_seat, mayors)
        for pk, party in parties.items()
        if pk in votes or pk in mayors
    ]
    composition = calc.calculate(
        inputs, municipalities=council.municipalities.count(), mayors_without_party=without_party
    )
    return CompositionPlan(
        council,
        period,
        result,
        composition,
        parties,
        decided,
        has_council_seats=bool(seat_parties),
        has_mayors=has_mayors,
    )


# --- deciding -------------------------------------------------------------------------------


def check_decisions(plan: CompositionPlan, decisions: dict[int, tuple[int, str]]) -> dict[str, list[str]]:
    """What is wrong with the decided numbers, by form field: a number that differs from the
    calculation needs a reason, and the KKR stays within its cap (mayors included)."""
    errors: dict[str, list[str]] = {}
    if plan.missing:
        # A calculation without the period's seats and mayors is not one to record.
        errors["__all__"] = [str(NOT_READY_MESSAGE), *plan.missing]
    for party, computed in plan.rows:
        seats, reason = decisions.get(party.pk, (computed, ""))
        if seats < 0:
            errors.setdefault(seats_field(party), []).append(_("Antallet kan ikke være negativt."))
        if seats != computed and not reason.strip():
            errors.setdefault(reason_field(party), []).append(
                _("Skriv en begrundelse, når antallet afviger fra det beregnede (%(computed)s).")
                % {"computed": computed}
            )
    total = plan.all_mayors + sum(decisions.get(party.pk, (computed, ""))[0] for party, computed in plan.rows)
    if total > plan.composition.cap:
        errors.setdefault("__all__", []).append(
            _(
                "KKR'et ville få %(total)s medlemmer, men må højst have %(cap)s (to gange antallet af kommuner). "
                "Sænk antallet af supplerende pladser."
            )
            % {"total": total, "cap": plan.composition.cap}
        )
    return errors


def seats_field(party: Party) -> str:
    return f"seats_{party.pk}"


def reason_field(party: Party) -> str:
    return f"reason_{party.pk}"


@transaction.atomic
def apply_composition(
    *,
    council: Council,
    period: ElectionPeriod,
    decisions: dict[int, tuple[int, str]],
    expected_token: str,
    user=None,
) -> list[SupplementarySeats]:
    """Record the supplementary seats per party for the period, as decided; refused if the
    calculation is not the one that was shown (``StaleComposition``) or a rule is broken."""
    _check_council(council, user)
    # Two secretaries applying at once: the second waits, then sees a changed token.
    Council.objects.select_for_update().filter(pk=council.pk).first()
    plan = plan_composition(council=council, period=period)
    if plan is None or plan.token != expected_token:
        raise StaleComposition(str(STALE_MESSAGE))
    errors = check_decisions(plan, decisions)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    written = []
    for party, computed in plan.rows:
        seats, reason = decisions.get(party.pk, (computed, ""))
        reason = reason.strip() if seats != computed else ""
        row = plan.decided.get(party.pk) or SupplementarySeats(council=council, period=period, party=party)
        unchanged = (
            row.pk is not None
            and row.result_id == plan.result.pk
            and (row.computed_seats, row.decided_seats, row.reason) == (computed, seats, reason)
        )
        if unchanged:
            written.append(row)
            continue
        row.result = plan.result
        row.computed_seats, row.decided_seats, row.reason = computed, seats, reason
        row.decided_by, row.decided_at = user, now
        row.save_checked()
        written.append(row)
    return written


# --- seats to fill --------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatsToFill:
    party: Party
    decided: int
    filled: int

    @property
    def to_fill(self) -> int:
        return max(0, self.decided - self.filled)

    @property
    def too_many(self) -> int:
        return max(0, self.filled - self.decided)


def seats_to_fill(*, council: Council, period: ElectionPeriod) -> list[SeatsToFill]:
    """Per party: the supplementary seats decided for the period, how many supplementary members
    it has in the KKR now, and how many are still to be elected. Two queries (the decided rows
    with their parties, the supplementary members per party), and a third only for a party with
    members but no decision."""
    decided = {row.party_id: row for row in SupplementarySeats.objects.for_council(council, period)}
    filled: dict[int | None, int] = dict(
        KKRMembership.objects.filter(
            council=council,
            period=period,
            basis=KKRMembership.Basis.SUPPLEMENTARY,
            role=KKRMembership.Role.MEMBER,
            ended_on__isnull=True,
        )
        .values("person__party")
        .annotate(count=Count("pk"))
        .values_list("person__party", "count")
    )
    others = {pk for pk in filled if pk is not None and pk not in decided}
    parties = {row.party_id: row.party for row in decided.values()}
    parties |= {party.pk: party for party in Party.objects.filter(pk__in=others)}
    lines = [
        SeatsToFill(party, decided[pk].decided_seats if pk in decided else 0, filled.get(pk, 0))
        for pk, party in parties.items()
    ]
    return sorted(lines, key=lambda line: (-line.decided, str(line.party)))
