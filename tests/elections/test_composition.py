"""The composition calculation (elections.composition), worked through by hand.

Each test's docstring does the calculation on paper; the test checks the code agrees. Quotients
are votes / divisor; "ranked" lists the quotients best first, the seat numbers in brackets.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elections.composition import PartyInput, calculate


def party(letter: str, votes: int, mayors: int = 0, *, seat: bool = True) -> PartyInput:
    return PartyInput(
        key=letter, name=f"Parti {letter}", letter=letter, votes=votes, has_council_seat=seat, mayors=mayors
    )


def supplementary(composition) -> dict[str, int]:
    return {line.party.key: line.supplementary for line in composition.seats}


def test_a_small_region_worked_by_hand():
    """Four municipalities, so at most 4 × 2 = 8 members.

    Votes: A 6100 (1 mayor), V 2900 (2 mayors), F 2000 (no mayor), the local list L 150 (1 mayor).
    All four won a council seat.

    Step 1: 11150 votes; 2 % is 223 votes. L (150, 1.35 %) does not take part: its mayor sits
    ex officio outside the proportional part. A, V and F take part.
    Step 2: the mayors of A, V, F: 1 + 2 + 0 = 3. The cap leaves 8 − 1 (L's mayor) = 7 seats.
    Step 3, d'Hondt over A, V, F:
        A: 6100 (1), 3050 (2), 2033.3 (4), 1525 (6), 1220
        V: 2900 (3), 1450 (7), 966.7
        F: 2000 (5), 1000
    n = 3: A 2, V 1, F 0 — V has 2 mayors: too few.
    n = 4: A 3, V 1 — too few.   n = 5: A 3, V 1, F 1 — too few.   n = 6: A 4, V 1, F 1 — too few.
    n = 7: A 4, V 2, F 1 — enough. 7 ≤ 7: the cap does not bind.
    Step 4: supplementary = d'Hondt − mayors: A 4 − 1 = 3, V 2 − 2 = 0, F 1 − 0 = 1.
    The KKR: 7 + L's mayor = 8 members (4 mayors, 4 supplementary).
    """
    composition = calculate(
        [party("A", 6100, 1), party("V", 2900, 2), party("F", 2000), party("L", 150, 1)], municipalities=4
    )
    assert composition.total_votes == 11150
    assert composition.threshold_votes == 223
    assert [step.party.key for step in composition.steps if step.qualifies] == ["A", "V", "F"]
    assert [party.key for party in composition.mayors_outside] == ["L"]
    assert composition.cap == 8
    assert composition.cap_size == 7
    assert [(t.size, [p.key for p in t.short]) for t in composition.tries] == [
        (3, ["V"]),
        (4, ["V"]),
        (5, ["V"]),
        (6, ["V"]),
        (7, []),
    ]
    assert composition.size == 7
    assert not composition.cap_binds
    assert supplementary(composition) == {"A": 3, "V": 0, "F": 1}
    assert composition.supplementary_total == 4
    assert composition.total_members == 8
    assert composition.tie is None
    table = {p.key: [(q.divisor, q.rank) for q in row] for p, row in composition.table}
    assert table == {
        "A": [(1, 1), (2, 2), (3, 4), (4, 6), (5, None)],
        "V": [(1, 3), (2, 7), (3, None)],
        "F": [(1, 5), (2, None)],
    }


def test_a_tie_on_the_last_seat_goes_to_the_party_with_more_votes():
    """Two municipalities (cap 4). A 3000 (2 mayors), B 1500 (no mayor).

    Ranked: A 3000 (1), then A 1500 and B 1500 are equal: A has more votes, so A 1500 (2).
    n = 2 (A's 2 mayors): A 2 — enough. The last seat was a tie that A won by its votes:
    no supplementary seats, and the page says why.
    """
    composition = calculate([party("A", 3000, 2), party("B", 1500)], municipalities=2)
    assert composition.size == 2
    assert supplementary(composition) == {"A": 0, "B": 0}
    assert composition.tie is not None
    assert (composition.tie.winner.key, composition.tie.loser.key) == ("A", "B")
    assert composition.tie.value == Fraction(1500)
    assert not composition.tie.by_lot


def test_a_tie_between_equal_votes_is_a_lot_the_letter_stands_in_for():
    """Two municipalities (cap 4). A 2000 (1 mayor), B 1000 (1 mayor), C 1000 (no mayor).

    Ranked: A 2000 (1); A 1000, B 1000 and C 1000 are equal: A first (most votes), then B and C
    have equal votes too — a lot; the letter puts B before C.
    n = 2: A 2, B 0 — B too few.   n = 3: A 2, B 1, C 0 — enough.
    Supplementary: A 1, B 0, C 0. The last seat (B's) tied with C's by lot: the page asks the
    secretariat to draw it and override if it falls to C.
    """
    composition = calculate([party("C", 1000), party("B", 1000, 1), party("A", 2000, 1)], municipalities=2)
    assert composition.size == 3
    assert supplementary(composition) == {"A": 1, "B": 0, "C": 0}
    assert (composition.tie.winner.key, composition.tie.loser.key) == ("B", "C")
    assert composition.tie.by_lot
    # The try at n = 2 tied too (A 1000 against B 1000), decided by A's votes.
    assert composition.tries[0].tie is not None
    assert not composition.tries[0].tie.by_lot


def test_the_order_of_the_input_does_not_change_the_result():
    parties = [party("C", 1000), party("B", 1000, 1), party("A", 2000, 1)]
    first = calculate(parties, municipalities=2)
    second = calculate(list(reversed(parties)), municipalities=2)
    assert supplementary(first) == supplementary(second)
    assert first.tie == second.tie


@pytest.mark.parametrize(("small", "qualifies"), [(200, True), (199, False)])
def test_a_party_needs_two_percent_exactly(small, qualifies):
    """10000 votes: 2 % is 200. 200 votes take part; 199 (1.99 %) do not."""
    composition = calculate([party("A", 10000 - small, 1), party("B", small)], municipalities=1)
    assert composition.total_votes == 10000
    assert composition.threshold_votes == 200
    assert ("B" in [p.key for p in composition.qualifying]) is qualifies


def test_a_party_under_the_threshold_gets_no_seats_but_its_mayor_sits():
    """Three municipalities (cap 6). A 5000 (1 mayor), V 4900 (1 mayor), K 150 (1 mayor, 1.49 %).

    Step 1: 10050 votes, 2 % is 201: K does not take part; its mayor sits ex officio outside.
    The cap leaves 6 − 1 = 5 seats. Ranked: A 5000 (1), V 4900 (2), A 2500, V 2450 …
    n = 2: A 1, V 1 — enough. No supplementary seats; the KKR has 2 + 1 = 3 members.
    """
    composition = calculate([party("A", 5000, 1), party("V", 4900, 1), party("K", 150, 1)], municipalities=3)
    step = next(step for step in composition.steps if step.party.key == "K")
    assert not step.meets_threshold
    assert not step.qualifies
    assert [p.key for p in composition.mayors_outside] == ["K"]
    assert composition.cap_size == 5
    assert composition.size == 2
    assert supplementary(composition) == {"A": 0, "V": 0}
    assert composition.total_members == 3


def test_a_party_without_a_council_seat_does_not_take_part_whatever_its_votes():
    composition = calculate([party("A", 5000, 1), party("N", 3000, seat=False)], municipalities=2)
    step = next(step for step in composition.steps if step.party.key == "N")
    assert step.meets_threshold
    assert not step.qualifies
    assert supplementary(composition) == {"A": 0}


def test_a_party_with_mayors_but_few_votes_makes_the_kkr_larger():
    """Five municipalities (cap 10). A 7000 (1 mayor), V 2000 (1 mayor), C 1000 (3 mayors).

    10000 votes; all take part. Mayors 1 + 1 + 3 = 5. C has 10 % of the votes but 3 mayors:
        A: 7000 (1), 3500 (2), 2333.3 (3), 1750 (5), 1400 (6), 1166.7 (8), 1000 (9), 875
        V: 2000 (4), 1000 (10), 666.7
        C: 1000 (11), 500, 333.3
    (A 1000, V 1000 and C 1000 tie: more votes first, so A, then V, then C.)
    C needs 3 d'Hondt seats; even at the cap (10) it has none. No size up to 10 is enough:
    the cap binds. Mayors first: 10 − 5 = 5 seats left, d'Hondt after the mayors
    (A from 2, V from 2, C from 4): A 3500 (1), 2333.3 (2), 1750 (3), 1400 (4), V 1000 vs
    A 1166.7 → A 1166.7 (5). A: 1 + 5 = 6, V 1, C 3.
    Supplementary: A 5, V 0, C 0. The KKR: 10 members, the cap.
    """
    composition = calculate([party("A", 7000, 1), party("V", 2000, 1), party("C", 1000, 3)], municipalities=5)
    assert composition.cap_binds
    assert composition.size == 10
    assert [t.size for t in composition.tries] == [5, 6, 7, 8, 9, 10]
    assert all("C" in [p.key for p in t.short] for t in composition.tries)
    assert supplementary(composition) == {"A": 5, "V": 0, "C": 0}
    assert {line.party.key: line.seats for line in composition.seats} == {"A": 6, "V": 1, "C": 3}
    assert composition.total_members == 10


def test_the_cap_binds_and_the_mayors_take_precedence():
    """Two municipalities (cap 4). A 9000 (1 mayor), B 1000 (1 mayor; 10 %).

    Ranked: A 9000, 4500, 3000, 2250, … B's first quotient 1000 would be seat 10 (it ties with
    A 9000/9 and loses on votes). n = 2, 3, 4: B has no seat. The cap (4) binds.
    Mayors first: 4 − 2 = 2 seats left; d'Hondt after the mayors: A from divisor 2
    (4500, 3000, 2250), B from 2 (500): A 4500 (1), A 3000 (2).
    Seats: A 1 + 2 = 3, B 1. Supplementary: A 2, B 0.
    """
    composition = calculate([party("A", 9000, 1), party("B", 1000, 1)], municipalities=2)
    assert composition.cap_binds
    assert composition.size == 4
    assert supplementary(composition) == {"A": 2, "B": 0}
    assert composition.total_members == 4
    table = {p.key: [(q.divisor, q.rank) for q in row] for p, row in composition.table}
    assert table == {"A": [(2, 1), (3, 2), (4, None)], "B": [(2, None)]}


def test_mayors_without_a_party_sit_outside_and_count_against_the_cap():
    composition = calculate([party("A", 9000, 1), party("B", 1000, 1)], municipalities=3, mayors_without_party=1)
    assert composition.outside_mayor_count == 1
    assert composition.cap_size == 5
    assert composition.total_members == composition.size + 1 <= composition.cap


def test_no_party_taking_part_gives_no_supplementary_seats():
    composition = calculate([party("A", 100, 1, seat=False)], municipalities=1)
    assert composition.qualifying == []
    assert composition.seats == []
    assert composition.total_members == 1


def test_nonsense_input_is_refused():
    with pytest.raises(ValueError, match="municipality"):
        calculate([party("A", 10)], municipalities=0)
    with pytest.raises(ValueError, match="negative"):
        calculate([party("A", -1)], municipalities=1)


# --- what holds for any region -------------------------------------------------------------

regions = st.integers(min_value=1, max_value=30).flatmap(
    lambda municipalities: st.tuples(
        st.just(municipalities),
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=200_000), st.integers(min_value=0, max_value=5), st.booleans()
            ),
            min_size=1,
            max_size=8,
        ).filter(lambda rows: sum(mayors for _votes, mayors, _seat in rows) <= municipalities),
    )
)


@given(regions)
def test_every_region_gets_its_mayors_within_the_cap_and_the_smallest_size(region):
    municipalities, rows = region
    parties = [party(chr(65 + index), votes, mayors, seat=seat) for index, (votes, mayors, seat) in enumerate(rows)]
    composition = calculate(parties, municipalities=municipalities)
    assert composition.total_members <= composition.cap
    assert composition.total_members == sum(p.mayors for p in parties) + composition.supplementary_total
    for line in composition.seats:
        assert line.seats >= line.mayors
        assert line.supplementary >= 0
    if composition.qualifying and not composition.cap_binds:
        assert composition.tries[-1].enough
        assert not any(t.enough for t in composition.tries[:-1])
