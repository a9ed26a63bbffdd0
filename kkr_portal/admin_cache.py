"""A change list whose count and rendered rows are cached, never stale (``kkr_portal.pagecache``).

A large change list spends its time counting the table and rendering a hundred rows through
Django's ``items_for_result``. Both depend only on the data, the request's query string (filters,
search, ordering, page, popup) and who asks. So for a GET, ``CachedChangeList`` keeps:

- the number of rows the filters and the search select (one entry per query string without page
  and ordering), so a later page or another ordering does not count again;
- the HTML of the result table (``{% result_list %}``), with the number of rows it shows;
- the search bar, the action bars, the pagination and the filters (``{% changelist_part %}``),
  which show the counts, the query and the choices (the filters' choices are cached too, in
  ``admin_scope.ScopedRelatedFieldListFilter``).

All are keyed on the directory's data version (bumped by database triggers on every write to
the directory's tables, staff assignments included: ``kkr_portal.versioning``), the day, the
language and the user: their id, their superuser/staff/active flags, their permissions on the
model and the actions offered to them. Two users never share an entry, so no KKR's rows can reach
another KKR's staff, and a superuser's list is never a staff user's.

Nothing per-request is cached: the CSRF token, the messages and the user's name are outside every
cached part and rendered on every request as before (the action bar holds the user's actions,
which are in the key, and no token: the change list form's token is rendered outside it). Only models of the versioned
apps are cached (their writes bump the version), and never with ``list_editable`` (the table holds
a formset) or for anything but GET/HEAD (a request that writes must not read its old version).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_list import result_list
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.paginator import InvalidPage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from . import pagecache, versioning


def versioned(model) -> bool:
    """Whether every write to ``model``'s table bumps the data version (so it may be cached)."""
    return model._meta.app_label in versioning.DIRECTORY_APPS


def user_key(user) -> tuple:
    """Who the user is, as far as which rows they may see goes (their KKRs follow from the id,
    and a change to their staff assignments bumps the version)."""
    return (user.pk, user.is_active, user.is_superuser, user.is_staff)


class _PageRows(Sequence):
    """The page's rows as Django's change list expects ``result_list``: its length is the number of
    rows the (cached) table shows, and the rows themselves are read only when iterated."""

    def __init__(self, changelist: CachedChangeList) -> None:
        self.changelist = changelist

    @cached_property
    def rows(self) -> list:
        return self.changelist.read_rows()

    def __len__(self) -> int:
        return self.changelist.result_table["rows"]

    def __getitem__(self, index):
        return self.rows[index]

    def __iter__(self) -> Iterator:
        return iter(self.rows)


class CachedChangeList(ChangeList):
    """Subclasses may read the page's rows their own way in ``read_rows()`` (from ``self._page``,
    Django's sliced queryset, by default evaluated as is). The template
    ``admin/kkr/cached_change_list.html`` shows the cached parts."""

    _version: int | None = None
    _page = None
    _rows = None

    def _cache_version(self, request) -> int | None:
        if self.list_editable or not versioned(self.model):
            return None
        return pagecache.request_version(request)

    def _parts(self, request) -> tuple:
        admin = self.model_admin
        return (
            self.opts.label_lower,
            user_key(request.user),
            admin.has_view_permission(request),
            admin.has_change_permission(request),
            admin.has_delete_permission(request),
            tuple(admin.get_actions(request)),
            tuple(str(name) for name in self.list_display),
            tuple(self.list_display_links or ()) if self.list_display_links is not None else None,
            tuple(self.sortable_by) if self.sortable_by is not None else None,
            self.list_per_page,
            timezone.get_current_timezone_name(),
        )

    def get_results(self, request) -> None:
        self._version = self._cache_version(request)
        if self._version is None:
            super().get_results(request)
            return
        self._request_parts = self._parts(request)
        selection = sorted((name, values) for name, values in self.filter_params.items() if name != ORDER_VAR)
        self._query = sorted(request.GET.lists())
        count = pagecache.cached(
            "admin-count",
            self._request_parts,
            selection,
            version=self._version,
            build=lambda: (self.queryset.count(), None),
        )
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        paginator.count = count  # a cached_property: the count is not read again
        # As Django's ChangeList.get_results, with the count above.
        self.result_count = count
        self.full_result_count = None
        if self.model_admin.show_full_result_count:
            self.full_result_count = pagecache.cached(
                "admin-total",
                self._request_parts,
                version=self._version,
                build=lambda: (self.root_queryset.count(), None),
            )
        self.can_show_all = count <= self.list_max_show_all
        self.multi_page = count > self.list_per_page
        if (self.show_all and self.can_show_all) or not self.multi_page:
            self._page = self.queryset._clone()
        else:
            try:
                self._page = paginator.page(self.page_num).object_list
            except InvalidPage:
                raise IncorrectLookupParameters from None
        self.show_full_result_count = self.model_admin.show_full_result_count
        self.show_admin_actions = not self.show_full_result_count or bool(self.full_result_count)
        self.paginator = paginator

    @property
    def result_list(self):
        if self._version is None:
            if self._rows is None:
                self._rows = self.read_rows()
            return self._rows
        return self._lazy_rows

    @result_list.setter
    def result_list(self, page) -> None:
        self._page, self._rows = page, None

    @cached_property
    def _lazy_rows(self) -> _PageRows:
        return _PageRows(self)

    def read_rows(self):
        return list(self._page)

    def _render_table(self) -> str:
        templates = [
            f"admin/{self.opts.app_label}/{self.opts.model_name}/change_list_results.html",
            f"admin/{self.opts.app_label}/change_list_results.html",
            "admin/change_list_results.html",
        ]
        return render_to_string(templates, result_list(self))

    @cached_property
    def result_table(self) -> dict:
        """``{"html": the result table, "rows": how many rows it shows}``."""
        if self._version is None or getattr(self, "formset", None) is not None:
            return {"html": self._render_table(), "rows": len(self.result_list)}

        def build():
            rows = self._lazy_rows.rows
            return {"html": self._render_table(), "rows": len(rows)}, None

        return pagecache.cached("admin-rows", self._request_parts, self._query, version=self._version, build=build)

    @property
    def result_table_html(self) -> SafeString:
        return mark_safe(self.result_table["html"])  # noqa: S308 - rendered by the admin's own template.

    def cached_part(self, name: str, render) -> str:
        """Another part of the page that depends on nothing but the list (the search bar, the
        action bar, the pagination, the filters), rendered by ``render()``, cached like the table."""
        if self._version is None or getattr(self, "formset", None) is not None:
            return render()
        return pagecache.cached(
            f"admin-part-{name}",
            self._request_parts,
            self._query,
            version=self._version,
            build=lambda: (render(), None),
        )
