"""The front page in a real browser: the five KKRs, the language switch, no third-party host."""

from __future__ import annotations

from urllib.parse import urlparse

from tests.e2e.conftest import SCREENSHOTS, assert_accessible


def test_a_visitor_sees_the_five_councils_in_danish_and_can_switch_to_english(portal, page):
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(urlparse(request.url).hostname))

    page.goto(portal.url + "/")

    assert page.locator("html").get_attribute("lang") == "da"
    assert page.get_by_role("heading", level=1).inner_text() == "De fem kommunekontaktråd"
    for name in ("KKR Nordjylland", "KKR Midtjylland", "KKR Syddanmark", "KKR Hovedstaden", "KKR Sjælland"):
        assert page.get_by_role("heading", name=name).is_visible()
    assert_accessible(page)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "local government contact councils" in page.get_by_role("heading", level=1).inner_text()
    assert requested_hosts == {urlparse(portal.url).hostname}, "the portal loaded something from another host"


def test_the_front_page_works_on_a_phone(portal, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="da-DK")
    page = context.new_page()
    try:
        page.goto(portal.url + "/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"the page scrolls sideways at 320 px ({width} px wide)"
        assert_accessible(page)
    finally:
        page.screenshot(path=str(SCREENSHOTS / "front_page_phone.png"), full_page=True)
        context.close()
