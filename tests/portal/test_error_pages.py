"""The error pages (400, 403, 404, 429, 500 and a refused CSRF token) are the portal's own, in
Danish, and show no traceback, SQL or settings.

A test urlconf (this module) adds views that fail on purpose to the portal's own URLs and takes
the portal's handlers from kkr_portal.urls, so a handler missing there fails here.
"""

from __future__ import annotations

import logging

import pytest
from allauth.core.ratelimit import respond_429
from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import connection
from django.http import Http404, HttpResponse
from django.test import Client
from django.urls import path

from kkr_portal.urls import handler400, handler403, handler404, handler500  # noqa: F401 (this urlconf's)
from kkr_portal.urls import urlpatterns as portal_urlpatterns

# What a leaking page would show: the exception's text, the SQL that failed, a setting.
LEAKED_MESSAGE = "hemmelig-fejltekst-4711"
FAILING_SQL = "SELECT hemmelig_kolonne FROM hemmelig_tabel"


def _suspicious(request):
    raise SuspiciousOperation(LEAKED_MESSAGE)


def _bad_request(request):
    raise BadRequest(LEAKED_MESSAGE)


def _denied(request):
    raise PermissionDenied(LEAKED_MESSAGE)


def _not_found(request):
    raise Http404(LEAKED_MESSAGE)


def _rate_limited(request):
    return respond_429(request)


def _broken(request):
    raise RuntimeError(LEAKED_MESSAGE)


def _broken_sql(request):
    with connection.cursor() as cursor:
        cursor.execute(FAILING_SQL)
    return HttpResponse()


def _form(request):
    return HttpResponse("sent")


urlpatterns = [
    path("test/400/", _suspicious),
    path("test/400-bad-request/", _bad_request),
    path("test/403/", _denied),
    path("test/404/", _not_found),
    path("test/429/", _rate_limited),
    path("test/500/", _broken),
    path("test/500-sql/", _broken_sql),
    path("test/form/", _form),
    *portal_urlpatterns,
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

HEADINGS = {
    400: "Ugyldig forespørgsel",
    403: "Ingen adgang",
    404: "Siden findes ikke",
    429: "For mange forsøg",
    500: "Der opstod en fejl",
}


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.fixture
def client():
    """A client that gets the 500 page, as a browser would, instead of the exception."""
    return Client(raise_request_exception=False)


@pytest.fixture(autouse=True)
def _quiet_logs(caplog):
    """The failures are logged (django.request, django.security); that is the point, not noise."""
    caplog.set_level(logging.CRITICAL + 1, logger="django.request")
    caplog.set_level(logging.CRITICAL + 1, logger="django.security")


def assert_portal_page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert '<html lang="da">' in text
    assert f'<h1 class="h2">{HEADINGS[status]}</h1>' in text
    assert "KKR Portal" in text
    for leak in [LEAKED_MESSAGE, "Traceback", "hemmelig", "SELECT", "settings", settings.SECRET_KEY, "DEBUG"]:
        assert leak not in text, f"the {status} page shows {leak!r}"
    return text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/test/400/", 400),
        ("/test/400-bad-request/", 400),
        ("/test/403/", 403),
        ("/test/404/", 404),
        ("/findes/ikke/", 404),
        ("/test/429/", 429),
        ("/test/500/", 500),
        ("/test/500-sql/", 500),
    ],
)
def test_each_error_is_the_portals_own_danish_page_without_details(client, url, status):
    assert_portal_page(client.get(url), status)


@pytest.mark.parametrize("status", [400, 403, 404, 429])
def test_the_error_pages_have_the_portals_chrome_and_a_way_on(client, status):
    text = assert_portal_page(client.get(f"/test/{status}/"), status)
    assert 'href="/"' in text
    assert "Blå Bog" in text, "not the portal's page (no menu)"


def exploding_context_processor(request):
    raise AssertionError("the 500 page ran the context processors")


def test_the_500_page_needs_neither_the_database_nor_the_session(client, settings):
    """Rendered without a request, so no context processor (the user, the messages) runs."""
    templates = [{**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"]}}]
    templates[0]["OPTIONS"]["context_processors"] = [
        *templates[0]["OPTIONS"]["context_processors"],
        f"{__name__}.exploding_context_processor",
    ]
    settings.TEMPLATES = templates
    text = assert_portal_page(client.get("/test/500/"), 500)
    assert 'href="/static/bootstrap/css/bootstrap.min.css"' in text


def test_a_form_sent_without_a_csrf_token_gets_the_portals_403_page():
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/")  # the CSRF cookie, as a browser that opened the form has it
    response = client.post("/test/form/", {"name": "x"})
    text = assert_portal_page(response, 403)
    assert "Formularen kunne ikke sendes" in text
    assert "CSRF" not in text, "Django's reason is for the log, not the page"


def test_a_form_sent_with_its_token_passes():
    """The 403 above is the CSRF check's, not the test view's."""
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert client.post("/test/form/", {"csrfmiddlewaretoken": token}).content == b"sent"


def test_the_csrf_page_is_not_the_ordinary_403_page(client):
    text = assert_portal_page(client.get("/test/403/"), 403)
    assert "Formularen kunne ikke sendes" not in text
    assert "Du har ikke adgang til denne side." in text
