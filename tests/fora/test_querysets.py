"""Reads of the fora app that the dashboard, the fora list and the admin filters share."""

from __future__ import annotations

import datetime as dt

import pytest

from fora.models import Forum, Seat
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def forum(syddanmark, period) -> Forum:
    return factories.ForumFactory(
        name="Kortlivet forum", slug="kortlivet", founded_on=dt.date(2026, 3, 1), dissolved_on=dt.date(2027, 6, 30)
    )


@pytest.mark.parametrize(
    ("on", "vacant"),
    [
        (dt.date(2026, 2, 28), False),  # not yet founded
        (dt.date(2026, 3, 1), True),
        (dt.date(2027, 6, 30), True),  # its last day
        (dt.date(2027, 7, 1), False),  # dissolved: no longer a vacancy to fill
        (dt.date(2029, 12, 31), False),
    ],
)
def test_a_seat_is_vacant_only_while_its_forum_is_active(forum, period, on, vacant):
    seat = factories.SeatFactory(forum=forum, period=period, label="Medlem 1")
    assert Seat.objects.vacant_on(on).filter(pk=seat.pk).exists() is vacant


def test_the_fora_list_counts_no_vacancies_in_a_dissolved_forum(forum, period):
    factories.SeatFactory(forum=forum, period=period, label="Medlem 1")

    (row,) = Forum.objects.filter(pk=forum.pk).listing(dt.date(2028, 1, 1))

    assert (row.seat_count, row.vacant_count) == (1, 0)
