"""The Blå Bog (/blaa-bog/): who held which role on a day, its filters, export, access and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

import openpyxl
import pytest
from django.urls import reverse

from fora import services as fora_services
from fora.models import Appointment, Forum, ForumKind, Seat
from members import services
from members.directory import neutralise
from members.models import Chairmanship, CouncilSeat, KKRMembership, Municipality, Party, Person, PolicyArea
from tests import factories, rules_helpers
from tests.pages import main_part
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

frozen_today = rules_helpers.frozen_today
URL = "/blaa-bog/"
HYPERLINK = '=HYPERLINK("https://evil.example/","Klik")'


def day(year: int, month: int, dom: int) -> dt.date:
    return dt.date(year, month, dom)


def appoint(seat: Seat, person: Person, starts_on: dt.date) -> Appointment:
    """Proposed, then appointed (the other body's decision three days before the start)."""
    appointment = fora_services.propose(seat=seat, person=person, starts_on=starts_on)
    return fora_services.appoint(appointment=appointment, appointed_on=starts_on - dt.timedelta(days=3))


@dataclass
class World:
    soeren: Person  # mayor of Odense, chair of KKR Syddanmark
    birthe: Person  # Middelfart councillor, supplementary member, appointed to Erhvervshus Fyn
    lars: Person  # Roskilde councillor, member and vice-chair of KKR Sjælland
    dorte: Person  # deputy mayor of Odense: KKR substitute, deputy on Erhvervshus Fyn
    hans: Person  # a plain councillor in Odense
    evil: Person  # a councillor whose name is a spreadsheet formula
    kirsten: Person  # appointed in 2022, still on the seat as carry-over
    bent: Person  # mayor of Middelfart and chair of KKR Syddanmark 2022-2025, nothing since
    nobody: Person  # never held a role
    forum: Forum


@pytest.fixture
def world(frozen_today, period, period_2022, syddanmark, sjaelland, odense, middelfart, roskilde) -> World:
    parties = {party.letter: party for party in Party.objects.filter(municipality__isnull=True)}
    growth = PolicyArea.objects.get(slug="vaekst-og-beskaeftigelse")
    forum = Forum.objects.create(
        council=syddanmark,
        kind=ForumKind.objects.get(slug="erhvervshus"),
        name="Erhvervshus Fyn",
        slug="erhvervshus-fyn",
    )
    forum.policy_areas.add(growth)
    member_seat = Seat.objects.create(forum=forum, period=period, label="Medlem 1")
    deputy_seat = Seat.objects.create(
        forum=forum, period=period, label="Suppleant 1", kind=Seat.Kind.DEPUTY, deputy_for=member_seat
    )
    seat_2022 = Seat.objects.create(forum=forum, period=period_2022, label="Medlem 2")
    start = period.starts_on

    soeren = councillor(odense, period, role=CouncilSeat.Role.MAYOR, name="Søren Kragh", sort_name="Kragh, Søren")
    soeren.party = parties["V"]
    soeren.email, soeren.phone = "soeren@odense.example", "11 22 33 44"
    soeren.save()
    services.elect_chair(
        council=syddanmark, period=period, role=Chairmanship.Role.CHAIR, person=soeren, started_on=start
    )
    dorte = councillor(odense, period, role=CouncilSeat.Role.DEPUTY_MAYOR, name="Dorte Vang", sort_name="Vang, Dorte")
    dorte.party = parties["V"]
    dorte.save()
    appoint(deputy_seat, dorte, day(2026, 2, 1))

    birthe = councillor(middelfart, period, name="Birthe Moeller", sort_name="Moeller, Birthe", party=parties["A"])
    services.add_membership(
        person=birthe, council=syddanmark, period=period, basis=KKRMembership.Basis.SUPPLEMENTARY, started_on=start
    )
    appoint(member_seat, birthe, day(2026, 2, 1))

    lars = councillor(roskilde, period, name="Lars Ærø", sort_name="Ærø, Lars", party=parties["C"])
    services.add_membership(
        person=lars, council=sjaelland, period=period, basis=KKRMembership.Basis.SUPPLEMENTARY, started_on=start
    )
    services.elect_chair(
        council=sjaelland, period=period, role=Chairmanship.Role.VICE_CHAIR, person=lars, started_on=start
    )

    hans = councillor(odense, period, name="Hans Jensen", sort_name="Jensen, Hans")
    evil = councillor(odense, period, name=HYPERLINK, sort_name="Zzz", email="@evil.example", phone="+46812345678")

    kirsten = councillor(odense, period_2022, name="Kirsten Holm", sort_name="Holm, Kirsten", party=parties["F"])
    appoint(seat_2022, kirsten, day(2022, 3, 1))

    bent = councillor(middelfart, period_2022, role=CouncilSeat.Role.MAYOR, name="Bent Kragh", sort_name="Kragh, Bent")
    bent.party = parties["A"]
    bent.save()
    services.elect_chair(
        council=syddanmark,
        period=period_2022,
        role=Chairmanship.Role.CHAIR,
        person=bent,
        started_on=day(2022, 1, 15),
    )
    nobody = factories.PersonFactory(name="Nanna Kragh", sort_name="Kragh, Nanna")
    return World(soeren, birthe, lars, dorte, hans, evil, kirsten, bent, nobody, forum)


def names(response) -> list[str]:
    return [entry.person.name for entry in response.context["entries"]]


def entry_of(response, person: Person):
    (entry,) = (entry for entry in response.context["entries"] if entry.person.pk == person.pk)
    return entry


# --- Access --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_anonymous_visitors_cannot_export_either(client, world):
    response = client.get(reverse("blaa_bog_export", args=["csv"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_public_blaa_bog_shows_people_but_no_contact_details(client, world, settings):
    settings.BLAA_BOG_PUBLIC = True
    response = client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Søren Kragh" in content
    assert "soeren@odense.example" not in content
    assert "11 22 33 44" not in content
    assert response.context["show_contact"] is False


def test_signed_in_users_see_email_and_phone(signed_in, world):
    content = signed_in.get(URL).content.decode()
    assert 'href="mailto:soeren@odense.example"' in content
    assert "11 22 33 44" in content


# --- Who is listed, and how -----------------------------------------------------------------


def test_lists_everyone_holding_a_role_today_by_sort_name(signed_in, world):
    response = signed_in.get(URL)
    assert response.status_code == 200
    # Kirsten is a carry-over on her 2022 seat; Bent's roles ended with 2025; Nanna never had one.
    assert names(response) == [
        "Kirsten Holm",
        "Hans Jensen",
        "Søren Kragh",
        "Birthe Moeller",
        "Dorte Vang",
        HYPERLINK,
        "Lars Ærø",
    ]
    assert response.context["criteria"].on == day(2026, 11, 23)


def test_each_row_shows_party_municipality_kkr_and_the_roles_of_the_day(signed_in, world):
    response = signed_in.get(URL)
    soeren = entry_of(response, world.soeren)
    assert soeren.party == "Venstre (V)"
    assert soeren.municipalities == ["Odense"]
    assert soeren.councils == ["KKR Syddanmark"]
    assert soeren.roles == ["Formand, KKR Syddanmark", "Borgmester, Odense", "Medlem, KKR Syddanmark"]
    assert entry_of(response, world.birthe).roles == [
        "Medlem, KKR Syddanmark",
        "Udpeget: Erhvervshus Fyn (medlem)",
        "Medlem af kommunalbestyrelsen, Middelfart",
    ]
    assert entry_of(response, world.dorte).roles == [
        "Viceborgmester, Odense",
        "Stedfortræder, KKR Syddanmark",
        "Udpeget: Erhvervshus Fyn (suppleant)",
    ]
    assert entry_of(response, world.lars).roles[0] == "Næstformand, KKR Sjælland"
    content = response.content.decode()
    assert "Borgmester, Odense" in content
    assert "Udpeget: Erhvervshus Fyn (medlem)" in content


def test_a_carry_over_is_listed_and_marked(signed_in, world):
    kirsten = entry_of(signed_in.get(URL), world.kirsten)
    assert kirsten.roles == ["Udpeget: Erhvervshus Fyn (medlem, fortsætter til en efterfølger er udpeget)"]


def test_the_blaa_bog_as_of_a_past_date_shows_that_days_holders(signed_in, world):
    response = signed_in.get(URL, {"dato": "2024-03-01"})
    assert names(response) == ["Kirsten Holm", "Bent Kragh"]
    assert entry_of(response, world.bent).roles == [
        "Formand, KKR Syddanmark",
        "Borgmester, Middelfart",
        "Medlem, KKR Syddanmark",
    ]
    assert entry_of(response, world.kirsten).roles == [
        "Udpeget: Erhvervshus Fyn (medlem)",
        "Medlem af kommunalbestyrelsen, Odense",
    ]
    content = response.content.decode()
    assert "pr. 1. marts 2024" in content
    assert "historisk dato" in content


def test_a_date_in_danish_notation_is_understood_too(signed_in, world):
    response = signed_in.get(URL, {"dato": "01.03.2024"})
    assert response.context["criteria"].on == day(2024, 3, 1)


def test_a_name_search_lists_former_holders_after_current_ones_with_their_last_role(signed_in, world):
    response = signed_in.get(URL, {"q": "kragh"})
    # Bent sorts before Søren, but Søren holds a role today; Nanna never held one.
    assert names(response) == ["Søren Kragh", "Bent Kragh"]
    bent = entry_of(response, world.bent)
    assert bent.current is False
    assert bent.last_role == "Formand, KKR Syddanmark (2022-2025)"
    content = response.content.decode()
    assert content.index("Søren Kragh") < content.index("Tidligere") < content.index("Bent Kragh")
    assert "Formand, KKR Syddanmark (2022-2025)" in content


def test_a_former_holders_last_role_is_the_last_one_the_filters_ask_for(signed_in, world):
    response = signed_in.get(URL, {"q": "bent", "rolle": "mayor"})
    assert entry_of(response, world.bent).last_role == "Borgmester, Middelfart (2022-2025)"


@pytest.mark.parametrize("query", ["kr", "kragh", "KRAGH"])
def test_short_and_long_name_searches_both_find_former_holders(signed_in, world, query):
    # Two letters are matched by hashing the roles, three or more by probing each person found.
    assert names(signed_in.get(URL, {"q": query})) == ["Søren Kragh", "Bent Kragh"]


def test_without_a_name_search_former_holders_are_not_listed(signed_in, world):
    assert "Bent Kragh" not in names(signed_in.get(URL, {"kkr": "syddanmark"}))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("soren", ["Søren Kragh"]),
        ("SØREN kragh", ["Søren Kragh"]),
        ("møller", ["Birthe Moeller"]),
        ("aero", ["Lars Ærø"]),
        ("aerø", ["Lars Ærø"]),
        ("aeroe", ["Lars Ærø"]),
        ("ens", ["Hans Jensen"]),
        ("holm", ["Kirsten Holm"]),
    ],
)
def test_the_name_search_forgives_case_accents_and_danish_spelling(signed_in, world, query, expected):
    assert names(signed_in.get(URL, {"q": query})) == expected


# --- Filters ---------------------------------------------------------------------------------

ALL_TODAY = ["Kirsten Holm", "Hans Jensen", "Søren Kragh", "Birthe Moeller", "Dorte Vang", HYPERLINK, "Lars Ærø"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kkr": "sjaelland"}, ["Lars Ærø"]),
        ({"kkr": "syddanmark"}, [name for name in ALL_TODAY if name != "Lars Ærø"]),
        ({"kommune": "odense"}, ["Hans Jensen", "Søren Kragh", "Dorte Vang", HYPERLINK]),
        ({"kommune": "middelfart"}, ["Birthe Moeller"]),
        ({"parti": "V"}, ["Søren Kragh", "Dorte Vang"]),
        ({"parti": "v"}, ["Søren Kragh", "Dorte Vang"]),
        ({"forum": "erhvervshus-fyn"}, ["Kirsten Holm", "Birthe Moeller", "Dorte Vang"]),
        ({"fagomraade": "vaekst-og-beskaeftigelse"}, ["Kirsten Holm", "Birthe Moeller", "Dorte Vang"]),
        ({"fagomraade": "sundhed"}, []),
        ({"rolle": "mayor"}, ["Søren Kragh"]),
        ({"rolle": "chair"}, ["Søren Kragh"]),
        ({"rolle": "vice_chair"}, ["Lars Ærø"]),
        ({"rolle": "member"}, ["Søren Kragh", "Birthe Moeller", "Lars Ærø"]),
        ({"rolle": "appointee"}, ["Kirsten Holm", "Birthe Moeller"]),
        ({"rolle": "deputy"}, ["Dorte Vang"]),
        ({"periode": "2022-2025"}, ["Kirsten Holm", "Bent Kragh"]),
        ({"periode": "2026-2029"}, [name for name in ALL_TODAY if name != "Kirsten Holm"]),
    ],
)
def test_each_filter(signed_in, world, params, expected):
    response = signed_in.get(URL, params)
    assert response.status_code == 200
    assert names(response) == expected
    assert response.context["notices"] == []


def test_a_party_is_found_by_its_id_too(signed_in, world):
    venstre = Party.objects.get(letter="V", municipality__isnull=True)
    assert names(signed_in.get(URL, {"parti": venstre.pk})) == ["Søren Kragh", "Dorte Vang"]


def test_a_past_period_without_a_date_is_shown_as_of_its_last_day(signed_in, world):
    response = signed_in.get(URL, {"periode": "2022-2025"})
    assert response.context["criteria"].on == day(2025, 12, 31)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kkr": "syddanmark", "rolle": "member"}, ["Søren Kragh", "Birthe Moeller"]),
        ({"kkr": "sjaelland", "rolle": "chair"}, []),
        ({"kommune": "odense", "rolle": "chair"}, ["Søren Kragh"]),
        ({"rolle": "deputy", "forum": "erhvervshus-fyn"}, ["Dorte Vang"]),
        ({"rolle": "appointee", "forum": "erhvervshus-fyn", "kommune": "middelfart"}, ["Birthe Moeller"]),
        ({"rolle": "member", "fagomraade": "vaekst-og-beskaeftigelse"}, ["Birthe Moeller"]),
        ({"parti": "A", "kkr": "syddanmark"}, ["Birthe Moeller"]),
        ({"parti": "A", "dato": "2024-03-01"}, ["Bent Kragh"]),
        ({"q": "kragh", "rolle": "chair", "dato": "2024-03-01"}, ["Bent Kragh", "Søren Kragh"]),
        ({"kommune": "odense", "q": "vang"}, ["Dorte Vang"]),
    ],
)
def test_combined_filters(signed_in, world, params, expected):
    assert names(signed_in.get(URL, params)) == expected


