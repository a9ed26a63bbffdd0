"""Meetings: the detail page, and moving or cancelling one through the admin raises its SEQUENCE."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from members import services
from members.models import Meeting, PolicyArea
from tests import factories
from tests.rules_helpers import COPENHAGEN, NOW, admin_post

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:members_meeting_changelist")


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(client, staff_syddanmark):
    """Syddanmark's secretariat, allowed to view and change meetings."""
    staff_syddanmark.user_permissions.set(
        Permission.objects.filter(content_type__app_label="members", codename__endswith="meeting")
    )
    client.force_login(staff_syddanmark)
    return client


def local(year, month, day, hour) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=COPENHAGEN)


def meeting(**fields) -> Meeting:
    return factories.MeetingFactory(
        **{"starts_at": local(2026, 12, 7, 10), "ends_at": local(2026, 12, 7, 13), **fields}
    )


def text(response) -> str:
    return response.content.decode()


# --- the detail page ------------------------------------------------------------------------


def test_the_meeting_page_shows_copenhagen_time_place_status_and_agenda_with_policy_areas(signed_in, syddanmark):
    row = meeting(title="Decembermøde", place="Odense Rådhus", starts_at=local(2026, 12, 7, 10))
    factories.AgendaItemFactory(
        meeting=row, number=1, title="Sundhedsaftalen", policy_area=PolicyArea.objects.get(slug="sundhed")
    )

    response = signed_in.get(reverse("meeting_detail", args=[row.pk]))

    assert response.status_code == 200
    content = text(response)
    assert "Decembermøde" in content
    assert "7. december 2026 10:00" in content  # 09:00 UTC, shown in Danish time
    assert "Odense Rådhus" in content
    assert "Sundhedsaftalen" in content
    assert "Sundhed" in content
    assert "Planlagt" in content
    assert reverse("council_feed", args=["syddanmark"]) in content


def test_a_cancelled_meeting_says_so_on_its_page(signed_in, syddanmark):
    row = meeting()
    services.cancel_meeting(meeting=row)

    content = text(signed_in.get(reverse("meeting_detail", args=[row.pk])))

    assert "Mødet er aflyst." in content


def test_the_meeting_list_and_the_kkr_page_link_to_the_meeting(signed_in, syddanmark):
    row = meeting()
    url = reverse("meeting_detail", args=[row.pk])

    assert url in text(signed_in.get(reverse("meeting_list")))
    assert url in text(signed_in.get(reverse("council_detail", args=["syddanmark"])))


def test_the_meeting_list_points_a_signed_in_person_to_their_personal_feed(signed_in, syddanmark):
    content = text(signed_in.get(reverse("meeting_list")))

    assert f'href="{reverse("my_page")}#kalender"' in content
    assert "Brug dit personlige kalenderlink på Min side" in content


def test_next_to_the_kkr_feed_link_the_pages_say_the_personal_link_is_the_one_to_subscribe_to(signed_in, syddanmark):
    for url in (reverse("meeting_list") + "?kkr=syddanmark", reverse("council_detail", args=["syddanmark"])):
        content = text(signed_in.get(url))
        feed_link = content.index(reverse("council_feed", args=["syddanmark"]))
        hint = content.index("Vil du abonnere i din kalender")

        assert 0 < hint - feed_link < 1000, url
        assert f'href="{reverse("my_page")}#kalender"' in content[hint:]


def test_an_anonymous_visitor_of_the_public_meeting_list_gets_no_link_to_min_side(client, settings, syddanmark):
    settings.BLAA_BOG_PUBLIC = True

    content = text(client.get(reverse("meeting_list")))

    assert "Vil du abonnere i din kalender" not in content


def test_an_unknown_meeting_is_a_404(signed_in):
    assert signed_in.get("/moeder/999999/").status_code == 404


