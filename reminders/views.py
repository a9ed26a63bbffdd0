"""The one-click unsubscribe link in every reminder to a person: signed, no login needed.

GET shows what the link will turn off and a button; POST turns it off. Mail clients that honour
``List-Unsubscribe-Post`` (RFC 8058) POST without a CSRF token: the signed token is what
authorises the request, so the view is exempt from CSRF. A tampered or unknown token is the
portal's 404.
"""

from __future__ import annotations

from django.core import signing
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.models import Person

from . import services
from .emails import read_unsubscribe_token
from .models import ReminderKind


def _person_and_kind(token: str) -> tuple[Person, str]:
    """The unsubscribe views' access helper: the person and kind the token names, or 404."""
    try:
        person_id, kind = read_unsubscribe_token(token)
    except signing.BadSignature:
        raise Http404 from None
    person = Person.objects.filter(pk=person_id).first()
    if person is None or kind not in ReminderKind.values:
        raise Http404
    return person, kind


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    person, kind = _person_and_kind(token)
    done = request.method == "POST"
    if done:
        services.unsubscribe(person=person, kind=kind)
    context = {"person": person, "kind_label": ReminderKind(kind).label, "done": done}
    return TemplateResponse(request, "reminders/unsubscribe.html", context)
