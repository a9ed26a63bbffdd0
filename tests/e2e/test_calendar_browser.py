"""Min side in a real browser: a member switches off a kind of reminder and renews the calendar link."""

from __future__ import annotations

from reminders.models import ReminderKind
from reminders.services import wanted_kinds
from tests.e2e.conftest import assert_accessible, sign_in


def test_a_member_turns_off_deadline_reminders_and_renews_the_calendar_link(blue_book, portal, page):
    sign_in(page, portal, blue_book.user)
    page.goto(portal.url + "/min-side/")
    assert_accessible(page)

    # Term-end reminders reach the secretariat only: no checkbox that would do nothing.
    assert page.get_by_label("udløb af udpegninger").count() == 0
    deadlines = page.get_by_label("frister i aftaler")
    assert deadlines.is_checked()
    deadlines.uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Opdatér påmindelser").click()

    assert page.get_by_text("Dine valg af påmindelser er gemt.").is_visible()
    assert not page.get_by_label("frister i aftaler").is_checked()
    assert page.get_by_label("møder", exact=True).is_checked()
    assert wanted_kinds(blue_book.soren) == set(ReminderKind.values) - {"milestone"}

    with page.expect_navigation():
        page.get_by_role("button", name="Opret mit kalenderlink").click()
    link = page.get_by_label("Dit personlige kalenderlink")
    first = link.input_value()
    assert "/kalender/" in first
    feed = page.request.get(first.replace("http://127.0.0.1:8000", portal.url))
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"

    with page.expect_navigation():
        page.get_by_role("button", name="Lav et nyt link").click()

    assert page.get_by_text("Dit kalenderlink er nyt. Det gamle link virker ikke længere.").is_visible()
    second = page.get_by_label("Dit personlige kalenderlink").input_value()
    assert second != first
    assert page.request.get(first.replace("http://127.0.0.1:8000", portal.url)).status == 404
    assert page.request.get(second.replace("http://127.0.0.1:8000", portal.url)).status == 200
    assert_accessible(page)


def test_the_meeting_list_leads_a_member_to_the_personal_calendar_link(blue_book, portal, page):
    sign_in(page, portal, blue_book.user)
    page.goto(portal.url + "/moeder/")

    assert page.get_by_text("Brug dit personlige kalenderlink på Min side").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Dit personlige kalenderlink").click()

    assert page.url == portal.url + "/min-side/#kalender"
    assert page.get_by_role("heading", name="Din kalender").is_visible()