def test_the_meeting_page_sends_anonymous_visitors_to_login_unless_the_blaa_bog_is_public(client, settings, syddanmark):
    url = reverse("meeting_detail", args=[meeting().pk])

    assert client.get(url)["Location"].startswith(reverse("account_login"))
    settings.BLAA_BOG_PUBLIC = True
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("items", [1, 15])
def test_the_meeting_page_query_count_does_not_grow_with_agenda_items(
    signed_in, syddanmark, items, django_assert_num_queries
):
    row = meeting()
    health = PolicyArea.objects.get(slug="sundhed")
    for number in range(1, items + 1):
        factories.AgendaItemFactory(meeting=row, number=number, policy_area=health)

    # the session with the versions, the user, the meeting with its council, the agenda items with
    # their areas
    with django_assert_num_queries(4):
        response = signed_in.get(reverse("meeting_detail", args=[row.pk]))

    assert len(response.context["agenda"]) == items


# --- the service ----------------------------------------------------------------------------


def test_changing_only_the_title_keeps_the_sequence(syddanmark):
    row = meeting()

    row.title = "Nyt navn"
    services.save_meeting(meeting=row)

    assert Meeting.objects.get(pk=row.pk).sequence == 0


def test_each_move_raises_the_sequence_by_one(syddanmark):
    row = meeting()

    row.place = "Vejle Rådhus"
    services.save_meeting(meeting=row)
    row.ends_at = local(2026, 12, 7, 14)
    services.save_meeting(meeting=row)

    assert Meeting.objects.get(pk=row.pk).sequence == 2


def test_a_cancelled_meeting_cannot_be_cancelled_again_or_moved(syddanmark):
    row = meeting()
    services.cancel_meeting(meeting=row)

    with pytest.raises(ValidationError, match="er aflyst og kan ikke aflyses"):
        services.cancel_meeting(meeting=row)
    row = Meeting.objects.get(pk=row.pk)
    row.place = "Et andet sted"
    with pytest.raises(ValidationError, match="Et aflyst møde kan ikke flyttes"):
        services.save_meeting(meeting=row)
    stored = Meeting.objects.get(pk=row.pk)
    assert (stored.sequence, stored.place) == (1, "Odense Rådhus")


def test_a_meeting_that_has_not_begun_cannot_be_marked_as_held(syddanmark):
    future = meeting()
    past = meeting(starts_at=local(2026, 11, 2, 10), ends_at=local(2026, 11, 2, 12))

    with pytest.raises(ValidationError, match="er ikke begyndt endnu"):
        services.mark_meeting_held(meeting=future)
    services.mark_meeting_held(meeting=past)

    assert Meeting.objects.get(pk=future.pk).status == Meeting.Status.PLANNED
    assert Meeting.objects.get(pk=past.pk).status == Meeting.Status.HELD


# --- the admin ------------------------------------------------------------------------------


def test_moving_a_meeting_in_the_admin_raises_its_sequence(staff, syddanmark):
    row = meeting()

    response = admin_post(staff, Meeting, row, starts_at_0="2026-12-08", starts_at_1="09:00:00", ends_at_0="2026-12-08")

    assert response.status_code == 302
    stored = Meeting.objects.get(pk=row.pk)
    assert stored.starts_at == local(2026, 12, 8, 9)
    assert stored.sequence == 1


def test_changing_the_place_in_the_admin_raises_the_sequence_and_the_title_does_not(staff, syddanmark):
    row = meeting()

    admin_post(staff, Meeting, row, title="Nyt navn")
    assert Meeting.objects.get(pk=row.pk).sequence == 0
    admin_post(staff, Meeting, row, place="Vejle Rådhus")
    assert Meeting.objects.get(pk=row.pk).sequence == 1


def test_the_admin_cannot_set_the_status_or_the_sequence_on_the_form(staff, syddanmark):
    row = meeting()

    admin_post(staff, Meeting, row, status="cancelled", sequence="99", title="Nyt navn")

    stored = Meeting.objects.get(pk=row.pk)
    assert (stored.title, stored.status, stored.sequence) == ("Nyt navn", Meeting.Status.PLANNED, 0)


