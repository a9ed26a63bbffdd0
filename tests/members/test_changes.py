"""Changes since the last edition: /aendringer/ and its Atom and RSS feeds, from the audit history."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from xml.etree import ElementTree

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from fora import services as fora_services
from fora.models import Appointment
from members import services
from members.models import Chairmanship
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
# The councils; the history of appointments, chair posts and KKR places (one query each).
CHANGES_QUERIES = SIGNED_IN + 1 + 3
FEED_QUERIES = SIGNED_IN + 1 + 3
ATOM = "{http://www.w3.org/2005/Atom}"


def on(month: int, day: int):
    return time_machine.travel(dt.datetime(2026, month, day, 10, 0, tzinfo=CPH), tick=False)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def appointed(seat, person, starts_on):
    appointment = fora_services.propose(seat=seat, person=person, starts_on=starts_on)
    return fora_services.appoint(appointment=appointment, appointed_on=starts_on)


@pytest.fixture
def history(syddanmark, sjaelland, period, odense, middelfart, roskilde):
    """What the secretariats recorded this autumn. The 30 days before today (23 November) start on
    24 October."""
    forum = factories.ForumFactory(council=syddanmark, name="Erhvervshus Fyn")
    seats = [factories.SeatFactory(forum=forum, label=f"Medlem {n}", position=n) for n in range(1, 6)]
    people = {
        name: councillor(odense, period, name=name, email=f"{name.split()[0].lower()}@odense.dk")
        for name in ("Gammel Udpeget", "Ida Indstillet", "Ulla Udpeget", "Frida Foreslået", "Trine Trukket")
    }
    with on(10, 1):  # before the 30 days
        old = appointed(seats[0], people["Gammel Udpeget"], dt.date(2026, 10, 1))
    with on(11, 10):
        fora_services.propose(seat=seats[1], person=people["Frida Foreslået"], starts_on=dt.date(2026, 12, 1))
    with on(11, 12):
        proposal = fora_services.propose(seat=seats[2], person=people["Ida Indstillet"], starts_on=dt.date(2027, 1, 1))
        fora_services.nominate(appointment=proposal, nominated_on=dt.date(2026, 11, 12))
    with on(11, 15):
        appointed(seats[3], people["Ulla Udpeget"], dt.date(2026, 11, 15))
    with on(11, 18):
        fora_services.end(appointment=old, ended_on=dt.date(2026, 11, 18), reason=Appointment.EndReason.RESIGNED)
        dropped = fora_services.propose(seat=seats[4], person=people["Trine Trukket"], starts_on=TODAY)
        fora_services.end(appointment=dropped, ended_on=TODAY, reason=Appointment.EndReason.WITHDRAWN)

    chair = councillor(middelfart, period, name="Carla Formand")
    successor = councillor(middelfart, period, name="Søren Efterfølger")
    with on(10, 1):
        for person in (chair, successor):
            services.add_membership(
                person=person, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
            )
    with on(11, 16):
        services.elect_chair(
            council=syddanmark, period=period, role=Chairmanship.Role.CHAIR, person=chair, started_on=TODAY
        )
    with on(11, 20):
        services.elect_chair(
            council=syddanmark,
            period=period,
            role=Chairmanship.Role.CHAIR,
            person=successor,
            started_on=TODAY + dt.timedelta(days=7),
        )

    leaving = councillor(middelfart, period, name="Mona Medlem")
    with on(11, 5):
        membership = services.add_membership(
            person=leaving, council=syddanmark, period=period, basis="supplementary", started_on=dt.date(2026, 11, 5)
        )
    with on(11, 19):
        services.end_membership(membership=membership, ended_on=dt.date(2026, 11, 19))
    with on(11, 6):
        mistake = services.add_membership(
            person=councillor(middelfart, period, name="Fejl Registrering"),
            council=syddanmark,
            period=period,
            basis="supplementary",
            started_on=dt.date(2026, 11, 6),
        )
    mistake.delete()  # put right in the admin: never a member

    with on(11, 21):
        services.add_membership(
            person=councillor(roskilde, period, name="Sjælland Nyvalgt"),
            council=sjaelland,
            period=period,
            basis="supplementary",
            started_on=dt.date(2026, 11, 21),
        )
    return people


def text(response) -> str:
    return response.content.decode()


def entry(content: str, name: str) -> str:
    start = content.index(f">{name}</a>")
    return content[content.rindex("<li", 0, start) : content.index("</li>", start)]


def test_new_nominated_appointed_and_ended_appointments_are_listed(signed_in, history):
    content = text(signed_in.get(reverse("changes")))

    ulla = entry(content, "Ulla Udpeget")
    assert "Ny udpegning" in ulla
    assert "Udpeget til Erhvervshus Fyn (Medlem 4) fra 15. november 2026." in ulla
    assert f'href="/personer/{history["Ulla Udpeget"].slug}/"' in ulla
    assert "KKR Syddanmark" in ulla
    assert "Indstillet til Erhvervshus Fyn (Medlem 3)." in entry(content, "Ida Indstillet")
    gone = entry(content, "Gammel Udpeget")
    assert "Udpegning ophørt" in gone
    assert "udtrådt efter eget ønske" in gone
    assert content.count(">Gammel Udpeget</a>") == 1  # the appointment in October is before the 30 days


def test_proposals_and_dropped_proposals_are_never_listed(signed_in, settings, history):
    settings.BLAA_BOG_PUBLIC = True
    for reader in (signed_in, Client()):
        content = text(reader.get(reverse("changes")))
        assert "Frida Foreslået" not in content
        assert "Trine Trukket" not in content


def test_new_and_outgoing_chairs_and_members_are_listed(signed_in, history):
    content = text(signed_in.get(reverse("changes")))

    carla = content[content.index(">Carla Formand</a>") :]
    assert "Fratrådt som formand for KKR Syddanmark pr. 29. november 2026." in entry(content, "Carla Formand")
    assert "Ny formand" in carla
    assert "Valgt som formand for KKR Syddanmark fra 23. november 2026." in carla
    assert "Valgt som formand for KKR Syddanmark fra 30. november 2026." in entry(content, "Søren Efterfølger")
    mona = content[content.index(">Mona Medlem</a>") :]
    assert "Udtrådt af KKR Syddanmark pr. 19. november 2026." in entry(content, "Mona Medlem")
    assert "Medlem af KKR Syddanmark fra 5. november 2026." in mona
    assert "Fejl Registrering" not in content  # deleted since


def test_the_newest_change_comes_first(signed_in, history):
    content = text(signed_in.get(reverse("changes")))

    order = [content.index(f">{name}</a>") for name in ("Sjælland Nyvalgt", "Søren Efterfølger", "Ulla Udpeget")]
    assert order == sorted(order)


def test_siden_chooses_the_day_and_kkr_the_council(signed_in, history):
    content = text(signed_in.get(reverse("changes"), {"siden": "2026-11-16"}))
    assert "Ulla Udpeget" not in content  # 15 November
    assert "Carla Formand" in content  # 16 November
    assert "Siden 16. november 2026" in content

    content = text(signed_in.get(reverse("changes"), {"siden": "2026-09-01"}))
    assert "Udpeget til Erhvervshus Fyn (Medlem 1) fra 1. oktober 2026." in content

    content = text(signed_in.get(reverse("changes"), {"kkr": "sjaelland"}))
    assert "Sjælland Nyvalgt" in content
    assert "Ulla Udpeget" not in content


@pytest.mark.parametrize(
    ("siden", "message"),
    [
        ("i går", "Skriv datoen som år-måned-dag, fx 2026-11-01."),
        ("2026-02-30", "Skriv datoen som år-måned-dag, fx 2026-11-01."),
        ("0001-01-01", "Vælg en dato fra 2006 eller senere."),
        ("x" * 10_000, "Skriv datoen som år-måned-dag, fx 2026-11-01."),
    ],
)
def test_a_bad_date_gets_a_message_on_the_field_and_the_last_30_days(signed_in, history, siden, message):
    response = signed_in.get(reverse("changes"), {"siden": siden})

    content = text(response)
    assert response.status_code == 200
    assert message in content
    assert 'aria-invalid="true"' in content
    assert "Vi viser ændringerne siden 24. oktober 2026." in content
    assert "Ulla Udpeget" in content


def test_a_day_far_ahead_lists_nothing_without_an_error(signed_in, history):
    response = signed_in.get(reverse("changes"), {"siden": "9999-12-31"})

    assert response.status_code == 200
    assert "Ingen ændringer i perioden." in text(response)
    assert signed_in.get(reverse("changes_feed"), {"siden": "9999-12-31"}).status_code == 200


def test_an_unknown_kkr_gives_a_message_and_nothing_listed(signed_in, history):
    content = text(signed_in.get(reverse("changes"), {"kkr": "atlantis"}))

    assert "Vi kender ikke det valgte KKR" in content
    assert "Ulla Udpeget" not in content


def test_contact_details_are_never_shown_on_the_page_or_in_the_feeds(signed_in, history):
    for url in (reverse("changes"), reverse("changes_feed"), reverse("changes_rss")):
        content = text(signed_in.get(url))
        assert "Ulla Udpeget" in content
        assert "@odense.dk" not in content


def test_the_page_and_the_feeds_follow_the_blaa_bogs_access(settings, history):
    settings.BLAA_BOG_PUBLIC = False
    anonymous = Client()
    for url in (reverse("changes"), reverse("changes_feed"), reverse("changes_rss")):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    settings.BLAA_BOG_PUBLIC = True
    response = anonymous.get(reverse("changes"))
    assert response.status_code == 200
    assert "Ulla Udpeget" in text(response)
    assert "kun i en browser, hvor du er logget ind" not in text(response)


def test_the_page_says_the_feed_needs_a_signed_in_browser_when_the_blaa_bog_is_not_public(signed_in, settings):
    settings.BLAA_BOG_PUBLIC = False

    assert "kun i en browser, hvor du er logget ind" in text(signed_in.get(reverse("changes")))


def test_the_atom_feed_has_one_entry_per_change_with_a_stable_id(signed_in, history):
    response = signed_in.get(reverse("changes_feed"))

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own server's output)
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "Ny udpegning: Ulla Udpeget" in titles
    assert "Indstillet: Ida Indstillet" in titles
    assert "Ny formand: Søren Efterfølger" in titles
    assert not any("Frida" in title or "Trine" in title for title in titles)
    assert len(titles) == 9
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    again = ElementTree.fromstring(signed_in.get(reverse("changes_feed")).content)  # noqa: S314
    assert ids == [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")]
    ulla = entries[titles.index("Ny udpegning: Ulla Udpeget")]
    assert ulla.find(f"{ATOM}link").get("href").endswith(f"/personer/{history['Ulla Udpeget'].slug}/")


def test_the_rss_feed_carries_the_same_changes(signed_in, history):
    response = signed_in.get(reverse("changes_rss"), {"kkr": "sjaelland"})

    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(response.content).find("channel")  # noqa: S314 (our own output)
    assert [item.findtext("title") for item in channel.findall("item")] == ["Nyt medlem: Sjælland Nyvalgt"]
    assert channel.findtext("title") == "Ændringer i Blå Bog – KKR Sjælland"


def test_the_changes_page_is_linked_from_every_page_footer(signed_in):
    assert 'href="/aendringer/"' in text(signed_in.get(reverse("about")))


def grow(council, period, municipality, n: int) -> None:
    forum = factories.ForumFactory(council=council, name="Vækstforum")
    for number in range(n):
        person = councillor(municipality, period)
        seat = factories.SeatFactory(forum=forum, label=f"Plads {number}", position=number)
        appointed(seat, person, dt.date(2026, 11, 1))
        membership = services.add_membership(
            person=person, council=council, period=period, basis="supplementary", started_on=dt.date(2026, 11, 1)
        )
        services.end_membership(membership=membership, ended_on=dt.date(2026, 11, 20))


@pytest.mark.parametrize("extra", [0, 8])
def test_the_query_count_does_not_grow_with_the_changes(
    signed_in, history, syddanmark, period, odense, extra, django_assert_num_queries
):
    grow(syddanmark, period, odense, extra)

    with django_assert_num_queries(CHANGES_QUERIES):
        response = signed_in.get(reverse("changes"))
    assert text(response).count('class="mb-2 pb-2 border-bottom"') == 9 + 3 * extra
    with django_assert_num_queries(FEED_QUERIES + AGAIN):
        signed_in.get(reverse("changes_feed"))


def test_an_end_reason_that_is_no_longer_a_choice_is_shown_as_recorded(signed_in, history):
    # A history row from before a reason was retired: the page and the feeds still work.
    ended = Appointment.history.filter(person=history["Gammel Udpeget"], status="ended")
    assert ended.update(end_reason="afsat") == 1

    content = text(signed_in.get(reverse("changes")))
    assert "pr. 18. november 2026: afsat." in entry(content, "Gammel Udpeget")
    for url in (reverse("changes_feed"), reverse("changes_rss")):
        response = signed_in.get(url)
        assert response.status_code == 200
        assert "afsat" in response.content.decode()
