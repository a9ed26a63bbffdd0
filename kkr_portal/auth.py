"""Staff security on top of allauth: a second factor before the admin, and staff sessions end.

- Staff (``is_staff``) open no admin page without a TOTP authenticator: they are sent to set one
  up first. allauth itself asks for the TOTP code at every login of a user who has one, and the
  admin's own login goes through allauth (kkr_portal/urls.py), so "has TOTP" means "logged in
  with TOTP" for every login the portal offers.
- A staff session ends after ``settings.STAFF_IDLE_TIMEOUT`` seconds without a request, and
  ``settings.STAFF_SESSION_MAX_AGE`` seconds after the login however busy it is. Both clocks
  start when the login's own request ends, not at the next request.

Members are not touched: they log in by code and keep Django's normal session age.

``CachedAuthenticationMiddleware`` replaces Django's AuthenticationMiddleware: a signed-in
request reuses the user row this process read last, as long as the user table's version
(``AccountsVersion``, bumped by the database on every write to it) has not moved.
"""

from __future__ import annotations

import copy
import threading
import time

from allauth.account.views import logout as allauth_logout
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

# Seconds since the epoch of the staff user's last request, kept in the session.
LAST_ACTIVITY_KEY = "kkr_portal.staff_last_activity"
# The stamp is rewritten at most once a minute, so that a burst of requests does not write the
# session each time. An idle session therefore ends between 29 and 30 minutes after the last
# request: never later than the timeout.
ACTIVITY_RESOLUTION = 60
# Seconds since the epoch of the staff user's login, kept in the session.
LOGIN_AT_KEY = "kkr_portal.staff_login_at"


class StaffSecurityMiddleware:
    """After AuthenticationMiddleware, MessageMiddleware and allauth's AccountMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        was_staff = is_staff(getattr(request, "user", None))
        if was_staff:
            response = end_expired_session(request) or require_totp(request, request.user)
            if response is not None:
                return response
        response = self.get_response(request)
        if not was_staff and is_staff(getattr(request, "user", None)):
            # This request logged staff in (password, code or second factor): the clocks start
            # now. Waiting for the next request would let a login never followed up (a cookie
            # taken from the login's answer) stay fresh for as long as it sat unused.
            start_staff_session(request)
        return response


def is_staff(user) -> bool:
    return user is not None and user.is_authenticated and user.is_staff


def start_staff_session(request) -> None:
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[LAST_ACTIVITY_KEY] = now


def end_expired_session(request):
    """Log a staff user out after the idle timeout or the maximum age (and send them to the login
    page); else note the activity."""
    now = int(time.time())
    session = request.session
    login_at = session.get(LOGIN_AT_KEY)
    if isinstance(login_at, int) and now - login_at >= settings.STAFF_SESSION_MAX_AGE:
        return _log_out(
            request,
            _("Du er logget ud, fordi du har været logget ind i %(hours)d timer. Log ind igen.")
            % {"hours": settings.STAFF_SESSION_MAX_AGE // 3600},
        )
    last = session.get(LAST_ACTIVITY_KEY)
    if isinstance(last, int) and now - last > settings.STAFF_IDLE_TIMEOUT:
        return _log_out(
            request,
            _("Du er logget ud, fordi du ikke har brugt portalen i %(minutes)d minutter. Log ind igen.")
            % {"minutes": settings.STAFF_IDLE_TIMEOUT // 60},
        )
    # A session logged in before the stamp existed (or by a test's force_login) counts from now.
    if not isinstance(login_at, int):
        session[LOGIN_AT_KEY] = now
    # A clock that went backwards (or a stamp from the future) restarts the idle count.
    if not isinstance(last, int) or not 0 <= now - last < ACTIVITY_RESOLUTION:
        session[LAST_ACTIVITY_KEY] = now
    return None


def _log_out(request, message: str):
    logout(request)
    messages.info(request, message)
    return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)


def require_totp(request, user):
    """Send a staff user without a TOTP authenticator from any admin page to set one up."""
    if not getattr(settings, "KKR_REQUIRE_STAFF_MFA", True):
        return None
    if not request.path.startswith(reverse("admin:index")) or request.path == reverse("admin:logout"):
        return None
    if has_totp(request, user):
        return None
    messages.warning(
        request,
        _("Administrationen kræver login med to faktorer. Opsæt en godkenderapp på din telefon, før du fortsætter."),
    )
    return redirect("mfa_activate_totp")


def admin_logout(request, extra_context=None):
    """The admin's "Log ud" is allauth's logout: the same page, signals and redirect."""
    return allauth_logout(request)


# --- request.user without reading the user row on every request ---------------------------------
#
# Written here rather than taken from a library: the caching auth packages invalidate on model
# signals, which a queryset update or raw SQL (deactivating a login, say) never sends; the
# version the database itself bumps misses no write.

# Users read under the current accounts version, as read (never handed out: each request gets
# its own copy, so whatever a request caches on its user — permissions, the person — stays its own).
_USERS_MAX = 10_000


class _PerAccountsVersion:
    """Values read under one accounts version (user copies, second-factor answers), all dropped
    when a request brings another."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.users: dict[tuple, object] = {}
        self.lock = threading.Lock()

    def get(self, version: int, key: tuple):
        with self.lock:
            if version != self.version:
                self.version, self.users = version, {}
            return self.users.get(key)

    def put(self, version: int, key: tuple, user) -> None:
        with self.lock:
            if version != self.version:
                return
            if len(self.users) >= _USERS_MAX:
                self.users = {}
            self.users[key] = user


_users = _PerAccountsVersion()
# Whether a staff user has a TOTP authenticator, under the same version: the authenticators'
# table bumps it too, so one removed in any process is missed by no request.
_totp = _PerAccountsVersion()


def has_totp(request, user) -> bool:
    """allauth's "is TOTP enabled" for ``user``, asked of the database once per accounts version."""
    versions = getattr(request, "_kkr_versions", None)
    version = versions[1] if versions else None
    if version is None:
        return is_mfa_enabled(user, [Authenticator.Type.TOTP])
    known = _totp.get(version, user.pk)
    if known is None:
        known = is_mfa_enabled(user, [Authenticator.Type.TOTP])
        _totp.put(version, user.pk, known)
    return known


def cached_user(request):
    """``request.user``: as ``django.contrib.auth.get_user`` gives it, from this process's copy
    when the user table has not changed since it was read."""
    from .versioning import read_versions

    session = request.session
    user_id = session.get(auth.SESSION_KEY)
    backend = session.get(auth.BACKEND_SESSION_KEY)
    session_hash = session.get(auth.HASH_SESSION_KEY)
    if user_id is None:
        return AnonymousUser()
    # Read with the session in its one query (kkr_portal.sessions), the page cache's version too.
    versions = request._kkr_versions = getattr(session, "versions", None) or read_versions()
    version = versions[1]
    if version is None or not backend or not session_hash:
        return auth.get_user(request)
    key = (str(user_id), backend)
    user = _users.get(version, key)
    # Django's own check of the session against the password: a changed password ends it. Any
    # mismatch (an old SECRET_KEY among the fallbacks, say) goes Django's whole way.
    if user is not None and constant_time_compare(session_hash, user.get_session_auth_hash()):
        return copy.copy(user)
    user = auth.get_user(request)
    if user.is_authenticated:
        _users.put(version, key, copy.copy(user))
    return user


class CachedAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, reading ``request.user`` through ``cached_user``."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: cached_user(request))
