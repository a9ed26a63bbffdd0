"""The one place that builds a reminder email: a template trio per kind, rendered here.

``reminders/email/<kind>_subject.txt``, ``<kind>_body.txt`` and ``<kind>_body.html``, in Danish,
with the times in Europe/Copenhagen, a link to the item and to Min side, a stable Message-ID,
``List-Unsubscribe`` with a signed one-click link, and for meetings the meeting as ``.ics``.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from email.mime.text import MIMEText
from email.policy import Compat32
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.html import escape

from .models import Delivery, ReminderKind
from .querysets import COPENHAGEN, Occasion, agenda

UNSUBSCRIBE_SALT = "reminders.unsubscribe"


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "kkr-portal"


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def message_id(delivery: Delivery) -> str:
    """The same for every attempt of one delivery, so a rare duplicate folds in mail clients;
    keyed with SECRET_KEY so it reveals nothing and cannot be guessed for another delivery."""
    digest = salted_hmac("reminders.message-id", str(delivery.pk)).hexdigest()[:16]
    return f"<delivery-{delivery.pk}-{digest}@{_host()}>"


def unsubscribe_token(*, kind: str, person_id: int | None = None, delivery_id: int | None = None) -> str:
    """A signed token for one kind and either a person or (a secretariat contact, no person in the
    portal) the delivery whose address it is. Signed, not encrypted: it names no address, as a URL
    ends up in access logs and browser histories."""
    data = {"p": person_id, "k": kind} if person_id is not None else {"d": delivery_id, "k": kind}
    return signing.dumps(data, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int | None, str, str]:
    """``(person id, email, kind)``, one of person id and email set; raises
    ``signing.BadSignature`` for a tampered or foreign token."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("k"), str):
        raise signing.BadSignature("Malformed unsubscribe token")
    if isinstance(data.get("p"), int) and "e" not in data:
        return data["p"], "", data["k"]
    if isinstance(data.get("d"), int) and "p" not in data:
        deliveries = Delivery.objects.filter(pk=data["d"], recipient__isnull=True)
        email = deliveries.values_list("email", flat=True).first()
        if email:
            return None, email, data["k"]
    if isinstance(data.get("e"), str) and data["e"] and "p" not in data:  # links in mails sent before
        return None, data["e"], data["k"]
    raise signing.BadSignature("Malformed unsubscribe token")


def unsubscribe_url(delivery: Delivery) -> str:
    if delivery.recipient_id is not None:
        token = unsubscribe_token(person_id=delivery.recipient_id, kind=delivery.occasion_type)
    else:
        token = unsubscribe_token(delivery_id=delivery.pk, kind=delivery.occasion_type)
    return _absolute(reverse("reminders:unsubscribe", args=[token]))


def _item(occasion: Occasion) -> dict:
    """What the reminder is about, and the page to read more."""
    obj = occasion.obj
    if occasion.kind == ReminderKind.MEETING:
        return {"meeting": obj, "council": obj.council, "url": _absolute(reverse("meeting_detail", args=[obj.pk]))}
    if occasion.kind == ReminderKind.MILESTONE:
        agreement = obj.agreement
        return {
            "milestone": obj,
            "agreement": agreement,
            "council": agreement.council,
            "url": _absolute(reverse("agreement_detail", args=[agreement.pk])),
        }
    # Term ends go to the secretariat, who handle the successor in the admin.
    return {
        "appointment": obj,
        "council": obj.seat.forum.council,
        "url": _absolute(reverse("admin:fora_appointment_change", args=[obj.pk])),
    }


