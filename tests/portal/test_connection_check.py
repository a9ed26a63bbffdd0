"""The versions read is the request's connection health check (kkr_portal.versioning.first_read).

Django checks a persistent connection (``CONN_HEALTH_CHECKS``) with a "SELECT 1" of its own
before a request's first query; the versions read, first in nearly every request, checks it
instead. These tests give a connection of its own (outside the test's transaction, as a request
has) a new request, and a dead server process, and check that the read needs no check of its own
and still answers on a dead connection, as Django's check would have had it.
"""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction

from kkr_portal.versioning import read_directory_version, read_versions

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ALIAS = "request-connection"


@pytest.fixture
def request_connection():
    """A connection as a gunicorn worker holds one: persistent, health-checked, not in a transaction."""
    settings_dict = {**connections.settings[DEFAULT_DB_ALIAS], "CONN_HEALTH_CHECKS": True, "CONN_MAX_AGE": 600}
    wrapper = connections[DEFAULT_DB_ALIAS].__class__(settings_dict, alias=ALIAS)
    connections[ALIAS] = wrapper  # so that transaction.atomic(using=ALIAS) finds it
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()
    del connections[ALIAS]


def new_request(wrapper) -> None:
    # What Django does at every request_started: the connection is to be checked again.
    wrapper.close_if_unusable_or_obsolete()
    assert wrapper.health_check_done is False


def count_checks(monkeypatch, wrapper) -> list[int]:
    checks: list[int] = []
    real = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda: checks.append(1) or real())
    return checks


def kill(wrapper) -> None:
    """The server ends the connection's process (a restart, a failover), unknown to the client."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [wrapper.connection.info.backend_pid])


def test_the_versions_read_is_the_health_check_and_django_makes_none(monkeypatch, request_connection):
    checks = count_checks(monkeypatch, request_connection)
    new_request(request_connection)

    read_versions(request_connection)
    with request_connection.cursor() as cursor:  # the request's next queries
        cursor.execute("SELECT 1")

    assert checks == []
    assert request_connection.health_check_done is True


def test_a_dead_connection_is_replaced_and_the_versions_read_again(request_connection):
    before = read_versions(request_connection)
    dead = request_connection.connection
    new_request(request_connection)
    kill(request_connection)

    assert read_versions(request_connection) == before
    assert request_connection.connection is not dead
    assert request_connection.errors_occurred is False
    with request_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_the_directory_version_alone_is_a_health_check_too(monkeypatch, request_connection):
    before = read_directory_version(request_connection)
    new_request(request_connection)
    kill(request_connection)
    checks = count_checks(monkeypatch, request_connection)

    assert read_directory_version(request_connection) == before
    assert checks == []


def test_a_read_after_the_first_query_of_a_request_is_no_check_and_fails_as_any_query(request_connection):
    new_request(request_connection)
    read_versions(request_connection)
    kill(request_connection)

    # Checked once per request: a connection dying mid-request fails that request, as in Django.
    with pytest.raises(OperationalError):
        read_versions(request_connection)


def test_inside_a_transaction_the_check_is_left_to_django(monkeypatch, request_connection):
    new_request(request_connection)
    checks = count_checks(monkeypatch, request_connection)

    with transaction.atomic(using=ALIAS):
        read_versions(request_connection)

    assert checks == [1]  # Django's own "SELECT 1": the read does not stand in for it here
