"""Who may see what in the members' pages: one place, used by every view and export."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login


def can_browse(user) -> bool:
    """The Blå Bog and the members' pages: signed-in users, or everyone when BLAA_BOG_PUBLIC is on."""
    return user.is_authenticated or settings.BLAA_BOG_PUBLIC


def can_see_contact_details(user) -> bool:
    """E-mail addresses and phone numbers are for signed-in users only, also in a public Blå Bog."""
    return user.is_authenticated


def browse_required(view):
    """Send anonymous visitors to the login page unless the Blå Bog is public."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_browse(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
