"""The admin's audit history: who changed what and when, read-only, and no silent overwrites.

``HistoryAdmin`` replaces simple_history's ``SimpleHistoryAdmin`` in every admin of the portal:

- The history page lists each change with its author, time and changed fields (simple_history's
  own diff), in a template without links to single versions.
- simple_history's version page (``<id>/history/<history_id>/``) is a *revert* form: a POST saves
  the old version over the row. The portal keeps history, it never rewrites it, so that page
  answers 404 to GET and POST alike (the same answer as for a missing row).
- ``ConcurrencyGuardMixin``: the change form carries the id of the row's latest history record
  when it was opened; a save made after someone else changed the row is refused, naming them. A
  save without the token is refused too (what it would overwrite is unknown).
- ``InlineConcurrencyGuardMixin`` (a base of ``CouncilScopedInline``): the same for each inline
  row; a row of a model without history is versioned by a fingerprint of its values.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

VERSION_FIELD = "_history_version"


def latest_history(obj):
    """The row's newest history record, or ``None`` (a row written before history was kept)."""
    return obj.history.order_by("-history_id").select_related("history_user").first()


def _author(record) -> str:
    user = record.history_user
    if user is None:
        # Written without a signed-in user: an import, the changeover, a task.
        return gettext("systemet")
    return user.get_full_name() or user.email or user.get_username()


def stale_message(record) -> str:
    changed_at = timezone.localtime(record.history_date)
    return gettext("Ændret af %(name)s kl. %(time)s den %(date)s efter du åbnede siden — genindlæs og prøv igen.") % {
        "name": _author(record),
        "time": date_format(changed_at, "H:i"),
        "date": date_format(changed_at, "j. F Y"),
    }


def current_versions(model, pks) -> dict:
    """Each row's newest history id, for many rows in one query (an inline's rows)."""
    if not pks:
        return {}
    pk_name = model._meta.pk.attname
    latest = model.history.filter(**{f"{pk_name}__in": pks}).values(pk_name).annotate(latest=models.Max("history_id"))
    return {entry[pk_name]: str(entry["latest"]) for entry in latest}


def fingerprint(instance) -> str:
    """A row without history is versioned by its values: any change to them changes the token."""
    values = repr([(field.attname, field.value_to_string(instance)) for field in instance._meta.concrete_fields])
    return "f" + hashlib.sha256(values.encode()).hexdigest()[:32]


def version_of(instance) -> str:
    if not hasattr(type(instance), "history"):
        return fingerprint(instance)
    latest = latest_history(instance)
    return str(latest.history_id) if latest else "0"


OUTDATED = gettext_lazy("Siden er forældet — genindlæs og prøv igen.")
# A row without history cannot say who changed it.
CHANGED_SINCE = gettext_lazy("Rækken er ændret af en anden efter du åbnede siden — genindlæs og prøv igen.")


def _guarded(form_class: type[forms.ModelForm], *, inline: bool = False) -> type[forms.ModelForm]:
    """``form_class`` with a hidden field holding the version of the row the form was opened on.

    Declared on the form (not added later) so that ``modelform_factory`` accepts its name among
    the admin's fields. An inline's formset fills the tokens of all its rows in one query
    (``_GuardedFormSet``); an inline row is checked only when the save would write it.
    """

    class ConcurrencyGuardForm(form_class):
        _history_version = forms.CharField(widget=forms.HiddenInput, required=False)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if not inline and self.instance.pk is not None and VERSION_FIELD not in self.initial:
                self.initial[VERSION_FIELD] = version_of(self.instance)

        @cached_property
        def changed_data(self):
            # The token is not a change of the row (an outdated one differs from the initial).
            return [name for name in super().changed_data if name != VERSION_FIELD]

        def clean(self):
            cleaned_data = super().clean()
            if not inline or self.has_changed():
                self._refuse_if_stale(cleaned_data.get(VERSION_FIELD, ""))
            return cleaned_data

        def _refuse_if_stale(self, opened_on: str) -> None:
            if self.instance.pk is None:
                return
            model = type(self.instance)
            # The admin saves inside a transaction: lock the row so that of two saves at the same
            # moment the second waits and then sees the first one's change.
            current = model._default_manager.select_for_update().filter(pk=self.instance.pk).first()
            if current is None:
                return
            if not opened_on:
                # A page always posts its token: without one, what the form overwrites is unknown.
                self.add_error(None, OUTDATED)
                return
            if not hasattr(model, "history"):
                if opened_on != fingerprint(current):
                    self.add_error(None, CHANGED_SINCE)
                return
            try:
                seen = int(opened_on)
            except ValueError:
                self.add_error(None, OUTDATED)
                return
            latest = latest_history(self.instance)
            if latest is not None and latest.history_id > seen:
                self.add_error(None, stale_message(latest))

    ConcurrencyGuardForm.__name__ = form_class.__name__
    return ConcurrencyGuardForm