def test_grouped_by_kkr_each_kkr_gets_its_own_heading(signed_in, world):
    response = signed_in.get(URL, {"visning": "kkr"})
    groups = [
        (group["title"], [entry.person.name for entry in group["entries"]]) for group in response.context["groups"]
    ]
    assert groups == [
        ("KKR Sjælland", ["Lars Ærø"]),
        ("KKR Syddanmark", [name for name in ALL_TODAY if name != "Lars Ærø"]),
    ]
    content = response.content.decode()
    assert content.count('class="directory-group directory-group-kkr"') == 2
    assert re.search(r"<h3[^>]*>KKR Sjælland</h3>", content)


# --- The page itself ------------------------------------------------------------------------------


def test_the_filters_are_a_get_form_with_labelled_controls(signed_in, world):
    content = signed_in.get(URL).content.decode()
    assert re.search(r'<form id="directory-form"[^>]*method="get"', content)
    for name in ("q", "dato", "kkr", "kommune", "parti", "rolle", "forum", "fagomraade", "periode", "visning"):
        assert f'for="id_{name}"' in content
        assert f'id="id_{name}"' in content
    assert '<h2 id="directory-results-heading" class="visually-hidden">' in content


def test_the_filters_fold_away_until_one_is_used(signed_in, world):
    assert '<details class="directory-filters mt-3">' in signed_in.get(URL, {"q": "kragh"}).content.decode()
    assert '<details class="directory-filters mt-3" open>' in signed_in.get(URL, {"rolle": "chair"}).content.decode()


