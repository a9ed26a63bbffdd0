"""The Blå Bog's data below the page (members.filters): how its people, their total and roles are read."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.paginator import Paginator
from django.http import QueryDict

from members.filters import PAGE_SIZE, DirectoryFilterSet, build_entries
from members.models import Person
from tests import factories
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db


def filtered(query_string: str) -> DirectoryFilterSet:
    return DirectoryFilterSet(QueryDict(query_string))


@pytest.fixture
def hansens(odense, period, period_2022):
    """``make(current, former)``: Hansens with a council seat today, then Hansens whose seat ended
    with 2025 (listed after them), and one Hansen who never held a role (never listed)."""

    def make(current: int, former: int = 0) -> None:
        for number in range(current):
            councillor(odense, period, name=f"Hans Hansen {number:03d}", sort_name=f"Hansen, Hans {number:03d}")
        for number in range(former):
            councillor(odense, period_2022, name=f"Anna Hansen {number:03d}", sort_name=f"Hansen, Anna {number:03d}")
        factories.PersonFactory(name="Aage Hansen", sort_name="Hansen, Aage")

    return make


@pytest.mark.parametrize(
    ("current", "former"),
    [(0, 0), (1, 0), (PAGE_SIZE - 1, 0), (PAGE_SIZE, 0), (PAGE_SIZE + 1, 0), (PAGE_SIZE - 2, 5), (60, 45)],
)
def test_the_total_and_every_page_agree_with_reading_everyone(hansens, current, former):
    hansens(current, former)
    everyone = list(filtered("q=hansen").qs.values_list("name", flat=True))
    assert len(everyone) == current + former
    assert all(name.startswith("Hans ") for name in everyone[:current])

    paginator = Paginator(filtered("q=hansen").qs, PAGE_SIZE)
    assert paginator.count == len(everyone)
    pages = [person.name for number in paginator.page_range for person in paginator.page(number).object_list]
    assert pages == everyone


@pytest.mark.parametrize("count", [3, 60])
def test_a_name_search_reads_its_first_page_with_the_total_and_the_roles_in_one_query(
    hansens, django_assert_num_queries, count
):
    # No option lists, no COUNT(*) of its own, no query for the roles: what the benchmark times
    # as the Blå Bog search's data part.
    hansens(count)
    with django_assert_num_queries(1):
        filterset = filtered("q=hansen")
        criteria = filterset.criteria()
        page = Paginator(filterset.qs, PAGE_SIZE).page(1)
        entries = build_entries(list(page.object_list), criteria)
    assert page.paginator.count == count
    assert len(entries) == min(count, PAGE_SIZE)
    assert entries[0].roles == ["Medlem af kommunalbestyrelsen, Odense"]


def test_a_list_by_name_is_counted_on_its_own(hansens, django_assert_num_queries):
    # Sorted by name, the first page is read in index order and the query stops; a total beside
    # it would make it read every match (PostgreSQL 15 does not cost that in: 0.5 s for 1,300).
    hansens(3)
    with django_assert_num_queries(2) as captured:
        filterset = filtered("")
        page = Paginator(filterset.qs, PAGE_SIZE).page(1)
        build_entries(list(page.object_list), filterset.criteria())
    assert page.paginator.count == 3
    assert "COUNT(*) AS" in captured[0]["sql"]
    assert not any("OVER ()" in query["sql"] for query in captured)


def test_a_filter_with_a_list_reads_the_lists_to_check_its_value(hansens, syddanmark, django_assert_num_queries):
    hansens(3)
    with django_assert_num_queries(6):
        criteria = filtered("q=hansen&kkr=syddanmark").criteria()
    assert criteria.council_id == syddanmark.pk
    assert criteria.council_municipality_ids == tuple(syddanmark.municipalities.values_list("pk", flat=True))
    with django_assert_num_queries(6):
        filterset = filtered("kkr=atlantis")
        assert filterset.criteria().council_id is None
    assert filterset.notices() == ["KKR: vi kender ikke »atlantis«, så det filter er ikke brugt."]


def test_the_form_reads_its_lists_when_it_is_drawn(hansens, django_assert_num_queries):
    hansens(1)
    filterset = filtered("q=hansen")
    filterset.criteria()
    with django_assert_num_queries(6):
        html = str(filterset.form["kkr"]) + str(filterset.form["forum"])
    assert '<option value="syddanmark">KKR Syddanmark</option>' in html


def test_a_slice_outside_the_first_page_is_read_from_the_database(hansens, django_assert_num_queries):
    hansens(PAGE_SIZE + 5)
    people = filtered("q=hansen").qs
    assert people.count() == PAGE_SIZE + 5
    with django_assert_num_queries(0):
        first = people[:PAGE_SIZE]
        third = people[2:3]
    assert [person.name for person in first][:3] == ["Hans Hansen 000", "Hans Hansen 001", "Hans Hansen 002"]
    assert [person.name for person in third] == ["Hans Hansen 002"]
    with django_assert_num_queries(1):
        rest = list(people[PAGE_SIZE:])
    assert [person.name for person in rest] == [
        f"Hans Hansen {number:03d}" for number in range(PAGE_SIZE, PAGE_SIZE + 5)
    ]
    with django_assert_num_queries(1):
        assert list(people[PAGE_SIZE - 1 : PAGE_SIZE + 1])[1].name == f"Hans Hansen {PAGE_SIZE:03d}"


def test_the_first_page_kept_by_count_is_not_used_by_a_narrower_query(hansens):
    hansens(5)
    people = filtered("q=hansen").qs
    assert people.count() == 5
    narrower = people.filter(name="Hans Hansen 003")
    assert narrower.count() == 1
    assert [person.name for person in narrower[:PAGE_SIZE]] == ["Hans Hansen 003"]


def test_counting_a_slice_or_a_read_queryset_counts_as_usual(hansens, django_assert_num_queries):
    hansens(5)
    people = filtered("q=hansen").qs
    assert people[:2].count() == 2
    everyone = list(people)
    with django_assert_num_queries(0):
        assert people.count() == len(everyone) == 5


@pytest.mark.parametrize("query", ["q=hansen", "q=hansen&kkr=syddanmark", "q=hansen&rolle=mayor&periode=2026-2029"])
def test_a_name_search_probes_seats_and_appointments_person_by_person(hansens, query):
    # As EXISTS, PostgreSQL may answer "held a council seat" by hashing every seat that matches
    # (17,000 held today at the benchmark's 40x scale) to test the few people a name finds.
    hansens(1)
    sql = str(filtered(query).qs.query)
    assert 'EXISTS(SELECT 1 AS "a" FROM "members_councilseat"' not in sql
    assert 'EXISTS(SELECT 1 AS "a" FROM "fora_appointment"' not in sql
    assert 'FROM "members_councilseat"' in sql


def test_people_come_with_the_fields_their_entries_show(hansens, venstre, odense, period):
    hansens(1)
    councillor(odense, period, name="Vera Hansen", sort_name="Hansen, Vera", party=venstre)
    people = list(filtered("q=hansen").qs)
    entries = {entry.person.name: entry for entry in build_entries(people, filtered("q=hansen").criteria())}
    assert entries["Vera Hansen"].party == str(venstre)
    assert entries["Hans Hansen 000"].party == ""
    assert Person.objects.get(name="Vera Hansen").party == venstre


@pytest.mark.parametrize("query", ["", "q=hansen"])
def test_the_list_follows_the_day_it_is_read_on(odense, period, query):
    # The query built for a set of criteria is kept (members.filters._listed); "today" is one of them.
    councillor(odense, period, name="Hans Hansen", started_on=dt.date(2026, 6, 1))
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        before = {person.name: person.is_current for person in filtered(query).qs}
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC), tick=False):
        after = {person.name: person.is_current for person in filtered(query).qs}
    assert before.get("Hans Hansen", False) is False  # a name search finds him, as not yet holding it
    assert after["Hans Hansen"] is True
