"""Reading the portal's data files strictly: a bad file is refused with its file, line and field."""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

DATA_DIR = Path(__file__).resolve().parent / "data"


class DataFileError(CommandError):
    def __init__(self, path: Path, line: int | None, field: str | None, message: str) -> None:
        where = f"{path.name}"
        if line is not None:
            where += f", linje {line}"
        if field:
            where += f", felt »{field}«"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Row:
    """One record of a data file, which knows where it came from."""

    path: Path
    line: int
    values: dict[str, Any]

    def error(self, field: str | None, message: str) -> DataFileError:
        return DataFileError(self.path, self.line, field, message)

    def text(self, field: str, *, required: bool = True) -> str:
        value = self.values.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.error(field, "mangler")
            return ""
        if not isinstance(value, str):
            raise self.error(field, f"skal være tekst, ikke {value!r}")
        return value.strip()

    def integer(self, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        raw = self.values.get(field)
        if raw is None or raw == "":
            raise self.error(field, "mangler")
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise self.error(field, f"skal være et heltal, ikke {raw!r}") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.error(field, f"{value} ligger uden for {minimum}-{maximum}")
        return value

    def date(self, field: str, *, required: bool = True) -> dt.date | None:
        raw = self.values.get(field)
        if raw in (None, ""):
            if required:
                raise self.error(field, "mangler")
            return None
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return raw
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise self.error(field, f"er ikke en gyldig dato (ÅÅÅÅ-MM-DD): {raw!r}") from None

    def boolean(self, field: str, *, default: bool = False) -> bool:
        raw = self.values.get(field, default)
        if isinstance(raw, bool):
            return raw
        raise self.error(field, f"skal være true eller false, ikke {raw!r}")

    def choice(self, field: str, choices) -> str:
        value = self.text(field)
        allowed = [str(choice) for choice in choices]
        if value not in allowed:
            raise self.error(field, f"{value!r} er ikke en af {', '.join(allowed)}")
        return value


def read_csv(path: Path, columns: list[str]) -> list[Row]:
    """All rows of a UTF-8 CSV file that has exactly the expected header."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, None, None, "filen findes ikke") from None
    except UnicodeDecodeError as error:
        raise DataFileError(path, None, None, f"er ikke UTF-8 ({error.reason})") from None
    reader = csv.DictReader(text.splitlines(), strict=True)
    if reader.fieldnames is None:
        raise DataFileError(path, 1, None, "filen er tom")
    missing = [column for column in columns if column not in reader.fieldnames]
    if missing:
        raise DataFileError(path, 1, missing[0], "kolonnen mangler i overskriften")
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record or any(value is None for value in record.values()):
                raise DataFileError(path, line, None, "forkert antal felter")
            rows.append(Row(path, line, record))
    except csv.Error as error:
        raise DataFileError(path, reader.line_num, None, str(error)) from None
    if not rows:
        raise DataFileError(path, 2, None, "filen har ingen rækker")
    return rows


def read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, None, None, "filen findes ikke") from None
    try:
        return tomllib.loads(text) | {"__text__": text}
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise DataFileError(path, int(match.group(1)) if match else None, None, str(error)) from None


def toml_rows(path: Path, document: dict[str, Any], table: str, *, required: bool = True) -> list[Row]:
    """The entries of an array of tables (``[[table]]``), each with the line of its header."""
    entries = document.get(table)
    if entries is None:
        if required:
            raise DataFileError(path, None, table, "tabellen mangler")
        return []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise DataFileError(path, None, table, "skal være en liste af [[tabeller]]")
    header = re.compile(rf"^[ \t]*\[\[[ \t]*{re.escape(table)}[ \t]*\]\]", re.MULTILINE)
    text = document["__text__"]
    lines = [text.count("\n", 0, match.start()) + 1 for match in header.finditer(text)]
    return [Row(path, lines[index] if index < len(lines) else None, entry) for index, entry in enumerate(entries)]