def test_the_page_has_no_inline_script_and_loads_its_own(signed_in, world):
    content = signed_in.get(URL).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", content)
    assert scripts
    assert all("src=" in tag for tag in scripts)
    assert "/static/js/directory.js" in content
    assert not re.search(r"\son[a-z]+=", content)


def test_the_script_asks_for_the_results_alone(signed_in, world):
    response = signed_in.get(URL, {"q": "kragh"}, headers={"X-Blaa-Bog": "resultater"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="directory-form"' not in content
    assert "Søren Kragh" in content
    assert "X-Blaa-Bog" in response["Vary"]


def test_links_keep_the_filters(signed_in, sixty_more):
    response = signed_in.get(URL, {"kommune": "odense", "page": "1", "kkr": "ukendt"})
    assert response.context["next_url"] == "/blaa-bog/?kommune=odense&page=2"
    assert response.context["export_csv_url"] == "/blaa-bog/eksport.csv?kommune=odense"


# --- Bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"dato": "2024-13-45"}, "»2024-13-45« er ikke en dato"),
        ({"dato": "i går"}, "er ikke en dato"),
        ({"kkr": "atlantis"}, "KKR: vi kender ikke »atlantis«, så det filter er ikke brugt."),
        ({"kommune": "gotham"}, "Kommune: vi kender ikke »gotham«"),
        ({"parti": "ZZ"}, "Parti: vi kender ikke »ZZ«"),
        ({"parti": "999999"}, "Parti: vi kender ikke »999999«"),
        ({"forum": "findes-ikke"}, "Forum: vi kender ikke"),
        ({"fagomraade": "rumfart"}, "Fagområde: vi kender ikke"),
        ({"rolle": "konge"}, "Rolle: vi kender ikke"),
        ({"periode": "1066-1070"}, "Valgperiode: vi kender ikke"),
        ({"visning": "3d"}, "Visning: vi kender ikke"),
        ({"q": "x" * 10_000}, "de første 100 tegn"),
        ({"dato": "2022-06-01", "periode": "2026-2029"}, "ligger uden for valgperioden 2026-2029"),
    ],
)
def test_bad_input_gives_the_normal_page_with_a_friendly_notice(signed_in, world, params, notice):
    response = signed_in.get(URL, params)
    assert response.status_code == 200
    assert any(notice in text for text in response.context["notices"]), response.context["notices"]
    assert notice in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "kragh\x00"},
        {"q": "\x00"},
        {"kkr": "syd\x00danmark"},
        {"dato": "2024\x00-03-01"},
        {"q": "'; DROP TABLE members_person; --"},
        {"q": "%_\\"},
        {"dato": "9999-12-31"},
        {"dato": "0001-01-01"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "0"},
        {"page": "1e3"},
        {"page": "9" * 5000},
    ],
)
def test_odd_input_never_breaks_the_page(signed_in, world, params):
    response = signed_in.get(URL, params)
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_a_nul_byte_in_the_search_is_dropped(signed_in, world):
    assert names(signed_in.get(URL, {"q": "kr\x00agh"})) == ["Søren Kragh", "Bent Kragh"]


