"""How many supplementary members each party elects to a KKR: the calculation, step by step.

No database here: the inputs are plain numbers (``PartyInput``), the output (``Composition``) is
every step of the calculation, which the admin page writes out for the secretariat.

The method, as KL publishes the conditions (the welcome folders only say that "Sammensætningen af
KKR afspejler stemmefordelingen ved det seneste kommunalvalg"):

1. **Which parties take part.** A party (or local list) takes part if it got at least 2 % of the
   votes cast for parties in the region *and* won a seat in at least one municipal council of the
   region. The 2 % is exact: ``votes × 100 ≥ 2 × all votes`` (no rounding).
2. **The mayors.** Every mayor sits ex officio, whatever the party. The mayors of the parties that
   take part count as their party's first seats; the others (a party that does not take part, a
   mayor without a party) sit outside the proportional part.
3. **The size.** The proportional part has the smallest size ``n`` (starting at the number of
   mayors of the parties that take part) at which d'Hondt over those parties gives every party at
   least as many seats as it has mayors. A party's supplementary seats are its d'Hondt seats minus
   its mayors. d'Hondt is house-monotone (a seat once won is kept when ``n`` grows), so the
   smallest such ``n`` is found by trying ``n`` upwards.
4. **The cap.** A KKR has at most twice as many members as the region has municipalities, the
   mayors outside the proportional part included, so ``n ≤ 2 × municipalities − those mayors``.
   If no ``n`` up to the cap is enough, ``n`` is the cap and the mayors take precedence: each
   party keeps its mayors, and the seats left are shared by d'Hondt continuing after them (the
   divisors ``mayors + 1, mayors + 2, …``). Where the cap does not bind, that rule gives exactly
   the numbers of step 3, so it is one method, not two.

**Ties.** When two quotients are equal and only one of them can have the seat, the party with more
votes in the region gets it. With equal votes too, the law's answer is a lot (lodtrækning); the
seeds do not say how KL draws it, so the calculation lets the ballot letter (then the name) stand
in, says so, and the secretariat records the lot's result as an override with its reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

THRESHOLD = Fraction(2, 100)  # of the region's votes
CAP_FACTOR = 2  # members per municipality, at most


@dataclass(frozen=True)
class PartyInput:
    """One party (or local list) in the region."""

    key: Hashable
    name: str
    votes: int
    has_council_seat: bool
    mayors: int = 0
    letter: str = ""

    @property
    def order(self) -> tuple[str, str]:
        """The stand-in for a lot: the ballot letter, then the name."""
        return (self.letter or "\uffff", self.name)


@dataclass(frozen=True)
class PartyStep:
    """Step 1 for one party: its share and whether it takes part."""

    party: PartyInput
    share: Fraction
    meets_threshold: bool

    @property
    def qualifies(self) -> bool:
        return self.meets_threshold and self.party.has_council_seat

    @property
    def percent(self) -> float:
        return float(self.share * 100)


@dataclass(frozen=True)
class Quotient:
    party: PartyInput
    divisor: int
    value: Fraction
    rank: int | None = None  # the seat's number in the allocation; None: no seat

    @property
    def as_float(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Tie:
    """Two equal quotients on either side of the last seat."""

    winner: PartyInput
    loser: PartyInput
    value: Fraction

    @property
    def by_lot(self) -> bool:
        """Equal votes too: a lot decides; the letter order stood in for it."""
        return self.winner.votes == self.loser.votes


@dataclass(frozen=True)
class SizeTry:
    """Step 3 for one size: d'Hondt's seats per party, and who has fewer than their mayors."""

    size: int
    seats: tuple[tuple[PartyInput, int], ...]
    short: tuple[PartyInput, ...]
    tie: Tie | None = None

    @property
    def enough(self) -> bool:
        return not self.short


@dataclass(frozen=True)
class PartySeats:
    """The result for one party that takes part."""

    party: PartyInput
    seats: int  # in the proportional part, mayors included
    supplementary: int

    @property
    def mayors(self) -> int:
        return self.party.mayors


@dataclass
class Composition:
    municipalities: int
    total_votes: int
    threshold_votes: int  # the fewest votes that are 2 %
    steps: list[PartyStep]
    mayors_without_party: int
    cap: int  # members, at most
    cap_size: int  # the proportional part, at most
    size: int  # the proportional part
    cap_binds: bool
    tries: list[SizeTry] = field(default_factory=list)
    table: list[tuple[PartyInput, list[Quotient]]] = field(default_factory=list)
    tie: Tie | None = None
    seats: list[PartySeats] = field(default_factory=list)

    @property
    def qualifying(self) -> list[PartyInput]:
        return [step.party for step in self.steps if step.qualifies]

    @property
    def qualifying_mayors(self) -> int:
        return sum(party.mayors for party in self.qualifying)

    @property
    def mayors_outside(self) -> list[PartyInput]:
        """The parties with mayors that do not take part: their mayors sit ex officio all the same."""
        return [step.party for step in self.steps if not step.qualifies and step.party.mayors]

    @property
    def outside_mayor_count(self) -> int:
        return sum(party.mayors for party in self.mayors_outside) + self.mayors_without_party

    @property
    def supplementary_total(self) -> int:
        return sum(line.supplementary for line in self.seats)

    @property
    def total_members(self) -> int:
        return self.size + self.outside_mayor_count

    def supplementary_for(self, key: Hashable) -> int:
        return next((line.supplementary for line in self.seats if line.party.key == key), 0)


def _ranked(parties: Sequence[PartyInput], first_divisor: dict[Hashable, int], count: int) -> list[Quotient]:
    """Every party's quotients ``votes / d`` for ``count`` divisors from its first one, best first:
    the higher quotient, then (a tie) more votes, then the letter standing in for a lot."""
    quotients = [
        Quotient(party, divisor, Fraction(party.votes, divisor))
        for party in parties
        for divisor in range(first_divisor[party.key], first_divisor[party.key] + count)
    ]
    return sorted(quotients, key=lambda q: (-q.value, -q.party.votes, q.party.order, q.divisor))


def _tie_at(ranked: list[Quotient], cut: int) -> Tie | None:
    if 0 < cut < len(ranked) and ranked[cut - 1].value == ranked[cut].value:
        return Tie(ranked[cut - 1].party, ranked[cut].party, ranked[cut].value)
    return None


def _counts(ranked: list[Quotient], cut: int) -> Counter:
    return Counter(quotient.party.key for quotient in ranked[:cut])


def _table(
    parties: Sequence[PartyInput], ranked: list[Quotient], cut: int, first_divisor: dict[Hashable, int]
) -> list[tuple[PartyInput, list[Quotient]]]:
    """Per party: its quotients, the seats won numbered, and the next quotient (the one that lost)."""
    rank = {(q.party.key, q.divisor): number for number, q in enumerate(ranked[:cut], start=1)}
    won = _counts(ranked, cut)
    table = []
    for party in parties:
        first = first_divisor[party.key]
        row = [
            Quotient(party, divisor, Fraction(party.votes, divisor), rank.get((party.key, divisor)))
            for divisor in range(first, first + won[party.key] + 1)
        ]
        table.append((party, row))
    return table


def calculate(parties: Sequence[PartyInput], *, municipalities: int, mayors_without_party: int = 0) -> Composition:
    """The composition of a KKR with ``municipalities`` municipalities; see the module's method."""
    if municipalities < 1:
        raise ValueError("a region has at least one municipality")
    if any(party.votes < 0 or party.mayors < 0 for party in parties):
        raise ValueError("votes and mayors are not negative")
    total = sum(party.votes for party in parties)
    steps = [
        PartyStep(
            party,
            Fraction(party.votes, total) if total else Fraction(0),
            total > 0 and party.votes * THRESHOLD.denominator >= THRESHOLD.numerator * total,
        )
        for party in sorted(parties, key=lambda p: (-p.votes, p.order))
    ]
    # The fewest votes that are 2 %: ceil(total × 2 / 100), in integers.
    threshold_votes = -(-total * THRESHOLD.numerator // THRESHOLD.denominator)
    cap = CAP_FACTOR * municipalities
    composition = Composition(
        municipalities=municipalities,
        total_votes=total,
        threshold_votes=threshold_votes,
        steps=steps,
        mayors_without_party=mayors_without_party,
        cap=cap,
        cap_size=0,
        size=0,
        cap_binds=False,
    )
    composition.cap_size = cap_size = max(0, cap - composition.outside_mayor_count)
    qualifying = composition.qualifying
    if not qualifying:
        return composition

    # Step 3: the smallest size at which d'Hondt gives every party its mayors.
    from_one = {party.key: 1 for party in qualifying}
    ranked = _ranked(qualifying, from_one, cap_size)
    for size in range(min(composition.qualifying_mayors, cap_size), cap_size + 1):
        won = _counts(ranked, size)
        short = tuple(party for party in qualifying if won[party.key] < party.mayors)
        composition.tries.append(
            SizeTry(size, tuple((party, won[party.key]) for party in qualifying), short, _tie_at(ranked, size))
        )
        if not short:
            composition.size = size
            composition.tie = _tie_at(ranked, size)
            composition.table = _table(qualifying, ranked, size, from_one)
            composition.seats = [
                PartySeats(party, won[party.key], won[party.key] - party.mayors) for party in qualifying
            ]
            return composition

    # Step 4: the cap binds; the mayors take precedence, d'Hondt shares the rest after them.
    composition.cap_binds = True
    composition.size = cap_size
    left = max(0, cap_size - composition.qualifying_mayors)
    after_mayors = {party.key: party.mayors + 1 for party in qualifying}
    ranked = _ranked(qualifying, after_mayors, left)
    won = _counts(ranked, left)
    composition.tie = _tie_at(ranked, left)
    composition.table = _table(qualifying, ranked, left, after_mayors)
    composition.seats = [PartySeats(party, party.mayors + won[party.key], won[party.key]) for party in qualifying]
    return composition
