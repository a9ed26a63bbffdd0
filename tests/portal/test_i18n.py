"""Languages: Danish is the source and the default, English a complete translation.

The msgids are Danish; locale/en/LC_MESSAGES/django.po holds the English. The compiled .mo is
not in git, so this module compiles it (with Babel, as `make install` does) when it is missing
or older than the .po. The catalogue tests fail when a string has no translation, is fuzzy or
drops a placeholder; run `make messages`, translate, and the tests pass again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from fora.models import Appointment, Seat
from members.models import Chairmanship, Council, KKRMembership, Municipality, Person

BASE_DIR = Path(settings.BASE_DIR)
PO_FILE = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
MAKEMESSAGES = ["makemessages", "--locale", "en", "--ignore", ".venv/*", "--ignore", "var/*", "--ignore", "tests/*"]

DANISH_HEADING = "De fem kommunekontaktråd"
ENGLISH_HEADING = "The five local government contact councils (KKRs)"

# A named Python placeholder such as %(council)s or %(days)d.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")


def _compile_catalogue() -> None:
    """What `pybabel compile --domain django --directory locale --locale en` does, written atomically."""
    with PO_FILE.open("rb") as po:
        catalogue = read_po(po, locale="en", domain="django")
    partial = MO_FILE.with_name(f".{MO_FILE.name}.{os.getpid()}")
    with partial.open("wb") as mo:
        write_mo(mo, catalogue)
    partial.replace(MO_FILE)


@pytest.fixture(scope="session", autouse=True)
def english_catalogue() -> Path:
    """The compiled English catalogue, (re)built if missing or older than the .po."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        _compile_catalogue()
        # Forget any catalogue Django or gettext loaded before the .mo existed (as runserver's reloader does).
        translation_file_changed(sender=None, file_path=MO_FILE)
    return MO_FILE


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests activate a language for the thread; leave it as it was for the tests after these."""
    with translation.override(translation.get_language()):
        yield


def _entries(path: Path = PO_FILE):
    """(msgids, msgstrs) of every message but the header, each as a tuple (two of each for plurals)."""
    with path.open("rb") as po:
        catalogue = read_po(po)
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        yield message, tuple(ids), tuple(strings)


def _untranslated_and_fuzzy(path: Path = PO_FILE) -> tuple[list[str], list[str]]:
    untranslated, fuzzy = [], []
    for message, ids, strings in _entries(path):
        if not all(strings):
            untranslated.append(ids[0])
        if message.fuzzy:
            fuzzy.append(ids[0])
    return untranslated, fuzzy


# --- The portal in each language --------------------------------------------------------


@pytest.mark.django_db
def test_the_portal_is_danish_by_default(client):
    content = client.get(reverse("home")).content.decode()

    assert '<html lang="da">' in content
    assert DANISH_HEADING in content
    assert ENGLISH_HEADING not in content
    assert 'value="en" lang="en">English</button>' in content


def test_model_names_and_choices_are_translated_into_english():
    with translation.override("en"):
        assert str(Person._meta.verbose_name) == "person"
        assert str(Person._meta.verbose_name_plural) == "people"
        assert str(Appointment._meta.verbose_name) == "appointment"
        assert str(Seat._meta.verbose_name_plural) == "seats"
        assert str(Municipality._meta.verbose_name) == "municipality"
        assert str(Council._meta.verbose_name_plural) == "KKRs"
        assert str(Chairmanship.Role.CHAIR.label) == "chair"
        assert str(Chairmanship.Role.VICE_CHAIR.label) == "vice-chair"
        assert str(KKRMembership.Role.SUBSTITUTE.label) == "substitute"
        assert str(Appointment.Status.NOMINATED.label) == "nominated"
        assert str(Appointment._meta.get_field("seat").verbose_name) == "seat"

    with translation.override("da"):
        assert str(Appointment._meta.verbose_name) == "udpegning"
        assert str(Chairmanship.Role.CHAIR.label) == "formand"


@pytest.mark.django_db
def test_a_visitor_can_switch_the_portal_to_english_and_back(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"

    content = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in content
    assert ENGLISH_HEADING in content
    assert DANISH_HEADING not in content
    assert "Skip to main content" in content
    assert 'value="da" lang="da">Dansk</button>' in content

    client.post(reverse("set_language"), {"language": "da", "next": "/"})
    content = client.get(reverse("home")).content.decode()
    assert '<html lang="da">' in content
    assert DANISH_HEADING in content


@pytest.mark.django_db
def test_the_404_page_is_translated(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    response = client.get("/findes-ikke/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


# --- The catalogue ----------------------------------------------------------------------


def test_the_catalogue_header_is_english_utf8_with_two_plural_forms():
    with PO_FILE.open("rb") as po:
        catalogue = read_po(po)

    assert str(catalogue.locale) == "en"
    assert catalogue.charset.lower() == "utf-8"
    assert catalogue.plural_forms == "nplurals=2; plural=(n != 1);"
    assert not catalogue.fuzzy, "the header is still marked fuzzy"


def test_every_message_in_the_catalogue_is_translated_and_none_is_fuzzy():
    untranslated, fuzzy = _untranslated_and_fuzzy()

    assert len(list(_entries())) > 0
    assert untranslated == [], f"untranslated in {PO_FILE.relative_to(BASE_DIR)}: {untranslated}"
    assert fuzzy == [], f"fuzzy (check, then remove the flag) in {PO_FILE.relative_to(BASE_DIR)}: {fuzzy}"


def test_every_placeholder_of_a_msgid_is_kept_in_its_translation():
    problems = []
    for _message, ids, strings in _entries():
        # A plural's first form pairs with msgid, every other form with msgid_plural.
        for index, string in enumerate(strings):
            wanted = set(PLACEHOLDER.findall(ids[min(index, len(ids) - 1)]))
            found = set(PLACEHOLDER.findall(string))
            if wanted != found:
                problems.append((ids[0], sorted(wanted - found), sorted(found - wanted)))

    assert problems == [], "(msgid, placeholders dropped, placeholders unknown to the msgid): " + repr(problems)


def test_the_compiled_catalogue_is_used():
    assert MO_FILE.exists()
    with translation.override("en"):
        assert translation.gettext(DANISH_HEADING) == ENGLISH_HEADING


# --- Against the source, with GNU gettext (skipped where it is not installed) -----------


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext (msgfmt)")
def test_msgfmt_accepts_the_catalogue():
    result = subprocess.run(
        ["msgfmt", "--check", "--output-file", os.devnull, str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext, msgmerge)")
def test_every_translatable_string_in_the_source_is_in_the_catalogue(tmp_path):
    """makemessages on a copy of the project: a string added or changed in the code, but not yet
    translated, comes out untranslated or fuzzy, and fails here. The real catalogue is not touched.
    """
    copy = tmp_path / "project"
    skip = shutil.ignore_patterns(".venv", "var", ".git", "tests", "__pycache__", "*.mo", ".*_cache", "*.egg-info")
    shutil.copytree(BASE_DIR, copy, ignore=skip)

    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    untranslated, fuzzy = _untranslated_and_fuzzy(copy / PO_FILE.relative_to(BASE_DIR))
    hint = "run `make messages` and translate in locale/en/LC_MESSAGES/django.po"
    assert untranslated == [], f"no English translation yet ({hint}): {untranslated}"
    assert fuzzy == [], f"changed since translated, now fuzzy ({hint}): {fuzzy}"
