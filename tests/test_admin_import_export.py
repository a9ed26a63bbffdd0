"""Import and export in the secretariats' admin, through the real admin views (kkr_portal.admin_io)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from html import unescape

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fora.models import Appointment, Seat
from kkr_portal import admin_io
from members.models import CouncilSeat, Municipality, Person
from tests import factories, rules_helpers
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

frozen_today = rules_helpers.frozen_today

PERSON_EXPORT = reverse("admin:members_person_export", args=["csv"])
PERSON_IMPORT = reverse("admin:members_person_import")
PERSON_PROCESS = reverse("admin:members_person_process_import")
APPOINTMENT_IMPORT = reverse("admin:fora_appointment_import")
APPOINTMENT_PROCESS = reverse("admin:fora_appointment_process_import")


def _all_permissions(user):
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.fixture
def client_syd(client, staff_syddanmark):
    client.force_login(_all_permissions(staff_syddanmark))
    return client


@pytest.fixture
def client_sja(client, staff_sjaelland):
    client.force_login(_all_permissions(staff_sjaelland))
    return client


def _csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _xlsx_rows(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _csv_file(rows: list[list[str]], name: str = "liste.csv", *, encoding: str = "utf-8", delimiter: str = ";"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def _xlsx_file(rows: list[list], name: str = "liste.xlsx"):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _problems(response) -> list[str]:
    assert response.status_code == 200
    return [unescape(f"{p['row'] or ''}|{p['column'] or ''}|{p['message']}") for p in response.context["problems"]]


def _upload(client, url, upload):
    # The browser posts the format choice too (blank: by the file's name).
    return client.post(url, {"import_file": upload, "format": ""})


def _confirm(client, preview, url):
    form = preview.context["confirm_form"]
    assert form is not None, _problems(preview)
    return client.post(url, {name: form.initial.get(name, "") for name in form.fields})


# --- export ---------------------------------------------------------------------------------


@pytest.fixture
def people(odense, roskilde, period):
    return {
        "syd": councillor(odense, period, name="Anne Jensen", email="anne@example.dk", phone="+46 8 123 456 78"),
        "formula": councillor(odense, period, name='=HYPERLINK("http://x")', email="@evil@example.dk"),
        "sja": councillor(roskilde, period, name="Bent Sjælland", email="bent@example.dk"),
    }


def test_the_change_list_links_to_an_export_of_what_it_shows(client_syd, people):
    response = client_syd.get(reverse("admin:members_person_changelist"), {"q": "Anne"})
    body = response.content.decode()
    assert f'{PERSON_EXPORT}?q=Anne"' in body
    assert reverse("admin:members_person_export", args=["xlsx"]) + "?q=Anne" in body
    assert PERSON_IMPORT in body


def test_the_csv_export_has_danish_headings_names_for_related_rows_and_only_own_rows(client_syd, people):
    rows = _csv_rows(client_syd.get(PERSON_EXPORT))
    assert rows[0] == ["Kort navn", "Navn", "Sorteringsnavn", "E-mail", "Telefon", "Parti", "Kommunekode", "Mandat fra"]
    names = [row[1] for row in rows[1:]]
    assert "Anne Jensen" in names
    assert "Bent Sjælland" not in names
    anne = next(row for row in rows if row[1] == "Anne Jensen")
    assert anne[6] == "461"
    assert anne[7] == "2026-01-01"


def test_the_export_follows_the_search_and_the_filters(client_syd, people):
    rows = _csv_rows(client_syd.get(PERSON_EXPORT, {"q": "Anne"}))
    assert [row[1] for row in rows[1:]] == ["Anne Jensen"]


def test_export_cells_a_spreadsheet_would_run_are_neutralised(client_syd, people):
    rows = _csv_rows(client_syd.get(PERSON_EXPORT))
    formula = next(row for row in rows if "HYPERLINK" in row[1])
    assert formula[1] == '\'=HYPERLINK("http://x")'
    assert formula[3] == "'@evil@example.dk"
    anne = next(row for row in rows if row[1] == "Anne Jensen")
    assert anne[4] == "'+46 8 123 456 78"
    xlsx = _xlsx_rows(client_syd.get(reverse("admin:members_person_export", args=["xlsx"])))
    cells = [value for row in xlsx for value in row if isinstance(value, str)]
    assert '\'=HYPERLINK("http://x")' in cells
    assert not [value for value in cells if value.startswith(("=", "+", "-", "@"))]


def test_the_xlsx_export_has_dates_as_dates_and_only_own_rows(client_syd, people):
    response = client_syd.get(reverse("admin:members_person_export", args=["xlsx"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="personer-' in response["Content-Disposition"]
    rows = _xlsx_rows(response)
    assert rows[0][:2] == ["Kort navn", "Navn"]
    anne = next(row for row in rows if row[1] == "Anne Jensen")
    assert anne[7] == dt.datetime(2026, 1, 1)  # noqa: DTZ001 - Excel has no time zones
    assert "Bent Sjælland" not in [row[1] for row in rows]


def test_a_forged_filter_for_another_kkr_exports_none_of_its_rows(client_syd, people, sjaelland):
    url = reverse("admin:fora_appointment_export", args=["csv"])
    response = client_syd.get(url, {"seat__forum__council__id__exact": sjaelland.pk})
    assert len(_csv_rows(response)) == 1
    people_rows = _csv_rows(client_syd.get(PERSON_EXPORT, {"q": "Bent"}))
    assert people_rows[1:] == []


def test_a_filter_the_admin_does_not_offer_is_refused_not_a_server_error(client_syd, people):
    response = client_syd.get(PERSON_EXPORT, {"council_seats__municipality__code": "265"})
    assert response.status_code == 400
    assert client_syd.get(reverse("admin:members_person_export", args=["pdf"])).status_code == 404


def test_the_export_action_posted_with_another_kkrs_ids_exports_none_of_them(client_syd, people):
    response = client_syd.post(
        reverse("admin:members_person_changelist"),
        {"action": "export_selected_csv", "_selected_action": [people["sja"].pk, people["syd"].pk], "index": 0},
    )
    rows = _csv_rows(response)
    assert [row[1] for row in rows[1:]] == ["Anne Jensen"]


def test_the_generic_export_names_related_rows_and_choices(client_syd, odense, period):
    factories.MeetingFactory(title="=Møde", place="Odense Rådhus")
    rows = _csv_rows(client_syd.get(reverse("admin:members_meeting_export", args=["csv"])))
    header, *data = rows
    assert "KKR" in header
    assert "Status" in header
    row = dict(zip(header, data[0], strict=True))
    assert row["KKR"] == "KKR Syddanmark"
    assert row["Titel"] == "'=Møde"
    assert row["Status"] == "planlagt"


def test_staff_cannot_export_what_they_cannot_see(client_syd):
    assert client_syd.get(reverse("admin:auth_user_export", args=["csv"])).status_code == 403


def test_the_superuser_export_of_users_leaves_out_password_hashes(client, superuser):
    client.force_login(superuser)
    rows = _csv_rows(client.get(reverse("admin:auth_user_export", args=["csv"])))
    assert "pbkdf2" not in str(rows)
    assert "md5" not in str(rows)
    assert all("adgangskode" not in heading.lower() for heading in rows[0])


def _appointments(n: int, odense, period) -> None:
    forum = factories.ForumFactory()
    for index in range(n):
        person = councillor(odense, period)
        seat = factories.SeatFactory(forum=forum, label=f"Plads {index}")
        Appointment.objects.create(seat=seat, person=person, starts_on=period.starts_on)


@pytest.mark.parametrize("model", ["members_person", "fora_appointment", "fora_seat", "members_councilseat"])
def test_an_export_takes_the_same_number_of_queries_for_3_and_30_rows(
    client_syd, odense, period, django_assert_num_queries, model
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse(f"admin:{model}_export", args=["csv"])
    _appointments(3, odense, period)
    client_syd.get(url)  # the session and the content types are read once
    with CaptureQueriesContext(connection) as small:
        assert client_syd.get(url).status_code == 200
    queries = len(small.captured_queries)
    _appointments(27, odense, period)
    client_syd.get(url)  # the filters' choices are cached again (kkr_portal.admin_cache), as for 3 rows
    with django_assert_num_queries(queries):
        response = client_syd.get(url)
    assert len(_csv_rows(response)) > 30


# --- import: people -------------------------------------------------------------------------

PERSON_HEADINGS = ["Navn", "E-mail", "Telefon", "Parti", "Kommunekode", "Mandat fra"]


def test_the_import_page_lists_the_columns_in_danish(client_syd):
    response = client_syd.get(PERSON_IMPORT)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Kommunekode" in body
    assert "Kontrollér filen" in body


def test_a_person_import_previews_writes_nothing_then_imports_with_history(client_syd, staff_syddanmark, frozen_today):
    upload = _csv_file(
        [
            PERSON_HEADINGS,
            ["Karen Ny", "karen@example.dk", "12345678", "V", "461", "01-02-2026"],
            ["Ole Ny", "", "", "", "", ""],
        ]
    )
    preview = _upload(client_syd, PERSON_IMPORT, upload)
    assert preview.context["problems"] == []
    assert not Person.objects.filter(name="Karen Ny").exists()
    assert "Karen Ny" in preview.content.decode()

    done = _confirm(client_syd, preview, PERSON_PROCESS)
    assert done.status_code == 302
    karen = Person.objects.get(name="Karen Ny")
    assert (karen.email, karen.party.letter, karen.sort_name, karen.slug) == (
        "karen@example.dk",
        "V",
        "Ny, Karen",
        "karen-ny",
    )
    seat = CouncilSeat.objects.get(person=karen)
    assert (seat.municipality.code, seat.started_on) == (461, dt.date(2026, 2, 1))
    record = karen.history.get()
    assert record.history_user == staff_syddanmark
    assert record.history_change_reason == "Importeret fra liste.csv"
    assert seat.history.get().history_user == staff_syddanmark
    assert LogEntry.objects.filter(user=staff_syddanmark, object_id=str(karen.pk)).exists()


def test_an_xlsx_file_with_headings_in_any_case_and_native_dates_imports(client_syd, frozen_today):
    upload = _xlsx_file([["navn", "KOMMUNEKODE", "mandat fra"], ["Xenia Excel", 410, dt.datetime(2026, 3, 1)]])  # noqa: DTZ001
    preview = _upload(client_syd, PERSON_IMPORT, upload)
    assert _confirm(client_syd, preview, PERSON_PROCESS).status_code == 302
    seat = CouncilSeat.objects.get(person__name="Xenia Excel")
    assert (seat.municipality.code, seat.started_on) == (410, dt.date(2026, 3, 1))


def test_an_existing_person_is_updated_by_short_name(client_syd, odense, period, frozen_today):
    anne = councillor(odense, period, name="Anne Jensen", slug="anne-jensen", email="gammel@example.dk")
    upload = _csv_file([["Kort navn", "Navn", "E-mail"], ["anne-jensen", "", "ny@example.dk"]])
    preview = _upload(client_syd, PERSON_IMPORT, upload)
    assert _confirm(client_syd, preview, PERSON_PROCESS).status_code == 302
    anne.refresh_from_db()
    assert (anne.name, anne.email) == ("Anne Jensen", "ny@example.dk")


def test_every_problem_is_listed_by_row_and_column_and_nothing_is_written(client_syd, frozen_today):
    rows = [
        PERSON_HEADINGS,
        ["God Række", "", "", "", "461", ""],
        ["Forkert Kode", "", "", "", "999", ""],
        ["Forkert Dato", "", "", "", "461", "31-02-2024"],
        ["", "ikke-en-mail", "", "Y", "", ""],
    ]
    before = Person.objects.count()
    found = _problems(_upload(client_syd, PERSON_IMPORT, _csv_file(rows)))
    assert "3|Kommunekode|Ukendt kommunekode »999«." in found
    assert "4|Mandat fra|»31-02-2024« er ikke en gyldig dato. Skriv den som dd-mm-åååå, fx 01-01-2026." in found
    assert "5|Navn|Navnet skal udfyldes." in found
    assert "5|Parti|Ukendt partibogstav »Y«." in found
    assert Person.objects.count() == before
    page = _upload(client_syd, PERSON_IMPORT, _csv_file(rows)).content.decode()
    assert "Række 3, kolonne »Kommunekode«: Ukendt kommunekode »999«." in unescape(page)
    assert 'name="confirm"' not in page


def test_a_municipality_of_another_kkr_is_unknown_exactly_like_a_missing_one(client_syd, frozen_today):
    upload = _csv_file([["Navn", "Kommunekode"], ["Rita Roskilde", "265"], ["Ingen Steder", "998"]])
    found = _problems(_upload(client_syd, PERSON_IMPORT, upload))
    assert found == ["2|Kommunekode|Ukendt kommunekode »265«.", "3|Kommunekode|Ukendt kommunekode »998«."]


def test_a_person_of_another_kkr_cannot_be_updated_and_answers_as_missing(client_syd, roskilde, period):
    councillor(roskilde, period, name="Bent Sjælland", slug="bent-sjaelland")
    upload = _csv_file([["Kort navn", "Navn", "E-mail"], ["bent-sjaelland", "Hacket", ""], ["findes-ikke", "X", ""]])
    found = _problems(_upload(client_syd, PERSON_IMPORT, upload))
    assert found == [
        "2|Kort navn|Der er ingen person med det korte navn »bent-sjaelland«.",
        "3|Kort navn|Der er ingen person med det korte navn »findes-ikke«.",
    ]
    assert Person.objects.get(slug="bent-sjaelland").name == "Bent Sjælland"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["Fornavn", "E-mail"], ["Anne", "a@example.dk"]], "Kolonnen mangler: »Navn«. Ukendt kolonne: »Fornavn«."),
        ([["Navn", "Navn"], ["Anne", "Anne"]], "Kolonnen står flere gange: Navn."),
        ([["Navn", "E-mail"]], "Filen har ingen rækker under overskriftsrækken."),
    ],
    ids=["wrong-columns", "duplicated-column", "headings-only"],
)
def test_a_file_with_wrong_columns_or_no_rows_is_refused_with_a_danish_message(client_syd, rows, message):
    before = Person.objects.count()
    response = _upload(client_syd, PERSON_IMPORT, _csv_file(rows))
    body = unescape(response.content.decode())
    assert message in body
    assert 'name="confirm"' not in body
    assert Person.objects.count() == before


def test_an_empty_file_is_refused(client_syd):
    response = _upload(client_syd, PERSON_IMPORT, SimpleUploadedFile("tom.csv", b""))
    assert response.context["form"].errors["import_file"] == ["Den indsendte fil er tom."]
    response = _upload(client_syd, PERSON_IMPORT, SimpleUploadedFile("blank.csv", b"\n\n"))
    assert response.context["form"].errors["import_file"] == ["Filen er tom."]


def test_a_file_in_another_encoding_is_refused_with_advice(client_syd):
    upload = _csv_file([["Navn"], ["Søren Æblegård"]], encoding="cp1252")
    response = _upload(client_syd, PERSON_IMPORT, upload)
    (message,) = response.context["form"].errors["import_file"]
    assert message.startswith("Filen er ikke gemt som UTF-8.")
    assert not Person.objects.filter(name__startswith="S").exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused(client_syd):
    response = _upload(client_syd, PERSON_IMPORT, SimpleUploadedFile("liste.xlsx", b"not a zip"))
    assert response.context["form"].errors["import_file"] == [
        "Filen kunne ikke læses. Kontrollér, at det er en CSV-fil eller en Excel-fil (.xlsx)."
    ]
    response = _upload(client_syd, PERSON_IMPORT, SimpleUploadedFile("liste.pdf", b"%PDF"))
    assert response.context["form"].errors["import_file"] == [
        "Filen skal være en CSV-fil (.csv) eller en Excel-fil (.xlsx)."
    ]


class _Stream(io.RawIOBase):
    """A multipart body of ``size`` bytes produced as it is read, never held in memory at once."""

    def __init__(self, head: bytes, size: int, tail: bytes) -> None:
        self.parts = [head, None, tail]
        self.filler = size
        self.total = len(head) + size + len(tail)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self.parts:
            part = self.parts[0]
            if part is None:
                if self.filler == 0:
                    self.parts.pop(0)
                    continue
                n = min(len(buffer), self.filler)
                buffer[:n] = b"a" * n
                self.filler -= n
                return n
            if not part:
                self.parts.pop(0)
                continue
            n = min(len(buffer), len(part))
            buffer[:n] = part[:n]
            self.parts[0] = part[n:]
            return n
        return 0


def test_a_50_mb_file_is_refused_by_its_size_before_it_is_read(client_syd, monkeypatch):
    read = []
    monkeypatch.setattr(admin_io.CSVFormat, "create_dataset", lambda *args, **kwargs: read.append(1))
    boundary = "graense"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="format"\r\n\r\n\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="import_file"; filename="stor.csv"\r\n'
        "Content-Type: text/csv\r\n\r\nNavn\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = _Stream(head, 50 * 1024 * 1024, tail)
    # The test client would build the whole body in memory; the WSGI input is read as a stream instead.
    response = client_syd.request(
        REQUEST_METHOD="POST",
        PATH_INFO=PERSON_IMPORT,
        CONTENT_TYPE=f"multipart/form-data; boundary={boundary}",
        CONTENT_LENGTH=str(body.total),
        **{"wsgi.input": io.BufferedReader(body)},
    )
    assert response.status_code == 200
    (message,) = response.context["form"].errors["import_file"]
    assert message == "Filen er for stor (50.0 MB). Den må højst fylde 5 MB."
    assert read == []


# --- import: appointments -------------------------------------------------------------------

APPOINTMENT_HEADINGS = ["Forum", "Plads", "Valgperiode", "Person", "Status", "Fra", "Indstillet den", "Udpeget den"]


@pytest.fixture
def fora(odense, roskilde, period, syddanmark, sjaelland):
    forum = factories.ForumFactory(council=syddanmark, name="Erhvervshus Fyn")
    other = factories.ForumFactory(council=sjaelland, name="Erhvervshus Sjælland")
    return {
        "seat": factories.SeatFactory(forum=forum, label="Medlem 1"),
        "seat2": factories.SeatFactory(forum=forum, label="Medlem 2"),
        "other_seat": factories.SeatFactory(forum=other, label="Medlem 1"),
        "anne": councillor(odense, period, name="Anne Jensen", email="anne@example.dk", slug="anne-jensen"),
        "bo": councillor(odense, period, name="Bo Hansen", email="bo@example.dk", slug="bo-hansen"),
        "bent": councillor(roskilde, period, name="Bent Sjælland", email="bent@example.dk"),
    }


def test_appointments_import_through_the_process_with_history(client_syd, staff_syddanmark, fora, frozen_today):
    upload = _csv_file(
        [
            APPOINTMENT_HEADINGS,
            ["Erhvervshus Fyn", "Medlem 1", "2026-2029", "anne@example.dk", "udpeget", "01-02-2026", "", "15-01-2026"],
            ["erhvervshus fyn", "medlem 2", "", "bo-hansen", "indstillet", "01-02-2026", "10-01-2026", ""],
        ]
    )
    preview = _upload(client_syd, APPOINTMENT_IMPORT, upload)
    assert not Appointment.objects.exists()
    assert _confirm(client_syd, preview, APPOINTMENT_PROCESS).status_code == 302
    anne = Appointment.objects.get(person=fora["anne"])
    assert (anne.seat, anne.status, anne.appointed_on) == (fora["seat"], "appointed", dt.date(2026, 1, 15))
    bo = Appointment.objects.get(person=fora["bo"])
    assert (bo.seat, bo.status, bo.nominated_on) == (fora["seat2"], "nominated", dt.date(2026, 1, 10))
    assert {record.history_user for record in anne.history.all()} == {staff_syddanmark}


def test_appointment_rules_are_reported_by_row_and_column_and_nothing_is_written(client_syd, fora, frozen_today):
    upload = _csv_file(
        [
            APPOINTMENT_HEADINGS,
            ["Erhvervshus Fyn", "Medlem 1", "", "anne@example.dk", "udpeget", "01-02-2026", "", "15-01-2026"],
            # The same seat a second time: one holder per seat.
            ["Erhvervshus Fyn", "Medlem 1", "", "bo@example.dk", "udpeget", "01-02-2026", "", "15-01-2026"],
            # Not eligible: a councillor in Sjælland.
            ["Erhvervshus Fyn", "Medlem 2", "", "bent@example.dk", "", "01-02-2026", "", ""],
            ["Erhvervshus Fyn", "Medlem 9", "", "anne@example.dk", "", "01-02-2026", "", ""],
            ["Ukendt Forum", "Medlem 1", "", "anne@example.dk", "", "01-02-2026", "", ""],
            ["Erhvervshus Fyn", "Medlem 2", "", "anne@example.dk", "udpeget", "01-02-2026", "", ""],
            ["Erhvervshus Fyn", "Medlem 2", "", "anne@example.dk", "ophørt", "01-01-2020", "", ""],
        ]
    )
    found = _problems(_upload(client_syd, APPOINTMENT_IMPORT, upload))
    assert any(line.startswith("3|Plads|Pladsen er allerede besat af Anne Jensen") for line in found), found
    assert "4|Person|Der er ingen person med e-mail eller kort navn »bent@example.dk«." in found
    assert "5|Plads|Forummet »Erhvervshus Fyn« har ingen plads »Medlem 9« i valgperioden 2026-2029." in found
    assert "6|Forum|Ukendt forum »Ukendt Forum«." in found
    assert "7|Udpeget den|Datoen for udpegningen skal udfyldes, når status er udpeget." in found
    assert "8|Status|Ukendt status »ophørt«. Brug foreslået, indstillet eller udpeget." in found
    assert any(line.startswith("8|Fra|") for line in found), found
    assert not [line for line in found if line.startswith("2|")]
    assert not Appointment.objects.exists()


def test_an_ineligible_person_of_ones_own_kkr_is_refused_on_the_person_column(client_syd, fora, frozen_today):
    factories.PersonFactory(name="Uden Mandat", email="uden@example.dk")
    upload = _csv_file(
        [APPOINTMENT_HEADINGS, ["Erhvervshus Fyn", "Medlem 1", "", "uden@example.dk", "", "01-02-2026", "", ""]]
    )
    (problem,) = _problems(_upload(client_syd, APPOINTMENT_IMPORT, upload))
    assert problem.startswith("2|Person|Personen kan ikke udpeges")


def test_a_seat_of_another_kkr_is_reported_exactly_like_a_missing_one(client_syd, fora, frozen_today):
    upload = _csv_file(
        [
            APPOINTMENT_HEADINGS,
            ["Erhvervshus Sjælland", "Medlem 1", "", "anne@example.dk", "", "01-02-2026", "", ""],
            ["Erhvervshus Atlantis", "Medlem 1", "", "anne@example.dk", "", "01-02-2026", "", ""],
        ]
    )
    found = _problems(_upload(client_syd, APPOINTMENT_IMPORT, upload))
    assert found == [
        "2|Forum|Ukendt forum »Erhvervshus Sjælland«.",
        "3|Forum|Ukendt forum »Erhvervshus Atlantis«.",
    ]
    assert not Appointment.objects.filter(seat=fora["other_seat"]).exists()


def test_a_confirmed_import_that_fails_after_the_preview_writes_nothing(client_syd, fora, frozen_today):
    upload = _csv_file(
        [
            APPOINTMENT_HEADINGS,
            ["Erhvervshus Fyn", "Medlem 2", "", "bo@example.dk", "", "01-02-2026", "", ""],
            ["Erhvervshus Fyn", "Medlem 1", "", "anne@example.dk", "udpeget", "01-02-2026", "", "15-01-2026"],
        ]
    )
    preview = _upload(client_syd, APPOINTMENT_IMPORT, upload)
    # Someone else fills the seat from the same day between the preview and the confirmation.
    Appointment.objects.create(
        seat=fora["seat"], person=fora["bo"], starts_on=dt.date(2026, 2, 1), status="appointed",
        appointed_on=dt.date(2026, 1, 1),
    )  # fmt: skip
    response = _confirm(client_syd, preview, APPOINTMENT_PROCESS)
    assert response.status_code == 200
    assert "Intet blev importeret" in response.content.decode()
    assert any(line.startswith("3|Plads|Pladsen er allerede besat af Bo Hansen") for line in _problems(response))
    assert Appointment.objects.count() == 1


def test_staff_without_the_right_to_add_cannot_import(client, staff_syddanmark):
    staff_syddanmark.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(staff_syddanmark)
    assert client.get(PERSON_IMPORT).status_code == 403
    assert client.get(reverse("admin:members_person_changelist")).status_code == 200


def test_an_imported_seat_is_the_one_of_the_staff_users_kkr(client_sja, fora, roskilde, period, frozen_today):
    rita = councillor(roskilde, period, name="Rita Roskilde", email="rita@example.dk")
    upload = _csv_file(
        [APPOINTMENT_HEADINGS, ["Erhvervshus Sjælland", "Medlem 1", "", "rita@example.dk", "", "01-02-2026", "", ""]]
    )
    preview = _upload(client_sja, APPOINTMENT_IMPORT, upload)
    assert _confirm(client_sja, preview, APPOINTMENT_PROCESS).status_code == 302
    assert Appointment.objects.get(person=rita).seat == fora["other_seat"]
    assert Seat.objects.count() == 3


# --- review findings: the confirmation, the stored upload, blank columns, scoped export ------


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    """The uploads kept between preview and confirmation, in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path / admin_io.ImportUploadStorage.FOLDER


