"""A region with an election result: KKR Syddanmark's 22 municipalities, votes for A, V, F and K.

Per municipality: A 300, V 200, F 80, K 5 — so in the region A 6600, V 4400, F 1760, K 110
(12870 votes; 2 % is 258: K does not take part). Mayors in 2026-2029: A 1 (Odense), V 3
(Middelfart, Assens, Kolding), K 1 (Vejle). F has a councillor in Svendborg. Worked by hand:

    A: 6600 (1), 3300 (3), 2200 (4), 1650 (7), 1320
    V: 4400 (2), 2200 (5), 1466.7 (8), 1100
    F: 1760 (6), 880
    (A 2200 and V 2200 tie; A has more votes.)
    n = 4 … 7: V has fewer than 3 seats; n = 8: A 4, V 3, F 1 — enough (cap 44 − 1 = 43).
    Supplementary: A 4 − 1 = 3, V 3 − 3 = 0, F 1 − 0 = 1. The KKR: 8 + K's mayor = 9 members.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members import services as member_services
from members.models import CouncilSeat, Municipality, Party
from tests import factories
from tests.rules_helpers import councillor

VOTES = {"A": 300, "V": 200, "F": 80, "K": 5}
MAYORS = {"Odense": "A", "Middelfart": "V", "Assens": "V", "Kolding": "V", "Vejle": "K"}


def csv_upload(rows: list[tuple], name: str = "kv25-syddanmark.csv", header=("Kommune", "Parti", "Stemmer")):
    lines = [";".join(header), *(";".join(str(cell) for cell in row) for row in rows)]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("utf-8"), content_type="text/csv")


def region_rows(council, votes: dict[str, int] | None = None) -> list[tuple]:
    votes = votes or VOTES
    return [
        (municipality.code, letter, count)
        for municipality in Municipality.objects.filter(council=council).order_by("code")
        for letter, count in votes.items()
    ]


@pytest.fixture
def mayors(syddanmark, period):
    """The mayors of 2026-2029 (and F's councillor), each through the services."""
    people = {}
    for name, letter in MAYORS.items():
        municipality = Municipality.objects.get(name=name)
        person = factories.PersonFactory(party=Party.objects.get(letter=letter), name=f"Borgmester {name}")
        member_services.record_mayor(
            person=person, municipality=municipality, period=period, started_on=period.starts_on
        )
        people[name] = person
    councillor(Municipality.objects.get(name="Svendborg"), period, party=Party.objects.get(letter="F"))
    assert CouncilSeat.objects.filter(period=period, role="mayor").count() == len(MAYORS)
    return people


@pytest.fixture
def secretary(client, staff_syddanmark):
    """Syddanmark's staff with the staff group's permissions on the composition, signed in."""
    codenames = [
        "view_electionresult",
        "add_electionresult",
        "view_supplementaryseats",
        "add_supplementaryseats",
        "change_supplementaryseats",
        "view_partyvotes",
    ]
    staff_syddanmark.user_permissions.set(
        Permission.objects.filter(content_type__app_label="elections", codename__in=codenames)
    )
    client.force_login(staff_syddanmark)
    return client


def import_url(council, period) -> str:
    return reverse("elections_admin:import", args=[council.slug, period.pk])


def composition_url(council, period) -> str:
    return reverse("elections_admin:composition", args=[council.slug, period.pk])


@pytest.fixture
def imported(secretary, syddanmark, period, mayors):
    """The region's result imported through the page (preview, then confirm)."""
    preview = secretary.post(import_url(syddanmark, period), {"import_file": csv_upload(region_rows(syddanmark))})
    assert preview.status_code == 200, preview.content
    confirmed = secretary.post(
        import_url(syddanmark, period),
        {"action": "confirm", "stored": preview.context["stored"], "file_name": preview.context["file_name"]},
    )
    assert confirmed.status_code == 302
    return confirmed