def test_a_meeting_that_ends_before_it_starts_is_refused_on_the_form(staff, syddanmark):
    row = meeting()

    response = admin_post(staff, Meeting, row, ends_at_0="2026-12-06")

    assert response.status_code == 200
    assert "Mødet skal slutte efter, at det er begyndt." in text(response)
    assert Meeting.objects.get(pk=row.pk).sequence == 0


def test_moving_a_cancelled_meeting_is_refused_on_the_admin_form(staff, syddanmark):
    row = meeting()
    services.cancel_meeting(meeting=row)

    response = admin_post(staff, Meeting, row, place="Vejle Rådhus")

    assert response.status_code == 200
    assert escape("Et aflyst møde kan ikke flyttes.") in text(response)
    assert Meeting.objects.get(pk=row.pk).place == "Odense Rådhus"


def test_a_save_the_service_refuses_after_the_form_passed_is_a_message_not_a_500(staff, syddanmark, monkeypatch):
    row = meeting(title="Decembermøde")
    before = row.history.count()

    def cancelled_meanwhile(*, meeting):
        # Someone cancelled it between the form's check and the save: the service refuses.
        raise ValidationError("Et aflyst møde kan ikke flyttes. Opret et nyt møde i stedet.")

    monkeypatch.setattr(services, "save_meeting", cancelled_meanwhile)
    response = admin_post(staff, Meeting, row, place="Vejle Rådhus", title="Nyt navn")

    change_url = reverse("admin:members_meeting_change", args=[row.pk])
    assert response.status_code == 302
    assert response["Location"] == change_url
    page = staff.get(change_url)
    assert escape("Et aflyst møde kan ikke flyttes. Opret et nyt møde i stedet.") in text(page)
    stored = Meeting.objects.get(pk=row.pk)
    assert (stored.title, stored.place, stored.sequence) == ("Decembermøde", "Odense Rådhus", 0)
    assert row.history.count() == before
    assert not LogEntry.objects.exists()


def test_the_cancel_action_cancels_and_raises_the_sequence(staff, syddanmark):
    first, second = meeting(), meeting(title="Andet møde")

    response = staff.post(
        CHANGELIST, {"action": "cancel_meetings", ACTION_CHECKBOX_NAME: [first.pk, second.pk]}, follow=True
    )

    assert "2 møde(r) er aflyst." in text(response)
    for row in (first, second):
        stored = Meeting.objects.get(pk=row.pk)
        assert (stored.status, stored.sequence) == (Meeting.Status.CANCELLED, 1)


def test_cancelling_a_cancelled_meeting_again_says_why_and_changes_nothing(staff, syddanmark):
    row = meeting(title="Junimødet")
    services.cancel_meeting(meeting=row)

    response = staff.post(CHANGELIST, {"action": "cancel_meetings", ACTION_CHECKBOX_NAME: [row.pk]}, follow=True)

    assert "Junimødet er aflyst og kan ikke aflyses." in text(response)
    assert Meeting.objects.get(pk=row.pk).sequence == 1


def test_the_cancel_action_posted_with_another_kkrs_meeting_cancels_nothing(staff, sjaelland):
    other = meeting(council=sjaelland)

    staff.post(CHANGELIST, {"action": "cancel_meetings", ACTION_CHECKBOX_NAME: [other.pk]}, follow=True)

    stored = Meeting.objects.get(pk=other.pk)
    assert (stored.status, stored.sequence) == (Meeting.Status.PLANNED, 0)


def test_the_held_action_marks_a_begun_meeting_as_held(staff, syddanmark):
    row = meeting(starts_at=local(2026, 11, 2, 10), ends_at=local(2026, 11, 2, 12))

    response = staff.post(CHANGELIST, {"action": "mark_meetings_held", ACTION_CHECKBOX_NAME: [row.pk]}, follow=True)

    assert "1 møde(r) er markeret som afholdt." in text(response)
    assert Meeting.objects.get(pk=row.pk).status == Meeting.Status.HELD
