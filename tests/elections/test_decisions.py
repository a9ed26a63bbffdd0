"""The calculation page and the decision: shown step by step, applied, overridden only with a reason."""

from __future__ import annotations

from html import escape

import pytest
from django.core.exceptions import ValidationError

from elections import services
from elections.models import ElectionResult, PartyVotes, SupplementarySeats
from members import services as member_services
from members.models import CouncilSeat, Municipality, Party
from tests import factories
from tests.rules_helpers import councillor, refused_by_database

from .conftest import composition_url, csv_upload, import_url, region_rows

pytestmark = pytest.mark.django_db


def _party(letter: str) -> Party:
    return Party.objects.get(letter=letter)


def _posted(plan, **overrides) -> dict:
    """The form as shown, with ``overrides`` per letter: (seats, reason)."""
    data = {"token": plan.token}
    for party, computed in plan.rows:
        seats, reason = overrides.get(party.letter, (computed, ""))
        data[services.seats_field(party)] = seats
        data[services.reason_field(party)] = reason
    return data


def test_the_page_shows_every_step_of_the_worked_example(secretary, syddanmark, period, imported):
    """The conftest's region, worked by hand: supplementary A 3, V 0, F 1; K under 2 %."""
    response = secretary.get(composition_url(syddanmark, period))
    assert response.status_code == 200
    composition = response.context["composition"]
    assert composition.total_votes == 12870
    assert composition.threshold_votes == 258
    assert [p.letter for p in composition.qualifying] == ["A", "V", "F"]
    assert [p.letter for p in composition.mayors_outside] == ["K"]
    assert [t.size for t in composition.tries] == [4, 5, 6, 7, 8]
    assert composition.size == 8
    assert {line.party.letter: line.supplementary for line in composition.seats} == {"A": 3, "V": 0, "F": 1}
    assert composition.total_members == 9
    page = response.content.decode()
    for text in [
        "Metoden",
        "mindst 2 % af stemmerne",
        "Trin 1: Partier, der deltager. Stemmer i alt: 12870; 2 % er 258 stemmer.",
        "Trin 2: Borgmestrene",
        "Loft: 22 kommuner × 2 = højst 44 medlemmer.",
        "Trin 3",
        "Den forholdsmæssige del får 8 pladser.",
        "6600/1 = 6600,0 (1)",
        "Trin 4: Supplerende pladser pr. parti",
        "4 supplerende pladser i alt; KKR får 9 medlemmer (højst 44).",
    ]:
        assert text in page, text
    assert SupplementarySeats.objects.count() == 0, "showing the calculation writes nothing"


def test_applying_records_the_seats_per_party_with_who_and_when(
    secretary, syddanmark, period, imported, staff_syddanmark
):
    plan = services.plan_composition(council=syddanmark, period=period)
    response = secretary.post(composition_url(syddanmark, period), _posted(plan))
    assert response.status_code == 302
    rows = {row.party.letter: row for row in SupplementarySeats.objects.select_related("party")}
    assert {letter: (row.computed_seats, row.decided_seats) for letter, row in rows.items()} == {
        "A": (3, 3),
        "V": (0, 0),
        "F": (1, 1),
    }
    assert {row.decided_by for row in rows.values()} == {staff_syddanmark}
    assert rows["A"].result == ElectionResult.objects.get()
    # Applying the same again changes nothing (no new history).
    versions = SupplementarySeats.history.count()
    plan = services.plan_composition(council=syddanmark, period=period)
    assert secretary.post(composition_url(syddanmark, period), _posted(plan)).status_code == 302
    assert SupplementarySeats.history.count() == versions


def test_a_different_number_without_a_reason_is_refused_by_the_form(secretary, syddanmark, period, imported):
    plan = services.plan_composition(council=syddanmark, period=period)
    response = secretary.post(composition_url(syddanmark, period), _posted(plan, F=(0, "  ")))
    assert response.status_code == 200
    errors = response.context["form"].errors[services.reason_field(_party("F"))]
    assert errors == ["Skriv en begrundelse, når antallet afviger fra det beregnede (1)."]
    assert SupplementarySeats.objects.count() == 0