def _stored(uploads) -> list[str]:
    return sorted(path.name for path in uploads.iterdir()) if uploads.exists() else []


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _good_people_preview(client):
    preview = _upload(client, PERSON_IMPORT, _csv_file([PERSON_HEADINGS, ["Karen Ny", "", "", "", "", ""]]))
    assert preview.context["confirm_form"] is not None, _problems(preview)
    return preview


def test_confirming_the_same_preview_twice_imports_once_and_says_why_the_second_time(client_syd, uploads):
    preview = _good_people_preview(client_syd)
    assert len(_stored(uploads)) == 1

    first = _confirm(client_syd, preview, PERSON_PROCESS)
    second = _confirm(client_syd, preview, PERSON_PROCESS)

    assert first.status_code == 302
    assert second.status_code == 302
    assert second["Location"] == PERSON_IMPORT
    page = client_syd.get(second["Location"])
    assert any(message.startswith("Filen fra forhåndsvisningen findes ikke længere") for message in _messages(page))
    assert Person.objects.filter(name="Karen Ny").count() == 1
    assert _stored(uploads) == []


@pytest.mark.parametrize(
    "forged",
    [{"format": "7"}, {"format": "-1"}, {"format": "csv"}, {"resource": "3"}, {"import_file_name": "../../etc/passwd"}],
    ids=["format-7", "format-negative", "format-text", "resource-3", "file-name"],
)
def test_a_forged_confirmation_returns_to_the_import_page_with_a_message(client_syd, uploads, forged):
    preview = _good_people_preview(client_syd)
    form = preview.context["confirm_form"]
    data = {**{name: form.initial.get(name, "") for name in form.fields}, **forged}

    response = client_syd.post(PERSON_PROCESS, data, follow=True)

    assert response.redirect_chain == [(PERSON_IMPORT, 302)]
    assert _messages(response)
    assert not Person.objects.filter(name="Karen Ny").exists()


