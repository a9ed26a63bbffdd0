"""The Blå Bog (/blaa-bog/): who held which role on a day, with filters in the URL, and its export.

The filters and the rows live in ``members.filters``; these views only page, render and export.
The page works without JavaScript; ``static/js/directory.js`` asks for the results region alone
(header ``X-Blaa-Bog: resultater``) to update it as the visitor types.
"""

from __future__ import annotations

from urllib.parse import urlencode

import tablib
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from kkr_portal import pagecache
from kkr_portal.spreadsheet import neutralise

from .access import browse_required, can_see_contact_details, directory_people
from .filters import GROUP_BY_COUNCIL, PAGE_SIZE, DirectoryFilterSet, Entry, Rolle, build_entries
from .querysets import today

PARTIAL_HEADER = "X-Blaa-Bog"
PARTIAL_VALUE = "resultater"
EXPORT_BATCH = 500
FOLDED_FILTERS = {"kkr", "kommune", "parti", "rolle", "forum", "fagomraade", "periode", "visning"}
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _page(queryset, number: str | None) -> Page:
    """The asked-for page; anything that is not a page number gives the first, too far the last."""
    paginator = Paginator(queryset, PAGE_SIZE)
    try:
        wanted = int(number or 1)
    except (TypeError, ValueError):
        wanted = 1
    return paginator.page(min(max(wanted, 1), paginator.num_pages))


def _url(name: str, params: dict[str, str], *args) -> str:
    query = urlencode(params)
    return f"{reverse(name, args=args)}?{query}" if query else reverse(name, args=args)


def _directory_context(data, *, show_contact: bool) -> dict:
    """Everything the page shows for these query parameters and this audience (no request)."""
    filterset = DirectoryFilterSet(data)
    criteria = filterset.criteria()
    page = _page(directory_people(filterset, signed_in=show_contact), data.get("page"))
    entries = build_entries(list(page.object_list), criteria)
    params = filterset.active_filters()

    def page_url(number: int) -> str:
        return _url("blaa_bog", {**params, "page": number} if number > 1 else params)

    return {
        "form": filterset.form,
        "criteria": criteria,
        "page": page,
        "entries": entries,
        "groups": _groups(entries, by_council=criteria.by_council),
        "grouped": criteria.by_council,
        "notices": filterset.notices(),
        "show_contact": show_contact,
        "in_the_past": criteria.on < today(),
        "in_the_future": criteria.on > today(),
        "previous_url": page_url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": page_url(page.next_page_number()) if page.has_next() else "",
        "first_url": page_url(1),
        "last_url": page_url(page.paginator.num_pages),
        "export_csv_url": _url("blaa_bog_export", params, "csv"),
        "export_xlsx_url": _url("blaa_bog_export", params, "xlsx"),
        "print_url": _url("blaa_bog_print", {key: value for key, value in params.items() if key != "page"}),
        "reset_url": reverse("blaa_bog"),
        # The filters stay folded away until one is used (a phone shows the results sooner).
        "filters_open": bool(set(data) & FOLDED_FILTERS),
    }


def _query_key(data) -> tuple:
    """The query parameters as a cache key part: every name with all its values, in order."""
    return tuple(sorted((name, tuple(values)) for name, values in data.lists()))


@require_safe
@browse_required
def directory(request):
    """The Blå Bog; its form and results are cached per query (``kkr_portal.pagecache``)."""
    show_contact = can_see_contact_details(request.user)
    partial = request.headers.get(PARTIAL_HEADER) == PARTIAL_VALUE

    def build():
        context = _directory_context(request.GET, show_contact=show_contact)
        parts = {"results": render_to_string("members/_directory_results.html", context)}
        if not partial:
            parts["form"] = render_to_string("members/_directory_form.html", context)
        return parts, None

    parts = pagecache.cached(
        "blaa-bog",
        partial,
        _query_key(request.GET),
        pagecache.audience(show_contact),
        build=build,
        version=pagecache.request_version(request),
    )
    if partial:
        response = HttpResponse(parts["results"])
    else:
        response = TemplateResponse(request, "members/directory.html", {"parts": parts})
    patch_vary_headers(response, [PARTIAL_HEADER])
    return response


