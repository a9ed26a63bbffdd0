"""The front page: the five KKRs with their chair, vice-chair, size and next meeting."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from agreements.models import Agreement, AgreementKind, Milestone
from members import services
from members.models import Chairmanship, Municipality
from tests import factories

pytestmark = pytest.mark.django_db
CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
TODAY = dt.datetime(2026, 11, 23, 12, 0, tzinfo=CPH)


def _mayors(council, period, count, *, skip=0):
    people = []
    for municipality in Municipality.objects.filter(council=council)[skip : skip + count]:
        person = factories.PersonFactory()
        services.record_mayor(person=person, municipality=municipality, period=period, started_on=period.starts_on)
        people.append(person)
    return people


@time_machine.travel(TODAY, tick=False)
def test_the_front_page_lists_the_five_councils_with_chair_and_next_meeting(client, syddanmark, period):
    chair, vice = _mayors(syddanmark, period, 2)
    services.elect_chair(
        council=syddanmark, period=period, role=Chairmanship.Role.CHAIR, person=chair, started_on=period.starts_on
    )
    services.elect_chair(
        council=syddanmark, period=period, role=Chairmanship.Role.VICE_CHAIR, person=vice, started_on=period.starts_on
    )
    factories.MeetingFactory(council=syddanmark, starts_at=dt.datetime(2026, 12, 7, 10, 0, tzinfo=CPH))

    response = client.get(reverse("home"))

    assert response.status_code == 200
    councils = {council.slug: council for council in response.context["councils"]}
    assert list(councils) == ["hovedstaden", "midtjylland", "nordjylland", "sjaelland", "syddanmark"]
    syd = councils["syddanmark"]
    assert (syd.chair_name, syd.vice_chair_name, syd.member_count, syd.municipality_count) == (
        chair.name,
        vice.name,
        2,
        22,
    )
    content = response.content.decode()
    assert chair.name in content
    assert "7. december 2026 10:00" in content
    assert councils["sjaelland"].chair_name is None
    assert "ikke valgt" in content


@time_machine.travel(TODAY, tick=False)
def test_the_front_page_query_count_does_not_grow_with_the_data(
    client, syddanmark, sjaelland, period, django_assert_num_queries
):
    _mayors(syddanmark, period, 1)
    with django_assert_num_queries(1) as small:
        client.get(reverse("home"))
    _mayors(syddanmark, period, 15, skip=1)
    _mayors(sjaelland, period, 15)
    for day in range(1, 20):
        factories.MeetingFactory(council=sjaelland, starts_at=dt.datetime(2026, 12, day, 10, 0, tzinfo=CPH))
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("home"))


def test_an_unknown_page_gets_the_portals_404(client):
    response = client.get("/findes-ikke/")
    assert response.status_code == 404
    assert "Siden findes ikke" in response.content.decode()


def test_bootstrap_is_served_by_the_portal_itself(client):
    content = client.get(reverse("home")).content.decode()
    assert "/static/bootstrap/css/bootstrap.min.css" in content
    # Every stylesheet, script and image is the portal's own: no address on another host. (Not
    # a search for "cdn" in the page: a random CSRF token contains it once in some 500 pages.)
    assets = re.findall(r'<(?:link|script|img)\b[^>]*\b(?:href|src)="([^"]+)"', content)
    assert assets
    assert [url for url in assets if not url.startswith("/")] == []


# --- Links and the signed-in member's own agenda -------------------------------------------------

# the session with the versions, the user, the five KKRs, the person, their meetings, their deadlines
SIGNED_IN_HOME_QUERIES = 6


def _agreement(council, title, *milestones):
    agreement = Agreement.objects.create(
        council=council,
        kind=AgreementKind.objects.get(slug="resultatkontrakt"),
        title=title,
        counterpart=title,
        valid_from=dt.date(2026, 1, 1),
    )
    for step_title, due_on, audience in milestones:
        Milestone.objects.create(
            agreement=agreement, kind=Milestone.Kind.OTHER, title=step_title, due_on=due_on, audience=audience
        )
    return agreement


def _member_of(council, period, user):
    """A mayor in ``council`` (so a KKR member) whose login is ``user``."""
    (person,) = _mayors(council, period, 1)
    person.user = user
    person.save()
    return person


def test_each_council_on_the_front_page_links_to_its_page(client):
    content = client.get(reverse("home")).content.decode()

    for slug in ("hovedstaden", "midtjylland", "nordjylland", "sjaelland", "syddanmark"):
        assert f'href="{reverse("council_detail", args=[slug])}"' in content


@time_machine.travel(TODAY, tick=False)
def test_a_signed_in_member_sees_the_next_meetings_and_deadlines_of_their_councils(
    client, syddanmark, sjaelland, period
):
    user = factories.UserFactory(email="borgmester@example.dk")
    _member_of(syddanmark, period, user)
    factories.MeetingFactory(
        council=syddanmark, title="Decembermødet", starts_at=dt.datetime(2026, 12, 7, 10, 0, tzinfo=CPH)
    )
    factories.MeetingFactory(council=sjaelland, title="Et andet KKR's møde")
    factories.MeetingFactory(
        council=syddanmark, title="Oktobermødet", starts_at=dt.datetime(2026, 10, 7, 10, 0, tzinfo=CPH)
    )
    _agreement(
        syddanmark,
        "Resultatkontrakt med Erhvervshus Fyn",
        ("Resultatkontrakt godkendt i KKR", dt.date(2026, 12, 10), Milestone.Audience.MEMBERS),
        ("Udkast til sekretariatet", dt.date(2026, 12, 1), Milestone.Audience.SECRETARIAT),
        ("Sidste års frist", dt.date(2026, 11, 1), Milestone.Audience.MEMBERS),
    )
    _agreement(
        sjaelland,
        "Resultatkontrakt med Erhvervshus Sjælland",
        ("Sjællands frist", dt.date(2026, 12, 10), Milestone.Audience.MEMBERS),
    )
    client.force_login(user)

    response = client.get(reverse("home"))

    content = response.content.decode()
    assert "Dine næste møder og frister" in content
    assert [meeting.title for meeting in response.context["next_meetings"]] == ["Decembermødet"]
    assert [step.title for step in response.context["next_milestones"]] == ["Resultatkontrakt godkendt i KKR"]
    assert "7. december 2026 10:00" in content
    assert "10. december 2026" in content
    assert "Et andet KKR's møde" not in content
    assert "Udkast til sekretariatet" not in content


@time_machine.travel(TODAY, tick=False)
def test_an_appointee_sees_the_meetings_of_the_council_that_appointed_them(client, sjaelland, roskilde, period):
    from fora import services as fora_services
    from tests.rules_helpers import councillor

    user = factories.UserFactory(email="udpeget@example.dk")
    person = councillor(roskilde, period, user=user)
    seat = factories.SeatFactory(forum=factories.ForumFactory(council=sjaelland))
    appointment = fora_services.propose(seat=seat, person=person, starts_on=dt.date(2026, 3, 1))
    fora_services.appoint(appointment=appointment, appointed_on=dt.date(2026, 3, 1))
    factories.MeetingFactory(council=sjaelland, title="Sjællandsk møde")
    client.force_login(user)

    response = client.get(reverse("home"))

    assert [meeting.title for meeting in response.context["next_meetings"]] == ["Sjællandsk møde"]


def test_a_signed_in_user_without_a_person_is_told_so_on_the_front_page(client):
    client.force_login(factories.UserFactory(email="ukoblet@example.dk"))

    content = client.get(reverse("home")).content.decode()

    assert "Dit login er ikke koblet til en person i Blå Bog endnu." in content
    assert "Dine næste møder og frister" not in content


def test_anonymous_visitors_see_no_personal_agenda(client):
    content = client.get(reverse("home")).content.decode()

    assert "Dine næste møder og frister" not in content


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("size", [1, 12])
def test_the_signed_in_front_page_query_count_does_not_grow_with_the_agenda(
    client, syddanmark, period, size, django_assert_num_queries
):
    user = factories.UserFactory(email="borgmester@example.dk")
    _member_of(syddanmark, period, user)
    _mayors(syddanmark, period, size, skip=1)
    for day in range(size):
        factories.MeetingFactory(council=syddanmark, starts_at=dt.datetime(2026, 12, 1 + day, 10, 0, tzinfo=CPH))
        _agreement(
            syddanmark, f"Aftale {day}", (f"Frist {day}", dt.date(2026, 12, 1 + day), Milestone.Audience.MEMBERS)
        )
    client.force_login(user)

    with django_assert_num_queries(SIGNED_IN_HOME_QUERIES):
        response = client.get(reverse("home"))

    assert len(response.context["next_meetings"]) == min(size, 5)


def test_the_menu_kept_per_process_follows_the_audience_and_the_language(client):
    """The menu and footer are kept per language and audience ({% cache %} in templates/includes):
    a visitor's copy never reaches a member, nor the Danish one an English reader."""
    visitor = client.get(reverse("home")).content.decode()
    client.force_login(factories.UserFactory(email="menu@example.dk"))
    member = client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("home")).content.decode()
    client.logout()
    visitor_again = client.get(reverse("home")).content.decode()

    my_page = f'href="{reverse("my_page")}"'
    assert my_page not in visitor
    assert my_page in member
    assert ">Min side<" in member
    assert ">My page<" in english
    assert "Ændringer i Blå Bog" in member
    assert "Ændringer i Blå Bog" not in english
    assert my_page not in visitor_again