def _guarded_formset(formset_class):
    """An inline formset whose rows carry their versions, read for all rows at once."""

    class GuardedFormSet(formset_class):
        @cached_property
        def _versions(self) -> dict:
            rows = list(self.get_queryset())
            if hasattr(self.model, "history"):
                return current_versions(self.model, [row.pk for row in rows])
            return {row.pk: fingerprint(row) for row in rows}

        def _construct_form(self, i, **kwargs):
            form = super()._construct_form(i, **kwargs)
            if form.instance.pk is not None and VERSION_FIELD not in form.initial:
                form.initial[VERSION_FIELD] = self._versions.get(form.instance.pk, "0")
            return form

    GuardedFormSet.__name__ = formset_class.__name__
    return GuardedFormSet


def _with_token(fieldsets):
    if any(VERSION_FIELD in _flatten(options.get("fields", ())) for _n, options in fieldsets):
        return fieldsets
    # An admin with its own ``fields``/``fieldsets``: the token rides along in the first one.
    (name, options), *rest = fieldsets
    return [(name, {**options, "fields": [*options.get("fields", ()), VERSION_FIELD]}), *rest]


class ConcurrencyGuardMixin:
    """A change form that refuses to overwrite a change made after it was opened."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = _guarded(kwargs.get("form") or self.form)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is None else _with_token(fieldsets)


class InlineConcurrencyGuardMixin:
    """Each editable inline row carries its own token; a stale row that would be written is refused."""

    def _guards(self, request, obj) -> bool:
        return obj is not None and obj.pk is not None and self.has_change_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        if self._guards(request, obj):
            kwargs["form"] = _guarded(kwargs.get("form") or self.form, inline=True)
            kwargs["formset"] = _guarded_formset(kwargs.get("formset") or self.formset)
        return super().get_formset(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return _with_token(fieldsets) if self._guards(request, obj) else fieldsets


def _flatten(fields) -> list[str]:
    flat: list[str] = []
    for entry in fields:
        flat.extend(entry if isinstance(entry, list | tuple) else [entry])
    return flat


class _ReadableChanges(HistoricalRecordContextHelper):
    """A changed field's values as the change form shows them: choice labels, Danish dates, "—"."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "—"
        if getattr(field, "choices", None) and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        if isinstance(field, models.DateTimeField):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if isinstance(field, models.DateField):
            return date_format(value, "DATE_FORMAT")
        if isinstance(field, models.BooleanField):
            return gettext("ja") if value else gettext("nej")
        return value


class HistoryAdmin(ConcurrencyGuardMixin, SimpleHistoryAdmin):
    """``SimpleHistoryAdmin`` for the portal: history is shown, never edited or reverted."""

    object_history_list_template = "admin/kkr_portal/object_history_list.html"

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history's revert form: not part of the portal (see the module docstring).
        raise Http404

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # simple_history joins the rows a version points to; their names (``__str__``) often name
        # a row of their own (a meeting its KKR, a seat its forum): join those too, so that the
        # page's queries do not grow with the number of versions.
        queryset = super().get_history_queryset(request, history_manager, pk_name, object_id)
        deeper = [
            f"{field.name}__{related.name}"
            for field in history_manager.model.tracked_fields
            if isinstance(field, models.ForeignKey)
            for related in field.related_model._meta.concrete_fields
            if isinstance(related, models.ForeignKey) and related.related_model is not field.related_model
        ]
        return queryset.select_related(*deeper)

    def get_historical_record_context_helper(self, request, historical_record):
        return _ReadableChanges(self.model, historical_record)

    def revert_disabled(self, request, obj=None):
        return True

    def history_view_title(self, request, obj):
        return gettext("Historik: %s") % obj
