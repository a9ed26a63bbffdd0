"""Helpers for tests of the members' pages."""

from __future__ import annotations


def main_part(response) -> str:
    """The page's <main> element: what a cached page must repeat exactly (the header around it
    carries a fresh CSRF token on every response)."""
    html = response.content.decode()
    start, end = html.index("<main"), html.index("</main>")
    return html[start:end]
