"""Idempotent writes for data commands: a second run with the same data changes nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import models

from .text import PLAIN_MODEL_FIELDS


class SyncCounter(Counter):
    def summary(self) -> str:
        return f"{self['created']} oprettet, {self['updated']} opdateret, {self['unchanged']} uændret"


def sync(
    model: type[models.Model],
    counter: SyncCounter,
    *,
    defaults: dict[str, Any],
    keep_existing: bool = False,
    **lookup: Any,
):
    """Create the row, or update the fields that differ; saves only when something changed.

    With ``keep_existing`` an existing row is left as it is: in production the secretariat may
    have edited reference data in the admin (recurrence changes with the law), and a deploy
    must not undo that.
    """
    obj = model.objects.filter(**lookup).first()
    if obj is not None and keep_existing:
        counter["unchanged"] += 1
        return obj
    if obj is None:
        obj = model(**lookup, **defaults)
        obj.full_clean()
        obj.save()
        counter["created"] += 1
        return obj
    defaults = {name: _stored(model, name, value) for name, value in defaults.items()}
    changed = [name for name, value in defaults.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, defaults[name])
        obj.full_clean()
        obj.save(update_fields=changed)
        counter["updated"] += 1
    else:
        counter["unchanged"] += 1
    return obj


def _stored(model: type[models.Model], name: str, value: Any) -> Any:
    """The value as the field stores it: text fields normalise (kkr_portal.text), so a data file's
    »2383 2028« is compared as the stored »23 83 20 28«, not seen as a change on every run."""
    field = model._meta.get_field(name)
    if isinstance(value, str) and isinstance(field, PLAIN_MODEL_FIELDS):
        return field.to_python(value)
    return value
