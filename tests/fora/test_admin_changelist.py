"""The appointment change list: the same number of queries however many rows it shows, for every
filter, search, ordering and page, for staff and superusers; and what its search finds."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fora import services
from fora.admin import AppointmentAdmin
from fora.models import Appointment, Seat
from kkr_portal.pagecache import local_parts
from members import services as member_services
from members.models import CouncilSeat
from tests import factories, rules_helpers
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

frozen_today = rules_helpers.frozen_today

CHANGELIST = reverse("admin:fora_appointment_changelist")
STARTED = dt.date(2026, 3, 1)
# One of each kind of row the list and its filters show; ``_add_rounds`` adds ``n`` of each.
KINDS = ("proposed", "nominated", "appointed", "ending", "left_council", "carry_over", "ended")


def _appoint(seat, person, starts_on=STARTED, **fields):
    appointment = services.propose(seat=seat, person=person, starts_on=starts_on, **fields)
    return services.appoint(appointment=appointment, appointed_on=starts_on)


def _add_rounds(n: int, council, municipality, period, previous, tag: str) -> None:
    """``n`` rows of every kind in ``council``'s fora (a new forum each round): every status, a
    term ending within 60 days, an appointee who left the municipal council, a carry-over from
    the previous period. Every other appointee is called Jensen (the searches below find them)."""
    for round_ in range(n):
        forum = factories.ForumFactory(council=council, name=f"Forum {tag} {round_}", slug=f"forum-{tag}-{round_}")
        for index, kind in enumerate(KINDS):
            name = f"Søren Jensen {tag}{round_}{index}" if index % 2 else f"Anne Hansen {tag}{round_}{index}"
            person = councillor(municipality, period, name=name)
            seat = factories.SeatFactory(forum=forum, period=period, label=f"Medlem {index}")
            if kind == "proposed":
                services.propose(seat=seat, person=person, starts_on=STARTED)
            elif kind == "nominated":
                proposal = services.propose(seat=seat, person=person, starts_on=STARTED)
                services.nominate(appointment=proposal, nominated_on=STARTED)
            elif kind == "appointed":
                _appoint(seat, person)
            elif kind == "ending":
                _appoint(seat, person, term_ends_on=dt.date(2026, 12, 31))
            elif kind == "left_council":
                council_seat = CouncilSeat.objects.get(person=person, period=period)
                member_services.end_council_seat(seat=council_seat, ended_on=dt.date(2026, 6, 30))
                _appoint(seat, person)
            elif kind == "carry_over":
                member_services.add_council_seat(
                    person=person, municipality=municipality, period=previous, started_on=previous.starts_on
                )
                old_seat = factories.SeatFactory(forum=forum, period=previous, label=f"Medlem {index}")
                _appoint(old_seat, person, dt.date(2022, 3, 1))
                Seat.objects.filter(pk=seat.pk).update(previous_seat=old_seat)
            else:
                appointment = _appoint(seat, person)
                services.end(appointment=appointment, ended_on=dt.date(2026, 6, 1), reason="resigned")


@pytest.fixture
def add_rounds(frozen_today, syddanmark, sjaelland, odense, roskilde, period, period_2022):
    """Rows in Syddanmark (staff_syddanmark's KKR) and as many in Sjælland (only superusers see them)."""

    def add(n: int) -> None:
        count = Appointment.objects.count()
        _add_rounds(n, syddanmark, odense, period, period_2022, f"s{count}")
        _add_rounds(n, sjaelland, roskilde, period, period_2022, f"j{count}")

    return add


@pytest.fixture
def client_syd(client, staff_syddanmark):
    staff_syddanmark.user_permissions.set(Permission.objects.all())
    client.force_login(staff_syddanmark)
    return client


@pytest.fixture
def client_admin(client, superuser):
    client.force_login(superuser)
    return client


def _variants(period, syddanmark) -> dict[str, dict]:
    """Every filter, a search in each kind of column, each column's ordering, a later page."""
    return {
        "all": {},
        "search name": {"q": "jensen"},
        "search folded name": {"q": "soren"},
        "search seat": {"q": "Medlem"},
        "search forum and name": {"q": "Forum jensen"},
        "kkr": {"seat__forum__council__id__exact": syddanmark.pk},
        "status": {"status__exact": "appointed"},
        "period": {"seat__period__id__exact": period.pk},
        "seat kind": {"seat__kind__exact": "member"},
        "carry-over": {"overgang": "1"},
        "ending soon": {"udloeber": "60"},
        "left council": {"uden_kommunalt_mandat": "1"},
        "filters and search": {"status__exact": "appointed", "seat__period__id__exact": period.pk, "q": "jensen"},
        **{f"ordered by column {column}": {"o": column} for column in ("1", "2", "-3", "4", "-5", "6")},
    }


def _count(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, params)
    assert response.status_code == 200, params
    return len(queries.captured_queries)


def _cold_count(client, params) -> int:
    """The queries of a page not in the cache (kkr_portal.admin_cache): the count, the rows and the
    filters' choices are read."""
    cache.clear()
    local_parts.clear()
    return _count(client, params)


def _counts(client, variants, *, warm=False) -> dict[str, int]:
    client.get(CHANGELIST)  # the session and the content types are read once
    count = _count if warm else _cold_count
    return {name: count(client, params) for name, params in variants.items()}


def _shown(client, params) -> int:
    return len(client.get(CHANGELIST, params).context["cl"].result_list)


@pytest.mark.parametrize("user", ["client_syd", "client_admin"], ids=["staff", "superuser"])
def test_the_change_list_takes_as_many_queries_for_many_rows_as_for_few(request, add_rounds, period, syddanmark, user):
    client = request.getfixturevalue(user)
    variants = _variants(period, syddanmark)
    add_rounds(1)
    few = _counts(client, variants)
    few_warm = _counts(client, variants, warm=True)
    shown_few = {name: _shown(client, params) for name, params in variants.items()}
    add_rounds(7)
    many = _counts(client, variants)
    many_warm = _counts(client, variants, warm=True)
    shown_many = {name: _shown(client, params) for name, params in variants.items()}
    # Each variant shows more rows the second time, so a query per row would show.
    assert all(shown_many[name] > shown_few[name] for name in variants), (shown_few, shown_many)
    assert many == few
    assert many_warm == few_warm
    # Warm, the page is the session's queries and the data version: no count, no rows, no choices.
    assert all(warm < cold for warm, cold in zip(many_warm.values(), many.values(), strict=True))


@pytest.mark.parametrize("user", ["client_syd", "client_admin"], ids=["staff", "superuser"])
def test_a_later_page_takes_as_many_queries_as_the_first(request, add_rounds, user):
    client = request.getfixturevalue(user)
    with mock.patch.object(AppointmentAdmin, "list_per_page", 10):
        add_rounds(3)  # 21 rows for staff: the third page has one
        client.get(CHANGELIST)
        first = _cold_count(client, {})
        later = {page: _cold_count(client, {"p": page}) for page in ("2", "3")}
        for page in ("1", "2", "3"):
            client.get(CHANGELIST, {"p": page})  # into the cache
        first_warm = _count(client, {"p": "1"})
        later_warm = {page: _count(client, {"p": page}) for page in ("2", "3")}
    assert later == {"2": first, "3": first}
    assert later_warm == {"2": first_warm, "3": first_warm}


def test_the_change_list_shows_every_row_of_the_page(client_syd, add_rounds):
    add_rounds(2)
    response = client_syd.get(CHANGELIST)
    cl = response.context["cl"]
    assert cl.result_count == 2 * len(KINDS)
    assert len(cl.result_list) == cl.result_count


# --- the search ------------------------------------------------------------------------------


def _found(client, term: str) -> set[int]:
    response = client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    return {appointment.pk for appointment in response.context["cl"].result_list}


@pytest.fixture
def forum_with_people(frozen_today, syddanmark, odense, period):
    """A forum with two appointees, and another forum with a third."""
    health = factories.ForumFactory(council=syddanmark, name="Sundhedskoordinationsudvalget", slug="suk")
    business = factories.ForumFactory(council=syddanmark, name="Erhvervshus Fyn", slug="erhvervshus-fyn")
    rows = {
        "søren": services.propose(
            seat=factories.SeatFactory(forum=health, label="Formand"),
            person=councillor(odense, period, name="Søren Ærbøl-Jensen"),
            starts_on=STARTED,
        ),
        "mette": services.propose(
            seat=factories.SeatFactory(forum=health, label="Næstformand"),
            person=councillor(odense, period, name="Mette Hansen"),
            starts_on=STARTED,
        ),
        "anne": services.propose(
            seat=factories.SeatFactory(forum=business, label="Bestyrelsesmedlem"),
            person=councillor(odense, period, name="Anne Jensen"),
            starts_on=STARTED,
        ),
    }
    return {name: appointment.pk for name, appointment in rows.items()}


def test_the_search_finds_a_name_written_without_danish_letters(client_syd, forum_with_people):
    assert _found(client_syd, "soren aerbol") == {forum_with_people["søren"]}
    assert _found(client_syd, "SØREN") == {forum_with_people["søren"]}


def test_the_search_finds_part_of_a_name(client_syd, forum_with_people):
    assert _found(client_syd, "jensen") == {forum_with_people["søren"], forum_with_people["anne"]}


def test_the_search_finds_a_seat_by_its_label_and_a_forum_by_its_name(client_syd, forum_with_people):
    assert _found(client_syd, "næstformand") == {forum_with_people["mette"]}
    assert _found(client_syd, "erhvervshus") == {forum_with_people["anne"]}


def test_every_word_of_the_search_must_be_found_somewhere(client_syd, forum_with_people):
    assert _found(client_syd, "jensen sundhed") == {forum_with_people["søren"]}
    assert _found(client_syd, "mette erhvervshus") == set()


def test_a_quoted_phrase_is_searched_as_one(client_syd, forum_with_people):
    assert _found(client_syd, '"erhvervshus fyn"') == {forum_with_people["anne"]}
    assert _found(client_syd, '"fyn erhvervshus"') == set()


def test_a_search_without_words_lists_every_row(client_syd, forum_with_people):
    assert _found(client_syd, "   ") == set(forum_with_people.values())


def test_the_search_finds_nothing_in_another_kkr(client_syd, forum_with_people, sjaelland, roskilde, period):
    theirs = services.propose(
        seat=factories.SeatFactory(forum=factories.ForumFactory(council=sjaelland, name="Sundhed Sjælland")),
        person=councillor(roskilde, period, name="Søren Jensen"),
        starts_on=STARTED,
    )
    for term in ("søren jensen", "sundhed", "formand"):
        assert theirs.pk not in _found(client_syd, term)


def test_a_superuser_finds_every_kkrs_rows(client_admin, forum_with_people, sjaelland, roskilde, period):
    theirs = services.propose(
        seat=factories.SeatFactory(forum=factories.ForumFactory(council=sjaelland, name="Sundhed Sjælland")),
        person=councillor(roskilde, period, name="Søren Jensen"),
        starts_on=STARTED,
    )
    assert _found(client_admin, "søren jensen") == {forum_with_people["søren"], theirs.pk}
