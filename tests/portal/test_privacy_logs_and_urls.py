"""No personal data in URLs or in the application's logs (docs/privacy.md).

Every log record at DEBUG, of every logger, is captured while a member logs in with a code,
a reminder is sent (and one is refused by the mail server), a member updates their contact
details, the subject access command runs and retention erases someone: none names the person's
e-mail address or phone number. Every URL those flows produce — redirects, the links in the
mails, the one-click unsubscribe links — carries neither, not even encoded in a token.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import logging
import re
import smtplib
import zlib
from unittest import mock
from urllib.parse import unquote

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from members import services as member_services
from members import tasks as member_tasks
from members.models import ElectionPeriod, SecretariatContact
from reminders import services as reminder_services
from reminders import smtp
from reminders.models import Delivery
from tests import factories
from tests.portal.test_login import MAILED_CODE
from tests.reminders.conftest import MEETING_AT, kkr_member, meeting_at, milestone
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

# Lower case: the login-code form matches the address as registered (see issue 7, input).
EMAIL = "anne.privat@borger.example"
PHONE = "+45 61 72 83 94"
WEEK_BEFORE = MEETING_AT - dt.timedelta(days=7)
LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


@pytest.fixture(autouse=True)
def _no_kept_connection():
    smtp.discard()
    yield
    smtp.discard()


@pytest.fixture
def all_logs(caplog):
    """Every logger at DEBUG, into caplog (levels restored after the test)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def personal(person) -> list[str]:
    """The person's address and phone in the forms a log line or a URL may carry them."""
    digits = re.sub(r"\D", "", person.phone)
    forms = {person.email, person.email.lower(), person.email.split("@")[0].lower(), person.phone, digits[-8:]}
    return sorted(form for form in forms if form)


def logged(caplog) -> str:
    """What the handlers would write: each message, and any traceback with it."""
    lines = []
    for record in caplog.records:
        lines.append(f"{record.name} {record.getMessage()}")
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


def revealed(url: str) -> str:
    """A URL as a reader can decode it: percent-decoded, and each token part tried as base64 and
    as zlib-compressed base64 (what ``django.core.signing.dumps`` makes)."""
    text = unquote(url)
    decoded = [text]
    for part in re.split(r"[/:?&=.]", text):
        for candidate in (part, part.lstrip(".")):
            try:
                raw = base64.urlsafe_b64decode(candidate + "=" * (-len(candidate) % 4))
            except (binascii.Error, ValueError):
                continue
            decoded.append(raw.decode("utf-8", errors="ignore"))
            with contextlib.suppress(zlib.error):
                decoded.append(zlib.decompress(raw).decode("utf-8", errors="ignore"))
    return "\n".join(decoded)


def mail_urls(message) -> list[str]:
    texts = [message.body, *(content for content, _type in getattr(message, "alternatives", []))]
    texts.append(message.extra_headers.get("List-Unsubscribe", ""))
    return sorted({url for text in texts for url in re.findall(r"https?://[^\s\"'<>]+", text)})


def assert_nothing_personal(texts: list[str], person) -> None:
    for text in texts:
        for value in personal(person):
            assert value.lower() not in text.lower(), (value, text[:300])


# --- The flows -------------------------------------------------------------------------------


@pytest.fixture
def anne(odense, period):
    """A member of KKR Syddanmark with a login, an address and a phone number."""
    membership = kkr_member(odense, period, EMAIL, name="Anne Privat", phone=PHONE)
    person = membership.person
    person.user = factories.UserFactory(email=person.email)
    person.save()
    person.refresh_from_db()
    return person


def test_logging_in_with_a_code_logs_and_links_nothing_personal(client, anne, all_logs):
    response = client.post(reverse("account_request_login_code") + "?next=/min-side/", {"email": anne.email})
    urls = [response["Location"]]
    code = MAILED_CODE.search(mail.outbox[-1].body).group(1)
    confirm = client.post(response["Location"], {"code": code})
    urls += [confirm["Location"]]
    assert confirm["Location"] == "/min-side/"

    assert_nothing_personal([logged(all_logs), *map(revealed, urls), *map(revealed, mail_urls(mail.outbox[-1]))], anne)