@pytest.fixture
def sixty_more(world, period, odense) -> None:
    for number in range(60):
        councillor(odense, period, name=f"Ekstra Person {number:02d}", sort_name=f"Person, Ekstra {number:02d}")


@pytest.mark.parametrize(("page", "number"), [("-1", 1), ("abc", 1), ("2", 2), ("99999", 2)])
def test_a_page_out_of_range_gives_the_first_or_last_page(signed_in, sixty_more, page, number):
    response = signed_in.get(URL, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == number
    assert len(response.context["entries"]) == (50 if number == 1 else 17)


def test_an_unknown_export_format_is_the_portals_404(signed_in, world):
    response = signed_in.get(reverse("blaa_bog_export", args=["pdf"]))
    assert response.status_code == 404
    assert "Siden findes ikke" in response.content.decode()


# --- Export ---------------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_export_has_what_the_filters_show_with_danish_headers(signed_in, world):
    response = signed_in.get(reverse("blaa_bog_export", args=["csv"]), {"kommune": "odense"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="blaa-bog-2026-11-23.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Navn", "Parti", "Kommune", "KKR", "Roller", "Tidligere rolle", "E-mail", "Telefon"]
    assert [row[0] for row in rows[1:]] == ["Hans Jensen", "Søren Kragh", "Dorte Vang", f"'{HYPERLINK}"]
    soeren = rows[2]
    assert soeren[1:5] == [
        "Venstre (V)",
        "Odense",
        "KKR Syddanmark",
        "Formand, KKR Syddanmark; Borgmester, Odense; Medlem, KKR Syddanmark",
    ]
    assert soeren[6:] == ["soeren@odense.example", "11 22 33 44"]


def test_the_export_neutralises_cells_a_spreadsheet_would_run(signed_in, world):
    rows = read_csv(signed_in.get(reverse("blaa_bog_export", args=["csv"]), {"q": "hyperlink"}))
    (evil,) = rows[1:]
    assert evil[0] == f"'{HYPERLINK}"
    assert evil[6:] == ["'@evil.example", "'+46812345678"]


def test_the_export_has_every_page(signed_in, sixty_more):
    rows = read_csv(signed_in.get(reverse("blaa_bog_export", args=["csv"])))
    assert len(rows) == 1 + 67


def test_the_export_shows_former_holders_with_their_last_role(signed_in, world):
    rows = read_csv(signed_in.get(reverse("blaa_bog_export", args=["csv"]), {"q": "kragh"}))
    assert [(row[0], row[5]) for row in rows[1:]] == [
        ("Søren Kragh", ""),
        ("Bent Kragh", "Formand, KKR Syddanmark (2022-2025)"),
    ]


def test_the_export_as_of_a_date_is_named_after_it(signed_in, world):
    response = signed_in.get(reverse("blaa_bog_export", args=["csv"]), {"dato": "2024-03-01"})
    assert response["Content-Disposition"] == 'attachment; filename="blaa-bog-2024-03-01.csv"'
    assert [row[0] for row in read_csv(response)[1:]] == ["Kirsten Holm", "Bent Kragh"]


def test_a_public_export_has_no_contact_columns(client, world, settings):
    settings.BLAA_BOG_PUBLIC = True
    rows = read_csv(client.get(reverse("blaa_bog_export", args=["csv"])))
    assert rows[0] == ["Navn", "Parti", "Kommune", "KKR", "Roller", "Tidligere rolle"]
    assert all(len(row) == 6 for row in rows)
    assert not any("soeren@odense.example" in cell for row in rows for cell in row)


def test_the_excel_export_is_a_workbook_with_plain_text_cells(signed_in, world):
    response = signed_in.get(reverse("blaa_bog_export", args=["xlsx"]), {"kommune": "odense"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="blaa-bog-2026-11-23.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Navn", "Parti", "Kommune"]
    assert [row[0] for row in rows[1:]] == ["Hans Jensen", "Søren Kragh", "Dorte Vang", f"'{HYPERLINK}"]
    assert rows[4][7] == "'+46812345678"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+45 12 34 56 78", "'+45 12 34 56 78"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Søren Kragh", "Søren Kragh"),
        ("Anne-Marie", "Anne-Marie"),
        ("", ""),
    ],
)
def test_neutralise(value, safe):
    assert neutralise(value) == safe


# --- Query counts ---------------------------------------------------------------------------------------------


def _more_people(period, count: int) -> None:
    """``count`` more people with roles of every kind: councillors, KKR members, appointees."""
    odense = Municipality.objects.get(code=461)
    syddanmark = odense.council
    forum = Forum.objects.get(slug="erhvervshus-fyn")
    for number in range(count):
        person = councillor(odense, period, name=f"Ekstra Kragh {number:02d}", party=Party.objects.get(letter="B"))
        services.add_membership(
            person=person,
            council=syddanmark,
            period=period,
            basis=KKRMembership.Basis.SUPPLEMENTARY,
            started_on=period.starts_on,
        )
        appoint(Seat.objects.create(forum=forum, period=period, label=f"Ekstra {number}"), person, day(2026, 3, 1))


# The session with the versions (the page cache's data version among them; one query,
# kkr_portal.sessions) and the user (kkr_portal.auth), the option lists (6, read when the form is
# drawn), the first page of people with their total and roles (1, see
# members.filters.DirectoryPeople; listed by name, the count is a query of its own); once cached,
# only the session with the versions.
PAGE_QUERIES = 9
# The results alone (what the script asks for as the visitor types) draw no form: no option lists.
PARTIAL_QUERIES = PAGE_QUERIES - 6
CACHED_QUERIES = 1


@pytest.mark.parametrize("count", [2, 60])
@pytest.mark.parametrize(
    ("params", "queries"),
    [({}, PAGE_QUERIES + 1), ({"q": "kragh"}, PAGE_QUERIES), ({"kkr": "syddanmark", "visning": "kkr"}, PAGE_QUERIES)],
)
def test_the_query_count_does_not_grow_with_the_rows_shown(
    signed_in, world, period, django_assert_num_queries, count, params, queries
):
    _more_people(period, count)
    with django_assert_num_queries(queries):
        response = signed_in.get(URL, params)
    with django_assert_num_queries(CACHED_QUERIES):
        again = signed_in.get(URL, params)
    assert len(response.context["entries"]) >= min(count, 50)
    assert main_part(again) == main_part(response)


@pytest.mark.parametrize("count", [60, 110])
def test_a_later_page_takes_one_query_more(signed_in, world, period, django_assert_num_queries, count):
    # The total comes with the first page (members.filters.DirectoryPeople); a later page is read on its own.
    _more_people(period, count)
    with django_assert_num_queries(PAGE_QUERIES + 1):
        response = signed_in.get(URL, {"q": "kragh", "page": "2"})
    assert response.context["page"].number == 2
    assert len(response.context["entries"]) == min(count + 2 - 50, 50)


@pytest.mark.parametrize("count", [2, 60])
def test_the_partial_for_the_script_reads_no_option_lists(signed_in, world, period, django_assert_num_queries, count):
    _more_people(period, count)
    with django_assert_num_queries(PARTIAL_QUERIES):
        signed_in.get(URL, {"q": "kragh"}, headers={"X-Blaa-Bog": "resultater"})
    with django_assert_num_queries(CACHED_QUERIES):
        signed_in.get(URL, {"q": "kragh"}, headers={"X-Blaa-Bog": "resultater"})
