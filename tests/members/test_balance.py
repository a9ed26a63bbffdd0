"""Balance views: /kkr/<slug>/balance/ and its chart, /kkr/<slug>/balance.svg."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from xml.etree import ElementTree

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from elections.models import ElectionResult, PartyVotes
from fora import services as fora_services
from members import services
from members.balance import council_balance
from members.models import Municipality, Party
from tests import factories
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db
CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=CPH)
TODAY = NOW.date()

# the session with the versions (one query, kkr_portal.sessions) and, on the first request
# since the login, the user row (kkr_portal.auth)
SIGNED_IN = 2
# A later request of the same login: the user is the process's copy (one query less).
AGAIN = -1
# The council; appointments, municipalities, voting members, council seats by party, votes by party.
BALANCE_QUERIES = SIGNED_IN + 1 + 5
# Drawn: the council and the five (the data version comes with the session's versions); cached:
# the session with the versions only.
CHART_QUERIES = SIGNED_IN + 1 + 5
CACHED_CHART_QUERIES = 1


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def appoint(seat, person, starts_on=dt.date(2026, 2, 1)):
    appointment = fora_services.propose(seat=seat, person=person, starts_on=starts_on)
    return fora_services.appoint(appointment=appointment, appointed_on=starts_on)


def seats(council, n: int, *, period, name: str = "Forum"):
    forum = factories.ForumFactory(council=council, name=f"{name} {council.slug}")
    return [factories.SeatFactory(forum=forum, period=period, label=f"Medlem {i + 1}", position=i) for i in range(n)]


@pytest.fixture
def party(db):
    return {letter: Party.objects.get(letter=letter) for letter in ("A", "V", "C")}


@pytest.fixture
def balance_data(syddanmark, sjaelland, period, period_2022, odense, middelfart, roskilde, party):
    """KKR Syddanmark: Odense's mayor (V) holds three seats, a Middelfart councillor (A) one, a
    2022-2025 councillor (C) who left the council sits on as a carry-over; a proposal does not
    count; a seat in Sjælland is another KKR's."""
    busy = factories.PersonFactory(name="Vibeke Mangesæder", party=party["V"])
    services.record_mayor(person=busy, municipality=odense, period=period, started_on=period.starts_on)
    one = councillor(middelfart, period, name="Anders Enkelt", party=party["A"])
    services.add_membership(
        person=one, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
    )
    councillor(middelfart, period, name="Anna Menig", party=party["A"])
    former = councillor(middelfart, period_2022, name="Carl Tidligere", party=party["C"])
    proposed = councillor(odense, period, name="Peter Forslag", party=party["V"])

    first, second, third, fourth, fifth = seats(syddanmark, 5, period=period, name="Erhvervshus")
    for seat in (first, second, third):
        appoint(seat, busy)
    appoint(fourth, one)
    fora_services.propose(seat=fifth, person=proposed, starts_on=TODAY)
    old = factories.SeatFactory(forum=first.forum, period=period_2022, label="Gammel plads")
    appoint(old, former, dt.date(2022, 3, 1))
    factories.SeatFactory(forum=first.forum, period=period, label="Gammel plads", previous_seat=old)
    # The carry-over holds the continued seat; on the balance it is their appointment that counts.
    (sjaelland_seat,) = seats(sjaelland, 1, period=period)
    appoint(sjaelland_seat, councillor(roskilde, period, name="Sara Sjælland", party=party["A"]))
    return {"busy": busy, "one": one, "former": former, "proposed": proposed}


def text(response) -> str:
    return response.content.decode()


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start : html.find("</section>", start)]


def row(html: str, name: str) -> str:
    """The table row whose cell (or link in it) starts with the name."""
    start = html.index(f">{name}")
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


def cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, re.S)]


def test_people_with_many_seats_are_counted_and_warned_about(signed_in, balance_data):
    content = text(signed_in.get(reverse("council_balance", args=["syddanmark"])))

    people = section(content, "personer")
    busy = row(people, "Vibeke Mangesæder")
    assert cells(busy)[1].startswith("3")
    assert "mange poster" in busy
    assert "table-warning" in busy
    assert "mange poster" not in row(people, "Anders Enkelt")
    assert "Carl Tidligere" in people  # the carry-over holds a seat
    assert "Peter Forslag" not in content  # a proposal is no appointment
    assert "Sara Sjælland" not in content  # another KKR's appointee
    assert "Vibeke Mangesæder har 3 udpegninger." in content


