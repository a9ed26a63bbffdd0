"""A secretary of KKR Syddanmark imports the election result and decides the KKR's composition,
in a real browser; each page is checked with axe-core."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from elections.models import ElectionResult, SupplementarySeats
from members import services as member_services
from members.models import Council, ElectionPeriod, Municipality, Party
from tests import factories
from tests.conftest import staff_of
from tests.e2e.conftest import SCREENSHOTS, assert_accessible, sign_in
from tests.elections.conftest import MAYORS, region_rows
from tests.rules_helpers import councillor


@pytest.fixture
def bare_portal(transactional_db, live_server):
    call_command("load_reference_data", verbosity=0)
    return live_server


def test_a_secretary_imports_the_result_and_decides_the_supplementary_seats(bare_portal, page):
    portal = bare_portal
    council = Council.objects.get(slug="syddanmark")
    period = ElectionPeriod.objects.get(name="2026-2029")
    for name, letter in MAYORS.items():
        person = factories.PersonFactory(party=Party.objects.get(letter=letter))
        member_services.record_mayor(
            person=person, municipality=Municipality.objects.get(name=name), period=period, started_on=period.starts_on
        )
    councillor(Municipality.objects.get(name="Svendborg"), period, party=Party.objects.get(letter="F"))
    staff = staff_of(council, "sekretariat.syddanmark@example.dk")
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="elections"))
    sign_in(page, portal, staff)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(portal.url + "/admin/")
    page.locator("#kkr-councils").get_by_role("link", name="KKR's sammensætning").click()
    page.get_by_role("link", name="Importér valgresultat for 2026-2029").click()
    assert_accessible(page)
    content = "Kommune;Parti;Stemmer\n" + "".join(f"{c};{p};{v}\n" for c, p, v in region_rows(council))
    page.get_by_label("Fil (CSV eller Excel)").set_input_files(
        files=[{"name": "kv25.csv", "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name="Kontrollér filen").click()
    page.locator("#import-checked").wait_for()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "composition_1_preview.png"), full_page=True)
    assert not ElectionResult.objects.exists(), "the preview wrote"

    page.get_by_role("button", name="Gennemfør importen").click()
    page.locator("#step-parties").wait_for()
    assert "Den forholdsmæssige del får 8 pladser." in page.locator("#step-size").inner_text()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "composition_2_calculation.png"), full_page=True)

    page.get_by_label("Besluttede pladser for SF (F)").fill("0")
    page.get_by_role("button", name="Anvend: gem de supplerende pladser for valgperioden").click()
    page.locator("#seats .errorlist").first.wait_for()
    assert_accessible(page)
    assert not SupplementarySeats.objects.exists()
    page.get_by_label("Begrundelse for SF (F)").fill("Aftale mellem partierne")
    page.get_by_role("button", name="Anvend: gem de supplerende pladser for valgperioden").click()
    page.get_by_text("De supplerende pladser for valgperioden 2026-2029 er gemt.").wait_for()
    decided = {row.party.letter: row.decided_seats for row in SupplementarySeats.objects.select_related("party")}
    assert decided == {"A": 3, "V": 0, "F": 0}
