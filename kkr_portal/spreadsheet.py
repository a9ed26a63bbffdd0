"""Cells for spreadsheets the portal hands out (the Blå Bog export, the admin's exports)."""

from __future__ import annotations

# A spreadsheet reads a cell that begins with one of these as a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")  # and their full-width forms


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula, made plain text with a leading apostrophe."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
