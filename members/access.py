"""Who may see what in the members' pages: one place, used by every view, export and template.

The access matrix these rules carry out, field by field and audience by audience, is
``docs/privacy.md``; ``tests/portal/test_access_matrix.py`` follows it.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import OuterRef, Q, Subquery
from django.db.models.lookups import IsNull


def can_browse(user) -> bool:
    """The Blå Bog and the members' pages: signed-in users, or everyone when BLAA_BOG_PUBLIC is on."""
    return user.is_authenticated or settings.BLAA_BOG_PUBLIC


def can_see_contact_details(user) -> bool:
    """E-mail addresses and phone numbers are for signed-in users only, also in a public Blå Bog.

    The same holds for the secretariat's contacts and for party affiliation that is not public
    (``party_public``): pages cached per audience (``kkr_portal.pagecache``) pass this on to
    their templates as ``show_contact``/``show_contact_details``.
    """
    return user.is_authenticated


def browse_required(view):
    """Send anonymous visitors to the login page unless the Blå Bog is public."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_browse(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


# --- Party affiliation ------------------------------------------------------------------------
#
# Party affiliation is a political opinion (GDPR art. 9). A council member made theirs public
# by standing for election on the party's list (art. 9(2)(e)); anyone else — an appointee or KKR
# member who no longer sits in a municipal council (a carry-over after an election they did not
# stand in or lost), a person with no council seat at all — did not, and the public does not
# see it. Signed-in members and the secretariat do (the portal's purpose: knowing the KKR).


def open_council_seat_q(on: dt.date, *, prefix: str = "") -> Q:
    """Council seats that make a party public on ``on``: not ended, in a period not over yet
    (the current period, or the coming one a newly elected member's seat is recorded in)."""
    return Q(**{f"{prefix}period__ends_on__gte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": on})
    )


def party_public(person: str = "pk", on: dt.date | None = None) -> IsNull:
    """Whether a person's party may be shown to the public, as SQL to annotate rows with.

    ``person`` names the person from the annotated row: ``"pk"`` on people, ``"person"`` on
    their roles. Annotate ``party_public`` on people and ``person_party_public`` on roles; the
    templates show the party when ``show_contact or party_public``. No query of its own.

    A scalar subquery rather than ``EXISTS``: PostgreSQL would hash every open council seat in
    the country to answer for the 50 people of a page; this probes the index on ``person_id``
    for each row shown, so a page costs the same whatever the number of seats.
    """
    from .models import CouncilSeat
    from .querysets import today

    seats = CouncilSeat.objects.filter(open_council_seat_q(on or today()), person=OuterRef(person))
    return IsNull(Subquery(seats.order_by().values("pk")[:1]), False)


def public_party_q(on: dt.date | None = None) -> Q:
    """People whose party the public may see (for filtering people by party for the public)."""
    return Q(party_public(on=on))


def directory_people(filterset, *, signed_in: bool):
    """The Blå Bog's people for an audience. For the public each says whether its party is public
    (``party_public``), and a party filter finds only people whose party is: listing the others
    under it would tell theirs."""
    if signed_in:  # they see every party: nothing to ask
        return filterset.qs
    people = filterset.qs.annotate(party_public=party_public())
    if filterset.criteria().party_id is not None:
        people = people.filter(party_public=True)
    return people
