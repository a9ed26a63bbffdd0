"""The Content-Security-Policy holds in a real browser: the admin and the Blå Bog work under it
and Chromium reports no violation.

Two listeners catch a violation: the console message Chromium writes ("Refused to ... because it
violates the following Content Security Policy directive") and the ``securitypolicyviolation``
event, which an init script (run by Playwright, outside the page's policy) records in the page.
The first test proves the listeners catch a violation, so the others cannot pass by deafness.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import with_totp
from tests.e2e.conftest import SCREENSHOTS, sign_in

# Runs in every document before the page's own scripts; reports through an exposed function, so
# that nothing is lost when the page navigates away.
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective}: ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`
  );
});
"""


class Violations:
    """Every CSP violation the page reported, by console or by event, across navigations."""

    def __init__(self, page):
        self.page = page
        self.found: list[str] = []
        page.expose_function("reportCspViolation", lambda text: self.found.append(f"{page.url}: {text}"))
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(f"{self.page.url}: {message.text}")

    def check(self) -> list[str]:
        """The violations so far, once the page has loaded and its events have arrived."""
        self.page.wait_for_load_state("load")
        # The event is a task queued after the blocked load; let the tasks queued so far run.
        self.page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")
        return self.found


@pytest.fixture
def violations(page) -> Violations:
    return Violations(page)


@pytest.fixture
def staff(portal):
    """A superuser with TOTP, as staff must have to open the admin."""
    return with_totp(factories.UserFactory(email="admin@example.dk", is_staff=True, is_superuser=True))


def test_the_listeners_catch_an_inline_script_and_an_inline_style(portal, page, violations):
    page.goto(portal.url + "/")
    assert violations.check() == []
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.head.appendChild(script);
            document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
        }"""
    )
    found = violations.check()
    assert page.evaluate("window.inlineRan === undefined"), "the inline script ran: no policy"
    assert any("script-src" in violation for violation in found), found
    assert any("style-src" in violation for violation in found), found


def test_the_blaa_bog_works_under_the_policy(blue_book, portal, page, violations):
    sign_in(page, portal, blue_book.user)
    page.goto(portal.url + "/blaa-bog/")
    # Search as you type (static/js/directory.js fetches the results part) and a filter.
    with page.expect_response(
        lambda response: "/blaa-bog/" in response.url and response.request.resource_type == "fetch"
    ):
        page.get_by_label("Søg på navn").fill("møller")
    page.locator("#directory-results").get_by_text("Søren Møller").wait_for()
    page.get_by_text("Afgræns efter KKR").click()
    page.get_by_label("KKR", exact=True).select_option(label="KKR Syddanmark")
    page.wait_for_load_state("load")
    page.screenshot(path=str(SCREENSHOTS / "csp_blaa_bog.png"), full_page=True)
    page.get_by_role("link", name="Søren Møller").first.click()
    page.get_by_role("heading", name="Søren Møller").wait_for()
    assert violations.check() == []


def test_the_admin_change_list_works_under_the_policy(blue_book, portal, staff, page, violations):
    sign_in(page, portal, staff)
    page.goto(portal.url + "/admin/")
    assert violations.check() == []
    page.goto(portal.url + "/admin/members/person/")
    page.locator("#result_list").wait_for()
    # The admin's scripts run: the select-all box ticks every row and the action counter follows.
    page.locator("#action-toggle").check()
    assert page.locator(".action-counter").inner_text().startswith(str(page.locator("tr input.action-select").count()))
    page.locator("#changelist-filter").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "csp_admin_changelist.png"), full_page=True)
    assert violations.check() == []


def test_the_admin_forms_work_under_the_policy(blue_book, portal, staff, page, violations):
    from fora.models import Appointment

    sign_in(page, portal, staff)
    page.goto(portal.url + "/admin/fora/appointment/add/")
    page.locator("#appointment_form").wait_for()
    # The autocomplete (select2 on jQuery) opens, searches and fills in its results.
    page.locator(".field-person .select2-selection").click()
    page.locator(".select2-search__field").fill("Anne")
    page.locator(".select2-results__option", has_text="Anne Moeller").click()
    assert "Anne Moeller" in page.locator(".field-person .select2-selection").inner_text()
    # The date field's calendar (DateTimeShortcuts.js) opens.
    page.locator(".field-starts_on .datetimeshortcuts a").last.click()
    page.locator(".calendarbox").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "csp_admin_add_form.png"), full_page=True)
    assert violations.check() == []

    appointment = Appointment.objects.get(person=blue_book.soren)
    page.goto(portal.url + f"/admin/fora/appointment/{appointment.pk}/change/")
    page.locator("#appointment_form").wait_for()
    page.locator(".field-decided_at .select2-selection").click()
    page.locator(".select2-results").wait_for()
    page.keyboard.press("Escape")
    page.screenshot(path=str(SCREENSHOTS / "csp_admin_change_form.png"), full_page=True)
    assert violations.check() == []

    page.goto(portal.url + f"/admin/members/person/{blue_book.soren.pk}/change/")
    page.locator("#person_form").wait_for()
    assert violations.check() == []


def test_the_login_and_two_factor_pages_work_under_the_policy(portal, page, violations):
    page.goto(portal.url + "/accounts/login/")
    page.get_by_role("button").first.wait_for()
    assert violations.check() == []
    # The TOTP set-up page shows its QR code as a data: image (img-src allows data:).
    user = factories.UserFactory(email="ny.sekretaer@example.dk", is_staff=True)
    sign_in(page, portal, user)
    page.goto(portal.url + "/accounts/2fa/totp/activate/")
    # allauth asks for the password again before the way of logging in changes.
    page.get_by_label("Adgangskode").fill("korrekt-hest-batteri-haefteklamme")
    page.get_by_role("button", name="Bekræft").click()
    page.get_by_role("heading", name="Opsæt godkenderapp").wait_for()
    image = page.locator("img[src^='data:']")
    image.wait_for()
    assert image.evaluate("(img) => img.complete && img.naturalWidth > 0"), "the QR code did not load"
    page.screenshot(path=str(SCREENSHOTS / "csp_totp_activate.png"), full_page=True)
    assert violations.check() == []
