"""The one-click unsubscribe link in every reminder: signed, no login needed. It names a person,
or for a secretariat contact (not a person in the portal) the address.

GET shows what the link will turn off and a button; POST turns it off. Mail clients that honour
``List-Unsubscribe-Post`` (RFC 8058) POST without a CSRF token: the signed token is what
authorises the request, so the view is exempt from CSRF. A tampered or unknown token is the
portal's 404.
"""

from __future__ import annotations

from django.core import signing
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.models import Person

from . import services
from .emails import read_unsubscribe_token
from .models import ReminderKind


def _recipient_and_kind(token: str) -> tuple[Person | None, str, str]:
    """The unsubscribe views' access helper: the person (or, for a secretariat contact, the
    address) and the kind the token names, or 404."""
    try:
        person_id, email, kind = read_unsubscribe_token(token)
    except signing.BadSignature:
        raise Http404 from None
    if kind not in ReminderKind.values:
        raise Http404
    if person_id is None:
        return None, email, kind
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person, "", kind


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@cache_control(no_store=True, private=True)  # the page names the address the link belongs to
def unsubscribe(request, token: str):
    person, email, kind = _recipient_and_kind(token)
    done = request.method == "POST"
    if done and person is not None:
        services.unsubscribe(person=person, kind=kind)
    elif done:
        services.unsubscribe_address(email=email, kind=kind)
    context = {"person": person, "email": email, "kind_label": ReminderKind(kind).label, "done": done}
    return TemplateResponse(request, "reminders/unsubscribe.html", context)
