"""The reference data: what it holds, that loading it twice changes nothing, and bad files."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agreements.models import AgreementKind
from kkr_portal.datafiles import DATA_DIR
from members.models import Council, ElectionPeriod, Municipality, Party, PolicyArea
from reminders.models import ReminderRule

pytestmark = pytest.mark.django_db


def test_the_five_councils_with_their_municipalities():
    counts = {council.slug: council.municipalities.count() for council in Council.objects.all()}
    assert counts == {"nordjylland": 11, "midtjylland": 19, "syddanmark": 22, "hovedstaden": 29, "sjaelland": 17}
    assert Municipality.objects.count() == 98


def test_municipalities_carry_their_official_codes_and_names():
    copenhagen = Municipality.objects.get(code=101)
    assert (copenhagen.name, copenhagen.official_name, copenhagen.council.slug) == (
        "København",
        "Københavns Kommune",
        "hovedstaden",
    )
    assert Municipality.objects.get(code=400).official_name == "Bornholms Regionskommune"
    assert Municipality.objects.get(name="Aarhus").code == 751
    assert Municipality.objects.get(code=101).padded_code == "0101"


def test_parties_policy_areas_periods_kinds_and_rules():
    assert Party.objects.get(letter="Æ").short_name == "Danmarksdemokraterne"
    assert Party.objects.count() == 16
    assert list(PolicyArea.objects.values_list("name", flat=True)) == [
        "Sundhed",
        "Social",
        "Vækst og beskæftigelse",
        "Uddannelse",
        "Trafik og infrastruktur",
        "Klima og miljø",
    ]
    assert all(area.description for area in PolicyArea.objects.all())
    assert list(ElectionPeriod.objects.values_list("name", flat=True)) == ["2022-2025", "2026-2029"]
    assert AgreementKind.objects.get(slug="rammeaftale").recurrence_months == 24
    assert AgreementKind.objects.get(slug="resultatkontrakt").recurrence_months == 12
    assert AgreementKind.objects.get(slug="dk2020").recurrence_months is None
    assert sorted(ReminderRule.objects.values_list("kind", "days_before")) == [
        ("meeting", 1),
        ("meeting", 7),
        ("milestone", 7),
        ("milestone", 30),
        ("term_end", 60),
    ]


def test_loading_twice_changes_nothing():
    out = StringIO()
    call_command("load_reference_data", stdout=out)
    assert "0 oprettet, 0 opdateret" in out.getvalue()


def _copy_data(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _load(directory) -> str:
    with pytest.raises(CommandError) as error:
        call_command("load_reference_data", data_dir=str(directory), stdout=StringIO())
    return str(error.value)


def test_a_malformed_municipality_code_is_refused_with_file_line_and_field(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "municipalities.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("151", "15x", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = Municipality.objects.get(code=101).name

    message = _load(directory)

    assert message.startswith("municipalities.csv, linje 4, felt »municipality_code«")
    assert Municipality.objects.get(code=101).name == before


def test_a_bad_file_writes_nothing_even_after_good_rows(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "municipalities.csv"
    text = path.read_text(encoding="utf-8").replace("København,Københavns Kommune", "Kbh,Københavns Kommune")
    path.write_text(text + "999,Ny,Ny Kommune,9999\n", encoding="utf-8")

    message = _load(directory)

    assert "felt »region_code«" in message
    assert "linje 100" in message
    assert Municipality.objects.get(code=101).name == "København"


def test_a_missing_column_and_an_empty_file_are_refused(tmp_path):
    directory = _copy_data(tmp_path)
    (directory / "parties.csv").write_text("letter,name\nA,Socialdemokratiet\n", encoding="utf-8")
    assert "parties.csv, linje 1, felt »short_name«: kolonnen mangler" in _load(directory)

    (directory / "parties.csv").write_text("", encoding="utf-8")
    assert "parties.csv, linje 1: filen er tom" in _load(directory)


def test_a_municipality_count_that_does_not_match_its_region_is_refused(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "municipalities.csv"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("101,")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "KKR Hovedstaden skal have 29 kommuner, filen giver 28" in _load(directory)


def test_an_incomplete_toml_entry_names_its_line_and_field(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "reference.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('slug = "social"\nname = "Social"\n', 'slug = "social"\n', 1)
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index('slug = "social"')  # the [[policy_areas]] header is the line before

    assert f"reference.toml, linje {line}, felt »name«: mangler" in _load(directory)


def test_an_overlapping_period_is_refused(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "reference.toml"
    text = path.read_text(encoding="utf-8").replace("starts_on = 2026-01-01", "starts_on = 2025-06-01", 1)
    path.write_text(text, encoding="utf-8")

    assert "felt »starts_on«: Valgperioden overlapper valgperioden 2022-2025" in _load(directory)
    assert str(ElectionPeriod.objects.get(name="2026-2029").starts_on) == "2026-01-01"


def test_a_deploy_keeps_what_the_secretariat_changed_in_the_reference_data():
    kind = AgreementKind.objects.get(slug="rammeaftale")
    kind.recurrence_months = 36  # the law changed
    kind.save()
    out = StringIO()
    call_command("load_reference_data", keep_existing=True, stdout=out)
    kind.refresh_from_db()
    assert kind.recurrence_months == 36
    assert "0 oprettet, 0 opdateret" in out.getvalue()
    call_command("load_reference_data", stdout=StringIO())
    kind.refresh_from_db()
    assert kind.recurrence_months == 24, "without --keep-existing the files are the truth"
