"""Load the facts KL's welcome folders state (seed_facts.toml): the 2022-2025 chairs and vice-chairs
of KKR Syddanmark and KKR Sjælland with their mayoralties, secretariat contacts, the fora and
agreements the folders name, and the 2006-2026 timeline. Running it twice changes nothing; a bad
file is refused with its file, line and field, and nothing is written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction

from agreements.models import Agreement, AgreementKind
from fora.models import Forum, ForumKind
from kkr_portal.datafiles import DATA_DIR, DataFileError, Row, read_toml, toml_rows
from kkr_portal.sync import SyncCounter, sync
from members.models import (
    Chairmanship,
    Council,
    CouncilSeat,
    ElectionPeriod,
    KKRMembership,
    Municipality,
    Party,
    Person,
    PolicyArea,
    SecretariatContact,
    TimelineEntry,
)

FILE_NAME = "seed_facts.toml"
TABLES = ("people", "chairmanships", "secretariat_contacts", "fora", "agreements", "timeline")
YEARS = re.compile(r"^(\d{4})-(\d{4})$")


def _sync_row(row: Row, model, counter: SyncCounter, *, defaults: dict[str, Any], **lookup: Any):
    try:
        return sync(model, counter, defaults=defaults, **lookup)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise row.error(None if field == "__all__" else field, " ".join(messages)) from None


def _only(row: Row, *fields: str) -> Row:
    """Refuse fields the loader does not know: a misspelt key would otherwise be ignored silently."""
    for key in row.values:
        if key not in fields:
            raise row.error(key, "ukendt felt")
    return row


def _text_list(row: Row, field: str, *, required: bool = True) -> list[str]:
    value = row.values.get(field)
    if value is None:
        if required:
            raise row.error(field, "mangler")
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise row.error(field, "skal være en liste af tekster")
    if required and not value:
        raise row.error(field, "listen er tom")
    return [item.strip() for item in value]


class Lookup:
    """Reference rows by their key, each miss reported on the row and field that named it."""

    def __init__(self) -> None:
        self.councils = {council.slug: council for council in Council.objects.all()}
        self.periods = {period.name: period for period in ElectionPeriod.objects.all()}
        self.municipalities = {m.name: m for m in Municipality.objects.select_related("council")}
        self.parties = {party.letter: party for party in Party.objects.filter(municipality__isnull=True)}
        self.areas = {area.slug: area for area in PolicyArea.objects.all()}
        self.forum_kinds = {kind.slug: kind for kind in ForumKind.objects.all()}
        self.agreement_kinds = {kind.slug: kind for kind in AgreementKind.objects.select_related("policy_area")}
        self.people: dict[str, Person] = {}
        if not self.councils or not self.periods:
            raise DataFileError(
                DATA_DIR / "reference.toml", None, None, "referencedata mangler: kør load_reference_data"
            )

    @staticmethod
    def _get(row: Row, field: str, table: dict, what: str, *, required: bool = True):
        key = row.text(field, required=required)
        if not key:
            return None
        if key not in table:
            raise row.error(field, f"ukendt {what} {key!r}")
        return table[key]

    def council(self, row: Row) -> Council:
        return self._get(row, "council", self.councils, "KKR")

    def period(self, row: Row) -> ElectionPeriod:
        return self._get(row, "period", self.periods, "valgperiode")

    def municipality(self, row: Row) -> Municipality:
        return self._get(row, "municipality", self.municipalities, "kommune")

    def party(self, row: Row) -> Party:
        return self._get(row, "party", self.parties, "partibogstav")

    def area(self, row: Row, *, required: bool = True) -> PolicyArea | None:
        return self._get(row, "policy_area", self.areas, "fagområde", required=required)

    def areas_of(self, row: Row) -> list[PolicyArea]:
        slugs = _text_list(row, "policy_areas", required=False)
        unknown = [slug for slug in slugs if slug not in self.areas]
        if unknown:
            raise row.error("policy_areas", f"ukendt fagområde {unknown[0]!r}")
        return [self.areas[slug] for slug in slugs]

    def forum_kind(self, row: Row) -> ForumKind:
        return self._get(row, "kind", self.forum_kinds, "forumtype")

    def agreement_kind(self, row: Row) -> AgreementKind:
        return self._get(row, "kind", self.agreement_kinds, "aftaletype")

    def person(self, row: Row) -> Person:
        return self._get(row, "person", self.people, "person (skal stå under [[people]])")


def _dates(row: Row, period: ElectionPeriod):
    """started_on/ended_on, by default the period's bounds (the folders give no dates)."""
    started_on = row.date("started_on", required=False) or period.starts_on
    ended_on = row.date("ended_on", required=False) or period.ends_on
    return started_on, ended_on