def test_a_confirmation_without_its_fields_returns_to_the_import_page(client_syd):
    response = client_syd.post(PERSON_PROCESS, {}, follow=True)
    assert response.redirect_chain == [(PERSON_IMPORT, 302)]
    assert _messages(response) == ["Bekræftelsen var ugyldig. Upload filen igen."]


def test_a_preview_with_errors_keeps_no_copy_of_the_file(client_syd, uploads):
    preview = _upload(client_syd, PERSON_IMPORT, _csv_file([PERSON_HEADINGS, ["Karen Ny", "", "", "", "999", ""]]))
    assert _problems(preview)
    assert preview.context.get("confirm_form") is None
    assert _stored(uploads) == []


def test_an_abandoned_upload_is_removed_by_the_next_one(client_syd, uploads):
    _good_people_preview(client_syd)
    (abandoned,) = _stored(uploads)
    hours_ago = (dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=2)).timestamp()
    os.utime(uploads / abandoned, (hours_ago, hours_ago))

    _good_people_preview(client_syd)

    stored = _stored(uploads)
    assert len(stored) == 1
    assert abandoned not in stored


def test_a_trailing_column_without_heading_or_values_is_ignored(client_syd):
    preview = _upload(client_syd, PERSON_IMPORT, _csv_file([["Navn", "E-mail", "", ""], ["Karen Ny", "", "", ""]]))
    assert _problems(preview) == []
    assert _confirm(client_syd, preview, PERSON_PROCESS).status_code == 302
    assert Person.objects.filter(name="Karen Ny").exists()


