"""Reading an election result file: votes per party (or local list) per municipality of one region.

Columns (headings matched without regard to case): ``Kommune`` (the kommunekode, e.g. 461 or
0461, or the name), ``Parti`` (the ballot letter or the name; a local list is looked up among the
lists of that municipality) and ``Stemmer`` (a whole number; ``1.234`` is read as 1234). Every row
is checked before anything is written, and every problem is reported by row and column; a file
with one bad row is refused as a whole.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import tablib
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kkr_portal.admin_io import FORMATS, read_error_message
from members.models import Council, Municipality, Party

MUNICIPALITY = gettext_lazy("Kommune")
PARTY = gettext_lazy("Parti")
VOTES = gettext_lazy("Stemmer")
COLUMNS = (MUNICIPALITY, PARTY, VOTES)
COLUMN_HELP = (
    (MUNICIPALITY, gettext_lazy("Kommunekoden (fx 461) eller kommunens navn (fx Odense).")),
    (PARTY, gettext_lazy("Partiets bogstav (fx V) eller navn; en lokalliste med det bogstav, den har i kommunen.")),
    (VOTES, gettext_lazy("Partiets eller listens stemmetal i kommunen, et helt tal.")),
)


@dataclass(frozen=True)
class VoteRow:
    number: int  # the spreadsheet row (the headings are row 1)
    municipality: Municipality
    party: Party
    votes: int


@dataclass
class ReadResult:
    rows: list[VoteRow] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)

    def problem(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append({"row": row, "column": column, "message": message})

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    def per_party(self) -> list[tuple[Party, int]]:
        totals: dict[Party, int] = defaultdict(int)
        for row in self.rows:
            totals[row.party] += row.votes
        return sorted(totals.items(), key=lambda item: (-item[1], str(item[0])))

    def per_municipality(self) -> list[tuple[Municipality, int, int]]:
        """Each municipality with its number of rows and its votes."""
        totals: dict[Municipality, list[int]] = defaultdict(lambda: [0, 0])
        for row in self.rows:
            totals[row.municipality][0] += 1
            totals[row.municipality][1] += row.votes
        return sorted(((m, n, v) for m, (n, v) in totals.items()), key=lambda item: item[0].name)


def format_for(file_name: str):
    """The file format for a name ending in .csv or .xlsx, or None."""
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return next((f for f in FORMATS if f().get_extension() == extension), None)


def read_dataset(content: bytes, file_name: str) -> tablib.Dataset:
    """The file as a table; raises ValueError with a Danish message if it cannot be read."""
    file_format = format_for(file_name)
    if file_format is None:
        raise ValueError(_("Filen skal være en CSV-fil (.csv) eller en Excel-fil (.xlsx)."))
    try:
        return file_format().create_dataset(content)
    except Exception as error:  # every unreadable file gets a message, never a 500
        raise ValueError(read_error_message(error)) from error


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _votes(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if re.fullmatch(r"-?\d{1,9}", text):
        return int(text)
    if re.fullmatch(r"\d{1,3}([. ]\d{3}){1,2}", text):  # 1.234 or 1 234: Danish thousands
        return int(re.sub(r"[. ]", "", text))
    return None


class _Lookup:
    """The region's municipalities and parties, read once, found by what a file may say."""

    def __init__(self, council: Council) -> None:
        self.council = council
        municipalities = list(Municipality.objects.filter(council=council))
        self.municipalities = municipalities
        self.by_municipality: dict[str, Municipality] = {}
        for municipality in municipalities:
            for key in (
                str(municipality.code),
                municipality.padded_code,
                municipality.name,
                municipality.official_name,
            ):
                self.by_municipality[key.casefold()] = municipality
        parties = list(
            Party.objects.filter(municipality__isnull=True) | Party.objects.filter(municipality__in=municipalities)
        )
        self.national: dict[str, Party] = {}
        self.local: dict[tuple[int, str], Party] = {}
        for party in parties:
            keys = [party.name, party.short_name, *([party.letter] if party.letter else [])]
            for key in keys:
                if party.municipality_id is None:
                    self.national[key.casefold()] = party
                else:
                    self.local[(party.municipality_id, key.casefold())] = party

    def municipality(self, text: str) -> Municipality | None:
        key = text.casefold()
        if key.isdigit():
            key = str(int(key))
        return self.by_municipality.get(key) or self.by_municipality.get(text.casefold())

    def party(self, text: str, municipality: Municipality | None) -> Party | None:
        key = text.casefold()
        if municipality is not None and (municipality.pk, key) in self.local:
            return self.local[(municipality.pk, key)]
        return self.national.get(key)


