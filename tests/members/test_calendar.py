"""The iCalendar builders and the feeds: stable UIDs, rising SEQUENCE, cancellations, the zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse
from icalendar import Calendar

from agreements.models import Milestone
from kkr_portal import scoping
from members import calendar, services
from members.models import CalendarFeed, Meeting, Person, PolicyArea
from tests import factories
from tests.rules_helpers import COPENHAGEN, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


def parse(content: bytes) -> Calendar:
    return Calendar.from_ical(content)


def events(content: bytes) -> dict[str, object]:
    return {str(event["UID"]): event for event in parse(content).walk("VEVENT")}


def only_event(content: bytes):
    (event,) = parse(content).walk("VEVENT")
    return event


def meeting(**fields) -> Meeting:
    return factories.MeetingFactory(
        **{"starts_at": local(2026, 12, 7, 10), "ends_at": local(2026, 12, 7, 13), **fields}
    )


# --- one meeting --------------------------------------------------------------------------


def test_a_meeting_is_one_calendar_with_one_event_and_its_essentials(syddanmark):
    health = PolicyArea.objects.get(slug="sundhed")
    row = meeting(title="Decembermøde", place="Odense Rådhus")
    factories.AgendaItemFactory(meeting=row, number=1, title="Sundhedsaftalen", policy_area=health)
    factories.AgendaItemFactory(meeting=row, number=2, title="Eventuelt")

    ical = parse(calendar.meeting_ics(row))
    (event,) = ical.walk("VEVENT")

    assert str(ical["METHOD"]) == "PUBLISH"
    assert str(event["SUMMARY"]) == "KKR Syddanmark: Decembermøde"
    assert str(event["LOCATION"]) == "Odense Rådhus"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 0
    assert "DTSTAMP" in event
    description = str(event["DESCRIPTION"])
    assert "1. Sundhedsaftalen (Sundhed)" in description
    assert "2. Eventuelt" in description
    assert f"http://127.0.0.1:8000{reverse('meeting_detail', args=[row.pk])}" in description


@pytest.mark.parametrize(
    ("starts", "utc_hour"),
    [
        (local(2026, 9, 1, 10), 8),  # summer time (CEST, UTC+2)
        (local(2026, 10, 26, 10), 9),  # the day after the switch to winter time (CET, UTC+1)
        (local(2027, 1, 11, 10), 9),
    ],
)
def test_times_carry_the_copenhagen_zone_on_both_sides_of_the_switch_to_winter_time(syddanmark, starts, utc_hour):
    row = meeting(starts_at=starts, ends_at=starts + dt.timedelta(hours=2))

    content = calendar.meeting_ics(row)
    event = only_event(content)

    assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert event["DTEND"].params["TZID"] == "Europe/Copenhagen"
    assert event.decoded("DTSTART").hour == 10
    assert event.decoded("DTSTART").astimezone(dt.UTC).hour == utc_hour
    assert f"DTSTART;TZID=Europe/Copenhagen:{starts:%Y%m%d}T100000".encode() in content
    (zone,) = parse(content).walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Copenhagen"
    # The zone definition names both offsets, so a reader without the Olson database still gets 10:00.
    offsets = {part.decoded("TZOFFSETTO") for part in zone.subcomponents}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}


def test_the_uid_is_derived_from_the_meeting_and_the_site_not_from_the_time(syddanmark, settings):
    row = meeting()
    first = only_event(calendar.meeting_ics(row))
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        later = only_event(calendar.meeting_ics(row))

    assert str(first["UID"]) == str(later["UID"]) == f"kkr-meeting-{row.pk}@127.0.0.1"
    assert first.decoded("DTSTAMP") != later.decoded("DTSTAMP")
    settings.SITE_URL = "https://kkr.kl.dk"
    assert str(only_event(calendar.meeting_ics(row))["UID"]) == f"kkr-meeting-{row.pk}@kkr.kl.dk"


def test_a_moved_meeting_keeps_its_uid_and_raises_its_sequence(syddanmark):
    row = meeting()
    before = only_event(calendar.meeting_ics(row))

    row.starts_at = local(2026, 12, 8, 9)
    row.ends_at = local(2026, 12, 8, 12)
    services.save_meeting(meeting=row)
    moved = only_event(calendar.meeting_ics(Meeting.objects.get(pk=row.pk)))

    assert str(moved["UID"]) == str(before["UID"])
    assert moved.decoded("SEQUENCE") == before.decoded("SEQUENCE") + 1
    assert moved.decoded("DTSTART") == local(2026, 12, 8, 9)


def test_a_cancelled_meeting_is_sent_as_cancelled_with_a_higher_sequence(syddanmark):
    row = meeting()

    services.cancel_meeting(meeting=row)
    event = only_event(calendar.meeting_ics(Meeting.objects.get(pk=row.pk)))

    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 1
    assert "Mødet er aflyst." in str(event["DESCRIPTION"])


@pytest.mark.parametrize("items", [1, 6])
def test_a_reminders_meeting_without_its_agenda_is_loaded_in_two_queries_not_one_per_item(
    syddanmark, items, django_assert_num_queries
):
    row = meeting()
    health = PolicyArea.objects.get(slug="sundhed")
    for number in range(1, items + 1):
        factories.AgendaItemFactory(meeting=row, number=number, policy_area=health)
    plain = Meeting.objects.select_related("council").get(pk=row.pk)  # as the reminders load it

    # the meeting with its council, its agenda items with their policy areas
    with django_assert_num_queries(2):
        event = only_event(calendar.meeting_ics(plain))

    assert f"{items}. " in str(event["DESCRIPTION"])
    assert "(Sundhed)" in str(event["DESCRIPTION"])


def test_a_meeting_with_its_agenda_prefetched_costs_no_query(syddanmark, django_assert_num_queries):
    row = meeting()
    factories.AgendaItemFactory(meeting=row, policy_area=PolicyArea.objects.get(slug="sundhed"))
    loaded = Meeting.objects.with_agenda().get(pk=row.pk)

    with django_assert_num_queries(0):
        calendar.meeting_ics(loaded)
        calendar.feed_ics(name="Test", meetings=[loaded])


def test_a_milestone_is_an_all_day_event_with_its_own_stable_uid(syddanmark):
    milestone = factories.MilestoneFactory(due_on=dt.date(2027, 3, 15), title="Godkendelse i KKR")
    row = meeting()
    milestone = Milestone.objects.with_agreement().get(pk=milestone.pk)

    found = events(calendar.feed_ics(name="Test", meetings=[row], milestones=[milestone]))

    event = found[f"kkr-milestone-{milestone.pk}@127.0.0.1"]
    assert event.decoded("DTSTART") == dt.date(2027, 3, 15)
    assert event.decoded("DTEND") == dt.date(2027, 3, 16)
    assert "Godkendelse i KKR" in str(event["SUMMARY"])
    assert reverse("agreement_detail", args=[milestone.agreement_id]) in str(event["DESCRIPTION"])
    assert f"kkr-meeting-{row.pk}@127.0.0.1" in found


# --- the KKR feed ---------------------------------------------------------------------------


def test_the_kkr_feed_has_the_kkrs_meetings_cancelled_ones_included_and_no_others(signed_in, syddanmark, sjaelland):
    planned = meeting(title="Planlagt")
    cancelled = meeting(title="Aflyst", starts_at=local(2026, 12, 14, 10), ends_at=local(2026, 12, 14, 12))
    services.cancel_meeting(meeting=cancelled)
    other = meeting(council=sjaelland, title="Sjælland")

    response = signed_in.get(reverse("council_feed", args=["syddanmark"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response.content)
    assert set(found) == {calendar.meeting_uid(planned), calendar.meeting_uid(cancelled)}
    assert str(found[calendar.meeting_uid(cancelled)]["STATUS"]) == "CANCELLED"
    assert calendar.meeting_uid(other) not in found


def test_the_kkr_feed_is_as_open_as_the_kkr_page(client, settings, syddanmark):
    meeting()
    url = reverse("council_feed", args=["syddanmark"])

    assert client.get(url)["Location"].startswith(reverse("account_login"))
    settings.BLAA_BOG_PUBLIC = True
    assert client.get(url).status_code == 200


def test_an_unknown_kkr_has_no_feed(signed_in):
    assert signed_in.get("/moeder/kkr/atlantis.ics").status_code == 404


@pytest.mark.parametrize("count", [1, 12])
def test_the_kkr_feed_query_count_does_not_grow_with_meetings(signed_in, syddanmark, count, django_assert_num_queries):
    for number in range(count):
        row = meeting(
            starts_at=local(2026, 12, 1, 10) + dt.timedelta(days=number),
            ends_at=local(2026, 12, 1, 12) + dt.timedelta(days=number),
        )
        factories.AgendaItemFactory(meeting=row, policy_area=PolicyArea.objects.get(slug="sundhed"))

    # the session with the versions (the data version among them), the user, the council, the
    # meetings, their agenda items; once cached, the session with the versions (kkr_portal.pagecache)
    with django_assert_num_queries(5):
        response = signed_in.get(reverse("council_feed", args=["syddanmark"]))
    with django_assert_num_queries(1):
        again = signed_in.get(reverse("council_feed", args=["syddanmark"]))

    assert len(events(response.content)) == count
    assert again.content == response.content


# --- the personal feed -----------------------------------------------------------------------


@pytest.fixture
def kkr_member(member, syddanmark, odense, period):
    services.add_council_seat(person=member, municipality=odense, period=period, started_on=period.starts_on)
    services.add_membership(
        person=member, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
    )
    return member


def test_the_personal_feed_has_the_persons_kkr_meetings_and_every_deadline_of_its_agreements(
    client, kkr_member, syddanmark, sjaelland
):
    own = meeting(title="Eget KKR")
    other = meeting(council=sjaelland, title="Andet KKR")
    for_members = factories.MilestoneFactory(audience="members")
    for_secretariat = factories.MilestoneFactory(audience="secretariat", agreement=for_members.agreement, kind="draft")
    other_kkrs = factories.MilestoneFactory(agreement=factories.AgreementFactory(council=sjaelland), audience="members")
    feed = services.ensure_calendar_feed(person=kkr_member)

    # No login: a calendar app fetches it.
    response = client.get(reverse("personal_feed", args=[calendar.feed_token(feed)]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = set(events(response.content))
    assert calendar.meeting_uid(own) in found
    assert calendar.milestone_uid(for_members) in found
    # The issue: "the deadlines of their KKR's agreements" — the secretariat's steps are the KKR's cycle too.
    assert calendar.milestone_uid(for_secretariat) in found
    assert calendar.meeting_uid(other) not in found
    assert calendar.milestone_uid(other_kkrs) not in found


def test_a_deactivated_login_closes_the_personal_feed(client, kkr_member):
    url = reverse("personal_feed", args=[calendar.feed_token(services.ensure_calendar_feed(person=kkr_member))])
    assert client.get(url).status_code == 200

    kkr_member.user.is_active = False
    kkr_member.user.save(update_fields=["is_active"])

    assert client.get(url).status_code == 404


def test_a_person_no_longer_linked_to_a_login_has_no_personal_feed(client, kkr_member):
    url = reverse("personal_feed", args=[calendar.feed_token(services.ensure_calendar_feed(person=kkr_member))])

    Person.objects.filter(pk=kkr_member.pk).update(user=None)

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("count", [1, 10])
def test_the_personal_feed_query_count_does_not_grow(client, kkr_member, syddanmark, count, django_assert_num_queries):
    agreement = factories.AgreementFactory()
    for number in range(count):
        start = local(2026, 12, 1, 10) + dt.timedelta(days=number)
        factories.AgendaItemFactory(meeting=meeting(starts_at=start, ends_at=start + dt.timedelta(hours=2)))
        factories.MilestoneFactory(agreement=agreement, due_on=dt.date(2027, 1, 1) + dt.timedelta(days=number))
    url = reverse("personal_feed", args=[calendar.feed_token(services.ensure_calendar_feed(person=kkr_member))])

    # the feed with its person, the meetings, their agenda items, the milestones
    with django_assert_num_queries(4):
        response = client.get(url)

    assert len(events(response.content)) == 2 * count


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "1-",
        "-" + "0" * 64,
        "x-" + "0" * 64,
        "1-" + "0" * 63,
        "1-" + "g" * 64,
        "٣-" + "0" * 64,
        "9" * 40 + "-" + "0" * 64,
    ],
)
def test_a_broken_token_is_a_404(client, kkr_member, token):
    services.ensure_calendar_feed(person=kkr_member)

    assert client.get(f"/kalender/{token}.ics").status_code == 404


def test_a_forged_signature_for_a_real_person_is_a_404(client, kkr_member):
    feed = services.ensure_calendar_feed(person=kkr_member)
    token = calendar.feed_token(feed)
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")

    assert client.get(reverse("personal_feed", args=[forged])).status_code == 404


def test_a_rotated_token_stops_working_and_the_new_one_works(client, kkr_member):
    old = calendar.feed_token(services.ensure_calendar_feed(person=kkr_member))

    new = calendar.feed_token(services.rotate_calendar_feed(person=kkr_member))

    assert new != old
    assert client.get(reverse("personal_feed", args=[old])).status_code == 404
    assert client.get(reverse("personal_feed", args=[new])).status_code == 200


def test_the_database_alone_does_not_hold_the_token(kkr_member, settings):
    feed = services.ensure_calendar_feed(person=kkr_member)
    token = calendar.feed_token(feed)

    assert feed.nonce not in token
    settings.SECRET_KEY = "en-anden-hemmelighed-" * 3
    assert calendar.feed_token(CalendarFeed.objects.get(pk=feed.pk)) != token


def test_ensuring_a_feed_twice_keeps_the_same_url(kkr_member):
    first = calendar.feed_token(services.ensure_calendar_feed(person=kkr_member))

    assert calendar.feed_token(services.ensure_calendar_feed(person=kkr_member)) == first
    assert CalendarFeed.objects.filter(person=kkr_member).count() == 1


# --- the admin of calendar links -------------------------------------------------------------

FEED_CHANGELIST = reverse("admin:members_calendarfeed_changelist")


def test_kl_central_administrators_can_retire_a_leaked_link(client, superuser, kkr_member):
    old = calendar.feed_token(services.ensure_calendar_feed(person=kkr_member))
    feed = CalendarFeed.objects.get(person=kkr_member)
    client.force_login(superuser)

    response = client.post(FEED_CHANGELIST, {"action": "rotate_feeds", ACTION_CHECKBOX_NAME: [feed.pk]}, follow=True)

    assert "1 kalenderlink(s) er fornyet." in response.content.decode()
    assert calendar.feed_token(CalendarFeed.objects.get(pk=feed.pk)) != old


def test_rotating_links_needs_the_change_permission_not_just_view(client, staff_syddanmark, kkr_member, monkeypatch):
    # Were calendar links ever opened to staff for viewing, viewing alone must not let them rotate.
    monkeypatch.setattr(scoping, "may_view", lambda model, user: True)
    monkeypatch.setattr(scoping, "may_change", lambda model, user: True)
    monkeypatch.setattr(scoping, "scope", lambda queryset, user: queryset)
    feed = services.ensure_calendar_feed(person=kkr_member)
    staff_syddanmark.user_permissions.set(Permission.objects.filter(codename="view_calendarfeed"))
    client.force_login(staff_syddanmark)

    page = client.get(FEED_CHANGELIST)
    client.post(FEED_CHANGELIST, {"action": "rotate_feeds", ACTION_CHECKBOX_NAME: [feed.pk]})

    assert page.status_code == 200
    assert "rotate_feeds" not in page.content.decode()
    assert CalendarFeed.objects.get(pk=feed.pk).nonce == feed.nonce

    staff_syddanmark.user_permissions.add(Permission.objects.get(codename="change_calendarfeed"))
    assert "rotate_feeds" in client.get(FEED_CHANGELIST).content.decode()