def test_the_warning_threshold_is_a_setting(signed_in, balance_data, settings):
    settings.BALANCE_MANY_SEATS = 4

    content = text(signed_in.get(reverse("council_balance", args=["syddanmark"])))

    assert "mange poster" not in content
    assert "Markeret: 4 udpegninger eller flere." in content


def test_each_municipality_is_counted_and_those_without_any_are_warned_about(signed_in, balance_data, syddanmark):
    content = text(signed_in.get(reverse("council_balance", args=["syddanmark"])))

    municipalities = section(content, "kommuner")
    assert cells(row(municipalities, "Odense"))[1:] == ["3", "1"]
    assert cells(row(municipalities, "Middelfart"))[1:] == ["1", "1"]
    assert "ingen" in row(municipalities, "Ærø")
    # The carry-over no longer sits in a council of the region.
    assert cells(row(municipalities, "Uden kommunalt mandat i regionen"))[1:] == ["1", "1"]
    empty = Municipality.objects.filter(council=syddanmark).exclude(name__in=["Odense", "Middelfart"])
    warning = content[content.index("Kommuner uden nogen udpegning:") :]
    warning = warning[: warning.index("</li>")]
    assert all(municipality.name in warning for municipality in empty)
    assert "Odense" not in warning
    assert "Roskilde" not in content


def test_parties_are_compared_with_the_members_and_the_council_seats_and_the_page_says_so(signed_in, balance_data):
    content = text(signed_in.get(reverse("council_balance", args=["syddanmark"])))

    parties = section(content, "partier")
    # Five appointments: V 3, A 1, C 1. Voting members: Odense's mayor (V), Anders (A).
    # Council seats in the region now: Vibeke, Anders, Anna, Peter (V, A, A, V); Carl's has ended.
    assert cells(row(parties, "Venstre"))[1:] == ["3 (60 %)", "1 (50 %)", "2 (50 %)", "+10"]
    assert cells(row(parties, "Socialdemokratiet"))[1:] == ["1 (20 %)", "1 (50 %)", "2 (50 %)", "-30"]
    assert cells(row(parties, "Konservative"))[1:] == ["1 (20 %)", "0 (0 %)", "0 (0 %)", "+20"]
    assert cells(row(parties, "I alt"))[1:4] == ["5", "2", "4"]
    assert "Der er ikke importeret et valgresultat" in parties
    assert "kommunalbestyrelsesmandaterne i regionens kommuner" in parties
    assert "Andel af stemmerne" not in parties


def test_the_public_does_not_learn_the_party_of_someone_outside_a_council(client, settings, balance_data):
    settings.BLAA_BOG_PUBLIC = True

    content = text(client.get(reverse("council_balance", args=["syddanmark"])))

    parties = section(content, "partier")
    assert "Konservative" not in content
    assert cells(row(parties, "Parti ikke offentligt"))[1] == "1 (20 %)"
    assert cells(row(parties, "Venstre"))[1] == "3 (60 %)"
    assert "(C)" not in section(content, "personer")


