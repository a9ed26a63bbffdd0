"""Every page, signed out and signed in: no WCAG 2.1 A/AA violation found by axe-core, on a
desktop screen and on a 320 px wide phone, and no sideways scrolling on the phone.

The pages are the members' pages (signed out with BLAA_BOG_PUBLIC=True, so they render instead of
redirecting), the accessibility statement, the login steps (the code page, the staff's second
factor), forms showing errors, and the error pages. One test (and two screenshots, desktop and
phone) per page and state. A signed-in person never sees the 429 page: the views that count
attempts send a signed-in person on before counting.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client
from django.urls import reverse

from members.models import Council, Municipality, PolicyArea
from tests import factories
from tests.conftest import staff_of
from tests.e2e.conftest import SCREENSHOTS, assert_accessible, sign_in

SIGNED_OUT, SIGNED_IN = "signed-out", "signed-in"
BOTH = (SIGNED_OUT, SIGNED_IN)
STAFF_EMAIL = "sekretariat.syddanmark@example.dk"
STAFF_PASSWORD = "korrekt-hest-batteri-haefteklamme"  # noqa: S105 (UserFactory's)


class Site:
    """The live portal with the small Blå Bog, a meeting, an agreement awaiting the councils'
    approval and a staff user with TOTP: enough for every page to show its parts."""

    def __init__(self, portal, blue_book):
        self.url = portal.url
        self.blue_book = blue_book
        syddanmark = Council.objects.get(slug="syddanmark")
        area = PolicyArea.objects.order_by("position").first()
        self.meeting = factories.MeetingFactory(
            council=syddanmark, starts_at=dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), place="Odense Rådhus"
        )
        factories.AgendaItemFactory(meeting=self.meeting, title="Sundhedsaftalen", policy_area=area)
        factories.AgendaItemFactory(meeting=self.meeting, title="Udpegning til erhvervshusets bestyrelse")
        milestone = factories.MilestoneFactory(
            title="Godkendelse i kommunalbestyrelserne", kind="council_approval", requires_every_council=True
        )
        self.agreement = milestone.agreement
        factories.MilestoneFactory(agreement=self.agreement, title="Udkast klar", due_on=dt.date(2026, 10, 1))
        for municipality in Municipality.objects.filter(council=syddanmark).order_by("name")[:3]:
            milestone.approvals.create(municipality=municipality, approved_on=dt.date(2026, 11, 2))
        self.staff_secret = generate_totp_secret()
        self.staff = staff_of(syddanmark, STAFF_EMAIL)
        # A TOTP whose secret the test knows, so it can give a wrong code for certain.
        Authenticator.objects.filter(user=self.staff).delete()
        TOTP.activate(self.staff, self.staff_secret)

    def wrong_totp_code(self) -> str:
        right = format_hotp_value(hotp_value(self.staff_secret, int(time.time()) // 30))
        return "000000" if right != "000000" else "111111"


@pytest.fixture
def site(portal, blue_book) -> Site:
    return Site(portal, blue_book)


# --- How each page is reached: a step function returns the response the page came with --------


def at(path: str | Callable[[Site], str]):
    def step(page, site):
        url = site.url + (path(site) if callable(path) else path)
        response = page.goto(url)
        assert page.url == url, f"{url} redirected to {page.url}"
        return response

    return step


def submit(page, button_name: str):
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button_name, exact=True).click()
    return navigation.value


def blaa_bog_with_filters_open(page, site):
    response = at("/blaa-bog/?q=moeller&kkr=syddanmark")(page, site)
    assert page.locator("details.directory-filters[open]").count() == 1
    assert page.get_by_label("Parti").is_visible()
    return response


def min_side_with_a_bad_email(page, site):
    at("/min-side/")(page, site)
    page.get_by_label("E-mail til påmindelser").fill("ikke-en-e-mailadresse")
    # Past the browser's own check of type="email", so the portal's error message shows.
    page.evaluate("document.querySelectorAll('form').forEach((form) => { form.noValidate = true; })")
    response = submit(page, "Gem")
    assert page.get_by_text("Skriv en gyldig e-mailadresse").first.is_visible()
    return response


def password_login(page, site, password: str):
    at("/accounts/login/")(page, site)
    page.get_by_text("Medarbejder i sekretariatet? Log ind med adgangskode").click()
    page.locator("#id_login").fill(STAFF_EMAIL)
    page.locator("#id_password").fill(password)
    return submit(page, "Log ind med adgangskode")


def login_with_a_wrong_password(page, site):
    response = password_login(page, site, "forkert-adgangskode")
    assert page.locator("details[open] .invalid-feedback, details[open] .alert").first.is_visible()
    return response


def login_code(page, site):
    at("/accounts/login/")(page, site)
    page.get_by_label("Din e-mailadresse").fill(site.blue_book.user.email)
    response = submit(page, "Send mig en kode")
    page.get_by_role("heading", name="Skriv koden fra din e-mail").wait_for()
    return response


def login_code_wrong(page, site):
    login_code(page, site)
    page.get_by_role("textbox").fill("FORKERT1")
    response = submit(page, "Log ind")
    assert page.locator(".invalid-feedback").first.is_visible()
    return response


def mfa(page, site):
    response = password_login(page, site, STAFF_PASSWORD)
    assert page.url == site.url + reverse("mfa_authenticate")
    return response


def mfa_wrong(page, site):
    mfa(page, site)
    page.get_by_role("textbox").fill(site.wrong_totp_code())
    response = submit(page, "Log ind")
    assert page.locator(".invalid-feedback").first.is_visible()
    return response


def too_many_code_requests(page, site):
    # Three requests for the same address use up the limit (3 a minute); the browser's is the fourth.
    for _ in range(3):
        Client().post(reverse("account_request_login_code"), {"email": site.blue_book.user.email})
    at("/accounts/login/")(page, site)
    page.get_by_label("Din e-mailadresse").fill(site.blue_book.user.email)
    return submit(page, "Send mig en kode")


def post_without_csrf_token(page, site):
    """A form sent without its token (an expired page, a forged form): the portal's 403 page."""
    at("/")(page, site)
    with page.expect_navigation() as navigation:
        page.evaluate(
            """(action) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                document.body.append(form);
                form.submit();
            }""",
            "/min-side/" if page.get_by_role("button", name="Log ud").count() else "/accounts/login/",
        )
    return navigation.value


