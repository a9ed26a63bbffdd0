"""The policy-area lens: /omraader/ and /omraader/<slug>/, across the five KKRs or one."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from agreements.models import Agreement, AgreementKind, Milestone
from fora import services as fora_services
from fora.models import Seat
from members.models import AgendaItem, Municipality, Party, PolicyArea
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
# Areas, councils; agreements + milestones; fora + policy areas + seats + their appointments +
# the continued seats' appointments; upcoming meetings + items; recent meetings + items.
LENS_QUERIES = SIGNED_IN + 2 + 2 + 5 + 2 + 2
LIST_QUERIES = SIGNED_IN + 1


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def health(db) -> PolicyArea:
    return PolicyArea.objects.get(slug="sundhed")


@pytest.fixture
def social(db) -> PolicyArea:
    return PolicyArea.objects.get(slug="social")


def appoint(seat, person, starts_on=dt.date(2026, 2, 1)):
    appointment = fora_services.propose(seat=seat, person=person, starts_on=starts_on)
    return fora_services.appoint(appointment=appointment, appointed_on=starts_on)


def forum_in(council, area, period, *, name: str, holder=None, proposed=None):
    forum = factories.ForumFactory(council=council, name=name)
    forum.policy_areas.set([area])
    seat = factories.SeatFactory(forum=forum, period=period, label="Medlem 1", position=1)
    deputy = factories.SeatFactory(
        forum=forum, period=period, label="Suppleant 1", kind=Seat.Kind.DEPUTY, deputy_for=seat, position=2
    )
    if holder is not None:
        appoint(seat, holder)
    if proposed is not None:
        fora_services.propose(seat=deputy, person=proposed, starts_on=TODAY)
    return forum


def agreement_in(council, area, *, title: str, due_on: dt.date, closed: bool = False) -> Agreement:
    agreement = Agreement.objects.create(
        council=council,
        kind=AgreementKind.objects.get(slug="sundhedsaftale"),
        title=title,
        counterpart=f"Region {council.region_name} {title}",
        policy_area=area,
        valid_from=dt.date(2027, 1, 1),
        closed_on=TODAY if closed else None,
    )
    Milestone.objects.create(agreement=agreement, kind="draft", title=f"{title}: udkast", due_on=due_on)
    Milestone.objects.create(
        agreement=agreement, kind="kkr_approval", title=f"{title}: godkendt i KKR", due_on=due_on + dt.timedelta(60)
    )
    return agreement


def meeting_in(council, area, other_area, *, title: str, days: int):
    meeting = factories.MeetingFactory(council=council, title=title, starts_at=NOW + dt.timedelta(days=days))
    AgendaItem.objects.create(meeting=meeting, number=1, title=f"{title}: sundhedsaftalen", policy_area=area)
    AgendaItem.objects.create(meeting=meeting, number=2, title=f"{title}: rammeaftalen", policy_area=other_area)
    AgendaItem.objects.create(meeting=meeting, number=3, title=f"{title}: eventuelt")
    return meeting


@pytest.fixture
def lens_data(syddanmark, sjaelland, period, period_2022, health, social, odense, roskilde):
    odense_member = councillor(odense, period, name="Anne Hjerte", party=Party.objects.get(letter="V"))
    roskilde_member = councillor(roskilde, period, name="Bent Sjællandsen")
    proposed = councillor(odense, period, name="Frede Forslag")
    social_member = councillor(odense, period, name="Svend Social")
    fyn = forum_in(syddanmark, health, period, name="Sundhedsklynge Fyn", holder=odense_member, proposed=proposed)
    # A 2022-2025 appointee who sits on until a successor is appointed.
    carried = councillor(odense, period_2022, name="Karen Overgaard", party=Party.objects.get(letter="C"))
    old = factories.SeatFactory(forum=fyn, period=period_2022, label="Medlem 2")
    appoint(old, carried, dt.date(2022, 3, 1))
    factories.SeatFactory(forum=fyn, period=period, label="Medlem 2", position=3, previous_seat=old)
    forum_in(sjaelland, health, period, name="Sundhedsklynge Sjælland", holder=roskilde_member)
    forum_in(syddanmark, social, period, name="Socialt forum Syd", holder=social_member)
    dissolved = forum_in(syddanmark, health, period, name="Nedlagt sundhedsudvalg")
    dissolved.dissolved_on = TODAY - dt.timedelta(days=10)
    dissolved.save()
    agreement_in(syddanmark, health, title="Sundhedsaftale Syd", due_on=TODAY + dt.timedelta(days=20))
    agreement_in(sjaelland, health, title="Sundhedsaftale Sjælland", due_on=TODAY - dt.timedelta(days=3))
    agreement_in(syddanmark, health, title="Lukket sundhedsaftale", due_on=TODAY, closed=True)
    agreement_in(syddanmark, social, title="Rammeaftale Syd", due_on=TODAY + dt.timedelta(days=5))
    meeting_in(syddanmark, health, social, title="Syd december", days=14)
    meeting_in(sjaelland, health, social, title="Sjælland januar", days=45)
    meeting_in(syddanmark, health, social, title="Syd oktober", days=-40)
    meeting_in(syddanmark, health, social, title="Syd for længe siden", days=-400)
    social_only = factories.MeetingFactory(council=syddanmark, title="Kun socialt", starts_at=NOW + dt.timedelta(3))
    AgendaItem.objects.create(meeting=social_only, number=1, title="Rammeaftalen", policy_area=social)
    return {"odense_member": odense_member, "roskilde_member": roskilde_member, "proposed": proposed}


def text(response) -> str:
    return response.content.decode()


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_the_index_lists_the_six_policy_areas_with_their_counts_across_the_five_kkrs(signed_in, lens_data):
    response = signed_in.get(reverse("policy_area_list"))

    content = text(response)
    assert response.status_code == 200
    for area in PolicyArea.objects.all():
        assert reverse("policy_area_detail", args=[area.slug]) in content
    health = content[content.index("/omraader/sundhed/") : content.index("/omraader/social/")]
    # Two active fora (the dissolved one not), two open agreements (the closed one not), two
    # meetings ahead.
    assert "2 fora" in health
    assert "2 åbne aftaler" in health
    assert "2 kommende møder" in health
    # Each area counts its own meetings (the count is a subquery in a subquery: a reference to the
    # wrong level would count by a meeting's id instead).
    social_start = content.index("/omraader/social/")
    social = content[social_start : content.index("<li", social_start)]
    assert "3 kommende møder" in social
    others = PolicyArea.objects.exclude(slug__in=["sundhed", "social"])
    for slug in others.values_list("slug", flat=True):
        start = content.index(f"/omraader/{slug}/")
        entry = content[start : content.find("<li", start)]
        assert "0 kommende møder" in entry, slug


def test_the_area_page_shows_agreements_with_their_next_deadline_across_all_kkrs(signed_in, lens_data):
    content = section(text(signed_in.get(reverse("policy_area_detail", args=["sundhed"]))), "aftaler")

    assert "Sundhedsaftale Syd" in content
    assert "Sundhedsaftale Sjælland" in content
    assert "Sundhedsaftale Syd: udkast" in content  # the next deadline, not the one after it
    assert "Sundhedsaftale Syd: godkendt i KKR" not in content
    assert "overskredet" in content  # Sjælland's draft was due three days ago
    assert "Lukket sundhedsaftale" not in content
    assert "Rammeaftale Syd" not in content  # another policy area


def test_the_area_page_shows_the_fora_and_who_represents_each_kkr_with_links(signed_in, lens_data):
    content = section(text(signed_in.get(reverse("policy_area_detail", args=["sundhed"]))), "fora")

    assert "KKR Sjælland" in content
    assert "KKR Syddanmark" in content
    assert "Sundhedsklynge Fyn" in content
    assert "Sundhedsklynge Sjælland" in content
    assert f'href="/personer/{lens_data["odense_member"].slug}/"' in content
    assert f'href="/personer/{lens_data["roskilde_member"].slug}/"' in content
    assert "ledig" in content  # the deputy seats nobody holds
    assert "Karen Overgaard" in content
    assert "fortsætter, til en efterfølger er udpeget" in content
    assert "Nedlagt sundhedsudvalg" not in content
    assert "Socialt forum Syd" not in content
    # Who represents the KKR now: a proposed successor is not shown.
    assert "Frede Forslag" not in content


def test_the_area_page_shows_meetings_with_only_the_items_in_the_area(signed_in, lens_data):
    content = section(text(signed_in.get(reverse("policy_area_detail", args=["sundhed"]))), "moeder")

    upcoming, recent = content.split('id="moeder-seneste"')
    assert "Syd december: sundhedsaftalen" in upcoming
    assert "Sjælland januar: sundhedsaftalen" in upcoming
    assert "rammeaftalen" not in content
    assert "eventuelt" not in content
    assert "Kun socialt" not in content
    assert "Syd oktober: sundhedsaftalen" in recent
    assert "Syd for længe siden" not in content


def test_the_public_sees_the_party_of_council_members_only(signed_in, settings, lens_data):
    settings.BLAA_BOG_PUBLIC = True
    url = reverse("policy_area_detail", args=["sundhed"])

    public = section(text(Client().get(url)), "fora")
    members = section(text(signed_in.get(url)), "fora")

    assert 'title="Venstre, Danmarks Liberale Parti"' in public  # Anne sits in Odense's council
    assert 'title="Det Konservative Folkeparti"' not in public  # Karen's seat ended with 2022-2025
    assert 'title="Det Konservative Folkeparti"' in members


def test_the_kkr_filter_shows_one_kkr_only(signed_in, lens_data):
    content = text(signed_in.get(reverse("policy_area_detail", args=["sundhed"]), {"kkr": "sjaelland"}))

    assert "Sundhedsaftale Sjælland" in content
    assert "Sundhedsklynge Sjælland" in content
    assert "Sjælland januar" in content
    assert "Sundhedsaftale Syd" not in content
    assert "Sundhedsklynge Fyn" not in content
    assert "Syd december" not in content
    assert '<option value="sjaelland" selected>' in content


@pytest.mark.parametrize("kkr", ["atlantis", "x" * 10_000, "syd\x00danmark", "'; DROP TABLE members_council; --"])
def test_an_unknown_kkr_gives_the_page_with_a_message_and_nothing_listed(signed_in, lens_data, kkr):
    response = signed_in.get(reverse("policy_area_detail", args=["sundhed"]), {"kkr": kkr})

    content = text(response)
    assert response.status_code == 200
    assert "Vi kender ikke det valgte KKR" in content
    assert "Sundhedsaftale Syd" not in content
    assert "Sundhedsklynge Fyn" not in content


def test_an_unknown_policy_area_is_the_portals_404(signed_in):
    response = signed_in.get("/omraader/astrologi/")

    assert response.status_code == 404
    assert "Siden findes ikke" in text(response)


def test_anonymous_visitors_are_sent_to_login_unless_the_blaa_bog_is_public(client, settings, lens_data):
    settings.BLAA_BOG_PUBLIC = False
    for url in (reverse("policy_area_list"), reverse("policy_area_detail", args=["sundhed"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    settings.BLAA_BOG_PUBLIC = True
    response = client.get(reverse("policy_area_detail", args=["sundhed"]))
    assert response.status_code == 200
    assert "Sundhedsklynge Fyn" in text(response)


def test_the_policy_areas_are_linked_from_om_kkr_the_kkr_page_and_the_menu(signed_in, syddanmark):
    about = text(signed_in.get(reverse("about")))
    council = text(signed_in.get(reverse("council_detail", args=["syddanmark"])))

    assert 'href="/omraader/sundhed/"' in about
    assert 'href="/omraader/"' in about  # the menu, on every page
    assert 'href="/omraader/sundhed/?kkr=syddanmark"' in council


def grow(syddanmark, sjaelland, period, health, social, n: int) -> None:
    """``n`` more fora, agreements and meetings in the area, in both KKRs."""
    municipality = Municipality.objects.filter(council=syddanmark).order_by("code").first()
    other = Municipality.objects.filter(council=sjaelland).order_by("code").first()
    for number in range(n):
        for council, place in ((syddanmark, municipality), (sjaelland, other)):
            holder = councillor(place, period)
            forum_in(council, health, period, name=f"{council.name} sundhed {number}", holder=holder)
            agreement_in(council, health, title=f"{council.name} aftale {number}", due_on=TODAY + dt.timedelta(9))
            meeting_in(council, health, social, title=f"{council.name} møde {number}", days=10 + number)
            meeting_in(council, health, social, title=f"{council.name} møde før {number}", days=-10 - number)


@pytest.mark.parametrize("extra", [0, 6])
def test_the_area_page_query_count_does_not_grow_with_the_rows_shown(
    signed_in, lens_data, syddanmark, sjaelland, period, health, social, extra, django_assert_num_queries
):
    grow(syddanmark, sjaelland, period, health, social, extra)

    with django_assert_num_queries(LENS_QUERIES):
        response = signed_in.get(reverse("policy_area_detail", args=["sundhed"]))
    assert text(response).count('class="forum-block') == 2 + 2 * extra
    with django_assert_num_queries(LENS_QUERIES + AGAIN):
        signed_in.get(reverse("policy_area_detail", args=["sundhed"]), {"kkr": "syddanmark"})
    with django_assert_num_queries(LIST_QUERIES + AGAIN):
        signed_in.get(reverse("policy_area_list"))
