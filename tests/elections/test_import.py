"""Importing a region's election result: a preview first, every problem by row and column, all or nothing."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from elections.models import ElectionResult, PartyVotes
from members.models import Party

from .conftest import csv_upload, import_url, region_rows

pytestmark = pytest.mark.django_db


def test_the_preview_shows_the_votes_per_party_and_writes_nothing(secretary, syddanmark, period, mayors):
    response = secretary.post(import_url(syddanmark, period), {"import_file": csv_upload(region_rows(syddanmark))})
    assert response.status_code == 200
    assert ElectionResult.objects.count() == 0
    page = response.content.decode()
    assert "Filen er kontrolleret, og der er ingen fejl: 88 stemmetal" in page
    totals = {str(party): votes for party, votes in response.context["read"].per_party()}
    assert totals[str(Party.objects.get(letter="A"))] == 6600
    assert totals[str(Party.objects.get(letter="K"))] == 110
    assert "Gennemfør importen" in page


def test_confirming_writes_the_result_with_who_imported_it(secretary, syddanmark, period, staff_syddanmark, imported):
    result = ElectionResult.objects.get()
    assert (result.council, result.period, result.source_name) == (syddanmark, period, "kv25-syddanmark.csv")
    assert result.imported_by == staff_syddanmark
    assert result.votes.count() == 22 * 4
    assert result.votes.aggregate(total=Sum("votes"))["total"] == 12870


def test_confirming_the_same_preview_twice_imports_once(secretary, syddanmark, period, mayors):
    preview = secretary.post(import_url(syddanmark, period), {"import_file": csv_upload(region_rows(syddanmark))})
    data = {"action": "confirm", "stored": preview.context["stored"], "file_name": preview.context["file_name"]}
    assert secretary.post(import_url(syddanmark, period), data).status_code == 302
    again = secretary.post(import_url(syddanmark, period), data, follow=True)
    assert "findes ikke længere" in again.content.decode()
    assert ElectionResult.objects.count() == 1


def test_a_forged_stored_name_is_refused(secretary, syddanmark, period):
    response = secretary.post(
        import_url(syddanmark, period),
        {"action": "confirm", "stored": "../../settings.py", "file_name": "x.csv"},
        follow=True,
    )
    assert response.status_code == 200
    assert ElectionResult.objects.count() == 0


def test_bad_rows_are_each_named_by_row_and_column_and_nothing_is_written(secretary, syddanmark, period):
    rows = region_rows(syddanmark)
    rows[0] = (265, "A", 300)  # Roskilde: another region
    rows[1] = (rows[1][0], "Q", 200)  # no such party
    rows[2] = (rows[2][0], "F", "mange")
    rows[3] = (rows[3][0], "K", -5)
    rows.append(rows[5])  # the same party twice in one municipality
    response = secretary.post(import_url(syddanmark, period), {"import_file": csv_upload(rows)})
    assert response.status_code == 200
    problems = [(p["row"], p["column"]) for p in response.context["problems"]]
    assert problems == [(2, "Kommune"), (3, "Parti"), (4, "Stemmer"), (5, "Stemmer"), (len(rows) + 1, "Parti")]
    page = response.content.decode()
    assert "Række 2, kolonne »Kommune«: »265« er ikke en kommune i KKR Syddanmark." in page
    assert "Række 4, kolonne »Stemmer«: »mange« er ikke et helt tal." in page
    assert "Række 5, kolonne »Stemmer«: Stemmetallet kan ikke være negativt." in page
    assert "står allerede i række 7" in page
    assert "Gennemfør importen" not in page
    assert ElectionResult.objects.count() == 0
    assert PartyVotes.objects.count() == 0


def test_a_file_that_leaves_out_a_municipality_is_refused(secretary, syddanmark, period):
    rows = [row for row in region_rows(syddanmark) if row[0] != 461]
    response = secretary.post(import_url(syddanmark, period), {"import_file": csv_upload(rows)})
    assert "Filen har ingen stemmetal for Odense." in response.content.decode()
    assert ElectionResult.objects.count() == 0


def test_wrong_columns_are_named(secretary, syddanmark, period):
    upload = csv_upload([(461, "A", 1)], header=("Kommune", "Parti", "Antal"))
    response = secretary.post(import_url(syddanmark, period), {"import_file": upload})
    page = response.content.decode()
    assert "Kolonnen mangler: »Stemmer«." in page
    assert "Ukendt kolonne: »Antal«." in page
    assert ElectionResult.objects.count() == 0


def test_an_unreadable_file_gets_a_danish_message_not_a_500(secretary, syddanmark, period):
    upload = SimpleUploadedFile("valg.xlsx", b"not a workbook")
    response = secretary.post(import_url(syddanmark, period), {"import_file": upload})
    assert response.status_code == 200
    assert "Filen kunne ikke læses" in response.content.decode()
    upload = SimpleUploadedFile("valg.pdf", b"%PDF")
    assert (
        "CSV-fil (.csv) eller en Excel-fil"
        in secretary.post(import_url(syddanmark, period), {"import_file": upload}).content.decode()
    )


def test_an_excel_file_with_names_and_thousands_separators_is_read(secretary, syddanmark, period):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["kommune", "PARTI", "Stemmer"])
    for code, letter, votes in region_rows(syddanmark):
        sheet.append([code, letter, votes])
    sheet.append(["Odense Kommune", "Enhedslisten", "1.234"])
    content = io.BytesIO()
    book.save(content)
    upload = SimpleUploadedFile("kv25.xlsx", content.getvalue())
    response = secretary.post(import_url(syddanmark, period), {"import_file": upload})
    assert response.context.get("problems") is None, response.context.get("problems")
    totals = {party.letter: votes for party, votes in response.context["read"].per_party()}
    assert totals["Ø"] == 1234


def test_a_local_list_is_found_by_its_letter_in_its_own_municipality(secretary, syddanmark, period, odense):
    local = Party.objects.create(
        letter="L", name="Odense-listen", short_name="Odense-listen", kind="local", municipality=odense
    )
    rows = [*region_rows(syddanmark), (461, "L", 700)]
    response = secretary.post(import_url(syddanmark, period), {"import_file": csv_upload(rows)})
    assert dict(response.context["read"].per_party())[local] == 700
    # The same letter elsewhere is no list of that municipality.
    rows = [*region_rows(syddanmark), (410, "L", 700)]
    response = secretary.post(import_url(syddanmark, period), {"import_file": csv_upload(rows)})
    assert [(p["row"], p["column"]) for p in response.context["problems"]] == [(len(rows) + 1, "Parti")]


def test_staff_without_the_import_permission_get_a_403(client, staff_syddanmark, syddanmark, period):
    client.force_login(staff_syddanmark)
    assert client.get(import_url(syddanmark, period)).status_code == 403
