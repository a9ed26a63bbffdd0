"""Scoping the admin to the staff user's KKRs: one mixin for every admin class and one for inlines.

The rule per model lives in kkr_portal.scoping; here it is applied to every part of the admin:
change lists, change/delete/history pages, actions (they act on ``get_queryset``), foreign-key
and many-to-many choices (so a forged id is refused as "Vælg et gyldigt valg"), autocomplete
(Django's AutocompleteJsonView searches the related admin's ``get_queryset``), list-filter options
and permissions (reference data is read-only for staff, superuser-only models are hidden).

A row of another KKR answers exactly like a row that does not exist: 404 (Django's own answer for
a missing row, a redirect with a message naming the id, is replaced by a 404 for both).
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, get_fields_from_path, quote, unquote
from django.db import router
from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import ngettext

from . import admin_cache, pagecache, scoping
from .admin_forms import PlainTextAdminMixin
from .admin_history import InlineConcurrencyGuardMixin
from .admin_io import ExportAdminMixin


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter that offers only the related rows the user may see."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        version = pagecache.request_version(request) if admin_cache.versioned(related) else None
        if version is None:
            return self._field_choices(field, request, model_admin)
        # The choices (a query per filter, on every page of the list) follow the data and the
        # user's KKRs, so they are cached like the rows (kkr_portal.admin_cache).
        return pagecache.cached(
            "admin-filter-choices",
            model_admin.model._meta.label_lower,
            self.field_path,
            admin_cache.user_key(request.user),
            version=version,
            build=lambda: (self._field_choices(field, request, model_admin), None),
        )

    def _field_choices(self, field, request, model_admin):
        related = field.related_model
        user = request.user
        if scoping.sees_everything(user) or scoping.rule_for(related) == "reference":
            return list(super().field_choices(field, request, model_admin))
        ordering = self.field_admin_ordering(field, request, model_admin)
        visible = scoping.scope(related._default_manager.all(), user).values("pk")
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=Q(pk__in=visible))


def _scoped_list_filter(model, list_filter) -> list:
    scoped = []
    for entry in list_filter:
        if isinstance(entry, str) and get_fields_from_path(model, entry)[-1].is_relation:
            scoped.append((entry, ScopedRelatedFieldListFilter))
        else:
            scoped.append(entry)
    return scoped


class _ScopedBase:
    """What admins and inlines share: the rows, the choices and the read-only links."""

    def get_queryset(self, request):
        return scoping.scope(super().get_queryset(request), request.user)

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        if scoping.sees_everything(request.user):
            return queryset
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return scoping.scope(queryset, request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if scoping.sees_everything(request.user):
            return fields
        # A link to a row staff may not see (e.g. a person's login) is shown, never chosen.
        hidden = [
            field.name
            for field in self.model._meta.get_fields()
            if field.is_relation
            and field.concrete
            and field.editable
            and scoping.rule_for(field.related_model) == "superuser"
            and field.name not in fields
        ]
        return fields + hidden


class _DeletionPreview:
    """What a delete would take with it, as the user may see it.

    Django's ``get_deleted_objects`` walks every relation unscoped and names each row with a link.
    Here a row of another KKR is neither named nor linked: the page shows how many there are, and
    the delete is refused (they go in ``protected``, so Django's delete page and the
    ``delete_selected`` action both refuse it). Rows of superuser-only models that hang off the
    user's own rows (a person's reminder opt-outs, calendar feed) are counted, not named, and
    go with them: they concern only that row.
    """

    def __init__(self, model_admin, objs, request):
        self.admin_site = model_admin.admin_site
        self.request = request
        self.collector = NestedObjects(using=router.db_for_write(model_admin.model), origin=objs)
        self.collector.collect(objs)
        self.perms_needed: set = set()
        self.visible = self._visible_pks([*self.collector.model_objs.items(), *self._protected_by_model().items()])

    def _protected_by_model(self) -> dict:
        grouped = defaultdict(list)
        for obj in self.collector.protected:
            grouped[type(obj)].append(obj)
        return grouped

    def _visible_pks(self, groups) -> dict:
        visible: dict = defaultdict(set)
        for model, objs in groups:
            pks = [obj.pk for obj in objs]
            if model._meta.auto_created:
                # A many-to-many link row goes with its own row and names nothing of its own.
                visible[model] |= set(pks)
                continue
            try:
                rule = scoping.rule_for(model)
            except LookupError:
                rule = "superuser"
            if rule == "reference":
                visible[model] |= set(pks)
            elif rule != "superuser":
                queryset = scoping.scope(model._default_manager.filter(pk__in=pks), self.request.user)
                visible[model] |= set(queryset.values_list("pk", flat=True))
        return visible

    def kind(self, obj) -> str:
        model = type(obj)
        if obj.pk in self.visible.get(model, ()):
            return "visible"
        try:
            return "other" if scoping.rule_for(model) in (scoping.COUNCIL, scoping.PERSON_RULE) else "hidden"
        except LookupError:
            return "hidden"

    def name(self, obj) -> str:
        """Django's own line for a row: its kind, its name, a link to it where it has a page."""
        model, opts = type(obj), obj._meta
        no_edit_link = f"{capfirst(opts.verbose_name)}: {obj}"
        if not self.admin_site.is_registered(model):
            return no_edit_link
        if not self.admin_site.get_model_admin(model).has_delete_permission(self.request, obj):
            self.perms_needed.add(opts.verbose_name)
        try:
            url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=(quote(obj.pk),))
        except NoReverseMatch:
            return no_edit_link
        return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)

    def _callback(self, obj):
        return self.name(obj) if self.kind(obj) == "visible" else None

    @staticmethod
    def _prune(nested: list) -> list:
        """The nested list without the rows not named (and what hangs under them)."""
        pruned: list = []
        skip_children = False
        for item in nested:
            if isinstance(item, list):
                if not skip_children:
                    pruned.append(_DeletionPreview._prune(item))
                skip_children = False
            elif item is None:
                skip_children = True
            else:
                pruned.append(item)
                skip_children = False
        return pruned

    def result(self):
        to_delete = self._prune(self.collector.nested(self._callback))
        counts = {"other": 0, "hidden": 0}
        model_count = {}
        for model, objs in self.collector.model_objs.items():
            shown = 0
            for obj in objs:
                kind = self.kind(obj)
                if kind == "visible":
                    shown += 1
                else:
                    counts[kind] += 1
            if shown:
                model_count[model._meta.verbose_name_plural] = shown
        protected = []
        for obj in self.collector.protected:
            kind = self.kind(obj)
            if kind == "visible":
                protected.append(self.name(obj))
            else:
                counts["other"] += 1
        if counts["hidden"]:
            to_delete.append(
                ngettext(
                    "%(count)s række, som kun KL's administratorer kan se",
                    "%(count)s rækker, som kun KL's administratorer kan se",
                    counts["hidden"],
                )
                % {"count": counts["hidden"]}
            )
        if counts["other"]:
            # Another KKR's rows would go too: refused, and neither named nor linked.
            protected.append(
                ngettext(
                    "%(count)s række i et andet KKR",
                    "%(count)s rækker i et andet KKR",
                    counts["other"],
                )
                % {"count": counts["other"]}
            )
        return to_delete, model_count, self.perms_needed, protected


