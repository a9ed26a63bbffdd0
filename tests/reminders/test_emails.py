"""The reminder emails: Danish, both parts, stable Message-ID, one-click unsubscribe, .ics."""

from __future__ import annotations

import datetime as dt
import email
import re

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from icalendar import Calendar

from members.models import AgendaItem, Council, Meeting, PolicyArea
from reminders import emails, services, tasks
from reminders.models import Delivery
from tests.factories import AgendaItemFactory
from tests.reminders.conftest import MEETING_AT, milestone
from tests.rules_helpers import COPENHAGEN

pytestmark = pytest.mark.django_db

WEEK_BEFORE = MEETING_AT - dt.timedelta(days=7)


def sent_to(email: str, at: dt.datetime = WEEK_BEFORE):
    with time_machine.travel(at, tick=False):
        services.plan_deliveries()
        delivery = Delivery.objects.get(email=email)
        tasks.send_delivery(delivery.pk)
    (message,) = [message for message in mail.outbox if message.to == [email]]
    return delivery, message


@pytest.fixture
def anne_mail(meeting, settings):
    settings.SITE_URL = "https://kkr.example.dk"
    return sent_to("anne@example.dk")


def test_a_meeting_reminder_has_the_essentials_in_both_parts(anne_mail, meeting):
    _delivery, message = anne_mail
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    for part in (message.body, html):
        assert "KKR-møde december" in part
        assert "mandag 7. december 2026" in part
        assert "10.00" in part  # Danish time, not the 09:00 UTC stored
        assert "Odense Rådhus" in part
        assert f"https://kkr.example.dk/moeder/{meeting.pk}/" in part
        assert "https://kkr.example.dk/min-side/" in part
    assert "Påmindelse" in message.subject
    assert "KKR Syddanmark" in message.subject
    assert "&lt;" not in message.body


def test_the_message_id_is_derived_from_the_delivery_and_stable(anne_mail, meeting):
    delivery, message = anne_mail
    pattern = rf"<delivery-{delivery.pk}-[0-9a-f]{{16}}@kkr\.example\.dk>"
    assert re.fullmatch(pattern, message.extra_headers["Message-ID"])
    assert message.message()["Message-ID"] == message.extra_headers["Message-ID"]
    assert emails.message_id(delivery) == message.extra_headers["Message-ID"]
    other = Delivery.objects.exclude(pk=delivery.pk).first()
    assert emails.message_id(other) != emails.message_id(delivery)


def test_the_reminder_carries_a_one_click_unsubscribe_header(anne_mail):
    delivery, message = anne_mail
    header = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(r"<https://kkr\.example\.dk/paamindelser/frameld/[^/>]+/>", header)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header[1:-1] in message.body
    assert emails.read_unsubscribe_token(header.split("/")[-2]) == (delivery.recipient_id, "", "meeting")


def test_a_meeting_reminder_has_the_meeting_as_an_ics_attachment(anne_mail, meeting):
    _delivery, message = anne_mail
    (part,) = message.attachments
    assert part["Content-Type"] == 'text/calendar; charset="utf-8"; method="PUBLISH"'
    assert part.get_filename() == "moede.ics"
    assert part.get_content_disposition() == "attachment"
    (event,) = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    assert event.decoded("dtstart") == MEETING_AT
    assert str(event["location"]) == "Odense Rådhus"


def ics_event(message):
    (part,) = message.attachments
    (event,) = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    return event


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (lambda meeting: AgendaItemFactory(meeting=meeting, number=1, title="Nyt punkt"), ("description", "Nyt punkt")),
        (lambda meeting: Meeting.objects.filter(pk=meeting.pk).update(place="Nyt sted"), ("location", "Nyt sted")),
        (
            lambda meeting: Council.objects.filter(pk=meeting.council_id).update(name="KKR Nyt Navn"),
            ("summary", "KKR Nyt Navn"),
        ),
    ],
    ids=["agenda", "place", "council"],
)
def test_the_ics_of_each_reminder_shows_the_meeting_as_it_is_when_sent(meeting, change, shown):
    """Members of one meeting share its .ics, built once: until the meeting, its KKR or its agenda
    changes, even between two reminders of the same batch."""
    with time_machine.travel(WEEK_BEFORE, tick=False):
        services.plan_deliveries()
        tasks.send_delivery(Delivery.objects.get(email="anne@example.dk").pk)
        change(meeting)
        tasks.send_delivery(Delivery.objects.get(email="bo@example.dk").pk)
    first, second = (ics_event(message) for message in mail.outbox)
    name, text = shown
    assert text not in str(first[name])
    assert text in str(second[name])


def rename_policy_area(item, _other) -> str:
    PolicyArea.objects.filter(pk=item.policy_area_id).update(name="Nyt fagområde")
    return "Nyt fagområde"


def move_to_policy_area(item, other) -> str:
    AgendaItem.objects.filter(pk=item.pk).update(policy_area=other)
    return other.name


@pytest.mark.parametrize("change", [rename_policy_area, move_to_policy_area], ids=["renamed", "another"])
def test_the_ics_shows_the_policy_area_of_an_agenda_item_as_it_is_when_sent(meeting, change):
    first, other = PolicyArea.objects.order_by("pk")[:2]
    item = AgendaItemFactory(meeting=meeting, number=1, title="Punkt", policy_area=first)
    with time_machine.travel(WEEK_BEFORE, tick=False):
        services.plan_deliveries()
        tasks.send_delivery(Delivery.objects.get(email="anne@example.dk").pk)
        shown = change(item, other)
        tasks.send_delivery(Delivery.objects.get(email="bo@example.dk").pk)
    before, after = (str(ics_event(message)["description"]) for message in mail.outbox)
    assert shown not in before
    assert shown in after


