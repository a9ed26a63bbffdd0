"""The iCalendar builders and the feeds: stable UIDs, rising SEQUENCE, cancellations, the zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from agreements.models import Milestone
from members import calendar, services
from members.models import CalendarFeed, Meeting, PolicyArea
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

    # session and user, the council, the meetings, their agenda items
    with django_assert_num_queries(5):
        response = signed_in.get(reverse("council_feed", args=["syddanmark"]))

    assert len(events(response.content)) == count


# --- the personal feed -----------------------------------------------------------------------


@pytest.fixture
def kkr_member(member, syddanmark, odense, period):
    services.add_council_seat(person=member, municipality=odense, period=period, started_on=period.starts_on)
    services.add_membership(
        person=member, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
    )
    return member


def test_the_personal_feed_has_the_persons_kkr_meetings_and_the_deadlines_meant_for_members(
    client, kkr_member, syddanmark, sjaelland
):
    own = meeting(title="Eget KKR")
    other = meeting(council=sjaelland, title="Andet KKR")
    for_members = factories.MilestoneFactory(audience="members")
    for_secretariat = factories.MilestoneFactory(audience="secretariat", agreement=for_members.agreement, kind="draft")
    feed = services.ensure_calendar_feed(person=kkr_member)

    # No login: a calendar app fetches it.
    response = client.get(reverse("personal_feed", args=[calendar.feed_token(feed)]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = set(events(response.content))
    assert calendar.meeting_uid(own) in found
    assert calendar.milestone_uid(for_members) in found
    assert calendar.meeting_uid(other) not in found
    assert calendar.milestone_uid(for_secretariat) not in found


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
