"""The appointment change list's cache (kkr_portal.admin_cache) never shows one user's rows to
another, never a page older than the data, and never holds anything of the request."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from fora import services
from fora.admin import AppointmentAdmin
from fora.models import Appointment
from kkr_portal.pagecache import local_parts
from members.models import Person, StaffAssignment
from tests import factories, rules_helpers
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

frozen_today = rules_helpers.frozen_today

CHANGELIST = reverse("admin:fora_appointment_changelist")
STARTED = dt.date(2026, 3, 1)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _propose(council, municipality, period, name: str) -> Appointment:
    forum = factories.ForumFactory(council=council, name=f"Forum for {name}")
    return services.propose(
        seat=factories.SeatFactory(forum=forum, label="Medlem"),
        person=councillor(municipality, period, name=name),
        starts_on=STARTED,
    )


@pytest.fixture
def rows(frozen_today, syddanmark, sjaelland, odense, roskilde, period) -> dict[str, Appointment]:
    return {
        "syd": _propose(syddanmark, odense, period, "Sydlig Fynbo"),
        "sjaelland": _propose(sjaelland, roskilde, period, "Nordlig Sjællænder"),
    }


def _client(user) -> Client:
    if not user.is_superuser:
        user.user_permissions.set(Permission.objects.all())
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clients(staff_syddanmark, staff_sjaelland, superuser) -> dict[str, Client]:
    return {"syd": _client(staff_syddanmark), "sjaelland": _client(staff_sjaelland), "admin": _client(superuser)}


def _page(client, params=None) -> str:
    response = client.get(CHANGELIST, params or {})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("first", "second"), [("syd", "sjaelland"), ("sjaelland", "syd")])
def test_staff_of_another_kkr_get_their_own_rows_after_a_warm_cache(clients, rows, first, second):
    warm = _page(clients[first])
    assert rows[first].person.name in warm

    page = _page(clients[second])

    assert rows[second].person.name in page
    assert rows[first].person.name not in page


def test_a_superuser_and_staff_do_not_share_an_entry(clients, rows):
    staff_first = _page(clients["syd"])
    everything = _page(clients["admin"])
    staff_again = _page(clients["syd"])

    assert rows["sjaelland"].person.name not in staff_first
    assert rows["syd"].person.name in everything
    assert rows["sjaelland"].person.name in everything
    assert rows["sjaelland"].person.name not in staff_again


def test_the_filter_choices_are_the_users_own_kkrs_after_a_warm_cache(
    clients, rows, syddanmark, sjaelland, staff_sjaelland
):
    def councils(client) -> set[str] | None:
        response = client.get(CHANGELIST)
        specs = response.context["cl"].filter_specs
        found = [spec for spec in specs if getattr(spec, "field_path", None) == "seat__forum__council"]
        # Django leaves out a filter with one choice: a staff user of one KKR.
        return {name for _pk, name in found[0].lookup_choices} if found else None

    assert councils(clients["admin"]) >= {syddanmark.name, sjaelland.name}
    assert councils(clients["syd"]) is None
    assert councils(clients["sjaelland"]) is None

    # A second KKR for the secretariat: its choices on the next page.
    StaffAssignment.objects.create(user=staff_sjaelland, council=syddanmark)
    assert councils(clients["sjaelland"]) == {syddanmark.name, sjaelland.name}
    assert councils(clients["syd"]) is None


def test_a_change_is_on_the_next_page(clients, rows):
    client = clients["syd"]
    _page(client)
    _page(client)  # served from the cache

    Person.objects.filter(pk=rows["syd"].person_id).update(name="Omdøbt Fynbo")
    services.nominate(appointment=rows["syd"], nominated_on=STARTED)

    page = _page(client)
    assert "Omdøbt Fynbo</a>" in page
    assert "Sydlig Fynbo</a>" not in page
    assert str(Appointment.Status.NOMINATED.label) in page


def test_a_change_made_in_the_admin_is_on_the_next_page(clients, rows):
    client = clients["syd"]
    assert str(Appointment.Status.PROPOSED.label) in _page(client)

    response = client.post(
        CHANGELIST,
        {"action": "nominate", "_selected_action": [rows["syd"].pk], "apply": "1", "nominated_on": "2026-03-02"},
        follow=True,
    )
    assert response.status_code == 200
    rows["syd"].refresh_from_db()
    assert rows["syd"].status == Appointment.Status.NOMINATED

    page = _page(client)
    assert str(Appointment.Status.NOMINATED.label) in page


def test_a_filter_is_counted_apart_from_the_whole_list(clients, rows, syddanmark, odense, period):
    client = clients["admin"]
    assert "2 udpegninger" in _page(client)

    filtered = client.get(CHANGELIST, {"seat__forum__council__id__exact": syddanmark.pk})

    assert filtered.context["cl"].result_count == 1
    assert [a.pk for a in filtered.context["cl"].result_list] == [rows["syd"].pk]


def test_the_cache_holds_no_token_and_nothing_of_the_user(clients, rows, staff_syddanmark):
    first, second = _client(staff_syddanmark), _client(staff_syddanmark)
    pages = [_page(first), _page(second)]

    tokens = [TOKEN.search(page).group(1) for page in pages]
    assert tokens[0] != tokens[1]  # each session its own token, around the same cached table
    cached = repr([entry[2] for entry in local_parts.entries.values()])
    assert "Sydlig Fynbo" in cached
    for private in ("csrfmiddlewaretoken", *tokens, staff_syddanmark.email, staff_syddanmark.username):
        assert private not in cached


def test_a_cached_page_is_the_page_rendered_afresh(clients, rows):
    client = clients["admin"]
    cold = TOKEN.sub("", _page(client))
    warm = TOKEN.sub("", _page(client))
    assert local_parts.entries  # the second page came from the cache
    assert warm == cold


def test_the_table_follows_the_actions_the_user_has(clients, rows):
    client = clients["syd"]
    assert 'class="action-select"' in _page(client)

    with mock.patch.object(AppointmentAdmin, "get_actions", return_value={}):
        page = _page(client)

    assert "Sydlig Fynbo" in page
    assert 'class="action-select"' not in page


def test_the_navigation_follows_the_users_permissions(clients, rows, staff_syddanmark):
    client = clients["syd"]
    meetings = reverse("admin:members_meeting_changelist")
    page = _page(client)
    assert f'href="{meetings}"' in page
    assert 'class="model-appointment current-model"' in page

    staff_syddanmark.user_permissions.remove(*Permission.objects.filter(codename__endswith="_meeting"))

    page = _page(client)
    assert f'href="{meetings}"' not in page
    assert 'class="model-appointment current-model"' in page