def _all_entries(filterset: DirectoryFilterSet, *, show_contact: bool) -> list[Entry]:
    """Everyone the filters match (all pages), in batches of a bounded number of queries each."""
    criteria = filterset.criteria()
    people = list(directory_people(filterset, signed_in=show_contact))
    entries: list[Entry] = []
    for start in range(0, len(people), EXPORT_BATCH):
        entries += build_entries(people[start : start + EXPORT_BATCH], criteria)
    return entries


@require_safe
@browse_required
def print_view(request):
    """The whole Blå Bog (or the filtered part) on one page for paper, grouped by KKR; cached."""
    show_contact = can_see_contact_details(request.user)

    def build():
        data = request.GET.copy()
        data.pop("page", None)
        data["visning"] = GROUP_BY_COUNCIL
        # Paper is for the KKRs' own people (some 700): without a chosen role, the councils'
        # 2,500 other members are left out, and the page says so.
        kkr_only = not data.get("rolle")
        if kkr_only:
            data["rolle"] = Rolle.KKR
        filterset = DirectoryFilterSet(data)
        criteria = filterset.criteria()
        entries = _all_entries(filterset, show_contact=show_contact)
        context = {
            "criteria": criteria,
            "groups": _groups(entries, by_council=True),
            "count": len(entries),
            "notices": filterset.notices(),
            "show_contact": show_contact,
            "kkr_only": kkr_only,
            # Back to the directory as it was: without the role the print page chose itself.
            "directory_url": _url(
                "blaa_bog",
                {key: value for key, value in filterset.active_filters().items() if not (kkr_only and key == "rolle")},
            ),
        }
        return {"content": render_to_string("members/directory_print_content.html", context)}, None

    return pagecache.cached_page(
        request,
        "members/directory_print.html",
        "blaa-bog-print",
        _query_key(request.GET),
        pagecache.audience(show_contact),
        build=build,
    )


def _groups(entries: list[Entry], *, by_council: bool) -> list[dict]:
    """Runs of entries under one heading: current holders (by KKR when grouped), then former ones."""
    groups: list[dict] = []
    for entry in entries:
        key = (entry.current, entry.group if by_council and entry.current else None)
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, "title": key[1], "former": not entry.current, "entries": []})
        groups[-1]["entries"].append(entry)
    return groups


def _rows(entries: list[Entry], *, show_contact: bool):
    for entry in entries:
        row = [
            entry.person.name,
            entry.party if show_contact or entry.person.party_public else "",
            ", ".join(entry.municipalities),
            ", ".join(entry.councils),
            "; ".join(entry.roles),
            entry.last_role,
        ]
        if show_contact:
            row += [entry.person.email, entry.person.phone]
        yield [neutralise(cell) for cell in row]


@require_safe
@browse_required
def export(request, fmt: str):
    """Everything the filters show (all pages) as CSV or Excel; contact details only when signed in."""
    if fmt not in EXPORT_TYPES:
        raise Http404
    filterset = DirectoryFilterSet(request.GET)
    criteria = filterset.criteria()
    show_contact = can_see_contact_details(request.user)
    headers = [_("Navn"), _("Parti"), _("Kommune"), _("KKR"), _("Roller"), _("Tidligere rolle")]
    if show_contact:
        headers += [_("E-mail"), _("Telefon")]
    dataset = tablib.Dataset(headers=headers, title=_("Blå Bog"))
    for row in _rows(_all_entries(filterset, show_contact=show_contact), show_contact=show_contact):
        dataset.append(row)

    if fmt == "csv":
        # With a byte order mark, Excel reads the Danish letters as UTF-8.
        content: str | bytes = "\ufeff" + dataset.export("csv")
    else:
        content = dataset.export("xlsx")
    response = HttpResponse(content, content_type=EXPORT_TYPES[fmt])
    filename = f"blaa-bog-{criteria.on.isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if show_contact:
        patch_cache_control(response, private=True, no_store=True)
    return response
