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

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.db.models import Q
from django.http import Http404

from . import scoping
from .admin_io import ExportAdminMixin


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter that offers only the related rows the user may see."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        user = request.user
        if scoping.sees_everything(user) or scoping.rule_for(related) == "reference":
            return super().field_choices(field, request, model_admin)
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


class CouncilScopedAdmin(_ScopedBase, ExportAdminMixin):
    """Put first in the bases of every ModelAdmin of the portal (it brings the export, too)."""

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


class CouncilScopedInline(_ScopedBase):
    """Put first in the bases of every inline of the portal."""

    def has_view_permission(self, request, obj=None):
        return scoping.may_view(self.model, request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        return scoping.may_change(self.model, request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return scoping.may_change(self.model, request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return scoping.may_change(self.model, request.user) and super().has_delete_permission(request, obj)
