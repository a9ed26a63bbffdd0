"""Party affiliation is shown to the public only for people elected on a party's list.

The rule (``members.access.party_public``, docs/privacy.md): the public sees a person's party
while they sit in, or are elected to, a municipal council — a council seat that has not ended,
in a period that is not over. A carry-over appointee who left the council at the election, and
an appointee who never had a seat, keep their party from the public on every page and export;
signed-in members see it. Each person of the world below has a party of their own (a local list
nobody else has), so its name on a page is that person's party.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from members import access, services
from members.models import ElectionPeriod, Person
from tests import factories
from tests.portal.test_access_matrix import World, body, build_world
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

PARTIAL = {"HTTP_X_BLAA_BOG": "resultater"}  # the Blå Bog's results alone (not the party filter's list)


@pytest.fixture(autouse=True)
def _public_blaa_bog(settings, _frozen_time):
    settings.BLAA_BOG_PUBLIC = True


@pytest.fixture
def _frozen_time():
    import time_machine

    from tests.portal.test_access_matrix import NOW

    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(syddanmark, sjaelland, odense, roskilde, period, period_2022) -> World:
    return build_world(syddanmark, sjaelland, odense, roskilde, period, period_2022)


def parties(world: World) -> dict[str, str]:
    """Each person's party name, by who they are."""
    return {
        "mayor": world.mayor.party.name,  # Odense's mayor now: public
        "deputy": world.deputy.party.name,  # the deputy mayor, the mayor's substitute in the KKR: public
        "appointee": world.appointee.party.name,  # a councillor now: public
        "carry_over": world.carry_over.party.name,  # left the council at the election: not public
        "external": world.external.party.name,  # never in a council: not public
    }


PUBLIC = {"mayor", "deputy", "appointee"}
HIDDEN = {"carry_over", "external"}


def shown(text: str, world: World) -> set[str]:
    return {who for who, party in parties(world).items() if party in text}


# --- The rule ---------------------------------------------------------------------------------


def test_the_rule_follows_the_council_seat_on_the_day(odense, period, period_2022):
    current = councillor(odense, period)
    ended_early = councillor(odense, period, started_on=period.starts_on)
    services.end_council_seat(seat=ended_early.council_seats.get(), ended_on=dt.date(2026, 6, 30))
    past_only = councillor(odense, period_2022)
    coming = councillor(odense, period)  # elected in November 2025 for the period from 2026
    never = factories.PersonFactory()

    def public_on(day: dt.date) -> set[Person]:
        return set(Person.objects.filter(access.public_party_q(on=day)))

    assert public_on(dt.date(2026, 11, 23)) >= {current, coming}
    assert not public_on(dt.date(2026, 11, 23)) & {ended_early, past_only, never}
    # Before the period began, its elected members' party is public already; the old period's too.
    assert {coming, past_only} <= public_on(dt.date(2025, 12, 1))
    assert never not in public_on(dt.date(2025, 12, 1))
    assert ElectionPeriod.objects.filter(name="2026-2029", starts_on__gt=dt.date(2025, 12, 1)).exists()


# --- The pages: the public sees only public parties, members see all -------------------------


def _pages(world: World) -> dict[str, str]:
    return {
        "council": reverse("council_detail", args=["syddanmark"]),
        "forum": reverse("forum_detail", args=[world.forum_slug]),
        **{f"person {who}": reverse("person_detail", args=[getattr(world, who).slug]) for who in parties(world)},
    }


def test_the_public_sees_the_party_of_council_members_only_on_the_kkr_forum_and_person_pages(client, world):
    pages = {name: body(client.get(url)) for name, url in _pages(world).items()}

    assert shown(pages["council"], world) == PUBLIC
    assert pages["council"].count(world.mayor.party.name) == 2  # as the chair, and among the members
    assert shown(pages["forum"], world) == PUBLIC - {"mayor", "deputy"}  # they sit on no forum
    for who in parties(world):
        assert shown(pages[f"person {who}"], world) == ({who} & PUBLIC), who
    # The people themselves are listed, only their party is left out.
    assert world.external.name in pages["forum"]
    assert world.carry_over.name in pages["council"]


def test_a_signed_in_member_sees_every_party_on_the_kkr_forum_and_person_pages(signed_in, world):
    pages = {name: body(signed_in.get(url)) for name, url in _pages(world).items()}

    assert shown(pages["council"], world) == PUBLIC | HIDDEN
    assert shown(pages["forum"], world) == (PUBLIC | HIDDEN) - {"mayor", "deputy"}
    for who in parties(world):
        assert shown(pages[f"person {who}"], world) == {who}, who


# --- The Blå Bog: results, print and export ---------------------------------------------------


def _directory(client) -> dict[str, str]:
    return {
        "results": body(client.get(reverse("blaa_bog"), **PARTIAL)),
        "print": body(client.get(reverse("blaa_bog_print"))),
        "csv": body(client.get(reverse("blaa_bog_export", args=["csv"]))),
        "xlsx": body(client.get(reverse("blaa_bog_export", args=["xlsx"]))),
    }


def test_the_public_blaa_bog_and_its_exports_show_only_public_parties(client, world):
    for name, text in _directory(client).items():
        assert world.external.name in text, name
        assert shown(text, world) == PUBLIC, name


def test_the_members_blaa_bog_and_its_exports_show_every_party(signed_in, world):
    for name, text in _directory(signed_in).items():
        assert shown(text, world) == PUBLIC | HIDDEN, name


def test_filtering_the_public_blaa_bog_by_party_does_not_tell_a_hidden_party(client, signed_in, world):
    """Else ``?parti=<the list>`` would list the external appointee: their party, told by the filter."""
    query = {"parti": str(world.external.party_id)}
    members_view = body(signed_in.get(reverse("blaa_bog"), query, **PARTIAL))
    assert world.external.name in members_view
    signed_in.logout()

    for url in (reverse("blaa_bog"), reverse("blaa_bog_print"), reverse("blaa_bog_export", args=["csv"])):
        text = body(client.get(url, query, **PARTIAL))
        assert world.external.name not in text, url
    public_party = {"parti": str(world.mayor.party_id)}
    assert world.mayor.name in body(client.get(reverse("blaa_bog"), public_party, **PARTIAL))
