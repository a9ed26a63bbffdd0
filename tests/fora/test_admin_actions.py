"""The appointment process in the admin: actions with an intermediate form that call the services.

Each action is tried through the admin's changelist as a secretariat would: the first POST shows
the form, the second applies it. Illegal moves, bad input and forged ids are refused with a Danish
message, and the refused rows are left exactly as they were.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.forms.models import model_to_dict
from django.urls import reverse

from fora import services
from fora.models import Appointment
from kkr_portal.db import ENDS_AFTER_START
from tests import factories
from tests.rules_helpers import admin_post, admin_url, councillor

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:fora_appointment_changelist"
TEMPLATE = "admin/fora/appointment/process_step.html"


@pytest.fixture
def staff(staff_syddanmark):
    """Syddanmark's secretariat with the permissions a secretariat is given."""
    staff_syddanmark.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["fora", "members"]))
    return staff_syddanmark


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def start(period) -> dt.date:
    return period.starts_on + dt.timedelta(days=30)


def proposal(municipality, period, start, *, council=None, **person) -> Appointment:
    """A proposed appointment of a new councillor of ``municipality`` to a new seat."""
    forum = factories.ForumFactory(council=council or municipality.council)
    seat = factories.SeatFactory(forum=forum, period=period)
    return services.propose(seat=seat, person=councillor(municipality, period, **person), starts_on=start)


def snapshot(appointment: Appointment) -> dict:
    return model_to_dict(Appointment.objects.get(pk=appointment.pk))


def act(client, action: str, rows, **data):
    """Post the action for ``rows`` (ids or appointments); with ``data``, apply its form."""
    ids = [getattr(row, "pk", row) for row in rows]
    payload = {"action": action, "_selected_action": ids}
    if data:
        payload.update({"apply": "1", **{key: str(value) for key, value in data.items()}})
    return client.post(reverse(CHANGELIST), payload, follow=bool(data))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- each step -----------------------------------------------------------------------------------


def test_nominating_first_asks_for_the_date_on_a_page_of_its_own(staff_client, odense, period, start):
    row = proposal(odense, period, start)

    response = act(staff_client, "nominate", [row])

    assert response.status_code == 200
    assert TEMPLATE in [template.name for template in response.templates]
    assert response.context["rows"] == [row]
    assert "nominated_on" in response.context["form"].fields
    assert Appointment.objects.get(pk=row.pk).status == "proposed"


def test_nominating_records_the_date_and_the_meeting_and_reports_each_row(
    staff_client, odense, middelfart, period, start, syddanmark
):
    first, second = proposal(odense, period, start), proposal(middelfart, period, start)
    meeting = factories.MeetingFactory(council=syddanmark)

    response = act(staff_client, "nominate", [first, second], nominated_on="2026-02-10", decided_at=meeting.pk)

    for row in (first, second):
        row.refresh_from_db()
        assert (row.status, row.nominated_on, row.decided_at) == ("nominated", dt.date(2026, 2, 10), meeting)
    (message,) = messages_of(response)
    assert message.startswith("2 udpegninger er indstillet:")
    assert str(first.person) in message
    assert str(second.person) in message