def test_updating_contact_details_logs_nothing_personal(client, anne, all_logs):
    client.force_login(anne.user)
    response = client.post(reverse("my_page"), {"phone": "+45 61 72 83 95", "email": anne.email, "bio": "Ny biografi."})
    assert response.status_code == 302
    anne.refresh_from_db()

    assert_nothing_personal([logged(all_logs), revealed(response["Location"])], anne)


def test_a_meeting_reminder_logs_and_links_nothing_personal(anne, syddanmark, all_logs):
    meeting_at(MEETING_AT, council=syddanmark)
    with time_machine.travel(WEEK_BEFORE, tick=False):
        reminder_services.plan_deliveries()
        [delivery] = Delivery.objects.filter(recipient=anne)
        assert reminder_services.send_delivery(delivery_id=delivery.pk) == "sent"

    assert_nothing_personal([logged(all_logs), *map(revealed, mail_urls(mail.outbox[-1]))], anne)


def test_a_reminder_the_mail_server_refuses_logs_nothing_personal(anne, syddanmark, all_logs):
    """The server's refusal names the address; the log says which delivery, the admin shows the rest."""
    meeting_at(MEETING_AT, council=syddanmark)
    refused = smtplib.SMTPRecipientsRefused({anne.email: (550, b"5.1.1 No such user")})
    with time_machine.travel(WEEK_BEFORE, tick=False), mock.patch(LOCMEM_SEND, side_effect=refused):
        reminder_services.plan_deliveries()
        [delivery] = Delivery.objects.filter(recipient=anne)
        assert reminder_services.send_delivery(delivery_id=delivery.pk) == "failed"

    assert_nothing_personal([logged(all_logs)], anne)


def test_a_secretariat_reminder_links_nothing_personal(syddanmark, all_logs):
    """A secretariat contact is no person in the portal: their unsubscribe link names their address
    through the delivery, and must not carry it readable in the token."""
    contact = SecretariatContact.objects.create(
        council=syddanmark, kind="kkr", unit="KKR-sekretariatet", name="Sara Konsulent", email="sara.k@kl.example"
    )
    milestone(syddanmark, dt.date(2026, 12, 14))
    with time_machine.travel(dt.datetime(2026, 11, 14, 9, tzinfo=dt.UTC), tick=False):
        reminder_services.plan_deliveries()
        for delivery in Delivery.objects.filter(email=contact.email):
            reminder_services.send_delivery(delivery_id=delivery.pk)
    messages = [message for message in mail.outbox if contact.email in message.to]
    assert messages

    contact.phone = "+45 33 70 55 01"
    for message in messages:
        assert_nothing_personal([logged(all_logs), *map(revealed, mail_urls(message))], contact)


def test_the_subject_access_command_and_retention_log_nothing_personal(anne, all_logs, tmp_path, settings, odense):
    call_command("subject_access", anne.email, output=str(tmp_path / "indsigt.json"))
    call_command("subject_access", anne.slug)

    old = ElectionPeriod.objects.create(name="2014-2017", starts_on=dt.date(2014, 1, 1), ends_on=dt.date(2017, 12, 31))
    former = councillor(odense, old, email="frede.fortid@borger.example", phone="+45 50 60 70 80")
    member_services.ensure_calendar_feed(person=former)
    with mock.patch.object(member_tasks.erase_contact_details, "delay", member_tasks.erase_contact_details):
        assert member_tasks.erase_expired_contact_details() == 1

    assert_nothing_personal([logged(all_logs)], anne)
    former.email, former.phone = "frede.fortid@borger.example", "+45 50 60 70 80"
    assert_nothing_personal([logged(all_logs)], former)
