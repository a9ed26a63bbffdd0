"""The changeover shows the new period's decided supplementary seats as seats to fill."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elections import services
from elections.models import ElectionResult, SupplementarySeats
from members import services as member_services
from members.models import KKRMembership, Municipality, Party
from tests.rules_helpers import councillor
from tests.test_changeover import _posted, december_2025, scenario, secretary  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _decide(council, period, seats: dict[str, int]) -> None:
    result = ElectionResult.objects.create(council=council, period=period, source_name="kv25.csv")
    for letter, number in seats.items():
        SupplementarySeats.objects.create(
            council=council,
            period=period,
            party=Party.objects.get(letter=letter),
            result=result,
            computed_seats=number,
            decided_seats=number,
        )


def _supplementary_member(council, period, letter: str) -> None:
    person = councillor(Municipality.objects.get(name="Svendborg"), period, party=Party.objects.get(letter=letter))
    member_services.add_membership(
        person=person,
        council=council,
        period=period,
        basis=KKRMembership.Basis.SUPPLEMENTARY,
        started_on=period.starts_on,
    )


def test_the_preview_shows_per_party_the_seats_decided_filled_and_still_to_fill(scenario, secretary):  # noqa: F811
    _decide(scenario.council, scenario.new, {"A": 3, "V": 1, "F": 1})
    _supplementary_member(scenario.council, scenario.new, "A")
    _supplementary_member(scenario.council, scenario.new, "V")
    _supplementary_member(scenario.council, scenario.new, "V")
    # Members of the old period, another KKR, or ended do not count.
    _supplementary_member(scenario.council, scenario.old, "F")
    url = reverse("kkr_admin:changeover", args=[scenario.council.slug])
    preview = secretary.post(url, _posted(scenario, action="preview"))
    assert preview.status_code == 200
    lines = {line.party.letter: (line.decided, line.filled, line.to_fill) for line in preview.context["seats_to_fill"]}
    assert lines == {"A": (3, 1, 2), "V": (1, 2, 0), "F": (1, 0, 1)}
    page = preview.content.decode()
    assert "Supplerende pladser, der skal besættes" in page
    assert "1 for mange" in page
    assert reverse("elections_admin:composition", args=[scenario.council.slug, scenario.new.pk]) in page


def test_the_preview_says_when_the_seats_are_not_decided_yet(scenario, secretary):  # noqa: F811
    url = reverse("kkr_admin:changeover", args=[scenario.council.slug])
    page = secretary.post(url, _posted(scenario, action="preview")).content.decode()
    assert "De supplerende pladser for valgperioden 2026-2029 er ikke besluttet endnu." in page


def test_the_summary_after_the_changeover_shows_the_seats_to_fill(scenario, secretary):  # noqa: F811
    _decide(scenario.council, scenario.new, {"A": 2})
    url = reverse("kkr_admin:changeover", args=[scenario.council.slug])
    plan = secretary.post(url, _posted(scenario, action="preview")).context["plan"]
    applied = secretary.post(url, _posted(scenario, action="apply", token=plan.token))
    summary = secretary.get(applied.url)
    assert [(line.party.letter, line.to_fill) for line in summary.context["seats_to_fill"]] == [("A", 2)]


def test_seats_to_fill_reads_a_fixed_number_of_queries(scenario, django_assert_max_num_queries):  # noqa: F811
    _decide(scenario.council, scenario.new, {"A": 3})
    with django_assert_max_num_queries(2):
        small = services.seats_to_fill(council=scenario.council, period=scenario.new)
    for letter in ["B", "C", "F", "I", "O", "V", "Ø", "Å"]:
        SupplementarySeats.objects.create(
            council=scenario.council,
            period=scenario.new,
            party=Party.objects.get(letter=letter),
            result=ElectionResult.objects.get(),
            computed_seats=1,
            decided_seats=1,
        )
        _supplementary_member(scenario.council, scenario.new, letter)
    with django_assert_max_num_queries(2):
        large = services.seats_to_fill(council=scenario.council, period=scenario.new)
    assert (len(small), len(large)) == (1, 9)
