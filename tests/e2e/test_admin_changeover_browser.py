"""A secretary of KKR Syddanmark rolls the KKR over to the new period, in a real browser."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from fora.models import Appointment, Seat
from kkr_portal.admin_views import CHANGEOVER_PERMISSIONS
from members.models import Council, ElectionPeriod, KKRMembership, Municipality
from tests.conftest import staff_of
from tests.e2e.conftest import SCREENSHOTS, sign_in
from tests.test_changeover import Scenario


@pytest.fixture
def bare_portal(transactional_db, live_server):
    """The live portal with the reference data only: the scenario brings its own 2022-2025 chair."""
    call_command("load_reference_data", verbosity=0)
    return live_server


def test_a_secretary_walks_through_the_changeover(bare_portal, page):
    portal = bare_portal
    councils = {council.slug: council for council in Council.objects.all()}
    scenario = Scenario(
        councils["syddanmark"],
        councils["sjaelland"],
        Municipality.objects.get(code=461),
        Municipality.objects.get(code=410),
        Municipality.objects.get(code=265),
        ElectionPeriod.objects.get(name="2022-2025"),
        ElectionPeriod.objects.get(name="2026-2029"),
    )
    staff = staff_of(scenario.council, "sekretariat.syddanmark@example.dk")  # with TOTP, as staff must have
    codenames = [name.split(".")[1] for name in CHANGEOVER_PERMISSIONS]
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    sign_in(page, portal, staff)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(portal.url + "/admin/")
    panel = page.locator("#kkr-councils")
    assert "KKR Syddanmark" in panel.inner_text()
    assert "KKR Sjælland" not in panel.inner_text()
    panel.get_by_role("link", name="Skift til ny valgperiode").click()

    page.get_by_label("Ny valgperiode").select_option(label="2026-2029")
    page.get_by_role("button", name="Videre").click()
    page.get_by_role("heading", name="Trin 2 af 3").wait_for()

    page.get_by_label("Odense", exact=True).select_option(label="Ny Borgmester")
    page.get_by_label("Middelfart", exact=True).select_option(label="Supplerende Medlem")
    page.screenshot(path=str(SCREENSHOTS / "changeover_2_mayors.png"), full_page=True)
    page.get_by_role("button", name="Vis ændringerne").click()
    page.get_by_role("heading", name="Trin 3 af 3").wait_for()

    preview = page.locator("#content-main").inner_text()
    for text in ["Ny Borgmester", "Gammel Viceborgmester", "Nedlagt forum", "Suppleant 1", "Supplerende Medlem"]:
        assert text in preview
    assert not Seat.objects.filter(period__name="2026-2029", forum=scenario.forum).exists(), "preview wrote"
    page.screenshot(path=str(SCREENSHOTS / "changeover_3_preview.png"), full_page=True)

    page.get_by_role("button", name="Anvend").click()
    page.get_by_role("heading", name="Resultat af skiftet").wait_for()
    assert "Skiftet til valgperioden 2026-2029 er gennemført." in page.locator("body").inner_text()

    assert Seat.objects.filter(period__name="2026-2029", forum=scenario.forum).count() == 2
    assert not KKRMembership.objects.filter(council=scenario.council, period__name="2022-2025", ended_on=None)
    assert Appointment.objects.get(pk=scenario.holder.pk).status == Appointment.Status.APPOINTED

    page.get_by_role("link", name="Pladser oprettet i den nye valgperiode: 2").click()
    page.wait_for_load_state("load")
    assert "Medlem 1" in page.locator("#result_list").inner_text()
    assert "Suppleant 1" in page.locator("#result_list").inner_text()
