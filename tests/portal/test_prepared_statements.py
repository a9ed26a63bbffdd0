"""PostgreSQL plans a query the portal asks again and again once per connection, not every time.

kkr_portal/settings.py binds parameters on the server and lets psycopg prepare a statement from
its fifth use on. These check that a query asked with other values each time is one prepared
statement, and that a prepared statement still answers after the table under it changed.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from kkr_portal.versioning import read_versions
from members.models import Person
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def prepared(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if fragment in row[0]]


def test_a_search_asked_with_other_words_each_time_is_one_prepared_statement():
    for word in ("jensen", "hansen", "nielsen", "kragh", "møller", "holm"):
        list(Person.objects.filter(search_name__contains=word).order_by("sort_name")[:50])

    statements = prepared('"search_name"::text LIKE')
    assert len(statements) == 1
    assert "$1" in statements[0]  # the words are parameters, not part of the statement


def test_the_versions_and_session_query_of_every_signed_in_request_is_prepared(client, member):
    client.force_login(member.user)
    for _ in range(6):
        client.get(reverse("my_page"))

    assert len(prepared("kkr_portal_accountsversion")) == 1
    assert read_versions()[1] is not None


def test_a_prepared_query_answers_after_its_table_changed():
    for _ in range(6):
        list(Person.objects.filter(name__startswith="Efter").values_list("name", flat=True))
    assert prepared('"members_person"."name"::text LIKE')

    with connection.cursor() as cursor:  # as a migration adding a column would, under a running server
        cursor.execute("ALTER TABLE members_person ADD COLUMN kkr_test_note text")
    factories.PersonFactory(name="Efter Ændringen")

    assert list(Person.objects.filter(name__startswith="Efter").values_list("name", flat=True)) == ["Efter Ændringen"]
