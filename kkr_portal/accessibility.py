"""The accessibility statement (webtilgængelighedsloven § 4) and the short address /was.

Digitaliseringsstyrelsen asks for the statement at one address (its WAS-Tool,
was.digst.dk/<domain>-dk), a footer link to it and ``<site>/was`` redirecting there.
ACCESSIBILITY_STATEMENT_URL names that address; until the statement is published in the
WAS-Tool it is the portal's own page below.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.conf import settings
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from members.access import can_see_contact_details
from members.models import SecretariatContact

# When the statement was written and last reviewed (it must be reviewed at least once a year).
PREPARED_ON = dt.date(2026, 11, 23)
REVIEWED_ON = dt.date(2026, 11, 23)


def statement_url(request) -> dict[str, str]:
    """Context processor: the footer links to the configured statement on every page."""
    return {"accessibility_statement_url": settings.ACCESSIBILITY_STATEMENT_URL}


@require_safe
def was(request):
    """/was: a temporary redirect, so moving the statement is a change of setting only."""
    return HttpResponseRedirect(settings.ACCESSIBILITY_STATEMENT_URL)


@require_safe
def statement(request):
    """The portal's own statement. Public whatever BLAA_BOG_PUBLIC says: anyone must be able to
    read it and give feedback, including someone who cannot log in. The KKR secretariats are named
    for everyone; their staff's phone and e-mail show to signed-in users only, as everywhere."""
    contacts = (
        SecretariatContact.objects.filter(kind=SecretariatContact.Kind.KKR_SECRETARIAT)
        .select_related("council")
        .order_by("council__name", "position")
    )
    secretariats = [(council, list(rows)) for council, rows in groupby(contacts, key=lambda c: c.council)]
    context = {
        "site_url": settings.SITE_URL,
        "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
        "contact_phone": settings.ACCESSIBILITY_CONTACT_PHONE,
        "show_contact": can_see_contact_details(request.user),
        "secretariats": secretariats,
        "prepared_on": PREPARED_ON,
        "reviewed_on": REVIEWED_ON,
    }
    return TemplateResponse(request, "accessibility.html", context)
