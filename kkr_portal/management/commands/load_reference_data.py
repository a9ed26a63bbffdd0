"""Load the reference data: periods, the five KKRs, 98 municipalities, parties, policy areas,
forum kinds, agreement kinds and default reminder rules. Running it twice changes nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from agreements.models import AgreementKind
from fora.models import ForumKind
from kkr_portal.datafiles import DATA_DIR, DataFileError, Row, read_csv, read_toml, toml_rows
from kkr_portal.sync import SyncCounter, sync
from members.models import Council, ElectionPeriod, Municipality, Party, PolicyArea
from reminders.models import ReminderKind, ReminderRule


def council_slug(kkr_name: str) -> str:
    """``KKR Sjælland`` → ``sjaelland`` (Danish letters spelled out, as in KL's own URLs)."""
    name = kkr_name.removeprefix("KKR ").lower()
    return slugify(name.replace("æ", "ae").replace("ø", "oe").replace("å", "aa"))


def danish_slug(text: str) -> str:
    return slugify(text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa"))


class Command(BaseCommand):
    help = "Indlæser referencedata (idempotent): valgperioder, KKR'er, kommuner, partier, fagområder m.m."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(DATA_DIR), help="Mappe med datafilerne (til test).")
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="Opret kun manglende rækker; ret ikke i rækker, som allerede findes (til drift).",
        )

    @transaction.atomic
    def handle(self, *args, data_dir: str, keep_existing: bool = False, **options):
        self.keep_existing = keep_existing
        directory = Path(data_dir)
        counter = SyncCounter()
        self.load_periods_and_areas(directory, counter)
        councils = self.load_regions(directory, counter)
        self.load_municipalities(directory, councils, counter)
        self.load_parties(directory, counter)
        self.load_kinds_and_rules(directory, counter)
        self.stdout.write(f"Referencedata: {counter.summary()}.")

    def _sync_row(self, row: Row, model, counter, *, defaults, **lookup):
        try:
            return sync(model, counter, defaults=defaults, keep_existing=self.keep_existing, **lookup)
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            raise row.error(None if field == NON_FIELD_ERRORS else field, " ".join(messages)) from None

    def load_periods_and_areas(self, directory, counter) -> None:
        path = directory / "reference.toml"
        document = read_toml(path)
        for row in toml_rows(path, document, "periods"):
            self._sync_row(
                row,
                ElectionPeriod,
                counter,
                name=row.text("name"),
                defaults={
                    "starts_on": row.date("starts_on"),
                    "ends_on": row.date("ends_on"),
                    "election_day": row.date("election_day", required=False),
                },
            )
        for position, row in enumerate(toml_rows(path, document, "policy_areas"), start=1):
            self._sync_row(
                row,
                PolicyArea,
                counter,
                slug=row.text("slug"),
                defaults={"name": row.text("name"), "description": row.text("description"), "position": position},
            )

    def load_regions(self, directory, counter) -> dict[int, tuple[Council, int]]:
        rows = read_csv(directory / "regions.csv", ["region_code", "region_name", "kkr_name", "municipality_count"])
        councils = {}
        for row in rows:
            code = row.integer("region_code", minimum=1081, maximum=1085)
            if code in councils:
                raise row.error("region_code", f"regionskoden {code} står to gange")
            council = self._sync_row(
                row,
                Council,
                counter,
                region_code=code,
                defaults={
                    "name": row.text("kkr_name"),
                    "slug": council_slug(row.text("kkr_name")),
                    "region_name": row.text("region_name"),
                },
            )
            councils[code] = (council, row.integer("municipality_count", minimum=1, maximum=99))
        if len(councils) != 5:
            raise DataFileError(
                directory / "regions.csv", None, None, f"der skal være 5 regioner, ikke {len(councils)}"
            )
        return councils

    def load_municipalities(self, directory, councils, counter) -> None:
        path = directory / "municipalities.csv"
        rows = read_csv(path, ["municipality_code", "short_name", "official_name", "region_code"])
        per_region: dict[int, int] = dict.fromkeys(councils, 0)
        seen: set[int] = set()
        for row in rows:
            code = row.integer("municipality_code", minimum=101, maximum=999)
            if code in seen:
                raise row.error("municipality_code", f"kommunekoden {code} står to gange")
            seen.add(code)
            region_code = row.integer("region_code")
            if region_code not in councils:
                raise row.error("region_code", f"ukendt regionskode {region_code}")
            per_region[region_code] += 1
            name = row.text("short_name")
            self._sync_row(
                row,
                Municipality,
                counter,
                code=code,
                defaults={
                    "name": name,
                    "official_name": row.text("official_name"),
                    "slug": danish_slug(name),
                    "council": councils[region_code][0],
                },
            )
        for region_code, (council, expected) in councils.items():
            if per_region[region_code] != expected:
                raise DataFileError(
                    path,
                    None,
                    "region_code",
                    f"{council} skal have {expected} kommuner, filen giver {per_region[region_code]}",
                )

    def load_parties(self, directory, counter) -> None:
        rows = read_csv(directory / "parties.csv", ["letter", "name", "short_name", "kind"])
        kinds = {"national": Party.Kind.NATIONAL, "minority": Party.Kind.MINORITY}
        for row in rows:
            self._sync_row(
                row,
                Party,
                counter,
                letter=row.text("letter"),
                municipality=None,
                defaults={
                    "name": row.text("name"),
                    "short_name": row.text("short_name"),
                    "kind": kinds[row.choice("kind", kinds)],
                },
            )

    def load_kinds_and_rules(self, directory, counter) -> None:
        path = directory / "reference.toml"
        document = read_toml(path)
        areas = {area.slug: area for area in PolicyArea.objects.all()}

        def area(row: Row) -> PolicyArea:
            slug = row.text("policy_area")
            if slug not in areas:
                raise row.error("policy_area", f"ukendt fagområde {slug!r}")
            return areas[slug]

        for position, row in enumerate(toml_rows(path, document, "forum_kinds"), start=1):
            self._sync_row(
                row,
                ForumKind,
                counter,
                slug=row.text("slug"),
                defaults={
                    "name": row.text("name"),
                    "description": row.text("description", required=False),
                    "position": position,
                },
            )
        for row in toml_rows(path, document, "agreement_kinds"):
            months = row.integer("recurrence_months", minimum=0, maximum=120)
            self._sync_row(
                row,
                AgreementKind,
                counter,
                slug=row.text("slug"),
                defaults={
                    "name": row.text("name"),
                    "description": row.text("description", required=False),
                    "policy_area": area(row),
                    "recurrence_months": months or None,
                    "once_per_period": row.boolean("once_per_period"),
                },
            )
        for row in toml_rows(path, document, "reminder_rules"):
            self._sync_row(
                row,
                ReminderRule,
                counter,
                kind=row.choice("kind", ReminderKind.values),
                days_before=row.integer("days_before", minimum=1, maximum=365),
                audience=row.choice("audience", ReminderRule.Audience.values),
                defaults={},
            )