def test_a_column_without_heading_but_with_values_is_named_as_such(client_syd):
    preview = _upload(client_syd, PERSON_IMPORT, _csv_file([["Navn", ""], ["Karen Ny", "noget"]]))
    assert any("Ukendt kolonne: en kolonne uden overskrift." in problem for problem in _problems(preview))
    assert "»«" not in unescape(preview.content.decode())


def test_the_people_export_writes_no_municipality_of_another_kkr(client, staff_syddanmark, staff_sjaelland, period):
    """A councillor of Odense (Syddanmark) who moved to Roskilde (Sjælland) and kept an appointment."""
    from fora import services as fora_services
    from members import services as member_services

    person = councillor(Municipality.objects.get(code=461), period, name="Flyttet Person")
    seat = factories.SeatFactory(forum=factories.ForumFactory(name="Fynsk Forum"), period=period)
    fora_services.propose(seat=seat, person=person, starts_on=period.starts_on + dt.timedelta(days=30))
    moved_on = period.starts_on + dt.timedelta(days=60)
    member_services.end_council_seat(seat=person.council_seats.get(), ended_on=moved_on)
    member_services.add_council_seat(
        person=person,
        municipality=Municipality.objects.get(code=265),
        period=period,
        started_on=moved_on + dt.timedelta(days=1),
    )
    rows = {}
    for name, staff in (("syd", staff_syddanmark), ("sja", staff_sjaelland)):
        client.force_login(_all_permissions(staff))
        exported = _csv_rows(client.get(PERSON_EXPORT))
        rows[name] = {row[1]: dict(zip(exported[0], row, strict=True)) for row in exported[1:]}

    assert rows["syd"]["Flyttet Person"]["Kommunekode"] == ""
    assert rows["syd"]["Flyttet Person"]["Mandat fra"] == ""
    assert rows["sja"]["Flyttet Person"]["Kommunekode"] == "265"


def test_an_imported_term_end_is_written_with_the_proposal_in_one_history_record(client_syd, fora, frozen_today):
    upload = _csv_file(
        [
            ["Forum", "Plads", "Person", "Fra", "Periodens udløb"],
            ["Erhvervshus Fyn", "Medlem 1", "anne@example.dk", "01-02-2026", "31-12-2027"],
        ]
    )
    preview = _upload(client_syd, APPOINTMENT_IMPORT, upload)
    assert _confirm(client_syd, preview, APPOINTMENT_PROCESS).status_code == 302

    appointment = Appointment.objects.get(person=fora["anne"])
    assert appointment.term_ends_on == dt.date(2027, 12, 31)
    (record,) = appointment.history.all()
    assert record.term_ends_on == dt.date(2027, 12, 31)
    assert record.history_change_reason == "Importeret fra liste.csv"