def test_the_chart_is_an_svg_image_with_a_text_alternative_and_the_table_beside_it(signed_in, balance_data):
    content = text(signed_in.get(reverse("council_balance", args=["syddanmark"])))
    chart_url = reverse("council_balance_chart", args=["syddanmark"])
    assert f'src="{chart_url}"' in content
    image = content[content.index(f'src="{chart_url}"') :]
    assert 'alt="Søjlediagram: partiernes andel' in image[: image.index(">")]

    response = signed_in.get(chart_url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own server's output; checks it is well-formed)
    assert root.tag.endswith("svg")
    assert "<script" not in svg
    assert "@font-face" not in svg
    assert "http://" not in svg.replace("http://www.w3.org/", "").replace("http://purl.org/dc/", "").replace(
        "http://creativecommons.org/", ""
    )
    assert "<dc:date>" not in svg


def test_the_chart_is_drawn_once_per_data_version(signed_in, balance_data, django_assert_num_queries):
    url = reverse("council_balance_chart", args=["syddanmark"])
    with django_assert_num_queries(CHART_QUERIES):
        first = signed_in.get(url).content
    with django_assert_num_queries(CACHED_CHART_QUERIES):
        assert signed_in.get(url).content == first

    factories.PersonFactory(name="Ny person")  # a write to the directory: a new data version
    with django_assert_num_queries(CHART_QUERIES + AGAIN):
        signed_in.get(url)


def test_balance_pages_need_a_login_unless_public_and_an_unknown_kkr_is_a_404(signed_in, settings):
    settings.BLAA_BOG_PUBLIC = False
    anonymous = Client()
    for url in (reverse("council_balance", args=["syddanmark"]), reverse("council_balance_chart", args=["syddanmark"])):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert signed_in.get("/kkr/atlantis/balance/").status_code == 404
    assert signed_in.get("/kkr/atlantis/balance.svg").status_code == 404


def test_the_kkr_page_links_to_its_balance(signed_in, syddanmark):
    content = text(signed_in.get(reverse("council_detail", args=["syddanmark"])))

    assert 'href="/kkr/syddanmark/balance/"' in content


def test_an_empty_kkr_has_a_balance_page_and_a_chart(signed_in, period):
    assert signed_in.get(reverse("council_balance", args=["nordjylland"])).status_code == 200
    response = signed_in.get(reverse("council_balance_chart", args=["nordjylland"]))
    assert response.status_code == 200
    ElementTree.fromstring(response.content)  # noqa: S314 (our own output)


def grow(council, period, party, n: int) -> None:
    municipalities = list(Municipality.objects.filter(council=council).order_by("code"))
    forum_seats = seats(council, n, period=period, name="Vækstforum")
    for number, seat in enumerate(forum_seats):
        place = municipalities[number % len(municipalities)]
        person = councillor(place, period, party=party["AVC"[number % 3]])
        appoint(seat, person)
        services.add_membership(
            person=person, council=council, period=period, basis="supplementary", started_on=period.starts_on
        )


@pytest.mark.parametrize("extra", [0, 12])
def test_the_balance_page_query_count_does_not_grow_with_the_appointments(
    signed_in, balance_data, syddanmark, period, party, extra, django_assert_num_queries
):
    grow(syddanmark, period, party, extra)

    with django_assert_num_queries(BALANCE_QUERIES):
        response = signed_in.get(reverse("council_balance", args=["syddanmark"]))
    assert council_balance(syddanmark, TODAY, signed_in=True).appointment_total == 5 + extra
    assert response.status_code == 200


# --- with an imported election result ---------------------------------------------------------


def import_votes(council, period, votes: dict[str, dict[str, int]], *, imported_at=NOW, name="kv.csv"):
    """An imported result: votes per municipality name and party letter."""
    result = ElectionResult.objects.create(council=council, period=period, source_name=name, imported_at=imported_at)
    PartyVotes.objects.bulk_create(
        PartyVotes(
            result=result,
            municipality=Municipality.objects.get(name=municipality),
            party=Party.objects.get(letter=letter),
            votes=n,
        )
        for municipality, by_party in votes.items()
        for letter, n in by_party.items()
    )
    return result


@pytest.fixture
def votes(balance_data, syddanmark, sjaelland, period, period_2022):
    """The newest import for 2026-2029: V 200, A 200, C 100 (40, 40, 20 %). An older import of the
    period, the 2022-2025 period's and another KKR's result must not count."""
    import_votes(syddanmark, period, {"Odense": {"V": 900, "A": 100}}, imported_at=NOW - dt.timedelta(days=30))
    import_votes(syddanmark, period_2022, {"Odense": {"C": 900}})
    import_votes(sjaelland, period, {"Roskilde": {"C": 900}})
    return import_votes(
        syddanmark, period, {"Odense": {"V": 150, "A": 120, "C": 30}, "Middelfart": {"V": 50, "A": 80, "C": 70}}
    )


def test_with_an_imported_result_the_appointments_are_compared_with_the_vote(signed_in, votes):
    content = text(signed_in.get(reverse("council_balance", args=["syddanmark"])))

    parties = section(content, "partier")
    assert "Andel af stemmerne" in parties
    assert "Forskel fra stemmeandelen (procentpoint)" in parties
    # Appointments V 60 %, A 20 %, C 20 %; the vote V 40 %, A 40 %, C 20 % (the seats say 50, 50, 0).
    assert cells(row(parties, "Venstre"))[1:] == ["3 (60 %)", "1 (50 %)", "2 (50 %)", "40 %", "+20"]
    assert cells(row(parties, "Socialdemokratiet"))[1:] == ["1 (20 %)", "1 (50 %)", "2 (50 %)", "40 %", "-20"]
    assert cells(row(parties, "Konservative"))[1:] == ["1 (20 %)", "0 (0 %)", "0 (0 %)", "20 %", "0"]
    assert cells(row(parties, "I alt"))[1:5] == ["5", "2", "4", "500 stemmer"]
    assert "valgperioden 2026-2029" in parties
    assert "ikke importeret et valgresultat" not in content
    assert "Portalen har ikke valgresultaterne" not in content
    image = parties[parties.index("<img") :]
    assert "og af stemmerne i KKR Syddanmark" in image[: image.index(">")]


def test_the_vote_share_is_the_regions_whole_vote_from_the_newest_import(votes, syddanmark, period):
    balance = council_balance(syddanmark, TODAY, signed_in=True)

    assert balance.with_votes
    assert balance.vote_total == 500
    shares = {row.letter: (row.votes, round(row.vote_share), round(row.difference)) for row in balance.parties}
    assert shares == {"V": (200, 40, 20), "A": (200, 40, -20), "C": (100, 20, 0)}
    assert [row.letter for row in balance.parties] == ["A", "V", "C"]  # by votes, then name

    # A newer import supersedes it.
    import_votes(syddanmark, period, {"Odense": {"V": 1}}, imported_at=NOW + dt.timedelta(seconds=1))
    balance = council_balance(syddanmark, TODAY, signed_in=True)
    assert balance.vote_total == 1
    assert {row.letter: round(row.vote_share) for row in balance.parties} == {"V": 100, "A": 0, "C": 0}


def test_only_another_periods_result_leaves_the_comparison_with_the_seats(
    signed_in, balance_data, syddanmark, period_2022
):
    import_votes(syddanmark, period_2022, {"Odense": {"C": 900}})

    parties = section(text(signed_in.get(reverse("council_balance", args=["syddanmark"]))), "partier")

    assert "Der er ikke importeret et valgresultat" in parties
    assert cells(row(parties, "Venstre"))[1:] == ["3 (60 %)", "1 (50 %)", "2 (50 %)", "+10"]


def test_votes_are_shown_per_party_but_not_the_party_of_a_hidden_appointee(client, settings, votes):
    settings.BLAA_BOG_PUBLIC = True

    content = text(client.get(reverse("council_balance", args=["syddanmark"])))

    parties = section(content, "partier")
    # Konservative's votes are public; Carl's appointment still counts as "not public".
    assert cells(row(parties, "Konservative"))[1:] == ["0 (0 %)", "0 (0 %)", "0 (0 %)", "20 %", "-20"]
    assert cells(row(parties, "Parti ikke offentligt"))[1:] == ["1 (20 %)", "0 (0 %)", "0 (0 %)", "0 %", "+20"]
    assert "(C)" not in section(content, "personer")


def _bars(svg: str) -> int:
    return len(re.findall(r'<g id="patch_\d+">', svg))


def test_the_chart_draws_the_vote_as_a_fourth_series(signed_in, balance_data, syddanmark, period):
    url = reverse("council_balance_chart", args=["syddanmark"])
    without = signed_in.get(url).content.decode()
    import_votes(syddanmark, period, {"Odense": {"V": 200, "A": 200, "C": 100}})

    response = signed_in.get(url)

    assert response.status_code == 200
    svg = response.content.decode()
    ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    # Three parties: one bar more each (and its legend patch).
    assert _bars(svg) == _bars(without) + 3 + 1


@pytest.mark.parametrize("extra", [0, 12])
def test_the_query_counts_do_not_grow_with_the_votes(
    signed_in, votes, syddanmark, period, party, extra, django_assert_num_queries
):
    grow(syddanmark, period, party, extra)
    if extra:  # a newer import with four parties in twelve municipalities
        names = Municipality.objects.filter(council=syddanmark).order_by("code").values_list("name", flat=True)
        import_votes(syddanmark, period, {name: {"A": 10, "V": 10, "C": 10, "F": 10} for name in names[:extra]})

    with django_assert_num_queries(BALANCE_QUERIES):
        response = signed_in.get(reverse("council_balance", args=["syddanmark"]))
    assert response.status_code == 200
    assert "Andel af stemmerne" in text(response)
    assert council_balance(syddanmark, TODAY, signed_in=True).vote_total == (480 if extra else 500)
    with django_assert_num_queries(CHART_QUERIES + AGAIN):
        assert signed_in.get(reverse("council_balance_chart", args=["syddanmark"])).status_code == 200
