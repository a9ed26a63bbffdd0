"""Every page, signed out and signed in: no WCAG 2.1 A/AA violation found by axe-core, and no
sideways scrolling on a 320 px wide phone. One test (and one screenshot) per page and state.

Signed out runs with BLAA_BOG_PUBLIC=True, so the members' pages render instead of redirecting.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_accessible, sign_in

SIGNED_OUT, SIGNED_IN = "signed-out", "signed-in"

# (id, path, the states it is checked in)
PAGES = [
    ("home", "/", (SIGNED_OUT, SIGNED_IN)),
    ("council", "/kkr/syddanmark/", (SIGNED_OUT, SIGNED_IN)),
    ("blaa-bog", "/blaa-bog/?q=moeller", (SIGNED_OUT, SIGNED_IN)),
    ("person", "/personer/soren-moller/", (SIGNED_OUT, SIGNED_IN)),
    ("fora", "/fora/", (SIGNED_OUT, SIGNED_IN)),
    ("forum", "/fora/testforum-aeroe-odense/", (SIGNED_OUT, SIGNED_IN)),
    ("aftaler", "/aftaler/", (SIGNED_OUT, SIGNED_IN)),
    ("moeder", "/moeder/", (SIGNED_OUT, SIGNED_IN)),
    ("min-side", "/min-side/", (SIGNED_IN,)),
    ("min-side-form-error", "/min-side/", (SIGNED_IN,)),
    ("om-kkr", "/om-kkr/", (SIGNED_OUT, SIGNED_IN)),
    ("login", "/accounts/login/", (SIGNED_OUT,)),
    ("404", "/findes-ikke/", (SIGNED_OUT, SIGNED_IN)),
]

# Known bugs in templates/CSS (not fixed here): (check, page id, state) → reason.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def cases(check: str):
    for name, path, states in PAGES:
        for state in states:
            marks = []
            reason = KNOWN_BUGS.get((check, name, state))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            yield pytest.param(name, path, state, id=f"{name}-{state}", marks=marks)


def open_page(page, portal, blue_book, settings, name: str, path: str, state: str) -> None:
    settings.BLAA_BOG_PUBLIC = True
    if state == SIGNED_IN:
        sign_in(page, portal, blue_book.user)
    response = page.goto(portal.url + path)
    if name == "404":
        assert response.status == 404
    else:
        assert response.ok, f"{path} answered {response.status}"
        assert page.url == portal.url + path, f"{path} redirected to {page.url}"
    if state == SIGNED_IN:
        assert page.get_by_role("button", name="Log ud", include_hidden=True).count() == 1
    if name == "min-side-form-error":
        page.get_by_label("E-mail til påmindelser").fill("ikke-en-e-mailadresse")
        # Past the browser's own check of type="email", so the portal's error message shows.
        page.evaluate("document.querySelectorAll('form').forEach((form) => { form.noValidate = true; })")
        with page.expect_navigation():
            page.get_by_role("button", name="Gem").click()
        assert page.get_by_text("Skriv en gyldig e-mailadresse").first.is_visible()


@pytest.mark.parametrize(("name", "path", "state"), cases("axe"))
def test_the_page_has_no_accessibility_violations(blue_book, portal, settings, page, name, path, state):
    open_page(page, portal, blue_book, settings, name, path, state)
    assert_accessible(page)


@pytest.mark.parametrize(("name", "path", "state"), cases("320px"))
def test_the_page_does_not_scroll_sideways_on_a_320px_phone(blue_book, portal, settings, page, name, path, state):
    page.set_viewport_size({"width": 320, "height": 640})
    open_page(page, portal, blue_book, settings, name, path, state)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
