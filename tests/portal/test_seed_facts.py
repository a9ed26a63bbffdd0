"""The welcome folders' facts: who chaired what, contacts, fora, agreements, the timeline; and bad files."""

from __future__ import annotations

import datetime as dt
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agreements.models import Agreement
from fora.models import Forum
from kkr_portal.datafiles import DATA_DIR
from members.models import (
    Chairmanship,
    CouncilSeat,
    KKRMembership,
    Person,
    SecretariatContact,
    TimelineEntry,
)

pytestmark = pytest.mark.django_db

START, END = dt.date(2022, 1, 1), dt.date(2025, 12, 31)


def _load(**options) -> str:
    out = StringIO()
    call_command("load_seed_facts", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seed_facts(db) -> str:
    return _load()


def _copy_data(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _line_of(text: str, block: str, *, last: bool = False) -> int:
    """The 1-based line on which ``block`` begins."""
    index = text.rindex(block) if last else text.index(block)
    return text.count("\n", 0, index) + 1


def _refused(directory) -> str:
    with pytest.raises(CommandError) as error:
        _load(data_dir=str(directory))
    return str(error.value)


@pytest.mark.usefixtures("seed_facts")
def test_the_mayors_of_middelfart_and_assens_chaired_kkr_syddanmark_in_2022_2025(syddanmark, period_2022):
    posts = Chairmanship.objects.filter(council=syddanmark, period=period_2022).select_related(
        "person__party", "person"
    )
    described = {
        post.role: (
            post.person.name,
            post.person.party.letter,
            post.person.council_seats.get(period=period_2022, role=CouncilSeat.Role.MAYOR).municipality.name,
            post.started_on,
            post.ended_on,
        )
        for post in posts
    }
    assert described == {
        "chair": ("Johannes Lundsfryd Jensen", "A", "Middelfart", START, END),
        "vice_chair": ("Søren Steen Andersen", "V", "Assens", START, END),
    }


@pytest.mark.usefixtures("seed_facts")
def test_the_mayors_of_vordingborg_and_greve_chaired_kkr_sjaelland_in_2022_2025(sjaelland, period_2022):
    posts = Chairmanship.objects.filter(council=sjaelland, period=period_2022)
    described = {
        post.role: (
            post.person.name,
            post.person.party.letter,
            post.person.council_seats.get(period=period_2022, role=CouncilSeat.Role.MAYOR).municipality.name,
        )
        for post in posts
    }
    assert described == {
        "chair": ("Mikael Smed", "A", "Vordingborg"),
        "vice_chair": ("Pernille Beckmann", "V", "Greve"),
    }


@pytest.mark.usefixtures("seed_facts")
def test_each_seed_chair_is_a_voting_member_through_the_mayoralty_for_the_whole_period(period_2022):
    person = Person.objects.get(slug="johannes-lundsfryd-jensen")
    assert person.sort_name == "Jensen, Johannes Lundsfryd"
    seat = person.council_seats.get()
    assert (seat.role, seat.period, seat.started_on, seat.ended_on) == ("mayor", period_2022, START, END)
    membership = KKRMembership.objects.get(person=person)
    assert (membership.basis, membership.mayoralty, membership.council.slug, membership.has_vote) == (
        "ex_officio",
        seat,
        "syddanmark",
        True,
    )
    assert (membership.started_on, membership.ended_on) == (START, END)
    assert KKRMembership.objects.filter(period=period_2022).count() == 4


@pytest.mark.usefixtures("seed_facts")
def test_the_kkr_secretariats_and_the_joint_secretariats(syddanmark, sjaelland):
    kkr = SecretariatContact.objects.filter(kind="kkr").order_by("council__name", "position")
    assert [(c.council.slug, c.name, c.title, c.phone, c.email) for c in kkr] == [
        # As the folders print them (»4132 4706«, »JEBJ@kl.dk«), stored in the portal's one form.
        ("sjaelland", "Jesper Bøjer Jensen", "chefkonsulent", "41 32 47 06", "jebj@kl.dk"),
        ("sjaelland", "Anne Andersen", "specialkonsulent", "21 38 56 19", "adr@kl.dk"),
        ("syddanmark", "Birgitte Lambrechtsen", "chefkonsulent", "23 83 20 28", "bel@kl.dk"),
        ("syddanmark", "Susanne Hartvig", "specialkonsulent", "53 76 36 83", "suha@kl.dk"),
    ]
    joint = SecretariatContact.objects.filter(kind="joint")
    assert all(contact.name == "" for contact in joint)
    assert joint.filter(council=syddanmark).count() == 3
    assert joint.filter(council=sjaelland).count() == 5
    assert joint.get(council=syddanmark, unit__contains="klimakoordinator").policy_area.slug == "klima-og-miljoe"
    assert joint.get(council=sjaelland, unit__contains="beskæftigelse").policy_area.slug == "vaekst-og-beskaeftigelse"
    assert joint.get(council=sjaelland, unit__contains="Greater Copenhagen").policy_area is None


@pytest.mark.usefixtures("seed_facts")
def test_the_business_hubs_and_danmarks_erhvervsfremmebestyrelse_are_fora_of_both_kkrs():
    fora = Forum.objects.order_by("council__name", "name")
    assert [(forum.council.slug, forum.name, forum.kind.slug, forum.basis) for forum in fora] == [
        ("sjaelland", "Danmarks Erhvervsfremmebestyrelse", "erhvervsfremmebestyrelse", "statutory"),
        ("sjaelland", "Erhvervshus Sjælland", "erhvervshus", "statutory"),
        ("syddanmark", "Danmarks Erhvervsfremmebestyrelse", "erhvervsfremmebestyrelse", "statutory"),
        ("syddanmark", "Erhvervshus Fyn", "erhvervshus", "statutory"),
        ("syddanmark", "Erhvervshus Sydjylland", "erhvervshus", "statutory"),
    ]
    assert Forum.objects.get(slug="erhvervshus-fyn").policy_areas.get().slug == "vaekst-og-beskaeftigelse"


@pytest.mark.usefixtures("seed_facts")
def test_the_agreements_recur_as_the_folders_say(syddanmark, sjaelland):
    recurrence = {
        (agreement.kind.slug, agreement.counterpart): agreement.recurrence_months
        for agreement in Agreement.objects.filter(council=syddanmark)
    }
    assert recurrence == {
        ("sundhedsaftale", "Region Syddanmark"): 48,
        ("praksisplan", "Region Syddanmark"): 48,
        ("rammeaftale", "Region Syddanmark"): 24,
        ("resultatkontrakt", "Erhvervshus Sydjylland"): 12,
        ("resultatkontrakt", "Erhvervshus Fyn"): 12,
        ("praktikpladser", "Kommunerne i KKR Syddanmark"): 12,
        ("dk2020", "Realdania og Region Syddanmark"): None,
    }
    sjaelland_agreements = Agreement.objects.filter(council=sjaelland)
    assert sjaelland_agreements.count() == 6
    assert sjaelland_agreements.get(kind__slug="resultatkontrakt").counterpart == "Erhvervshus Sjælland"
    assert all(
        a.kind.once_per_period for a in Agreement.objects.filter(kind__slug__in=["sundhedsaftale", "praksisplan"])
    )
    assert set(Agreement.objects.values_list("valid_from", "cycle", "closed_on")) == {(dt.date(2026, 1, 1), 1, None)}
    assert not any(agreement.milestones.exists() for agreement in Agreement.objects.all())


@pytest.mark.usefixtures("seed_facts")
def test_the_timeline_holds_the_folders_fourteen_steps_in_their_order():
    entries = list(TimelineEntry.objects.all())
    assert len(entries) == 14
    assert [(entry.period_label, entry.title) for entry in entries][:3] == [
        ("2006-2007", "Socialområdet"),
        ("2006-2007", "Erhvervsområdet (væksthuse)"),
        ("2006-2007", "Kollektiv trafik (Trafikselskaber)"),
    ]
    assert [entry.title for entry in entries if entry.period_label == "2014-2018"] == [
        "Beskæftigelsesfremme",
        "Etablering af ny beredskabsstruktur",
        "Etablering af business regions",
        "Regionale forhandlinger med regioner og PLO om sundhedsydelser",
    ]
    assert entries[-1].period_label == "2022-2026"
    assert entries[-1].title == "Sundhedsklynger"
    assert (entries[-1].starts_year, entries[-1].ends_year) == (2022, 2026)
    assert [entry.period_label for entry in entries] == sorted(entry.period_label for entry in entries)


def test_loading_the_seed_facts_twice_changes_nothing(seed_facts):
    assert "60 oprettet, 0 opdateret" in seed_facts
    assert _load() == "Fakta fra velkomstfolderne: 0 oprettet, 0 opdateret, 60 uændret.\n"


def test_a_corrected_fact_is_updated_in_place(seed_facts, tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "seed_facts.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('phone = "2383 2028"', 'phone = "2383 2029"'))

    assert "0 oprettet, 1 opdateret" in _load(data_dir=str(directory))
    assert SecretariatContact.objects.get(name="Birgitte Lambrechtsen").phone == "23 83 20 29"


def test_the_same_fact_written_another_way_is_no_change(seed_facts, tmp_path):
    """The stored forms are compared, not the file's spelling: a number with +45 and an address
    in capitals are the same number and address, so a second load updates nothing."""
    directory = _copy_data(tmp_path)
    path = directory / "seed_facts.toml"
    facts = path.read_text(encoding="utf-8").replace('phone = "2383 2028"', 'phone = "+45 23 83 20 28"')
    path.write_text(facts.replace('"BEL@kl.dk"', '"Bel@KL.dk"'))

    assert "0 oprettet, 0 opdateret" in _load(data_dir=str(directory))


def test_an_incomplete_entry_is_refused_with_file_line_and_field_and_nothing_is_written(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "seed_facts.toml"
    text = path.read_text(encoding="utf-8").replace('name = "Mikael Smed"\n', "", 1)
    path.write_text(text, encoding="utf-8")
    header = _line_of(text, '[[people]]\nslug = "mikael-smed"')

    message = _refused(directory)

    assert message == f"seed_facts.toml, linje {header}, felt »name«: mangler"
    assert not Person.objects.exists()
    assert not Chairmanship.objects.exists()


def test_a_malformed_value_is_refused_after_good_rows_and_nothing_is_written(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "seed_facts.toml"
    head, _, tail = path.read_text(encoding="utf-8").rpartition("valid_from = 2026-01-01")
    text = f'{head}valid_from = "første januar"{tail}'
    path.write_text(text, encoding="utf-8")
    header = _line_of(text, "[[agreements]]", last=True)

    message = _refused(directory)

    assert message.startswith(f"seed_facts.toml, linje {header}, felt »valid_from«: er ikke en gyldig dato")
    assert not Agreement.objects.exists()
    assert not Person.objects.exists()


def test_unknown_fields_parties_and_toml_errors_are_refused(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "seed_facts.toml"
    original = path.read_text(encoding="utf-8")

    path.write_text(original.replace('office = "mayor"', 'ofice = "mayor"', 1), encoding="utf-8")
    assert "felt »ofice«: ukendt felt" in _refused(directory)

    path.write_text(original.replace('party = "V"', 'party = "X"', 1), encoding="utf-8")
    assert "felt »party«: ukendt partibogstav 'X'" in _refused(directory)

    path.write_text(original.replace("[[timeline]]", "[[timeline]\n", 1), encoding="utf-8")
    message = _refused(directory)
    assert message.startswith("seed_facts.toml, linje ")

    assert not Person.objects.exists()


def test_a_fact_that_breaks_a_rule_is_refused_on_its_line(tmp_path):
    directory = _copy_data(tmp_path)
    path = directory / "seed_facts.toml"
    # Pernille Beckmann as mayor of Odense would not be a member of KKR Sjælland, so not its vice-chair.
    text = path.read_text(encoding="utf-8").replace('municipality = "Greve"', 'municipality = "Odense"')
    path.write_text(text, encoding="utf-8")
    header = _line_of(text, '[[chairmanships]]\ncouncil = "sjaelland"\nperiod = "2022-2025"\nrole = "vice_chair"')

    message = _refused(directory)

    assert message.startswith(f"seed_facts.toml, linje {header}, felt »person«: Formand og næstformand skal")
    assert not Chairmanship.objects.exists()
