"""The browser-security headers on every kind of page, with the production settings.

The production values come from settings.py itself, imported in a subprocess with a production
environment (tests/portal/test_deploy_check.py), and are put over the test settings; requests
are made over HTTPS (``secure=True``), as behind the production proxy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.portal.test_deploy_check import SECURITY_SETTINGS, production_settings

pytestmark = pytest.mark.django_db

YEAR = 365 * 24 * 3600
PASSWORD = "korrekt-hest-batteri-haefteklamme"  # noqa: S105 (UserFactory's)


@pytest.fixture(scope="module")
def production_values(tmp_path_factory) -> dict:
    values = production_settings(f"sqlite:///{tmp_path_factory.mktemp('headers') / 'kkr.sqlite3'}")
    assert set(values) >= set(SECURITY_SETTINGS)
    return values


@pytest.fixture(autouse=True)
def _production(settings, production_values):
    for name in SECURITY_SETTINGS:
        setattr(settings, name, production_values[name])


def https(client: Client, url: str, **extra):
    return client.get(url, secure=True, **extra)


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_security_headers(response) -> None:
    assert response["Strict-Transport-Security"] == f"max-age={YEAR}; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy["script-src"] + policy["default-src"]
    assert "Content-Security-Policy-Report-Only" not in response, "the policy is enforced, not just reported"


def assert_private(response) -> None:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives, response.get("Cache-Control")
    assert "public" not in directives


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture
def staff_client(superuser) -> Client:
    """Staff with TOTP (tests/conftest.py): the admin opens."""
    client = Client()
    client.force_login(superuser)
    return client


# --- Headers on every kind of page ---------------------------------------------------------------


def test_the_login_page_has_the_security_headers(client):
    response = https(client, reverse("account_login"))
    assert response.status_code == 200
    assert_security_headers(response)


def test_the_blaa_bog_has_the_security_headers(member_client):
    response = https(member_client, reverse("blaa_bog"))
    assert response.status_code == 200
    assert_security_headers(response)


def test_a_person_page_has_the_security_headers(member_client, member):
    response = https(member_client, reverse("person_detail", args=[member.slug]))
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/members/person/",
        "/admin/members/person/add/",
        "/admin/login/",
    ],
)
def test_the_admin_has_the_security_headers(staff_client, url):
    response = https(staff_client, url)
    assert response.status_code in {200, 302}
    assert_security_headers(response)


def test_the_admin_change_form_has_the_security_headers(staff_client, member):
    response = https(staff_client, reverse("admin:members_person_change", args=[member.pk]))
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_404_page_has_the_security_headers(client, member, signed_in):
    if signed_in:
        client.force_login(member.user)
    response = https(client, "/findes/ikke/")
    assert response.status_code == 404
    assert_security_headers(response)


def test_plain_http_is_redirected_to_https(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


# --- No copies of pages with contact details -------------------------------------------------------


def test_the_person_page_with_contact_details_is_not_stored(member_client, member):
    response = https(member_client, reverse("person_detail", args=[member.slug]))
    assert member.email in response.content.decode(), "the page should show the contact details"
    assert_private(response)


@pytest.mark.parametrize(
    "url",
    [
        "/blaa-bog/",
        "/blaa-bog/udskriv/",
        "/blaa-bog/eksport.csv",
        "/blaa-bog/eksport.xlsx",
        "/kkr/syddanmark/",
        "/min-side/",
        "/",
        "/moeder/",
    ],
)
def test_no_page_a_member_sees_is_stored(member_client, url):
    response = https(member_client, url)
    assert response.status_code == 200, url
    assert_private(response)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/members/person/",
        "/admin/members/person/add/",
        "/admin/members/person/export/csv/",
        "/admin/auth/user/",
    ],
)
def test_no_admin_page_is_stored(staff_client, url):
    response = https(staff_client, url)
    assert response.status_code == 200, url
    assert_private(response)


def test_the_admin_change_form_is_not_stored(staff_client, member):
    response = https(staff_client, reverse("admin:members_person_change", args=[member.pk]))
    assert response.status_code == 200
    assert_private(response)


def test_the_admin_login_page_is_not_stored_even_signed_out(client):
    response = https(client, "/admin/login/")
    assert_private(response)


def test_the_answer_that_signs_a_member_in_is_not_stored(client, member):
    """Signed out when the request came, signed in when the answer leaves: private too."""
    response = client.post(
        reverse("account_login"),
        {"login": member.user.email, "password": PASSWORD},
        secure=True,
    )
    assert response.status_code == 302
    assert response.wsgi_request.user.is_authenticated
    assert_private(response)


def test_a_signed_out_visitor_of_a_public_page_may_be_cached(client):
    """no-store is for people signed in; the public front page is not forced out of caches."""
    response = https(client, "/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- Cookies ---------------------------------------------------------------------------------------


def assert_cookie(response, name: str, *, httponly: bool = True) -> None:
    morsel = response.cookies[name]
    assert morsel["secure"] is True, f"{name} is not Secure"
    assert bool(morsel["httponly"]) is httponly, f"{name} HttpOnly is {morsel['httponly']!r}"
    assert morsel["samesite"] == "Lax", f"{name} SameSite is {morsel['samesite']!r}"


def test_the_csrf_cookie_is_secure_httponly_and_lax(client):
    response = https(client, reverse("account_login"))
    assert_cookie(response, "csrftoken")


def test_the_session_cookie_is_secure_httponly_and_lax(superuser):
    """A password login (staff) starts the session; its cookie is set on the answer."""
    client = Client()
    response = client.post(
        reverse("account_login"),
        {"login": superuser.email, "password": PASSWORD},
        secure=True,
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert_cookie(response, "sessionid")


def test_the_language_cookie_is_secure_httponly_and_lax(client):
    https(client, reverse("account_login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("set_language"),
        {"language": "en", "next": "/", "csrfmiddlewaretoken": token},
        secure=True,
        HTTP_REFERER="https://testserver/",
    )
    assert response.status_code == 302
    assert_cookie(response, "django_language")


# --- Nothing inline for the policy to refuse --------------------------------------------------------

BASE_DIR = Path(__file__).resolve().parents[2]
INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
}


def served_templates() -> list[Path]:
    """The portal's HTML templates, its overrides of the admin's and allauth's included; not the
    e-mails, which no browser shows under the portal's policy (and which need inline styles)."""
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    return sorted(
        path for root in roots for path in root.rglob("*.html") if "email" not in path.relative_to(root).parts
    )