class Command(BaseCommand):
    help = (
        "Indlæser fakta fra KL's velkomstfoldere (idempotent): formandskaber, sekretariater, fora, aftaler, tidslinje."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(DATA_DIR), help="Mappe med seed_facts.toml (til test).")

    @transaction.atomic
    def handle(self, *args, data_dir: str, **options):
        path = Path(data_dir) / FILE_NAME
        document = read_toml(path)
        for key in document:
            if key != "__text__" and key not in TABLES:
                raise DataFileError(path, None, key, "ukendt tabel")
        rows = {table: toml_rows(path, document, table) for table in TABLES}
        lookup = Lookup()
        counter = SyncCounter()
        self.load_people(rows["people"], lookup, counter)
        self.load_chairmanships(rows["chairmanships"], lookup, counter)
        self.load_contacts(rows["secretariat_contacts"], lookup, counter)
        self.load_fora(rows["fora"], lookup, counter)
        self.load_agreements(rows["agreements"], lookup, counter)
        self.load_timeline(rows["timeline"], counter)
        self.stdout.write(f"Fakta fra velkomstfolderne: {counter.summary()}.")

    def load_people(self, rows: list[Row], lookup: Lookup, counter: SyncCounter) -> None:
        for row in rows:
            _only(
                row, "slug", "name", "sort_name", "party", "municipality", "office", "period", "started_on", "ended_on"
            )
            slug = row.text("slug")
            if slug in lookup.people:
                raise row.error("slug", f"personen {slug!r} står to gange")
            person = _sync_row(
                row,
                Person,
                counter,
                slug=slug,
                defaults={"name": row.text("name"), "sort_name": row.text("sort_name"), "party": lookup.party(row)},
            )
            lookup.people[slug] = person
            municipality = lookup.municipality(row)
            period = lookup.period(row)
            office = row.choice("office", CouncilSeat.Role.values)
            started_on, ended_on = _dates(row, period)
            seat = _sync_row(
                row,
                CouncilSeat,
                counter,
                person=person,
                municipality=municipality,
                period=period,
                role=office,
                defaults={"started_on": started_on, "ended_on": ended_on},
            )
            if office == CouncilSeat.Role.MAYOR:
                # The mayoralty's ex officio membership (selvskrevent medlem), as add_council_seat makes it.
                _sync_row(
                    row,
                    KKRMembership,
                    counter,
                    mayoralty=seat,
                    defaults={
                        "person": person,
                        "council": municipality.council,
                        "period": period,
                        "basis": KKRMembership.Basis.EX_OFFICIO,
                        "role": KKRMembership.Role.MEMBER,
                        "started_on": started_on,
                        "ended_on": ended_on,
                    },
                )

    def load_chairmanships(self, rows: list[Row], lookup: Lookup, counter: SyncCounter) -> None:
        for row in rows:
            _only(row, "council", "period", "role", "person", "started_on", "ended_on")
            council = lookup.council(row)
            period = lookup.period(row)
            started_on, ended_on = _dates(row, period)
            _sync_row(
                row,
                Chairmanship,
                counter,
                council=council,
                period=period,
                role=row.choice("role", Chairmanship.Role.values),
                person=lookup.person(row),
                defaults={"started_on": started_on, "ended_on": ended_on},
            )

    def load_contacts(self, rows: list[Row], lookup: Lookup, counter: SyncCounter) -> None:
        positions: dict[int, int] = {}
        for row in rows:
            _only(row, "council", "kind", "unit", "name", "title", "phone", "email", "policy_area")
            council = lookup.council(row)
            kind = row.choice("kind", SecretariatContact.Kind.values)
            name = row.text("name", required=kind == SecretariatContact.Kind.KKR_SECRETARIAT)
            positions[council.pk] = positions.get(council.pk, 0) + 1
            _sync_row(
                row,
                SecretariatContact,
                counter,
                council=council,
                unit=row.text("unit"),
                name=name,
                defaults={
                    "kind": kind,
                    "title": row.text("title", required=bool(name)),
                    "phone": row.text("phone", required=False),
                    "email": row.text("email", required=False),
                    "policy_area": lookup.area(row, required=False),
                    "position": positions[council.pk],
                },
            )

    def load_fora(self, rows: list[Row], lookup: Lookup, counter: SyncCounter) -> None:
        for row in rows:
            _only(row, "council", "slug", "name", "kind", "basis", "policy_areas", "description", "website")
            areas = lookup.areas_of(row)
            counted = SyncCounter()
            forum = _sync_row(
                row,
                Forum,
                counted,
                slug=row.text("slug"),
                defaults={
                    "council": lookup.council(row),
                    "kind": lookup.forum_kind(row),
                    "name": row.text("name"),
                    "basis": row.choice("basis", Forum.Basis.values),
                    "description": row.text("description", required=False),
                    "website": row.text("website", required=False),
                },
            )
            if set(forum.policy_areas.all()) != set(areas):
                forum.policy_areas.set(areas)
                if counted["unchanged"]:
                    # The row was unchanged but its policy areas were not: it counts as updated.
                    counted = SyncCounter(updated=1)
            counter.update(counted)

    def load_agreements(self, rows: list[Row], lookup: Lookup, counter: SyncCounter) -> None:
        for row in rows:
            _only(row, "council", "kind", "title", "counterpart", "valid_from", "valid_to", "description")
            kind = lookup.agreement_kind(row)
            _sync_row(
                row,
                Agreement,
                counter,
                council=lookup.council(row),
                kind=kind,
                counterpart=row.text("counterpart"),
                cycle=1,
                defaults={
                    "title": row.text("title"),
                    "policy_area": kind.policy_area,
                    "valid_from": row.date("valid_from"),
                    "valid_to": row.date("valid_to", required=False),
                    # How often it recurs is the kind's (recurrence is data, in reference.toml).
                    "recurrence_months": kind.recurrence_months,
                    "description": row.text("description", required=False),
                },
            )

    def load_timeline(self, rows: list[Row], counter: SyncCounter) -> None:
        position = 0
        for row in rows:
            _only(row, "period", "titles")
            label = row.text("period")
            match = YEARS.match(label)
            if match is None:
                raise row.error("period", f"skal være »ÅÅÅÅ-ÅÅÅÅ«, ikke {label!r}")
            starts_year, ends_year = int(match.group(1)), int(match.group(2))
            for title in _text_list(row, "titles"):
                position += 1
                _sync_row(
                    row,
                    TimelineEntry,
                    counter,
                    period_label=label,
                    title=title,
                    defaults={"starts_year": starts_year, "ends_year": ends_year, "position": position},
                )
