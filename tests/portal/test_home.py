"""The front page: the five KKRs with their chair, vice-chair, size and next meeting."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

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
    assert "cdn" not in content.lower()