class CouncilScopedAdmin(PlainTextAdminMixin, _ScopedBase, ExportAdminMixin):
    """Put first in the bases of every ModelAdmin of the portal (it brings the export and the
    text rules of kkr_portal.text, too)."""

    def get_list_filter(self, request):
        return _scoped_list_filter(self.model, super().get_list_filter(request))

    def get_search_results(self, request, queryset, search_term):
        # get_queryset is scoped already; autocomplete and any custom caller pass through here too.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return scoping.scope(queryset, request.user), may_have_duplicates

    def has_module_permission(self, request):
        return scoping.may_view(self.model, request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return scoping.may_view(self.model, request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return scoping.may_change(self.model, request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return scoping.may_change(self.model, request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return scoping.may_change(self.model, request.user) and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        if scoping.sees_everything(request.user):
            return super().get_deleted_objects(objs, request)
        return _DeletionPreview(self, objs, request).result()

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another KKR's row and a missing row get the same answer: the site's 404 page.
        raise Http404

    def _ensure_visible(self, request, object_id) -> None:
        if not scoping.sees_everything(request.user) and self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        # simple_history falls back to the history of a row get_queryset does not return.
        self._ensure_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history reads the historical row without asking get_queryset.
        self._ensure_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class CouncilScopedInline(PlainTextAdminMixin, InlineConcurrencyGuardMixin, _ScopedBase):
    """Put first in the bases of every inline of the portal (it brings the edit-conflict guard)."""

    def has_view_permission(self, request, obj=None):
        return scoping.may_view(self.model, request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        return scoping.may_change(self.model, request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return scoping.may_change(self.model, request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return scoping.may_change(self.model, request.user) and super().has_delete_permission(request, obj)
