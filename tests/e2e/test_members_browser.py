"""The Blå Bog in a real browser: search, filters in a shareable URL, a person, export, language
and the directory as of a past date. Every test builds its own small Blå Bog (``blue_book``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in


@pytest.fixture
def public(settings):
    """Anonymous visitors may browse (the pages render without signing in)."""
    settings.BLAA_BOG_PUBLIC = True


def names(page) -> list[str]:
    """The people listed in the results, in the order shown."""
    return page.locator("#directory-results .directory-person a[href^='/personer/']").all_inner_texts()


def search(page, text: str) -> None:
    page.get_by_label("Søg på navn").fill(text)
    # Typing may update the results and the address in place first; wait for the real page load.
    with page.expect_response(lambda response: response.request.resource_type == "document"):
        page.get_by_role("button", name="Vis", exact=True).click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ("soren", {"Søren Møller"}, {"Anne Moeller", "Karen Lund"}),
        ("SØREN møller", {"Søren Møller"}, {"Anne Moeller"}),
        ("møller", {"Anne Moeller", "Søren Møller"}, {"Jens Hansen"}),
        ("moeller", {"Anne Moeller", "Søren Møller"}, {"Jens Hansen"}),
        ("anne møller", {"Anne Moeller"}, {"Søren Møller"}),
    ],
)
def test_a_name_is_found_with_and_without_danish_letters(blue_book, portal, public, page, query, found, not_found):
    page.goto(portal.url + "/blaa-bog/")
    search(page, query)

    assert page.get_by_label("Søg på navn").input_value() == query
    shown = set(names(page))
    assert found <= shown
    assert not (not_found & shown)


def test_a_filter_gives_a_url_that_shows_the_same_results_and_back_returns_to_them(
    blue_book, portal, public, page, browser
):
    page.goto(portal.url + "/blaa-bog/")
    assert sorted(names(page)) == ["Anne Moeller", "Jens Hansen", "Søren Møller"]

    page.get_by_text("Afgræns efter KKR").click()
    page.get_by_label("KKR", exact=True).select_option(label="KKR Syddanmark")
    # The script updates the results in place on change; let it finish before pressing "Vis".
    # (A locator, not wait_for_function: the page's CSP forbids the eval that would need.)
    expect(page.locator('#directory-results[aria-busy="true"]')).to_have_count(0)
    # The script already updates the results on change (and the address, in place); pressing
    # "Vis" then loads the page itself. Wait for that document, not for the in-place update.
    with page.expect_response(lambda response: response.request.resource_type == "document"):
        page.get_by_role("button", name="Vis", exact=True).click()
    page.wait_for_load_state("load")
    assert "kkr=syddanmark" in page.url
    filtered = names(page)
    assert sorted(filtered) == ["Anne Moeller", "Søren Møller"]

    # Someone else opens the shared address.
    shared_context = browser.new_context(locale="da-DK")
    try:
        shared = shared_context.new_page()
        shared.goto(page.url)
        assert names(shared) == filtered
        assert shared.get_by_label("KKR", exact=True).input_value() == "syddanmark"
    finally:
        shared_context.close()

    # Open a person, then the back button: the same filtered results.
    filtered_url = page.url
    page.get_by_role("link", name="Søren Møller").click()
    page.get_by_role("heading", level=1, name="Søren Møller").wait_for()
    page.go_back()
    assert page.url == filtered_url
    assert names(page) == filtered
    assert page.get_by_label("KKR", exact=True).input_value() == "syddanmark"


def test_a_person_shows_their_role_and_contact_details_only_to_signed_in_members(blue_book, portal, public, page):
    page.goto(portal.url + "/blaa-bog/?q=soren")
    page.get_by_role("link", name="Søren Møller").click()
    page.get_by_role("heading", level=1, name="Søren Møller").wait_for()
    assert page.url.endswith("/personer/soren-moller/")

    current_roles = page.locator("section[aria-labelledby='current-roles']").inner_text()
    assert "Borgmester i Ærø" in current_roles
    assert "KKR Syddanmark" in current_roles
    contact = page.locator("section[aria-labelledby='contact']")
    assert "Kontaktoplysninger vises kun for medlemmer, der er logget ind" in contact.inner_text()
    assert "soren.moller@aeroe.dk" not in page.content()
    assert "61 23 45 67" not in page.content()

    sign_in(page, portal, factories.UserFactory(email="kollega@example.dk"))
    page.reload()
    assert page.get_by_role("button", name="Log ud").is_visible()
    assert contact.get_by_role("link", name="soren.moller@aeroe.dk").is_visible()
    assert contact.get_by_role("link", name="61 23 45 67").is_visible()


def test_the_csv_export_holds_the_people_searched_for(blue_book, portal, public, page):
    page.goto(portal.url + "/blaa-bog/")
    search(page, "soren")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename.startswith("blaa-bog-")
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8-sig")

    assert "Søren Møller" in content
    assert "Ærø" in content
    assert "Anne Moeller" not in content
    assert "soren.moller@aeroe.dk" not in content, "contact details are for signed-in members only"


def test_the_language_switch_changes_the_page_to_english_and_back(blue_book, portal, public, page):
    page.goto(portal.url + "/blaa-bog/?q=soren")
    assert page.locator("html").get_attribute("lang") == "da"

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "q=soren" in page.url, "the switch keeps the visitor on the same results"
    assert "Søren Møller" in names(page)
    assert page.get_by_label("Søg på navn").count() == 0, "the labels are in English"

    with page.expect_navigation():
        page.get_by_role("button", name="Dansk").click()
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.get_by_label("Søg på navn").is_visible()


def test_the_directory_as_of_a_past_date_shows_who_held_the_role_then(blue_book, portal, public, page):
    page.goto(portal.url + "/blaa-bog/?kommune=aeroe")
    assert names(page) == ["Søren Møller"]

    page.goto(portal.url + "/blaa-bog/?kommune=aeroe&dato=2024-03-01")
    assert names(page) == ["Karen Lund"]
    summary = page.locator("[data-summary]").inner_text()
    assert "1. marts 2024" in summary
    assert "historisk dato" in summary
    assert page.get_by_label("Blå Bog pr. dato").input_value() == "2024-03-01"


def test_the_whole_printable_blaa_bog_arrives_compressed_and_its_forms_still_post(blue_book, portal, page):
    sign_in(page, portal, factories.UserFactory(email="kollega@example.dk"))
    page.goto(portal.url + "/blaa-bog/udskriv/")  # fills the page cache

    response = page.goto(portal.url + "/blaa-bog/udskriv/")

    assert response.headers.get("content-encoding") == "gzip"
    assert page.get_by_role("link", name="Søren Møller").is_visible()
    assert "soren.moller@aeroe.dk" in page.content()
    # Each response's CSRF token sits uncompressed between the compressed pieces: both forms post.
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/blaa-bog/udskriv/")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("link", name="Sign in").is_visible()