def test_members_of_one_meeting_get_the_same_ics(meeting):
    with time_machine.travel(WEEK_BEFORE, tick=False):
        services.plan_deliveries()
        for delivery in Delivery.objects.order_by("email"):
            tasks.send_delivery(delivery.pk)
    assert len({ics_event(message).to_ical() for message in mail.outbox}) == 1
    assert len(mail.outbox) == 3


def test_the_message_renders_as_multipart_mime(anne_mail):
    _delivery, message = anne_mail
    raw = message.message().as_string()
    assert "multipart/mixed" in raw
    assert "multipart/alternative" in raw
    assert 'Content-Type: text/calendar; charset="utf-8"; method="PUBLISH"\n' in raw
    assert 'Content-Disposition: attachment; filename="moede.ics"\n' in raw


def test_a_secretariat_reminder_says_why_it_came_and_has_a_one_click_link_for_the_address(
    syddanmark, secretariat, settings
):
    settings.SITE_URL = "https://kkr.example.dk"
    due = milestone(syddanmark, dt.date(2026, 12, 31))
    _delivery, message = sent_to("sara@kl.dk", dt.datetime(2026, 12, 1, 8, 0, tzinfo=COPENHAGEN))
    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert emails.read_unsubscribe_token(header.split("/")[-2]) == (None, "sara@kl.dk", "milestone")
    assert header[1:-1] in message.body
    assert header[1:-1] in message.alternatives[0][0]
    assert "kontakt i sekretariatet for KKR Syddanmark" in message.body
    assert "torsdag 31. december 2026" in message.body
    assert f"https://kkr.example.dk/aftaler/{due.agreement_id}/" in message.body
    assert "Godkendelse i kommunalbestyrelserne" in message.subject
    assert not message.attachments


def test_a_member_milestone_reminder_has_an_unsubscribe_link_for_milestones(syddanmark, members, secretariat):
    milestone(syddanmark, dt.date(2026, 12, 31), audience="members")
    delivery, message = sent_to("bo@example.dk", dt.datetime(2026, 12, 24, 8, 0, tzinfo=COPENHAGEN))
    token = message.extra_headers["List-Unsubscribe"].split("/")[-2]
    assert emails.read_unsubscribe_token(token) == (delivery.recipient_id, "", "milestone")


def test_the_reminder_is_in_danish_whatever_language_is_active(meeting):
    with translation.override("en"):
        _delivery, message = sent_to("bo@example.dk")
    assert "Påmindelse om møde i KKR Syddanmark" in message.body
    assert "mandag 7. december 2026" in message.body


def _send_all(at: dt.datetime = WEEK_BEFORE) -> dict[str, object]:
    with time_machine.travel(at, tick=False):
        services.plan_deliveries()
        for delivery in Delivery.objects.filter(status=Delivery.Status.PENDING):
            tasks.send_delivery(delivery.pk)
    return {message.to[0]: message for message in mail.outbox}


def test_texts_rendered_once_per_meeting_still_carry_each_recipients_own_unsubscribe_link(meeting, settings):
    settings.SITE_URL = "https://kkr.example.dk"
    messages = _send_all()
    assert len(emails._render_cache) == 1  # one meeting, one audience: rendered once
    links = set()
    for address, message in messages.items():
        delivery = Delivery.objects.get(email=address)
        link = message.extra_headers["List-Unsubscribe"][1:-1]
        assert emails.read_unsubscribe_token(link.split("/")[-2]) == (delivery.recipient_id, "", "meeting")
        html = message.alternatives[0][0]
        assert link in message.body
        assert f'href="{link}"' in html
        assert emails._UNSUBSCRIBE_MARK not in message.body + html + message.subject
        links.add(link)
    assert len(links) == len(messages) == 3


def test_a_cached_text_is_the_text_rendered_afresh(meeting, settings):
    first = _send_all()["anne@example.dk"]
    emails._render_cache.clear()
    mail.outbox.clear()
    Delivery.objects.update(status=Delivery.Status.PENDING, sent_at=None)
    again = _send_all()["anne@example.dk"]
    assert (first.subject, first.body, first.alternatives) == (again.subject, again.body, again.alternatives)


def test_a_meeting_changed_between_two_reminders_shows_the_change_in_the_second(meeting):
    with time_machine.travel(WEEK_BEFORE, tick=False):
        services.plan_deliveries()
        anne, bo = Delivery.objects.get(email="anne@example.dk"), Delivery.objects.get(email="bo@example.dk")
        tasks.send_delivery(anne.pk)
        Meeting.objects.filter(pk=meeting.pk).update(title="KKR-møde, nyt emne", place="Nyborg Strand")
        Council.objects.filter(pk=meeting.council_id).update(name="KKR Syd")
        tasks.send_delivery(bo.pk)
    first, second = mail.outbox
    assert "KKR-møde december" in first.body
    assert "nyt emne" not in first.body
    for part in (second.subject, second.body, second.alternatives[0][0]):
        assert "KKR Syd" in part
    assert "nyt emne" in second.body
    assert "Nyborg Strand" in second.alternatives[0][0]


def test_a_reminder_flattens_as_with_the_standard_policy(anne_mail):
    from email.policy import compat32

    _delivery, message = anne_mail
    built = message.message()
    fast = built.as_bytes(linesep="\r\n")
    built.policy = compat32
    assert fast == built.as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(fast)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert parsed["Message-ID"] == message.extra_headers["Message-ID"]


def test_a_worker_process_loads_the_urlconf_and_templates_when_it_starts():
    from django.template import engines
    from django.urls import get_resolver

    tasks.warm_up()
    assert get_resolver()._populated
    (loader,) = engines["django"].engine.template_loaders
    assert any("meeting_body.html" in str(key) for key in loader.get_template_cache)
