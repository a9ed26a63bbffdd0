"""``request.user`` comes from the process's copy of the user row only while the row is unchanged.

kkr_portal.auth.CachedAuthenticationMiddleware keys its copies on ``AccountsVersion``, which a
database trigger moves on every write to the user table; these tests change a login every way
there is and check that the next request sees it, and that no request shares its user object.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kkr_portal.auth import cached_user
from kkr_portal.models import AccountsVersion
from kkr_portal.versioning import accounts_tables, installed_triggers, read_versions
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def login(member):
    client = Client()
    client.force_login(member.user)
    return client


def request_of(client: Client):
    """A bare request carrying the client's session, for cached_user itself."""
    request = RequestFactory().get("/")
    request.session = client.session
    return request


def user_queries(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if 'FROM "auth_user"' in query["sql"]]


def my_page(client: Client) -> int:
    return client.get(reverse("my_page")).status_code


def test_the_user_and_authenticator_tables_have_the_trigger():
    assert installed_triggers(trigger="kkr_accounts_changed") == set(accounts_tables())
    assert set(accounts_tables()) == {"auth_user", "mfa_authenticator"}


def test_a_signed_in_request_reads_the_user_row_once_until_it_changes(login):
    login.get(reverse("my_page"))

    with CaptureQueriesContext(connection) as queries:
        assert my_page(login) == 200
    assert user_queries(queries) == []

    User.objects.filter(email="medlem@example.dk").update(first_name="Ny")
    with CaptureQueriesContext(connection) as queries:
        assert my_page(login) == 200
    assert len(user_queries(queries)) == 1


def test_an_anonymous_request_reads_no_version_and_no_user(client):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("about"))

    assert not [query for query in queries.captured_queries if "version" in query["sql"] or "auth_user" in query["sql"]]


def _deactivate_by_update(user):
    User.objects.filter(pk=user.pk).update(is_active=False)


def _deactivate_by_raw_sql(user):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE auth_user SET is_active = false WHERE id = %s", [user.pk])


def _new_password(user):
    user.set_password("et helt andet kodeord 2026")
    user.save()


def _delete(user):
    user.delete()


@pytest.mark.parametrize("change", [_deactivate_by_update, _deactivate_by_raw_sql, _new_password, _delete])
def test_a_login_changed_any_way_is_signed_out_on_the_next_request(login, member, change):
    assert my_page(login) == 200
    assert my_page(login) == 200  # now from the process's copy

    change(member.user)

    assert my_page(login) == 302  # to the login page


def test_a_write_that_was_rolled_back_never_matches_a_later_version(login, member):
    user = member.user
    cached_user(request_of(login))

    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="midlertidig@example.dk")
        inside = cached_user(request_of(login))
        transaction.set_rollback(True)  # the address was never written
    assert inside.email == "midlertidig@example.dk"
    User.objects.filter(pk=user.pk).update(first_name="Efter")

    again = cached_user(request_of(login))
    assert again.email == "medlem@example.dk"
    assert again.first_name == "Efter"


def test_every_request_gets_its_own_user_object(login):
    first = cached_user(request_of(login))
    first.note_from_the_first_request = True
    second = cached_user(request_of(login))

    assert first is not second
    assert first.pk == second.pk
    assert not hasattr(second, "note_from_the_first_request")


def test_a_permission_granted_is_seen_on_the_next_request(login, member):
    user = member.user
    before = cached_user(request_of(login))
    assert not before.has_perm("members.view_person")  # and the answer is kept on that object

    user.user_permissions.add(Permission.objects.get(codename="view_person"))

    assert cached_user(request_of(login)).has_perm("members.view_person")


def test_without_the_version_row_the_user_is_read_every_time(login):
    AccountsVersion.objects.all().delete()  # as a flushed database
    assert read_versions()[1] is None

    with CaptureQueriesContext(connection) as queries:
        my_page(login)
        my_page(login)

    assert len(user_queries(queries)) == 2


def test_another_users_session_gets_another_user(login, member):
    other = factories.UserFactory(email="anden@example.dk")
    other_client = Client()
    other_client.force_login(other)

    assert cached_user(request_of(login)).pk == member.user.pk
    assert cached_user(request_of(other_client)).pk == other.pk
    assert cached_user(request_of(login)).pk == member.user.pk
