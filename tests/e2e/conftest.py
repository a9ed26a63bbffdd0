"""Browser tests: Playwright drives Debian's Chromium against a live server.

They run after the other database tests (pytest-django orders transactional tests last) and
load the reference data themselves, because the live server's transactional database is
emptied after each test. Every test saves a screenshot under var/screenshots/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import CHROMIUM

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests
    # make around it are still synchronous and safe. Only while a browser is open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def portal(transactional_db, live_server):
    """The live portal with its reference data, the welcome folders' facts and the demo data set."""
    call_command("load_reference_data", verbosity=0)
    call_command("load_seed_facts", verbosity=0)
    return live_server


@pytest.fixture
def page(browser, request):
    """A fresh browser page (desktop size); saves a screenshot when the test ends."""
    context = browser.new_context(
        locale="da-DK", timezone_id="Europe/Copenhagen", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


def assert_accessible(page) -> None:
    """axe-core (bundled by axe-playwright-python) finds no WCAG 2.1 A/AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    violations = results.response["violations"]
    assert not violations, "\n".join(
        f"{violation['id']}: {violation['help']} ({[node['target'] for node in violation['nodes']][:3]})"
        for violation in violations
    )


# --- A small Blå Bog for the browser tests ---------------------------------------------------


class BlueBook:
    """The people (and the forum) the browser tests look for, built through the services."""

    def __init__(self):
        import datetime as dt

        from fora import services as fora_services
        from members import services
        from members.models import ElectionPeriod, Municipality, Party
        from tests import factories

        current = ElectionPeriod.objects.get(name="2026-2029")
        previous = ElectionPeriod.objects.get(name="2022-2025")
        venstre = Party.objects.get(letter="V")

        def mayor(name, slug, code, period, **fields):
            person = factories.PersonFactory(name=name, slug=slug, party=venstre, **fields)
            services.record_mayor(
                person=person,
                municipality=Municipality.objects.get(code=code),
                period=period,
                started_on=period.starts_on,
            )
            return person

        self.user = factories.UserFactory(email="soren.moller@aeroe.dk")
        self.soren = mayor(
            "Søren Møller", "soren-moller", 492, current, email="soren.moller@aeroe.dk", phone="+45 61 23 45 67"
        )
        self.soren.user = self.user
        self.soren.save()
        self.anne = mayor("Anne Moeller", "anne-moeller", 461, current, email="anne@odense.dk")
        self.jens = mayor("Jens Hansen", "jens-hansen", 265, current)  # Roskilde, KKR Sjælland
        self.karen = mayor("Karen Lund", "karen-lund", 492, previous)  # Ærø's mayor 2022-2025
        self.forum = factories.ForumFactory(name="Testforum for Ærø og Odense", slug="testforum-aeroe-odense")
        seat = factories.SeatFactory(forum=self.forum, period=current, label="Borgmester fra Fyn")
        appointment = fora_services.propose(seat=seat, person=self.soren, starts_on=dt.date(2026, 2, 1))
        fora_services.appoint(appointment=appointment, appointed_on=dt.date(2026, 2, 1))


@pytest.fixture
def blue_book(portal) -> BlueBook:
    return BlueBook()


def sign_in(page, portal, user) -> None:
    """Give the browser a session for ``user``, as the login by code ends with one."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": portal.url}])
