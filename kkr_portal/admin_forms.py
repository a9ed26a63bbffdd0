"""Admin building blocks shared by the apps: inlines that cannot bypass the rules."""

from __future__ import annotations

import copy

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet, ModelMultipleChoiceField
from django.utils.translation import gettext as _

from .text import PlainTextFormMixin, normalise_email


class RulesInlineFormSet(BaseInlineFormSet):
    """Checks each inline row's rules and named constraints with its parent attached.

    Django 5.2 skips unique constraints that include the parent key in inline formsets
    (ticket #35676, fixed in 6.0), and on an add page the parent has no key yet, so the rule
    functions could not see it. Here every changed row is checked as the services check it, and
    two new rows that would collide with each other are refused before anything is saved.
    """

    def clean(self) -> None:
        super().clean()
        seen: dict[tuple, int] = {}
        for index, form in enumerate(self.forms):
            if not form.has_changed() or self._should_delete_form(form) or form.errors:
                continue
            instance = form.instance
            setattr(instance, self.fk.name, self.instance)
            try:
                instance.clean()
                if self.instance.pk is not None:
                    instance.validate_constraints(exclude=self._not_on_form(form))
            except ValidationError as error:
                self._add_errors(form, error)
                continue
            for constraint in instance._meta.constraints:
                if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None:
                    key = (constraint.name, *(self._value(instance, name) for name in constraint.fields))
                    if key in seen:
                        form.add_error(
                            None,
                            ValidationError(
                                _("Række %(row)s og %(other)s er ens: %(message)s")
                                % {
                                    "row": index + 1,
                                    "other": seen[key] + 1,
                                    "message": constraint.violation_error_message,
                                },
                                code=constraint.name,
                            ),
                        )
                    seen.setdefault(key, index)

    def _value(self, instance, name: str):
        field = instance._meta.get_field(name)
        return id(self.instance) if name == self.fk.name else getattr(instance, field.attname)

    def _not_on_form(self, form) -> set[str]:
        names = {field.name for field in form.instance._meta.concrete_fields}
        return names - set(form.fields) - {self.fk.name}

    @staticmethod
    def _add_errors(form, error: ValidationError) -> None:
        for field, errors in error.update_error_dict({}).items():
            form.add_error(field if field in form.fields else None, errors)


class _DryRun(Exception):
    """Raised to roll back a trial save."""


class SideEffectsAdminMixin:
    """An admin whose save has consequences elsewhere (``after_save``, through the services).

    The form tries the save and its consequences in a savepoint that is rolled back, so that a
    rule the consequences break comes back as a message on the form, not as a server error
    after the row was already saved. ``save_model`` then does it for real.
    """

    def after_save(self, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.after_save(obj)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        after_save = self.after_save

        class TrialSaveForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                trial = copy.copy(self.instance)
                try:
                    with transaction.atomic():
                        trial.save()
                        after_save(trial)
                        raise _DryRun
                except _DryRun:
                    pass
                except ValidationError as error:
                    for messages in error.update_error_dict({}).values():
                        self.add_error(None, messages)

        return TrialSaveForm


class UniqueUserEmailFormMixin:
    """A login's address that another login has, in any case, is refused on the form.

    The database refuses it too (``auth_user_email_lower_unique``, members migration 0007), but
    there it would be a server error after the form was accepted.
    """

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data.get("email") or "")
        users = get_user_model()._default_manager.filter(email__iexact=email)
        if email and users.exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Et andet login har allerede denne e-mailadresse."), code="unique")
        return email


def plain_admin_form(form_class: type, model: type[models.Model]) -> type:
    """``form_class`` with the portal's text rules (kkr_portal.text) in front of it."""
    if issubclass(form_class, PlainTextFormMixin):
        return form_class
    bases: tuple[type, ...] = (PlainTextFormMixin,)
    if model is get_user_model() and "email" in form_class.base_fields:
        bases += (UniqueUserEmailFormMixin,)
    return type(form_class.__name__, (*bases, form_class), {"__module__": form_class.__module__})


class _KeysOnlyAutocompleteMixin:
    """An autocomplete widget that looks up only submitted values that can be keys.

    Django's own shows a refused form again by looking the submitted ids up, and a forged id
    that is no number (``1.5`` for an integer key) raises ValueError there (and a number out of
    the key's range OverflowError on SQLite): a server error
    instead of the form's own refusal (invalid_choice). Such a value is simply not shown again.
    """

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        keys = []
        for item in value:
            try:
                # The key's type, and its range in the database (SQLite cannot even look up a
                # number over 64 bits: OverflowError).
                target.run_validators(target.to_python(item))
            except ValidationError:
                continue
            keys.append(item)
        return super().optgroups(name, keys, attr)


class KeysOnlyAutocompleteSelect(_KeysOnlyAutocompleteMixin, AutocompleteSelect):
    pass


class KeysOnlyAutocompleteSelectMultiple(_KeysOnlyAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class KeysInRangeMultipleChoiceField(ModelMultipleChoiceField):
    """Django's many-to-many choice refuses an id that is no number, but looks up one of more
    than 64 bits, and SQLite cannot (OverflowError: a server error). Here it is refused first."""

    def _check_values(self, value):
        meta = self.queryset.model._meta
        target = meta.get_field(self.to_field_name) if self.to_field_name else meta.pk
        for item in value if isinstance(value, list | tuple) else []:
            try:
                target.run_validators(target.to_python(item))
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                ) from None
        return super()._check_values(value)


_KEYS_ONLY = {
    AutocompleteSelect: KeysOnlyAutocompleteSelect,
    AutocompleteSelectMultiple: KeysOnlyAutocompleteSelectMultiple,
}


class PlainTextAdminMixin:
    """Every form of an admin (add, change, inlines, list editing) with the portal's text rules,
    and choices that refuse a forged id with a message, not a server error.

    The portal's own models have the rules in their fields (kkr_portal.text), so their admin
    forms follow them already; this mixin brings them to the admins of Django's and allauth's
    models too (users, groups, e-mail addresses), whose fields know nothing of the rules.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _keys_only(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = _keys_only(super().formfield_for_manytomany(db_field, request, **kwargs))
        if type(formfield) is ModelMultipleChoiceField:
            formfield.__class__ = KeysInRangeMultipleChoiceField
        return formfield

    def get_form(self, request, obj=None, **kwargs):
        return plain_admin_form(super().get_form(request, obj, **kwargs), self.model)

    def get_formset(self, request, obj=None, **kwargs):  # inlines
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = plain_admin_form(formset.form, self.model)
        return formset

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, **kwargs)
        formset.form = plain_admin_form(formset.form, self.model)
        return formset


def _keys_only(formfield):
    if formfield is not None and type(formfield.widget) in _KEYS_ONLY:
        formfield.widget.__class__ = _KEYS_ONLY[type(formfield.widget)]
    return formfield
