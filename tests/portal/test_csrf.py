"""A POST without a CSRF token is refused by every view the portal has.

The test walks the whole URL resolver (the portal's pages, allauth, Django's admin and every
ModelAdmin's URLs), builds an address each pattern resolves, and POSTs to it without a token
with ``Client(enforce_csrf_checks=True)``: anonymous, as a signed-in member and as staff (a
superuser with TOTP, so that the admin's own views are reached). Each answer must be the
portal's CSRF failure page (403). The few views that are exempt on purpose are listed here with
the reason; any other exempt view fails the test.
"""

from __future__ import annotations

import itertools
import logging
import re
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

# Views that take a POST without a CSRF token, by route, each with the reason.
CSRF_EXEMPT = {
    "paamindelser/frameld/<str:token>/": (
        "RFC 8058 one-click unsubscribe: the mail client POSTs List-Unsubscribe=One-Click from "
        "outside the portal, without a session or a token. The signed token in the URL is the "
        "authority, and the POST only ends reminders for the addressee."
    ),
}

# Read-only views outside Django's CSRF check, by route prefix, with the reason: they take no
# POST at all (the walk checks they refuse it: 405, or 404 for an unknown path, or the CSRF page
# where a view is not exempt) so there is nothing a forged request could change.
READ_ONLY_EXEMPT = {
    "api/v1/": (
        "The open-data API (django-ninja, GET and HEAD only) answers every other method with its "
        "JSON 405 rather than the HTML CSRF page, for API clients; it has no state-changing view."
    ),
}


def _read_only(route) -> bool:
    return any(route.route.startswith(prefix) for prefix in READ_ONLY_EXEMPT)


# Patterns no request can reach, because an earlier pattern answers the same address.
SHADOWED = {
    # kkr_portal.admin_views puts the portal's dashboard in front of Django's admin index.
    ("admin/", "django.contrib.admin.sites"),
}

# Values tried for each captured part of a pattern, in order, until the address resolves to it.
SAMPLES = ["1", "x", "csv", "members", "ab12", str(uuid.UUID(int=1)), "a/b"]


@dataclass(frozen=True)
class Route:
    route: str  # as Django shows it, e.g. "kkr/<slug:slug>/"
    regex: str  # the whole regular expression, from the root
    pattern: URLPattern

    @property
    def module(self) -> str:
        return self.pattern.callback.__module__


def _regex(pattern) -> str:
    return re.sub(r"(\\Z|\$)$", "", pattern.regex.pattern.removeprefix("^"))


def routes(patterns=None, route: str = "", regex: str = ""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route + str(entry.pattern), regex + _regex(entry.pattern))
        else:
            yield Route(route + str(entry.pattern), regex + _regex(entry.pattern), entry)


def _groups(regex: str) -> list[tuple[int, int, str]]:
    """(start, end, inner regex) of each top-level capturing group, named or not."""
    found = []
    for match in re.finditer(r"(?<!\\)\((?:\?P<\w+>|(?!\?))", regex):
        if found and match.start() < found[-1][1]:
            continue  # nested in the previous group
        depth, index = 1, match.end()
        while depth:
            if regex[index] == "\\":
                index += 2
                continue
            depth += {"(": 1, ")": -1}.get(regex[index], 0)
            index += 1
        found.append((match.start(), index, regex[match.end() : index - 1]))
    return found


def _literal(regex: str) -> str:
    return re.sub(r"\\(.)", r"\1", regex.replace("^", ""))


def addresses(route: Route):
    """Addresses built from the pattern with the sample values; each one matches the pattern."""
    groups = _groups(route.regex)
    choices = [[value for value in SAMPLES if re.fullmatch(inner, value)] for _, _, inner in groups]
    for values in itertools.product(*choices):
        parts, previous = [], 0
        for (start, end, _), value in zip(groups, values, strict=True):
            parts += [_literal(route.regex[previous:start]), value]
            previous = end
        parts.append(_literal(route.regex[previous:]))
        yield "/" + "".join(parts)


def address_of(route: Route) -> str | None:
    """An address that resolves to this very pattern, or None when an earlier pattern takes it."""
    for address in addresses(route):
        try:
            match = resolve(address)
        except Resolver404:
            continue
        if match.func is route.pattern.callback:
            return address
    return None


ALL_ROUTES = list(routes())


def test_the_walk_finds_the_portal_allauth_and_every_admin():
    """The resolver walk covers what it claims to (a broken walk would pass everything)."""
    found = {route.route for route in ALL_ROUTES}
    for expected in [
        "blaa-bog/",
        "personer/<slug:slug>/",
        "min-side/",
        "i18n/setlang/",
        "accounts/login/",
        "accounts/logout/",
        "accounts/2fa/totp/activate/",
        "admin/members/person/<path:object_id>/change/",
        "admin/members/person/<path:object_id>/delete/",
        "admin/fora/appointment/add/",
        "admin/auth/user/<id>/password/",
    ]:
        assert expected in found
    assert len(ALL_ROUTES) > 200


def test_every_pattern_is_reachable_or_known_to_be_shadowed():
    unreachable = {(route.route, route.module) for route in ALL_ROUTES if address_of(route) is None}
    assert unreachable == SHADOWED


def test_the_only_csrf_exempt_views_are_the_listed_ones():
    exempt = {
        route.route
        for route in ALL_ROUTES
        if getattr(route.pattern.callback, "csrf_exempt", False) and not _read_only(route)
    }
    assert exempt == set(CSRF_EXEMPT), "a view was made csrf_exempt (or lost it): list it here with the reason"
    assert all(any(_read_only(route) for route in ALL_ROUTES) for _prefix in READ_ONLY_EXEMPT)


@pytest.fixture(params=["anonymous", "member", "staff"])
def csrf_client(request, db) -> Client:
    """A browser that has the CSRF cookie (from an earlier page) but sends no token."""
    client = Client(enforce_csrf_checks=True)
    if request.param == "member":
        client.force_login(request.getfixturevalue("member").user)
    elif request.param == "staff":
        client.force_login(request.getfixturevalue("superuser"))
    client.get("/accounts/login/" if request.param == "anonymous" else "/")
    assert settings.CSRF_COOKIE_NAME in client.cookies
    return client


def test_a_post_without_a_token_is_refused_everywhere(csrf_client, caplog):
    caplog.set_level(logging.CRITICAL + 1, logger="django.security.csrf")
    accepted = []
    for route in ALL_ROUTES:
        address = address_of(route)
        if address is None or route.route in CSRF_EXEMPT:
            continue
        response = csrf_client.post(address, {"name": "x", "email": "x@example.dk"})
        if _read_only(route):
            if response.status_code not in (403, 404, 405):
                accepted.append(f"{address} ({route.route}): {response.status_code}, a read-only view")
            continue
        refused_by_csrf = response.status_code == 403 and response.context and response.context.get("csrf_failure")
        if not refused_by_csrf:
            accepted.append(f"{address} ({route.route}): {response.status_code}")
    assert not accepted, "POST without a CSRF token not refused:\n" + "\n".join(accepted)


def test_the_refusal_is_the_missing_token_not_the_address(superuser):
    """The same POST with the token gets past the check (so the walk's addresses are real)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    client.get("/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post("/i18n/setlang/", {"language": "da", "next": "/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    response = client.post("/i18n/setlang/", {"language": "da", "next": "/"})
    assert response.status_code == 403
