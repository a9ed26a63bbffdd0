"""Browser security that no single view should have to remember.

``PrivateCacheMiddleware``: every response to a signed-in user, and every admin response, is
``Cache-Control: no-store, private``. Contact details are shown only to signed-in users (person,
KKR, Blå Bog and its print and export, Min side) and in the admin; with no-store neither a shared
proxy nor the browser's disk cache nor the back button of a shared computer keeps a copy after
logout. One rule for all of these pages, rather than a decorator each, so that a new page with
contact details cannot forget it.

The other headers (HSTS, nosniff, Referrer-Policy, frame denial, the Content-Security-Policy) come
from Django's and django-csp's middleware, configured in settings.py ("Security").
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.cache import patch_cache_control


class PrivateCacheMiddleware:
    """After AuthenticationMiddleware; outside the middleware that may answer early (allauth, staff)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Signed in before the view, or after it (the response to a login may carry a page).
        was_signed_in = _signed_in(request)
        response = self.get_response(request)
        if was_signed_in or _signed_in(request) or request.path.startswith(reverse("admin:index")):
            patch_cache_control(response, no_store=True, private=True)
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated
