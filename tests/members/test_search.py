"""The Blå Bog's name search forgives case, accents and Danish spelling."""

from __future__ import annotations

import pytest
from django.db import connection

from members.models import Person
from members.search import MAX_QUERY_LENGTH, MAX_QUERY_WORDS, fold, name_matches, search_words
from tests import factories


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Søren", "soren"),
        ("SØREN", "soren"),
        ("Soeren", "soren"),
        ("Ærø", "aro"),
        ("Aeroe", "aro"),
        ("aerø", "aro"),
        ("Aero", "aro"),
        ("Møller", "moller"),
        ("Moeller", "moller"),
        ("Århus", "arhus"),
        ("Aarhus", "arhus"),
        ("José Müller", "jose muller"),
        ("Zoë Ångström", "zo angstrom"),  # ë keeps no diaeresis; "oe" folds like ø
        ("Hans-Christian Bøgh-Andersen", "hans christian bogh andersen"),
        ("O'Neill", "oneill"),
        ("  Anne \t  Jensen ", "anne jensen"),
        ("Anne\x00Jensen", "anne jensen"),
        ("ﬁnn", "finn"),  # NFKD: the ligature is two letters
        ("", ""),
    ],
)
def test_fold_brings_spellings_to_one_form(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize("text", ["Søren Ærø-Møller", "Aage Aaen", "Jørgen Bæk", "Åse Ødegård"])
def test_folding_twice_changes_nothing(text):
    assert fold(fold(text)) == fold(text)


def test_search_words_are_folded_cut_and_deduplicated():
    assert search_words("  Søren  søren MØLLER ") == ["soren", "moller"]
    assert search_words("x" * 10_000) == ["x" * MAX_QUERY_LENGTH]
    assert len(search_words(" ".join(f"ord{n}" for n in range(50)))) == MAX_QUERY_WORDS
    assert search_words("!!! \x00 ---") == []


def _found(query: str) -> set[str]:
    return set(Person.objects.filter(name_matches(search_words(query))).values_list("name", flat=True))


@pytest.fixture
def people(db) -> None:
    for name in [
        "Søren Kragh",
        "Lars Ærø",
        "Birthe Moeller",
        "Kim Møller",
        "Anne Marie Jensen",
        "José Hansen",
        "Aase Aarup",
        "Sara Lund",
    ]:
        factories.PersonFactory(name=name)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("soren", {"Søren Kragh"}),
        ("SØREN", {"Søren Kragh"}),
        ("Søren Kragh", {"Søren Kragh"}),
        ("kragh søren", {"Søren Kragh"}),
        ("aerø", {"Lars Ærø"}),
        ("aeroe", {"Lars Ærø"}),
        ("aero", {"Lars Ærø"}),
        ("ÆRØ", {"Lars Ærø"}),
        ("møller", {"Birthe Moeller", "Kim Møller"}),
        ("moeller", {"Birthe Moeller", "Kim Møller"}),
        ("moller", {"Birthe Moeller", "Kim Møller"}),
        ("jens", {"Anne Marie Jensen"}),
        ("anne jensen", {"Anne Marie Jensen"}),
        ("marie", {"Anne Marie Jensen"}),
        ("jose", {"José Hansen"}),
        ("åse årup", {"Aase Aarup"}),
        ("rup", {"Aase Aarup"}),
        ("lund", {"Sara Lund"}),
        ("sørensen", set()),
        ("nobody", set()),
        # One or two letters: matched without the trigram index, the same way.
        ("kr", {"Søren Kragh"}),
        ("la", {"Lars Ærø"}),
        ("ø", {"Søren Kragh", "Lars Ærø", "Birthe Moeller", "Kim Møller", "José Hansen"}),
        ("se", {"Anne Marie Jensen", "José Hansen", "Aase Aarup"}),
        ("a r", {"Søren Kragh", "Lars Ærø", "Anne Marie Jensen", "Aase Aarup", "Sara Lund"}),
        ("se jensen", {"Anne Marie Jensen"}),
    ],
)
def test_a_name_search_forgives_case_accents_and_danish_spelling(people, query, names):
    assert _found(query) == names


def test_save_keeps_the_search_name(db):
    person = factories.PersonFactory(name="Søren Kragh")
    assert person.search_name == "soren kragh"
    person.name = "Søren Ærø"
    person.save(update_fields=["name"])
    person.refresh_from_db()
    assert person.search_name == "soren aro"


def test_saving_other_fields_leaves_the_search_name_alone(db):
    person = factories.PersonFactory(name="Søren Kragh")
    person.phone = "12 34 56 78"
    person.save(update_fields=["phone"])
    person.refresh_from_db()
    assert (person.phone, person.search_name) == ("12 34 56 78", "soren kragh")


@pytest.mark.postgres
def test_postgresql_has_a_trigram_index_on_the_search_name(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'members_person_search_name_trgm'")
        (definition,) = cursor.fetchone()
    assert "USING gin" in definition
    assert "gin_trgm_ops" in definition


@pytest.mark.postgres
def test_postgresql_uses_the_trigram_index_for_a_name_search(db):
    query = Person.objects.filter(name_matches(search_words("møller"))).order_by()
    with connection.cursor() as cursor:
        # A tiny table: make the planner show which index can serve the search at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = query.explain()
    assert "members_person_search_name_trgm" in plan


@pytest.mark.postgres
def test_postgresql_reads_no_index_for_a_word_of_one_or_two_letters(db):
    # pg_trgm takes no trigram from "kr": the index would be read whole, and then every row.
    query = Person.objects.filter(name_matches(search_words("kr"))).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "members_person_search_name_trgm" not in plan
    assert "Seq Scan on members_person" in plan


@pytest.mark.postgres
def test_postgresql_writes_new_names_straight_into_the_trigram_index(db):
    # With GIN's pending list (fastupdate, PostgreSQL's default) every search reads the names
    # added since the last VACUUM one by one: 3 ms per search after the benchmark's bulk load.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'members_person_search_name_trgm'")
        (options,) = cursor.fetchone()
    assert "fastupdate=off" in (options or [])
