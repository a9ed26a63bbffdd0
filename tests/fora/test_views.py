"""The fora pages: the list by KKR and policy area, and one forum's seats and appointees."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from fora import services
from fora.models import Forum, ForumKind, Seat
from members.models import Municipality, PolicyArea
from tests import factories
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db
CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=CPH)

# the session with the versions (one query, kkr_portal.sessions) and, on the first request
# since the login, the user row (kkr_portal.auth)
SIGNED_IN = 2
FORUM_LIST_QUERIES = SIGNED_IN + 4
FORUM_DETAIL_QUERIES = SIGNED_IN + 6


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def area(slug: str) -> PolicyArea:
    return PolicyArea.objects.get(slug=slug)


def appoint(seat: Seat, person, starts_on: dt.date):
    appointment = services.propose(seat=seat, person=person, starts_on=starts_on)
    return services.appoint(appointment=appointment, appointed_on=starts_on)


def forum_with_seats(council, period, period_2022, *, name: str = "RAR Fyn", pairs: int = 2) -> Forum:
    """A forum with ``pairs`` member seats, each with a deputy seat. Member 1 is appointed, its
    deputy nominated; member 2 continues a 2022-2025 seat whose holder sits on (carry-over); the
    other seats are appointed, and the last deputy seat is vacant."""
    forum = factories.ForumFactory(council=council, name=name, basis=Forum.Basis.STATUTORY)
    forum.policy_areas.set([area("vaekst-og-beskaeftigelse")])
    municipalities = list(Municipality.objects.filter(council=council).order_by("code"))
    for number in range(1, pairs + 1):
        municipality = municipalities[number % len(municipalities)]
        previous = None
        if number == 2:
            previous = factories.SeatFactory(forum=forum, period=period_2022, label=f"Medlem {number}")
            appoint(previous, councillor(municipality, period_2022, name="Karen Overgaard"), dt.date(2022, 3, 1))
        member_seat = factories.SeatFactory(
            forum=forum,
            label=f"Medlem {number}",
            position=2 * number - 1,
            mode=Seat.Mode.NOMINATES,
            appointing_body="Beskæftigelsesministeren",
            previous_seat=previous,
        )
        deputy_seat = factories.SeatFactory(
            forum=forum,
            label=f"Suppleant {number}",
            kind=Seat.Kind.DEPUTY,
            deputy_for=member_seat,
            position=2 * number,
        )
        if number == 1:
            appoint(member_seat, councillor(municipality, period, name="Anders Udpeget"), dt.date(2026, 3, 1))
            nominee = services.propose(
                seat=deputy_seat, person=councillor(municipality, period, name="Ida Indstillet"), starts_on=NOW.date()
            )
            services.nominate(appointment=nominee, nominated_on=dt.date(2026, 9, 15))
        elif number != 2:
            appoint(member_seat, councillor(municipality, period), dt.date(2026, 3, 1))
            if number < pairs:
                appoint(deputy_seat, councillor(municipality, period), dt.date(2026, 3, 1))
    return forum


def text(response) -> str:
    return response.content.decode()


# --- /fora/ ------------------------------------------------------------------------------


def test_the_forum_list_shows_fora_by_council_with_kind_policy_areas_and_vacancies(
    signed_in, syddanmark, sjaelland, period, period_2022
):
    forum_with_seats(syddanmark, period, period_2022)
    health = factories.ForumFactory(council=sjaelland, name="Sundhedsklynge Roskilde-Køge")
    health.policy_areas.set([area("sundhed")])

    response = signed_in.get(reverse("forum_list"))

    assert response.status_code == 200
    assert [(forum.council.slug, forum.name) for forum in response.context["fora"]] == [
        ("sjaelland", "Sundhedsklynge Roskilde-Køge"),
        ("syddanmark", "RAR Fyn"),
    ]
    content = text(response)
    assert '<h2 class="h4" id="council-sjaelland"><a href="/kkr/sjaelland/">KKR Sjælland</a></h2>' in content
    assert "Regionalt Arbejdsmarkedsråd (RAR)" in content
    assert ">Vækst og beskæftigelse</span>" in content
    rar = next(forum for forum in response.context["fora"] if forum.name == "RAR Fyn")
    # Member 1, Suppleant 1 (nominated, not yet held), Member 2 (carry-over, not vacant), Suppleant 2.
    assert (rar.seat_count, rar.vacant_count) == (4, 2)
    assert "4 pladser" in content
    assert "2 ledige" in content


def test_the_forum_list_filters_by_council_and_policy_area_in_the_url(signed_in, syddanmark, sjaelland):
    growth = factories.ForumFactory(council=syddanmark, name="Erhvervshus Fyn")
    growth.policy_areas.set([area("vaekst-og-beskaeftigelse")])
    health = factories.ForumFactory(council=syddanmark, name="Sundhedsklynge Fyn")
    health.policy_areas.set([area("sundhed")])
    factories.ForumFactory(council=sjaelland, name="Erhvervshus Sjælland").policy_areas.set(
        [area("vaekst-og-beskaeftigelse")]
    )

    response = signed_in.get(reverse("forum_list"), {"kkr": "syddanmark", "fagomraade": "vaekst-og-beskaeftigelse"})

    assert [forum.name for forum in response.context["fora"]] == ["Erhvervshus Fyn"]
    content = text(response)
    assert '<option value="syddanmark" selected>' in content
    assert '<option value="vaekst-og-beskaeftigelse" selected>' in content


def test_a_dissolved_forum_is_listed_last_and_marked(signed_in, syddanmark):
    new = factories.ForumFactory(council=syddanmark, name="B nyt forum")
    factories.ForumFactory(
        council=syddanmark,
        name="A gammelt forum",
        founded_on=dt.date(2019, 1, 1),
        dissolved_on=dt.date(2025, 12, 31),
        successor=new,
    )

    response = signed_in.get(reverse("forum_list"))

    assert [forum.name for forum in response.context["fora"]] == ["B nyt forum", "A gammelt forum"]
    assert "nedlagt 31. december 2025" in text(response)


@pytest.mark.parametrize(
    "query",
    [
        {"kkr": "atlantis"},
        {"fagomraade": "fiskeri"},
        {"kkr": "syd\x00danmark"},
        {"fagomraade": "x" * 10_000},
        {"kkr": "syddanmark", "fagomraade": "\x00"},
    ],
)
def test_unknown_filter_values_give_a_friendly_empty_list(signed_in, syddanmark, query):
    factories.ForumFactory(council=syddanmark, name="Erhvervshus Fyn")

    response = signed_in.get(reverse("forum_list"), query)

    assert response.status_code == 200
    content = text(response)
    assert "Vi kender ikke det valgte KKR eller fagområde." in content
    assert "Erhvervshus Fyn" not in content
    assert response.context["fora"] == []


def test_the_forum_list_sends_anonymous_visitors_to_login_unless_the_blaa_bog_is_public(client, settings):
    response = client.get(reverse("forum_list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    settings.BLAA_BOG_PUBLIC = True
    assert client.get(reverse("forum_list")).status_code == 200


@pytest.mark.parametrize("fora", [1, 8])
def test_the_forum_list_query_count_does_not_grow_with_fora(
    signed_in, syddanmark, sjaelland, period, period_2022, fora, django_assert_num_queries
):
    for number in range(fora):
        council = syddanmark if number % 2 == 0 else sjaelland
        forum_with_seats(council, period, period_2022, name=f"Forum {number}", pairs=2 + number % 3)

    with django_assert_num_queries(FORUM_LIST_QUERIES):
        response = signed_in.get(reverse("forum_list"))

    assert len(response.context["fora"]) == fora


# --- /fora/<slug>/ -----------------------------------------------------------------------


def test_the_forum_page_shows_seats_appointees_deputies_statuses_and_vacancies(
    signed_in, syddanmark, period, period_2022
):
    forum = forum_with_seats(syddanmark, period, period_2022, pairs=2)

    response = signed_in.get(reverse("forum_detail", args=[forum.slug]))

    assert response.status_code == 200
    states = {state.seat.label: state for state in response.context["seats"]}
    assert list(states) == ["Medlem 1", "Suppleant 1", "Medlem 2", "Suppleant 2"]
    assert states["Medlem 1"].holder.person.name == "Anders Udpeget"
    assert states["Medlem 1"].status == "appointed"
    assert states["Suppleant 1"].vacant
    assert [appointment.person.name for appointment in states["Suppleant 1"].pending] == ["Ida Indstillet"]
    assert states["Medlem 2"].holder.person.name == "Karen Overgaard"
    assert states["Medlem 2"].status == "carry_over"
    assert states["Suppleant 2"].vacant
    content = text(response)
    assert content.count("<h1") == 1
    assert '<th scope="col">Plads</th>' in content
    assert "suppleant for Medlem 1" in content
    assert "Anders Udpeget" in content
    assert ">udpeget</span>" in content
    assert "Indstillet:" in content
    assert "Ida Indstillet" in content
    assert "Karen Overgaard" in content
    assert "fortsætter, til en efterfølger er udpeget" in content
    assert ">ledig</span>" in content
    assert "KKR indstiller, Beskæftigelsesministeren udpeger" in content
    assert "Lovfastsat" in content
    assert "Vækst og beskæftigelse" in content


def test_the_forum_page_links_predecessor_and_successor(signed_in, syddanmark):
    new = factories.ForumFactory(council=syddanmark, name="Sundhedsråd Fyn", founded_on=dt.date(2026, 1, 1))
    old = factories.ForumFactory(
        council=syddanmark,
        name="Sundhedsklynge Fyn",
        founded_on=dt.date(2023, 1, 1),
        dissolved_on=dt.date(2025, 12, 31),
        successor=new,
    )

    old_page = text(signed_in.get(reverse("forum_detail", args=[old.slug])))
    new_page = text(signed_in.get(reverse("forum_detail", args=[new.slug])))

    assert "Forummet blev nedlagt 31. december 2025." in old_page
    assert f'<a href="/fora/{new.slug}/">Sundhedsråd Fyn</a>' in old_page
    assert "Afløste" in new_page
    assert f'<a href="/fora/{old.slug}/">Sundhedsklynge Fyn</a>' in new_page


def test_an_unknown_forum_gets_the_portals_404(signed_in):
    response = signed_in.get("/fora/findes-ikke/")

    assert response.status_code == 404
    assert "Siden findes ikke" in text(response)


def test_the_forum_page_sends_anonymous_visitors_to_login(client, syddanmark):
    forum = factories.ForumFactory(council=syddanmark)

    response = client.get(reverse("forum_detail", args=[forum.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_forum_kind_other_than_the_factorys_is_shown(signed_in, syddanmark):
    forum = factories.ForumFactory(council=syddanmark, kind=ForumKind.objects.get(slug="eu-kontor"))

    assert "Regionalt EU-kontor" in text(signed_in.get(reverse("forum_detail", args=[forum.slug])))


@pytest.mark.parametrize("pairs", [2, 12])
def test_the_forum_page_query_count_does_not_grow_with_seats(
    signed_in, syddanmark, period, period_2022, pairs, django_assert_num_queries
):
    forum = forum_with_seats(syddanmark, period, period_2022, pairs=pairs)

    with django_assert_num_queries(FORUM_DETAIL_QUERIES):
        response = signed_in.get(reverse("forum_detail", args=[forum.slug]))

    assert len(response.context["seats"]) == 2 * pairs
