"""A member logs in with a code from their e-mail, in a real browser."""

from __future__ import annotations

import re

from django.core import mail


def test_a_member_logs_in_with_the_code_from_the_mail(blue_book, portal, page):
    mail.outbox.clear()
    page.goto(portal.url + "/accounts/login/")
    assert page.get_by_role("button", name="Log ud").count() == 0

    page.get_by_label("Din e-mailadresse").fill("soren.moller@aeroe.dk")
    page.get_by_role("button", name="Send mig en kode").click()
    page.get_by_role("heading", name="Skriv koden fra din e-mail").wait_for()

    assert len(mail.outbox) == 1, "one mail with a code should have been sent"
    message = mail.outbox[0]
    assert message.to == ["soren.moller@aeroe.dk"]
    code = re.search(r"^\s+(\S+)\s*$", message.body, re.MULTILINE).group(1)

    page.get_by_role("textbox").fill(code)
    page.get_by_role("button", name="Log ind", exact=True).click()
    page.get_by_role("button", name="Log ud").wait_for()

    page.goto(portal.url + "/min-side/")
    assert page.get_by_role("heading", level=1).inner_text() == "Min side"
    assert "Du er logget ind som Søren Møller" in page.locator("main").inner_text()


def test_a_wrong_code_does_not_sign_in(blue_book, portal, page):
    mail.outbox.clear()
    page.goto(portal.url + "/accounts/login/")
    page.get_by_label("Din e-mailadresse").fill("soren.moller@aeroe.dk")
    page.get_by_role("button", name="Send mig en kode").click()
    page.get_by_role("heading", name="Skriv koden fra din e-mail").wait_for()
    assert len(mail.outbox) == 1

    page.get_by_role("textbox").fill("FORKERT1")
    page.get_by_role("button", name="Log ind", exact=True).click()
    page.wait_for_load_state()

    assert page.get_by_role("button", name="Log ud").count() == 0
    page.goto(portal.url + "/min-side/")
    assert "/accounts/login/" in page.url