def test_the_scan_sees_the_overridden_admin_and_allauth_templates():
    found = {str(path.relative_to(BASE_DIR)) for path in served_templates()}
    assert {"templates/base.html", "templates/admin/index.html", "templates/account/login.html"} <= found
    assert "templates/500.html" in found
    assert not any("/email/" in path for path in found)


@pytest.mark.parametrize("kind", list(INLINE))
def test_no_template_has_inline_script_or_style(kind):
    offending = [
        f"{path.relative_to(BASE_DIR)}: {match.group(0)[:80]}"
        for path in served_templates()
        for match in INLINE[kind].finditer(path.read_text())
    ]
    assert not offending, f"{kind} (move it to static/, CSP refuses it):\n" + "\n".join(offending)


def test_the_scan_finds_what_it_looks_for():
    samples = {
        "inline <script>": '<script>alert(1)</script> <script type="module">x</script>',
        "event-handler attribute": '<button type="button" onclick="go()">',
        "javascript: URL": '<a href="javascript:void(0)">',
        "style attribute": '<p class="x" style="color: red">',
        "<style> element": "<style>p {}</style>",
    }
    for kind, sample in samples.items():
        assert INLINE[kind].search(sample), kind
    allowed = '<script src="/static/js/directory.js" defer></script><script type="application/json">{}</script>'
    assert not any(pattern.search(allowed) for pattern in INLINE.values())


def test_no_script_reads_the_csrf_cookie_or_evaluates_strings():
    """CSRF_COOKIE_HTTPONLY is safe only while no script of the portal reads the cookie."""
    for path in (BASE_DIR / "static" / "js").rglob("*.js"):
        source = path.read_text()
        for forbidden in ["document.cookie", "csrftoken", "eval(", "new Function"]:
            assert forbidden not in source, f"{path.name} uses {forbidden}"


def admin_pages() -> list[str]:
    from django.contrib import admin

    pages = []
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        pages += [reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))]
    return pages


def test_no_admin_change_list_or_add_form_has_inline_script_or_style(staff_client):
    """What the template scan cannot see: Django's, allauth's and the libraries' admin templates
    as the portal renders them (a change list with both action bars off, for one, gets a <style>)."""
    offending = []
    for url in admin_pages():
        response = https(staff_client, url)
        assert response.status_code in {200, 403}, url
        if response.status_code == 403:
            continue  # an add form the model admin does not offer (rows the portal writes itself)
        html = response.content.decode()
        offending += [
            f"{url}: {kind}: {match[:80]}" for kind, pattern in INLINE.items() for match in pattern.findall(html)
        ]
    assert len(admin_pages()) > 40
    assert not offending, "\n".join(offending)
