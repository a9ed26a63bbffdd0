"""iCalendar (RFC 5545) for the KKR meetings and the agreements' deadlines.

One builder for every use: the ``.ics`` attached to a meeting reminder (``meeting_ics``), the
feed of one KKR and the personal feed (``feed_ics``). What makes calendar apps keep up:

- UIDs are derived from the row's id and the site's host, never from a time, so a moved meeting
  updates the event a calendar already has instead of adding a second one;
- SEQUENCE is ``Meeting.sequence``, raised by ``members.services`` when the time or place changes
  or the meeting is cancelled, so the newer version wins;
- a cancelled meeting stays in the feeds with STATUS:CANCELLED, so calendars remove it;
- times carry TZID=Europe/Copenhagen with its VTIMEZONE, so a meeting after the switch to winter
  time (2026-10-25) shows at the hour the KKR decided, whatever the reader's zone.

Meetings should come from ``Meeting.objects.with_agenda()`` and milestones from
``Milestone.objects.with_agreement()``: the builders read the prefetched rows and query nothing.
A meeting without its agenda prefetched is loaded again (``with_agenda`` here), never item by item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone

from .models import CalendarFeed, Meeting

TZID = "Europe/Copenhagen"
ZONE = ZoneInfo(TZID)
PRODID = "-//KL//KKR Portal//DA"
DAY = dt.timedelta(days=1)


def site_host() -> str:
    """The host part of SITE_URL: the domain that makes our UIDs globally unique."""
    return urlsplit(settings.SITE_URL).hostname or "kkr-portal"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def meeting_uid(meeting) -> str:
    return f"kkr-meeting-{meeting.pk}@{site_host()}"


def milestone_uid(milestone) -> str:
    return f"kkr-milestone-{milestone.pk}@{site_host()}"


def meeting_event(meeting, *, stamp: dt.datetime | None = None) -> Event:
    """One VEVENT for a KKR meeting (reads ``meeting.council`` and its agenda items)."""
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", stamp or timezone.now())
    event.add("dtstart", meeting.starts_at.astimezone(ZONE))
    event.add("dtend", meeting.ends_at.astimezone(ZONE))
    event.add("summary", f"{meeting.council.name}: {meeting.title}")
    if meeting.place:
        event.add("location", meeting.place)
    url = absolute_url(reverse("meeting_detail", args=[meeting.pk]))
    lines = []
    cancelled = meeting.status == Meeting.Status.CANCELLED
    if cancelled:
        lines += [_("Mødet er aflyst."), ""]
    items = list(meeting.agenda_items.all())
    if items:
        lines.append(_("Dagsorden:"))
        for item in items:
            area = f" ({item.policy_area.name})" if item.policy_area_id else ""
            lines.append(f"{item.number}. {item.title}{area}")
        lines.append("")
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def milestone_event(milestone, *, stamp: dt.datetime | None = None) -> Event:
    """An all-day VEVENT on a milestone's due date (reads ``milestone.agreement.council``)."""
    agreement = milestone.agreement
    event = Event()
    event.add("uid", milestone_uid(milestone))
    event.add("dtstamp", stamp or timezone.now())
    event.add("dtstart", milestone.due_on)
    event.add("dtend", milestone.due_on + DAY)
    event.add(
        "summary",
        _("Frist: %(milestone)s – %(agreement)s") % {"milestone": milestone.title, "agreement": agreement.title},
    )
    url = absolute_url(reverse("agreement_detail", args=[agreement.pk]))
    description = [
        f"{agreement.council.name} · {agreement.counterpart}",
        milestone.get_kind_display(),
        "",
        url,
    ]
    event.add("description", "\n".join(str(line) for line in description))
    event.add("url", url)
    # A free all-day marker: a deadline does not block the day in the reader's calendar.
    event.add("transp", "TRANSPARENT")
    return event


