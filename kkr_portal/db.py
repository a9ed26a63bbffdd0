"""Database helpers shared by the apps: rules the database holds, reported on the right field."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy


class DateRange(Func):
    """PostgreSQL's ``daterange(lower, upper, '[]')``; a NULL upper bound is open-ended."""

    function = "DATERANGE"
    output_field = DateRangeField()

    def __init__(self, lower: str, upper: str) -> None:
        super().__init__(lower, upper, RangeBoundary(inclusive_lower=True, inclusive_upper=True))


class HttpsURLField(models.URLField):
    """A URL field whose form adds ``https://`` to a bare domain (Django 6's default, today)."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL and nothing elsewhere.

    PostgreSQL is the system of record; SQLite (for trying the portal out) has no exclusion
    constraints, and there the same rule is enforced by the model's rule function alone.
    """

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if connections[using].vendor != "postgresql":
            return
        # Django 5.2 evaluates the condition even when it names an excluded field (fixed in 6.0,
        # ticket #36222); a field with an error of its own is not checked again.
        if exclude and self.condition is not None and self.condition.referenced_base_fields & set(exclude):
            return
        # PostgreSQL cannot build an inverted range; the ends-after-start CHECK reports that case.
        if self._has_inverted_range(instance):
            return
        super().validate(model, instance, exclude=exclude, using=using)

    def _has_inverted_range(self, instance) -> bool:
        for expression, _operator in self.expressions:
            if isinstance(expression, DateRange):
                lower, upper = (getattr(instance, ref.name) for ref in expression.get_source_expressions()[:2])
                if lower is not None and upper is not None and upper < lower:
                    return True
        return False


def overlapping_dates(start_field: str, end_field: str, *equal_fields: str) -> list:
    """The expressions of an exclusion constraint: same ``equal_fields``, overlapping dates."""
    return [
        *((field, RangeOperators.EQUAL) for field in equal_fields),
        (DateRange(start_field, end_field), RangeOperators.OVERLAPS),
    ]


ENDS_AFTER_START = gettext_lazy("Slutdatoen må ikke ligge før startdatoen.")


def check_constraint(name: str, condition: Q, message: str) -> models.CheckConstraint:
    """A named CHECK whose violation is reported with a Danish message (code = name)."""
    return models.CheckConstraint(
        condition=condition, name=name, violation_error_code=name, violation_error_message=message
    )


def unique_constraint(
    name: str, fields: list[str], message: str, condition: Q | None = None
) -> models.UniqueConstraint:
    """A named (optionally partial) UNIQUE with a Danish message (code = name)."""
    return models.UniqueConstraint(
        fields=fields, condition=condition, name=name, violation_error_code=name, violation_error_message=message
    )


def no_overlap(
    name: str,
    equal_fields: list[str],
    message: str,
    condition: Q | None = None,
    *,
    start: str = "started_on",
    end: str = "ended_on",
) -> PostgresExclusionConstraint:
    """No two rows with the same ``equal_fields`` whose dates overlap (PostgreSQL only)."""
    return PostgresExclusionConstraint(
        name=name,
        expressions=overlapping_dates(start, end, *equal_fields),
        condition=condition,
        violation_error_code=name,
        violation_error_message=message,
    )


class RuleErrorsMixin:
    """Shows a violated database constraint's Danish message on the field it concerns.

    Each constraint's ``violation_error_code`` is its name; ``constraint_fields`` maps that
    name to the form field where a person would correct the mistake.
    """

    constraint_fields: ClassVar[dict[str, str]] = {}

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        try:
            super().full_clean(
                exclude=exclude, validate_unique=validate_unique, validate_constraints=validate_constraints
            )
        except ValidationError as error:
            raise ValidationError(self._errors_on_fields(error.update_error_dict({}), exclude)) from error

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            raise ValidationError(self._errors_on_fields(error.update_error_dict({}), exclude)) from error

    def _errors_on_fields(self, error_dict: dict, exclude=None) -> dict:
        """Each error on its constraint's field; a field the form does not show (``exclude``)
        gets its message above the form instead (Django would fail on it with a ValueError)."""
        result: dict[str, list] = {}
        for field, errors in error_dict.items():
            for item in errors:
                target = self.constraint_fields.get(getattr(item, "code", None) or "", field)
                if exclude and target in exclude:
                    target = NON_FIELD_ERRORS
                result.setdefault(target, []).append(item)
        return result

    def save_checked(self, **kwargs) -> None:
        """``full_clean()`` then ``save()``, turning a lost race into the same ValidationError."""
        self.full_clean()
        try:
            self.save(**kwargs)
        except IntegrityError as error:
            raise self.integrity_error_as_validation_error(error) from error

    def integrity_error_as_validation_error(self, error: IntegrityError) -> ValidationError:
        text = str(error)
        for constraint in self._meta.constraints:
            if constraint.name in text:
                field = self.constraint_fields.get(constraint.name, NON_FIELD_ERRORS)
                return ValidationError(
                    {field: ValidationError(constraint.violation_error_message, code=constraint.name)}
                )
        return ValidationError({NON_FIELD_ERRORS: ValidationError(_conflict_message(), code="integrity")})


def _conflict_message() -> str:
    from django.utils.translation import gettext

    return gettext("Ændringen strider mod en regel i databasen og blev ikke gemt.")
