"""Admin building blocks shared by the apps: inlines that cannot bypass the rules."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _


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
