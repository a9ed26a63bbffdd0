"""The one place that builds a reminder email: a template trio per kind, rendered here.

``reminders/email/<kind>_subject.txt``, ``<kind>_body.txt`` and ``<kind>_body.html``, in Danish,
with the times in Europe/Copenhagen, a link to the item and to Min side, a stable Message-ID,
``List-Unsubscribe`` with a signed one-click link, and for meetings the meeting as ``.ics``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from .models import Delivery
from .querysets import COPENHAGEN, Occasion

UNSUBSCRIBE_SALT = "reminders.unsubscribe"


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "kkr-portal"


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def message_id(delivery: Delivery) -> str:
    """The same for every attempt of one delivery, so a rare duplicate folds in mail clients;
    keyed with SECRET_KEY so it reveals nothing and cannot be guessed for another delivery."""
    digest = salted_hmac("reminders.message-id", f"{delivery.pk}:{delivery.email}").hexdigest()[:16]
    return f"<delivery-{delivery.pk}-{digest}@{_host()}>"


def unsubscribe_token(*, person_id: int, kind: str) -> str:
    return signing.dumps({"p": person_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """``(person id, kind)``; raises ``signing.BadSignature`` for a tampered or foreign token."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("k"), str):
        raise signing.BadSignature("Malformed unsubscribe token")
    return data["p"], data["k"]


def unsubscribe_url(delivery: Delivery) -> str:
    token = unsubscribe_token(person_id=delivery.recipient_id, kind=delivery.occasion_type)
    return _absolute(reverse("reminders:unsubscribe", args=[token]))


def _item(occasion: Occasion) -> dict:
    """What the reminder is about, and the page to read more."""
    obj = occasion.obj
    if occasion.kind == "meeting":
        return {"meeting": obj, "council": obj.council, "url": _absolute(reverse("meeting_detail", args=[obj.pk]))}
    if occasion.kind == "milestone":
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
    prefix = f"reminders/email/{occasion.kind}"
    context = {
        "delivery": delivery,
        "days_before": delivery.rule.days_before,
        "occasion_at": occasion.at.astimezone(COPENHAGEN),
        "preferences_url": _absolute(reverse("my_page")),
        "unsubscribe_url": unsubscribe_url(delivery) if delivery.recipient_id else "",
        "site_url": settings.SITE_URL,
        **_item(occasion),
    }
    # Reminders are written in Danish, with Danish times, whatever the sending worker's state.
    with translation.override(settings.LANGUAGE_CODE), timezone.override(COPENHAGEN):
        subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
        text = render_to_string(f"{prefix}_body.txt", context)
        html = render_to_string(f"{prefix}_body.html", context)
    headers = {"Message-ID": message_id(delivery), "Auto-Submitted": "auto-generated"}
    if context["unsubscribe_url"]:
        headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[delivery.email], headers=headers
    )
    message.attach_alternative(html, "text/html")
    if occasion.kind == "meeting":
        from members.calendar import meeting_ics

        message.attach("moede.ics", meeting_ics(occasion.obj), "text/calendar; charset=utf-8; method=PUBLISH")
    return message
