"""The audit history in the admin: who, when and which fields changed; nobody can edit or revert it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.models import HistoricalChanges

from agreements.models import Agreement
from fora.models import Appointment, Forum, Seat
from kkr_portal.admin_history import HistoryAdmin
from members.models import Chairmanship, CouncilSeat, KKRMembership, Meeting, Person
from tests import rules_helpers
from tests.conftest import with_totp
from tests.factories import MeetingFactory, UserFactory
from tests.rules_helpers import admin_post
from tests.test_admin_scoping import _rows_of

pytestmark = pytest.mark.django_db
frozen_today = rules_helpers.frozen_today


@pytest.fixture
def editor(db):
    return with_totp(
        UserFactory(email="eva@example.dk", first_name="Eva", last_name="Krog", is_staff=True, is_superuser=True)
    )


@pytest.fixture
def editor_client(client, editor, frozen_today):
    client.force_login(editor)
    return client


@pytest.fixture
def rows(syddanmark, odense, period):
    return _rows_of(syddanmark, odense, period, "syd")


def history_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk])


def version_url(obj, version) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_simple_history", args=[obj.pk, version.history_id])


# (model, field changed, new value, the field's label, the new value as the history page reads it)
CHANGES = [
    (Person, "phone", "70 70 70 70", "Telefon", "70 70 70 70"),
    (CouncilSeat, "ended_on", dt.date(2026, 10, 31), "Til", "31. oktober 2026"),
    (KKRMembership, "ended_on", dt.date(2026, 10, 31), "Til", "31. oktober 2026"),
    (Chairmanship, "ended_on", dt.date(2026, 10, 31), "Til", "31. oktober 2026"),
    (Forum, "name", "Erhvervshus Fyn, ny", "Navn", "Erhvervshus Fyn, ny"),
    (Seat, "label", "Formand", "Betegnelse", "Formand"),
    (Appointment, "note", "Efter aftale med borgmesteren", "Bemærkning", "Efter aftale med borgmesteren"),
    (Meeting, "place", "Vejle Rådhus", "Sted", "Vejle Rådhus"),
    (Agreement, "counterpart", "Region Syddanmark", "Aftalepart", "Region Syddanmark"),
]


@pytest.mark.parametrize(
    ("model", "field", "value", "label", "shown"), CHANGES, ids=[change[0]._meta.label for change in CHANGES]
)
def test_the_history_page_shows_who_changed_which_field_and_when(
    editor_client, editor, rows, model, field, value, label, shown
):
    row = model._default_manager.get(pk=rows[model].pk)
    old = getattr(row, field)
    setattr(row, field, value)
    row._history_user = editor
    row.save()

    response = editor_client.get(history_url(row))

    assert response.status_code == 200
    page = response.content.decode()
    (change,) = response.context["page_obj"].object_list[0].history_delta_changes
    assert (change["field"], change["old"], change["new"]) == (label, "—" if old in (None, "") else str(old), shown)
    assert "Eva Krog" in page
    assert "23. november 2026" in page
    assert f"<strong>{label}:</strong>" in page


def test_a_change_made_in_the_admin_is_recorded_with_the_user_who_made_it(editor_client, rows):
    person = rows[Person]

    assert admin_post(editor_client, Person, person, phone="12 34 56 78").status_code == 302

    latest = person.history.order_by("-history_id").first()
    assert latest.history_user.email == "eva@example.dk"
    assert latest.history_type == "~"


def test_a_status_change_reads_as_its_label_and_dates_in_danish(editor_client, rows):
    from fora import services

    appointment = services.appoint(appointment=rows[Appointment], appointed_on=dt.date(2026, 2, 1))

    response = editor_client.get(history_url(appointment))

    changes = {
        change["field"]: (change["old"], change["new"])
        for change in response.context["page_obj"][0].history_delta_changes
    }
    assert changes["Status"] == ("foreslået", "udpeget")
    assert changes["Udpeget den"] == ("—", "1. februar 2026")


def test_the_history_page_links_to_no_version_and_offers_no_revert(editor_client, rows):
    person = rows[Person]
    person.phone = "11 22 33 44"
    person.save()

    page = editor_client.get(history_url(person)).content.decode()

    for version in person.history.all():
        assert version_url(person, version) not in page
    assert "Revert" not in page
    assert "Historik:" in page


@pytest.mark.parametrize("model", [Person, Appointment, CouncilSeat, Agreement])
def test_a_version_page_answers_404_and_a_post_to_it_reverts_nothing(editor_client, rows, model):
    row = rows[model]
    first = row.history.order_by("history_id").first()
    row = model._default_manager.get(pk=row.pk)
    row._history_user = None
    if model is Person:
        row.phone = "99 99 99 99"
    row.save()
    before, versions = model_to_dict(model._default_manager.get(pk=row.pk)), row.history.count()

    answer = editor_client.get(version_url(row, first))
    posted = editor_client.post(
        version_url(row, first), {**rules_helpers.encode_data(model_to_dict(first.instance)), "_save": "Gem"}
    )

    assert (answer.status_code, posted.status_code) == (404, 404)
    assert model_to_dict(model._default_manager.get(pk=row.pk)) == before
    assert row.history.count() == versions


def test_no_historical_model_has_an_admin_of_its_own():
    assert [model._meta.label for model in admin.site._registry if issubclass(model, HistoricalChanges)] == []


def test_every_admin_of_a_model_with_history_is_the_portals_history_admin():
    assert [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if hasattr(model, "history") and not isinstance(model_admin, HistoryAdmin)
    ] == []


def test_staff_see_the_history_of_their_own_kkrs_rows(client, staff_syddanmark, rows, frozen_today):
    staff_syddanmark.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(staff_syddanmark)
    appointment = rows[Appointment]

    response = client.get(history_url(appointment))

    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == appointment.history.count()


def test_the_history_page_makes_as_many_queries_for_twelve_changes_as_for_two(editor_client, rows):
    appointment = Appointment.objects.get(pk=rows[Appointment].pk)
    meetings = [MeetingFactory(council=appointment.seat.forum.council, title=f"Møde {n}") for n in range(12)]

    def change(times: int) -> None:
        for number in range(times):
            appointment.note = f"Ændring {number}"
            appointment.decided_at = meetings[number]
            appointment.save()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = editor_client.get(history_url(appointment))
        assert response.status_code == 200
        return len(captured)

    change(2)
    queries()  # the first page of a session also saves the session and caches content types
    few = queries()
    change(10)
    many = queries()

    assert appointment.history.count() == 13
    assert many == few