def test_a_different_number_with_a_reason_is_recorded_as_an_override(secretary, syddanmark, period, imported):
    plan = services.plan_composition(council=syddanmark, period=period)
    reason = "Lodtrækning på KKR's konstituerende møde 26. januar 2026"
    response = secretary.post(composition_url(syddanmark, period), _posted(plan, F=(0, reason), V=(1, reason)))
    assert response.status_code == 302
    f = SupplementarySeats.objects.get(party__letter="F")
    assert (f.computed_seats, f.decided_seats, f.reason, f.overridden) == (1, 0, reason, True)
    history = f.history.first()
    assert history.history_user is not None
    page = secretary.get(composition_url(syddanmark, period)).content.decode()
    assert escape(reason) in page


def test_a_reason_without_a_different_number_is_not_kept(secretary, syddanmark, period, imported):
    plan = services.plan_composition(council=syddanmark, period=period)
    secretary.post(composition_url(syddanmark, period), _posted(plan, A=(3, "Ingen grund")))
    assert SupplementarySeats.objects.get(party__letter="A").reason == ""


def test_a_different_number_without_a_reason_is_refused_by_the_database(syddanmark, period, imported):
    result = ElectionResult.objects.get()
    row = SupplementarySeats(
        council=syddanmark, period=period, party=_party("A"), result=result, computed_seats=3, decided_seats=2
    )
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert error.value.message_dict["reason"] == ["Skriv en begrundelse, når antallet afviger fra det beregnede."]
    with refused_by_database("elections_supplementaryseats_override_has_reason"):
        row.save()


def test_one_row_per_party_kkr_and_period_in_the_database(syddanmark, period, imported):
    fields = {"council": syddanmark, "period": period, "party": _party("A"), "result": ElectionResult.objects.get()}
    SupplementarySeats.objects.create(**fields, computed_seats=1, decided_seats=1)
    with refused_by_database(
        "elections_supplementaryseats_unique",
        unique_columns="elections_supplementaryseats.council_id, elections_supplementaryseats.period_id, "
        "elections_supplementaryseats.party_id",
    ):
        SupplementarySeats.objects.create(**fields, computed_seats=2, decided_seats=2)


def test_votes_are_unique_per_municipality_and_party_and_never_negative(imported):
    votes = PartyVotes.objects.first()
    with refused_by_database(
        "elections_partyvotes_unique",
        unique_columns="elections_partyvotes.result_id, elections_partyvotes.municipality_id, "
        "elections_partyvotes.party_id",
    ):
        PartyVotes.objects.create(result=votes.result, municipality=votes.municipality, party=votes.party, votes=1)
    with refused_by_database(("elections_partyvotes_votes_not_negative", "elections_partyvotes_votes_check", "votes")):
        PartyVotes.objects.filter(pk=votes.pk).update(votes=-1)


def test_an_override_beyond_the_cap_is_refused(secretary, syddanmark, period, imported):
    """44 members at most; 5 mayors + 3 + 0 + 37 = 45."""
    plan = services.plan_composition(council=syddanmark, period=period)
    response = secretary.post(composition_url(syddanmark, period), _posted(plan, F=(37, "Aftale")))
    assert response.status_code == 200
    assert escape("KKR'et ville få 45 medlemmer, men må højst have 44") in response.content.decode()
    assert SupplementarySeats.objects.count() == 0


def test_a_stale_calculation_is_refused_and_nothing_is_written(secretary, syddanmark, period, imported):
    plan = services.plan_composition(council=syddanmark, period=period)
    data = _posted(plan)
    # A colleague records another mayor for F in the meantime: the calculation changes.
    person = factories.PersonFactory(party=_party("F"))
    member_services.record_mayor(
        person=person,
        municipality=Municipality.objects.get(name="Svendborg"),
        period=period,
        started_on=period.starts_on,
    )
    response = secretary.post(composition_url(syddanmark, period), data)
    assert response.status_code == 200
    assert "Intet er gemt" in response.content.decode()
    assert SupplementarySeats.objects.count() == 0