def read_votes(dataset: tablib.Dataset, council: Council) -> ReadResult:
    """Every row checked; ``problems`` lists what is wrong by row and column."""
    result = ReadResult()
    known = {str(column).casefold(): str(column) for column in COLUMNS}
    headers = [known.get(_text(header).casefold(), _text(header)) for header in dataset.headers or []]
    columns = [str(column) for column in COLUMNS]
    missing = [column for column in columns if column not in headers]
    unknown = [header for header in headers if header not in columns]
    duplicated = sorted({header for header in headers if headers.count(header) > 1})
    if missing:
        result.problem(_("Kolonnen mangler: %(columns)s.") % {"columns": ", ".join(f"»{c}«" for c in missing)})
    if unknown:
        named = [f"»{column}«" if column else _("en kolonne uden overskrift") for column in unknown]
        result.problem(_("Ukendt kolonne: %(columns)s.") % {"columns": ", ".join(named)})
    if duplicated:
        result.problem(_("Kolonnen står flere gange: %(columns)s.") % {"columns": ", ".join(duplicated)})
    if result.problems:
        result.problem(_("Kolonnerne er: %(columns)s.") % {"columns": ", ".join(columns)})
        return result

    lookup = _Lookup(council)
    seen: dict[tuple[int, int], int] = {}
    municipality_column, party_column, votes_column = columns
    for number, values in enumerate(dataset, start=2):
        row = dict(zip(headers, values, strict=True))
        municipality_text = _text(row[municipality_column])
        municipality = lookup.municipality(municipality_text) if municipality_text else None
        if not municipality_text:
            result.problem(_("Skriv kommunens kode eller navn."), number, municipality_column)
        elif municipality is None:
            result.problem(
                _("»%(value)s« er ikke en kommune i %(council)s.") % {"value": municipality_text, "council": council},
                number,
                municipality_column,
            )
        party_text = _text(row[party_column])
        party = lookup.party(party_text, municipality) if party_text else None
        if not party_text:
            result.problem(_("Skriv partiets bogstav eller navn."), number, party_column)
        elif party is None:
            result.problem(
                _(
                    "»%(value)s« er hverken et landsparti eller en lokalliste i kommunen. En ny lokalliste "
                    "oprettes af KL's administrator under Partier."
                )
                % {"value": party_text},
                number,
                party_column,
            )
        raw_votes = row[votes_column]
        votes = _votes(raw_votes)
        if _text(raw_votes) == "":
            result.problem(_("Skriv stemmetallet."), number, votes_column)
        elif votes is None:
            result.problem(_("»%(value)s« er ikke et helt tal.") % {"value": _text(raw_votes)}, number, votes_column)
        elif votes < 0:
            result.problem(_("Stemmetallet kan ikke være negativt."), number, votes_column)
        if municipality is None or party is None or votes is None or votes < 0:
            continue
        earlier = seen.get((municipality.pk, party.pk))
        if earlier is not None:
            result.problem(
                _("%(party)s står allerede i række %(row)s for %(municipality)s.")
                % {"party": party, "row": earlier, "municipality": municipality},
                number,
                party_column,
            )
            continue
        seen[(municipality.pk, party.pk)] = number
        result.rows.append(VoteRow(number, municipality, party, votes))

    if not result.problems:
        covered = {row.municipality.pk for row in result.rows}
        absent = sorted(m.name for m in lookup.municipalities if m.pk not in covered)
        if absent:
            result.problem(
                _("Filen har ingen stemmetal for %(municipalities)s. Et valgresultat dækker hele regionen.")
                % {"municipalities": ", ".join(absent)}
            )
    result.problems.sort(key=lambda problem: problem["row"] or 0)
    return result