@dataclass(frozen=True)
class Case:
    name: str
    reach: Callable
    states: tuple[str, ...] = BOTH
    status: int = 200


PAGES = [
    Case("home", at("/")),
    Case("council", at("/kkr/syddanmark/")),
    Case("blaa-bog", at("/blaa-bog/?q=moeller")),
    Case("blaa-bog-filters-open", blaa_bog_with_filters_open),
    Case("blaa-bog-print", at("/blaa-bog/udskriv/")),
    Case("person", at("/personer/soren-moller/")),
    Case("fora", at("/fora/")),
    Case("forum", at("/fora/testforum-aeroe-odense/")),
    Case("aftaler", at("/aftaler/")),
    Case("agreement", at(lambda site: f"/aftaler/{site.agreement.pk}/")),
    Case("moeder", at("/moeder/")),
    Case("meeting", at(lambda site: f"/moeder/{site.meeting.pk}/")),
    Case("min-side", at("/min-side/"), (SIGNED_IN,)),
    Case("min-side-form-error", min_side_with_a_bad_email, (SIGNED_IN,)),
    Case("om-kkr", at("/om-kkr/")),
    Case("omraader", at("/omraader/")),
    Case("omraade", at("/omraader/sundhed/?kkr=syddanmark")),
    Case("omraade-unknown-kkr", at("/omraader/sundhed/?kkr=atlantis")),
    Case("balance", at("/kkr/syddanmark/balance/")),
    Case("aendringer", at("/aendringer/")),
    Case("aendringer-bad-date", at("/aendringer/?siden=i-gaar")),
    Case("accessibility-statement", at("/tilgaengelighed/")),
    Case("login", at("/accounts/login/"), (SIGNED_OUT,)),
    Case("login-password-error", login_with_a_wrong_password, (SIGNED_OUT,)),
    Case("login-code", login_code, (SIGNED_OUT,)),
    Case("login-code-error", login_code_wrong, (SIGNED_OUT,)),
    Case("mfa", mfa, (SIGNED_OUT,)),
    Case("mfa-error", mfa_wrong, (SIGNED_OUT,)),
    Case("403", post_without_csrf_token, BOTH, 403),
    Case("404", at("/findes-ikke/"), BOTH, 404),
    Case("429", too_many_code_requests, (SIGNED_OUT,), 429),
]


def cases():
    for case in PAGES:
        for state in case.states:
            yield pytest.param(case, state, id=f"{case.name}-{state}")


def axe_problems(page, label: str) -> list[str]:
    try:
        assert_accessible(page)
    except AssertionError as error:
        # The violations, without pytest's repr of the list they came from.
        return [f"{label}: {line}" for line in str(error).splitlines() if not line.startswith("assert ")]
    return []


@pytest.mark.parametrize(("case", "state"), cases())
def test_the_page_is_accessible(site, settings, page, request, case, state):
    settings.BLAA_BOG_PUBLIC = True
    if state == SIGNED_IN:
        sign_in(page, site, site.blue_book.user)

    response = case.reach(page, site)

    assert response.status == case.status, f"{case.name} answered {response.status}"
    assert (page.get_by_role("button", name="Log ud", include_hidden=True).count() == 1) == (state == SIGNED_IN)
    problems = axe_problems(page, "1280 px")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 320:
        problems.append(f"320 px: scrolls sideways ({width} px wide)")
    problems += axe_problems(page, "320 px")
    assert not problems, "\n".join(problems)