def test_a_new_import_supersedes_the_old_one_and_the_page_says_which_file(secretary, syddanmark, period, imported):
    votes = {"A": 300, "V": 200, "F": 1, "K": 5}  # F falls under 2 %
    preview = secretary.post(
        import_url(syddanmark, period), {"import_file": csv_upload(region_rows(syddanmark, votes), name="rettet.csv")}
    )
    secretary.post(
        import_url(syddanmark, period),
        {"action": "confirm", "stored": preview.context["stored"], "file_name": "rettet.csv"},
    )
    response = secretary.get(composition_url(syddanmark, period))
    assert "rettet.csv" in response.content.decode()
    assert "F" not in [p.letter for p in response.context["composition"].qualifying]


def test_mayors_of_a_party_that_does_not_take_part_still_sit(secretary, syddanmark, period, imported):
    composition = secretary.get(composition_url(syddanmark, period)).context["composition"]
    assert composition.outside_mayor_count == 1
    assert CouncilSeat.objects.filter(role="mayor", person__party__letter="K").exists()
    assert (
        "Selvskrevne borgmestre uden for den forholdsmæssige fordeling"
        in secretary.get(composition_url(syddanmark, period)).content.decode()
    )


def test_the_page_without_a_result_says_so(secretary, syddanmark, period):
    response = secretary.get(composition_url(syddanmark, period))
    assert response.status_code == 200
    assert "Der er intet valgresultat for valgperioden 2026-2029 endnu." in response.content.decode()


# --- a result imported before the period's council seats and mayors --------------------------------


def _import_without_mayors(secretary, council, period) -> None:
    preview = secretary.post(import_url(council, period), {"import_file": csv_upload(region_rows(council))})
    confirmed = secretary.post(
        import_url(council, period),
        {"action": "confirm", "stored": preview.context["stored"], "file_name": preview.context["file_name"]},
    )
    assert confirmed.status_code == 302


NO_SEATS = "Der er ingen kommunalbestyrelsesmandater registreret for valgperioden i KKR&#x27;ets kommuner."
NO_MAYORS = "Der er ingen borgmestre registreret for valgperioden i KKR&#x27;ets kommuner."
APPLY = "Anvend: gem de supplerende pladser for valgperioden"


def test_without_council_seats_and_mayors_the_page_warns_and_offers_no_apply(secretary, syddanmark, period):
    _import_without_mayors(secretary, syddanmark, period)

    response = secretary.get(composition_url(syddanmark, period))

    page = response.content.decode()
    assert 'id="missing-records"' in page
    assert NO_SEATS in page
    assert NO_MAYORS in page
    assert 'href="/admin/skifte/syddanmark/"' in page  # where the new mayors are recorded
    assert APPLY not in page


def test_with_council_seats_but_no_mayors_only_the_mayors_are_missing(secretary, syddanmark, period):
    councillor(Municipality.objects.get(name="Svendborg"), period, party=_party("F"))
    _import_without_mayors(secretary, syddanmark, period)

    page = secretary.get(composition_url(syddanmark, period)).content.decode()

    assert NO_MAYORS in page
    assert NO_SEATS not in page
    assert APPLY not in page


def test_with_council_seats_and_mayors_there_is_no_warning(secretary, syddanmark, period, imported):
    page = secretary.get(composition_url(syddanmark, period)).content.decode()
    assert 'id="missing-records"' not in page
    assert APPLY in page


def test_applying_without_council_seats_and_mayors_is_refused_and_nothing_is_written(secretary, syddanmark, period):
    _import_without_mayors(secretary, syddanmark, period)
    plan = services.plan_composition(council=syddanmark, period=period)

    response = secretary.post(composition_url(syddanmark, period), _posted(plan))

    assert response.status_code == 200
    assert "De supplerende pladser kan ikke gemmes, før valgperiodens mandater og borgmestre er registreret." in (
        response.content.decode()
    )
    assert SupplementarySeats.objects.count() == 0
    with pytest.raises(ValidationError):
        services.apply_composition(council=syddanmark, period=period, decisions={}, expected_token=plan.token)
    assert SupplementarySeats.objects.count() == 0
