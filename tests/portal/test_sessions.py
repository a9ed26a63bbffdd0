"""A signed-in request reads its session and the versions in one query (kkr_portal.sessions).

The session is read fresh on every request, in the query that reads the page cache's and the
user row's versions. These tests end and change sessions every way there is — a logout, another
process's delete or update, the clock running past the expiry — and check that the next request
sees it, and that the one query is all a signed-in request spends on its session and versions.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kkr_portal.sessions import SessionStore
from tests.portal.test_cached_user import my_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(member):
    client = Client()
    client.force_login(member.user)
    return client


def session_queries(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if 'FROM "django_session"' in query["sql"]]


def version_queries(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "kkr_portal_accountsversion" in query["sql"]]


def test_a_signed_in_request_reads_its_session_and_the_versions_in_one_query(login):
    my_page(login)

    with CaptureQueriesContext(connection) as queries:
        assert my_page(login) == 200

    assert len(session_queries(queries)) == 1
    assert version_queries(queries) == session_queries(queries)  # the same query, and no other


def test_an_anonymous_request_without_a_session_cookie_reads_no_session(client):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("about"))

    assert session_queries(queries) == []


def _log_out(client: Client) -> None:
    client.post(reverse("account_logout"))


def _delete_in_another_process(client: Client) -> None:
    # What a logout in another gunicorn worker, or clearsessions, leaves in the database.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session WHERE session_key = %s", [client.session.session_key])


def _sign_out_by_update(client: Client) -> None:
    store = SessionStore(client.session.session_key)
    store.pop(SESSION_KEY)
    store.save()


@pytest.mark.parametrize("end", [_log_out, _delete_in_another_process, _sign_out_by_update])
def test_a_session_ended_any_way_is_signed_out_on_the_next_request(login, end):
    assert my_page(login) == 200
    assert my_page(login) == 200  # now from the process's copy

    end(login)

    assert my_page(login) == 302  # to the login page


def test_a_session_ends_at_its_expiry_with_nothing_written(login):
    assert my_page(login) == 200
    expires = Session.objects.get(pk=login.session.session_key).expire_date

    with time_machine.travel(expires + dt.timedelta(seconds=1), tick=False):
        # Nothing was written: only the clock says the session ended.
        assert my_page(login) == 302


def test_what_a_request_changes_in_its_session_stays_its_own_until_saved(login):
    key = login.session.session_key
    first = SessionStore(key)
    first["kurv"] = {"valgt": [1]}
    first.save()

    reader = SessionStore(key)
    reader["kurv"]["valgt"].append(2)  # changed in memory, never saved
    reader.setdefault("andet", True)

    again = SessionStore(key)
    assert again["kurv"] == {"valgt": [1]}
    assert "andet" not in again


def test_a_session_key_nobody_has_is_an_empty_session_and_is_dropped(db):
    store = SessionStore("x" * 32)

    assert store.load() == {}
    assert store.session_key is None  # a new key on save, as Django's own store does