def reminder_message(delivery: Delivery, occasion: Occasion) -> EmailMultiAlternatives:
    """The email for one delivery, ready to send."""
    unsubscribe = unsubscribe_url(delivery)
    subject, text, html = _rendered(delivery, occasion)
    # The one part of the texts that is the recipient's own (``_rendered``).
    subject, text = (part.replace(_UNSUBSCRIBE_MARK, unsubscribe) for part in (subject, text))
    html = html.replace(_UNSUBSCRIBE_MARK, escape(unsubscribe))
    headers = {
        "Message-ID": message_id(delivery),
        "Auto-Submitted": "auto-generated",
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    message = _ReminderEmail(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[delivery.email], headers=headers
    )
    message.attach_alternative(html, "text/html")
    if occasion.kind == ReminderKind.MEETING:
        message.attach(_ics_part(_meeting_ics(occasion.obj)))
    return message


class _Policy(Compat32):
    """``compat32``, the policy of Django's messages, with a short cut for the headers that need
    neither folding nor encoding (printable ASCII, single spaces, one line): those are written as
    they are, which is what ``compat32`` makes of them too, through an ``email.header.Header``
    per header that cost a third of the time to flatten a reminder."""

    _plain = re.compile(r"[!-~]+(?: [!-~]+)*")

    def fold_binary(self, name: str, value) -> bytes:
        if (
            isinstance(value, str)
            and self.max_line_length
            and len(name) + 2 + len(value) <= self.max_line_length
            and self._plain.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_POLICY = _Policy()


class _ReminderEmail(EmailMultiAlternatives):
    def message(self):
        """Django's message, flattened with ``_Policy``, and the boundaries of its multipart parts
        chosen here: left unset, the standard library picks each when flattening and compiles a
        regular expression to check it is not in the text (a fifth of the time to flatten a
        reminder). Here: 128 random bits after ``=_`` (never in base64 or quoted-printable),
        checked against the text of every part."""
        msg = super().message()
        parts = [part for part in msg.walk() if not part.is_multipart()]
        for part in msg.walk():
            if part.is_multipart() and part.get_boundary() is None:
                boundary = f"=_{secrets.token_hex(16)}"
                while any(boundary in str(leaf.get_payload()) for leaf in parts):
                    boundary = f"=_{secrets.token_hex(16)}"
                part.set_boundary(boundary)
        msg.policy = _POLICY
        return msg


# A reminder's texts are the same for everyone of a kind (members, secretariat) that a rule tells
# about one occasion, but for the recipient's own unsubscribe link: they are rendered once per
# version of the occasion as read for this message (its row and the rows read with it, as for the
# .ics), with a mark where the link goes that is replaced per message. A mark per process, so no
# text can contain it by chance. A few minutes and a few dozen occasions per worker process.
_UNSUBSCRIBE_MARK = f"unsubscribe-{secrets.token_hex(16)}"
RENDER_CACHE_SECONDS = 300
RENDER_CACHE_SIZE = 64
_render_cache: OrderedDict[str, tuple[float, tuple[str, str, str]]] = OrderedDict()
_render_lock = threading.Lock()


def _rendered(delivery: Delivery, occasion: Occasion) -> tuple[str, str, str]:
    """Subject, text and HTML of the delivery's email, with ``_UNSUBSCRIBE_MARK`` for its link."""
    to_person = delivery.recipient_id is not None
    key = repr((occasion.kind, to_person, delivery.rule.days_before, occasion.at)) + _version(*_rows(occasion.obj))
    now = time.monotonic()
    with _render_lock:
        cached = _render_cache.get(key)
        if cached is not None and cached[0] > now:
            _render_cache.move_to_end(key)
            return cached[1]
    prefix = f"reminders/email/{occasion.kind}"
    # Only what is the same for every recipient of the key: the templates cannot name anyone.
    context = {
        "days_before": delivery.rule.days_before,
        "occasion_at": occasion.at.astimezone(COPENHAGEN),
        "preferences_url": _absolute(reverse("my_page")),
        "unsubscribe_url": _UNSUBSCRIBE_MARK,
        "to_person": to_person,
        "site_url": settings.SITE_URL,
        **_item(occasion),
    }
    # Reminders are written in Danish, with Danish times, whatever the sending worker's state.
    with translation.override(settings.LANGUAGE_CODE), timezone.override(COPENHAGEN):
        subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
        text = render_to_string(f"{prefix}_body.txt", context)
        html = render_to_string(f"{prefix}_body.html", context)
    with _render_lock:
        _render_cache[key] = (now + RENDER_CACHE_SECONDS, (subject, text, html))
        while len(_render_cache) > RENDER_CACHE_SIZE:
            _render_cache.popitem(last=False)
    return subject, text, html


def warm_up() -> None:
    """Import the URLconf and compile the templates now, not in the first reminder: in a worker
    process that is a second or more, once."""
    reverse("my_page")
    names = [f"{kind}_{part}" for kind in ReminderKind.values for part in ("subject.txt", "body.txt", "body.html")]
    for name in [*names, "_base.html", "_footer.txt"]:
        get_template(f"reminders/email/{name}")


def _rows(obj, seen: set[int] | None = None) -> list:
    """The row and the rows read with it (``select_related``), depth first: what the templates show."""
    seen = set() if seen is None else seen
    seen.add(id(obj))
    rows = [obj]
    for related in obj._state.fields_cache.values():
        if related is not None and id(related) not in seen:
            rows.extend(_rows(related, seen))
    return rows


# A meeting's .ics is the same for every member it goes to (a hundred or more in a row): it is
# built once per version of the meeting as read for this message (its row, its KKR, and a digest
# of its agenda and their policy areas: ``querysets.recheck``), not once per recipient, and the
# agenda itself is read only to build it. Kept a few minutes at most, so its DTSTAMP (when the
# file was made) stays recent; a handful of meetings per worker process.
ICS_CACHE_SECONDS = 300
ICS_CACHE_SIZE = 16
_ics_cache: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
_ics_lock = threading.Lock()  # a worker may run its tasks on threads


def _meeting_ics(meeting) -> bytes:
    from members.calendar import meeting_ics

    digest = getattr(meeting, "agenda_digest", None)
    if digest is None:
        # A meeting read without the digest: its agenda rows are the version.
        items = agenda(meeting)
        digest = _version(*items, *(item.policy_area for item in items))
    key = _version(meeting, meeting.council) + digest
    now = time.monotonic()
    with _ics_lock:
        cached = _ics_cache.get(key)
        if cached is not None and cached[0] > now:
            _ics_cache.move_to_end(key)
            return cached[1]
    # Loads the meeting with its agenda (calendar.with_agenda): once per version.
    ics = meeting_ics(meeting)
    with _ics_lock:
        _ics_cache[key] = (now + ICS_CACHE_SECONDS, ics)
        while len(_ics_cache) > ICS_CACHE_SIZE:
            _ics_cache.popitem(last=False)
    return ics


def _version(*rows) -> str:
    """Every column of the rows ``meeting_ics`` reads, the site and the language: equal only if
    the .ics would be."""
    values = [
        (type(row).__name__, [field.value_from_object(row) for field in row._meta.concrete_fields])
        for row in rows
        if row is not None
    ]
    return repr((settings.SITE_URL, translation.get_language(), values))


def _ics_part(ics: bytes) -> MIMEText:
    """The meeting as ``text/calendar; charset="utf-8"; method="PUBLISH"``, an attachment: built
    by hand, since Django adds a second charset to a content type that names one."""
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", "PUBLISH")
    part.add_header("Content-Disposition", "attachment", filename="moede.ics")
    return part