def _timezone_for(events: list[Event]) -> Timezone:
    """The VTIMEZONE of Europe/Copenhagen covering the years the events fall in."""
    days = [event.decoded("dtstart") for event in events if isinstance(event.decoded("dtstart"), dt.datetime)]
    days = [day.date() for day in days] or [timezone.localdate()]
    first = dt.date(min(days).year - 1, 1, 1)
    last = dt.date(max(days).year + 2, 1, 1)
    return Timezone.from_tzid(TZID, first_date=first, last_date=last)


def with_agenda(meetings: Iterable) -> list:
    """The meetings, each with its council and agenda loaded (``Meeting.objects.with_agenda()``).

    Rows that come prefetched are used as they are (no query); any others, e.g. a reminder's
    meeting, are loaded again in two queries, so the agenda's policy areas are never one query each.
    """
    meetings = list(meetings)
    missing = [
        meeting.pk for meeting in meetings if "agenda_items" not in getattr(meeting, "_prefetched_objects_cache", {})
    ]
    if not missing:
        return meetings
    loaded = Meeting.objects.with_agenda().in_bulk(missing)
    return [loaded.get(meeting.pk, meeting) for meeting in meetings]


def build_calendar(
    *, name: str, meetings: Iterable = (), milestones: Iterable = (), method: str | None = None
) -> Calendar:
    """A VCALENDAR with the meetings and milestones given, and the VTIMEZONE they need."""
    stamp = timezone.now()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    events = [meeting_event(meeting, stamp=stamp) for meeting in with_agenda(meetings)]
    events += [milestone_event(milestone, stamp=stamp) for milestone in milestones]
    if any(isinstance(event.decoded("dtstart"), dt.datetime) for event in events):
        calendar.add_component(_timezone_for(events))
    for event in events:
        calendar.add_component(event)
    return calendar


def meeting_ics(meeting) -> bytes:
    """One VCALENDAR with the meeting's one VEVENT, e.g. attached to a reminder email."""
    (meeting,) = with_agenda([meeting])
    return build_calendar(name=meeting.council.name, meetings=[meeting], method="PUBLISH").to_ical()


def feed_ics(*, name: str, meetings: Iterable = (), milestones: Iterable = ()) -> bytes:
    """A subscribable feed (a KKR's or a person's): meetings and deadlines as one calendar."""
    return build_calendar(name=name, meetings=meetings, milestones=milestones).to_ical()


# Personal feeds: the token in ``/kalender/<token>.ics`` is "<person id>-<HMAC>". The HMAC covers
# the person and the feed's random nonce under SECRET_KEY, so the database alone yields no working
# URL, Min side can show the URL again, and a new nonce (rotation) retires the old URL.
TOKEN_SALT = "members.calendar.personal-feed"  # noqa: S105 - an HMAC salt, not a password.


def _signature(person_id: int, nonce: str) -> str:
    return salted_hmac(TOKEN_SALT, f"{person_id}:{nonce}", algorithm="sha256").hexdigest()


def feed_token(feed) -> str:
    return f"{feed.person_id}-{_signature(feed.person_id, feed.nonce)}"


def feed_url(feed) -> str:
    return absolute_url(reverse("personal_feed", args=[feed_token(feed)]))


def feed_for_token(token: str):
    """The CalendarFeed (with its person) a token opens, or None: unknown, malformed or retired.

    A feed also closes with its person's login: only someone who can sign in makes a link on Min
    side, so a person whose user is deactivated (or unlinked) no longer gets their calendar.
    The signature is compared in constant time; a malformed token costs no query.
    """
    person_id, _dash, signature = token.partition("-")
    if not person_id.isascii() or not person_id.isdigit() or len(person_id) > 18 or len(signature) != 64:
        return None
    feed = CalendarFeed.objects.select_related("person__user").filter(person_id=int(person_id)).first()
    if feed is None or not constant_time_compare(signature, _signature(feed.person_id, feed.nonce)):
        return None
    user = feed.person.user
    if user is None or not user.is_active:
        return None
    return feed