def test_appointing_records_the_appointing_bodys_decision_date(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    services.nominate(appointment=row, nominated_on=start)

    response = act(staff_client, "appoint", [row], appointed_on="2026-02-20")

    row.refresh_from_db()
    assert (row.status, row.appointed_on) == ("appointed", dt.date(2026, 2, 20))
    assert messages_of(response) == [f"1 udpegning er registreret som udpeget: {row}"]


def test_ending_records_the_date_and_the_reason(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    services.appoint(appointment=row, appointed_on=start)

    response = act(staff_client, "end", [row], ended_on="2026-09-30", reason="resigned", note="Flytter")

    row.refresh_from_db()
    assert (row.status, row.ended_on, row.end_reason) == ("ended", dt.date(2026, 9, 30), "resigned")
    assert "Flytter" in row.note
    assert messages_of(response) == [f"1 udpegning er afsluttet: {row}"]


def test_a_proposal_can_be_withdrawn_by_ending_it(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    act(staff_client, "end", [row], ended_on=start.isoformat(), reason="withdrawn")
    row.refresh_from_db()
    assert (row.status, row.end_reason) == ("ended", "withdrawn")


# --- illegal moves ---------------------------------------------------------------------------------


def test_appointing_twice_is_refused_with_a_message_and_changes_nothing(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    services.appoint(appointment=row, appointed_on=start)
    before = snapshot(row)

    response = act(staff_client, "appoint", [row], appointed_on="2026-03-01")

    assert snapshot(row) == before
    assert messages_of(response) == [f"»{row}« blev ikke ændret: En udpegning kan ikke gå fra »udpeget« til »udpeget«."]


def test_an_ended_appointment_cannot_be_nominated_or_ended_again(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    services.end(appointment=row, ended_on=start, reason="withdrawn")
    before = snapshot(row)

    nominated = act(staff_client, "nominate", [row], nominated_on="2026-03-01")
    ended = act(staff_client, "end", [row], ended_on="2026-03-01", reason="other")

    assert snapshot(row) == before
    assert "fra »ophørt« til »indstillet«" in messages_of(nominated)[0]
    assert "fra »ophørt« til »ophørt«" in messages_of(ended)[0]


def test_ending_before_the_start_is_refused_with_the_rules_message(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    before = snapshot(row)

    response = act(staff_client, "end", [row], ended_on=(start - dt.timedelta(days=1)).isoformat(), reason="other")

    assert snapshot(row) == before
    (message,) = messages_of(response)
    assert message == f"»{row}« blev ikke ændret: {ENDS_AFTER_START}"


def test_a_refused_row_does_not_hold_back_the_others(staff_client, odense, middelfart, period, start):
    """Two people appointed to one seat in one go: the first is, the second is refused."""
    first = proposal(odense, period, start)
    second = services.propose(seat=first.seat, person=councillor(middelfart, period), starts_on=start)
    before = snapshot(second)

    response = act(staff_client, "appoint", [first, second], appointed_on="2026-02-20")

    assert Appointment.objects.get(pk=first.pk).status == "appointed"
    assert snapshot(second) == before
    refused, done = messages_of(response)
    assert refused == f"»{second}« blev ikke ændret: Pladsen er allerede besat af {first.person} i en del af perioden."
    assert done == f"1 udpegning er registreret som udpeget: {first}"


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "31-02-2024", "2024-02-31", "i morgen"])
def test_a_missing_or_malformed_date_shows_the_form_again_and_changes_nothing(
    staff_client, odense, period, start, value
):
    row = proposal(odense, period, start)
    before = snapshot(row)

    response = staff_client.post(
        reverse(CHANGELIST), {"action": "nominate", "_selected_action": [row.pk], "apply": "1", "nominated_on": value}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["nominated_on"] in (
        ["Dette felt er påkrævet."],
        ["Indtast en gyldig dato."],
    )
    assert snapshot(row) == before


def test_an_unknown_end_reason_is_not_a_valid_choice(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    before = snapshot(row)
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "end", "_selected_action": [row.pk], "apply": "1", "ended_on": "2026-03-01", "reason": "fyret"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"][0].startswith("Marker en gyldig valgmulighed.")
    assert snapshot(row) == before


def test_a_meeting_of_another_kkr_is_not_a_valid_choice(staff_client, odense, period, start, sjaelland):
    row = proposal(odense, period, start)
    before = snapshot(row)
    foreign = factories.MeetingFactory(council=sjaelland)

    response = staff_client.post(
        reverse(CHANGELIST),
        {
            "action": "nominate",
            "_selected_action": [row.pk],
            "apply": "1",
            "nominated_on": "2026-03-01",
            "decided_at": foreign.pk,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["decided_at"][0].startswith("Marker en gyldig valgmulighed.")
    assert snapshot(row) == before


# --- forged ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("nominate", {"nominated_on": "2026-03-01"}),
        ("appoint", {"appointed_on": "2026-03-01"}),
        ("end", {"ended_on": "2026-03-01", "reason": "other"}),
    ],
)
def test_an_action_posted_with_another_kkrs_ids_changes_nothing(staff_client, roskilde, period, start, action, data):
    foreign = proposal(roskilde, period, start)
    before = snapshot(foreign)

    page = act(staff_client, action, [foreign])
    applied = act(staff_client, action, [foreign], **data)

    assert page.status_code == 200
    assert page.context["rows"] == []
    assert str(foreign.person) not in page.content.decode()
    assert snapshot(foreign) == before
    assert messages_of(applied) == ["Ingen af de valgte udpegninger blev fundet."]


def test_a_forged_id_among_own_rows_is_left_out(staff_client, odense, roskilde, period, start):
    own, foreign = proposal(odense, period, start), proposal(roskilde, period, start)
    before = snapshot(foreign)

    page = act(staff_client, "nominate", [own, foreign])
    response = act(staff_client, "nominate", [own, foreign], nominated_on="2026-03-01")

    assert page.context["rows"] == [own]
    assert Appointment.objects.get(pk=own.pk).status == "nominated"
    assert snapshot(foreign) == before
    assert messages_of(response) == [f"1 udpegning er indstillet: {own}"]


def test_staff_who_may_only_view_appointments_are_not_offered_the_actions(client, staff, odense, period, start):
    staff.user_permissions.set(Permission.objects.filter(codename="view_appointment"))
    client.force_login(staff)
    row = proposal(odense, period, start)
    before = snapshot(row)

    act(client, "nominate", [row], nominated_on="2026-03-01")

    assert snapshot(row) == before


# --- the change and add forms ------------------------------------------------------------------------


def test_the_status_and_its_dates_cannot_be_set_through_the_change_form(staff_client, odense, period, start):
    row = proposal(odense, period, start)

    response = admin_post(
        staff_client,
        Appointment,
        row,
        status="appointed",
        appointed_on="2026-03-01",
        ended_on="2026-04-01",
        end_reason="other",
        note="Rettet",
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.appointed_on, row.ended_on, row.end_reason) == ("proposed", None, None, "")
    assert row.note == "Rettet"


def test_a_proposals_seat_person_and_start_can_still_be_corrected(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    other_seat = factories.SeatFactory(forum=row.seat.forum, period=period, label="Anden plads")
    other_person = councillor(odense, period, name="Rettet Person")

    response = admin_post(
        staff_client,
        Appointment,
        row,
        seat=other_seat.pk,
        person=other_person.pk,
        starts_on=(start + dt.timedelta(days=1)).isoformat(),
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.seat, row.person, row.starts_on) == (other_seat, other_person, start + dt.timedelta(days=1))


@pytest.mark.parametrize("step", ["nominated", "appointed", "ended"])
def test_after_the_proposal_the_seat_person_and_start_cannot_be_rewritten(staff_client, odense, period, start, step):
    row = proposal(odense, period, start)
    services.nominate(appointment=row, nominated_on=start - dt.timedelta(days=10))
    if step in ("appointed", "ended"):
        services.appoint(appointment=row, appointed_on=start - dt.timedelta(days=5))
    if step == "ended":
        services.end(appointment=row, ended_on=start + dt.timedelta(days=60), reason=Appointment.EndReason.OTHER)
    other_seat = factories.SeatFactory(forum=row.seat.forum, period=period, label="Anden plads")
    other_person = councillor(odense, period, name="Anden Person")
    before = snapshot(row)

    page = staff_client.get(admin_url(Appointment, row))
    form_fields = page.context["adminform"].form.fields
    assert not {"seat", "person", "starts_on"} & set(form_fields), "they are shown, not edited"
    response = admin_post(
        staff_client,
        Appointment,
        row,
        seat=other_seat.pk,
        person=other_person.pk,
        starts_on=(start + dt.timedelta(days=1)).isoformat(),
    )

    assert response.status_code == 302
    after = snapshot(row)
    assert (after["seat"], after["person"], after["starts_on"]) == (before["seat"], before["person"], start)


def test_the_add_form_creates_a_proposal_through_the_service(staff_client, odense, period, start, monkeypatch):
    person = councillor(odense, period)
    seat = factories.SeatFactory(forum=factories.ForumFactory(), period=period)
    calls = []
    propose = services.propose
    monkeypatch.setattr(services, "propose", lambda **kwargs: calls.append(kwargs) or propose(**kwargs))

    response = admin_post(
        staff_client,
        Appointment,
        seat=seat.pk,
        person=person.pk,
        starts_on=start.isoformat(),
        term_ends_on="2028-12-31",
        status="appointed",
        appointed_on="2026-03-01",
    )

    assert response.status_code == 302
    created = Appointment.objects.get(person=person)
    assert (created.status, created.appointed_on, created.term_ends_on) == ("proposed", None, dt.date(2028, 12, 31))
    assert [call["person"] for call in calls] == [person]
    assert response.url == reverse(CHANGELIST)


def test_the_add_form_refuses_an_ineligible_person_on_the_person_field(staff_client, period, start):
    outsider = factories.PersonFactory()  # visible to the staff (no role yet), but on no council
    seat = factories.SeatFactory(forum=factories.ForumFactory(), period=period)

    response = staff_client.post(
        admin_url(Appointment), {"seat": seat.pk, "person": outsider.pk, "starts_on": start.isoformat()}
    )

    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["person"]
    assert message.startswith("Personen kan ikke udpeges: en udpeget skal være medlem af kommunalbestyrelsen")
    assert not Appointment.objects.filter(person=outsider).exists()


def test_the_end_note_has_the_text_rules_and_the_models_limit(staff_client, odense, period, start):
    row = proposal(odense, period, start)
    before = snapshot(row)

    too_long = act(staff_client, "end", [row], ended_on="2026-09-30", reason="other", note="x" * 1001)
    control = act(staff_client, "end", [row], ended_on="2026-09-30", reason="other", note="Flytter\x07")

    assert too_long.context["form"].errors["note"] == ["Denne værdi må højst have 1000 tegn (den har 1001)."]
    assert control.context["form"].errors["note"]
    assert snapshot(row) == before


def test_a_note_too_long_together_with_the_rows_own_is_refused_for_that_row_only(
    staff_client, odense, middelfart, period, start
):
    long_note = proposal(odense, period, start)
    Appointment.objects.filter(pk=long_note.pk).update(note="n" * 990)
    other = proposal(middelfart, period, start)
    before = snapshot(long_note)

    response = act(
        staff_client, "end", [long_note, other], ended_on="2026-09-30", reason="other", note="Flytter fra kommunen"
    )

    assert response.status_code == 200
    assert snapshot(long_note) == before
    other.refresh_from_db()
    assert (other.status, other.note) == ("ended", "Flytter fra kommunen")
    refused, done = messages_of(response)
    assert refused == (
        f"»{long_note}« blev ikke ændret: Bemærkningen kan ikke tilføjes: sammen med udpegningens bemærkning "
        "bliver den 1011 tegn, og en bemærkning må højst være 1000 tegn. Forkort den."
    )
    assert done == f"1 udpegning er afsluttet: {other}"
