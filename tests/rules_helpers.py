"""Helpers for the rule tests: break a rule through the service, a ModelForm and the admin.

Fixtures defined here are used by assigning them in a test module
(``staff_client = rules_helpers.staff_client``), so that pytest finds them there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.forms.models import model_to_dict, modelform_factory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from members import services as member_services
from members.models import CouncilSeat, ElectionPeriod, Municipality, Person
from tests import factories

ON_POSTGRES = connection.vendor == "postgresql"

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# "Today" in the tests that depend on it: a Monday in the 2026-2029 period.
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=COPENHAGEN)
TODAY = NOW.date()


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, superuser):
    """The test client, signed in as the KL central administrator."""
    client.force_login(superuser)
    return client


@pytest.fixture
def frozen_today() -> Iterator[dt.date]:
    """Time stands still on 23 November 2026, 12:00 in Copenhagen."""
    with time_machine.travel(NOW, tick=False):
        yield TODAY


# --- people with seats ---------------------------------------------------------------------


def councillor(
    municipality: Municipality,
    period: ElectionPeriod,
    *,
    started_on: dt.date | None = None,
    role: str = CouncilSeat.Role.MEMBER,
    **person_fields,
) -> Person:
    """A new person with a seat in the municipal council, recorded through the service."""
    person = factories.PersonFactory(**person_fields)
    member_services.add_council_seat(
        person=person,
        municipality=municipality,
        period=period,
        started_on=started_on or period.starts_on,
        role=role,
    )
    return person


# --- ValidationError ---------------------------------------------------------------------


def assert_refused(error: ValidationError | pytest.ExceptionInfo, field: str, message: str) -> None:
    """The error carries ``message`` (or a message starting with it) on ``field``."""
    if isinstance(error, pytest.ExceptionInfo):
        error = error.value
    messages = error.message_dict.get(field, [])
    assert any(str(text).startswith(str(message)) for text in messages), (
        f"expected {message!r} on {field!r}, got {error.message_dict!r}"
    )


# --- ModelForm -----------------------------------------------------------------------------


def _encode(value):
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | models.QuerySet):
        return [_encode(item) for item in value]
    if value is None:
        return None
    return str(value)


def encode_data(data: dict) -> dict:
    """Form data as a browser would post it (False and None left out)."""
    encoded = {key: _encode(value) for key, value in data.items()}
    return {key: value for key, value in encoded.items() if value is not None}


def model_form(model: type[models.Model], instance: models.Model | None = None, **data) -> forms.ModelForm:
    """A bound ``modelform_factory(model, fields="__all__")`` form: the instance's values, then ``data``."""
    form_class = modelform_factory(model, fields="__all__")
    values = model_to_dict(instance) if instance is not None else {}
    values.update(data)
    return form_class(data=encode_data(values), instance=instance)


def assert_form_refuses(form: forms.BaseForm, field: str, message: str) -> None:
    assert not form.is_valid(), "the form accepted what the rule forbids"
    messages = form.errors.get(field, [])
    assert any(text.startswith(str(message)) for text in messages), (
        f"expected {message!r} on {field!r}, got {form.errors.as_data()!r}"
    )


# --- the admin -----------------------------------------------------------------------------


def admin_url(model: type[models.Model], obj: models.Model | None = None) -> str:
    meta = model._meta
    if obj is None:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def _form_values(form: forms.BaseForm) -> dict:
    values = {}
    for bound in form:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, forms.SplitDateTimeWidget):
            if isinstance(value, dt.datetime):
                local = timezone.localtime(value)
                values[f"{bound.html_name}_0"] = local.date().isoformat()
                values[f"{bound.html_name}_1"] = local.strftime("%H:%M:%S")
            continue
        values[bound.html_name] = value
    return values


def admin_post(client, model: type[models.Model], obj: models.Model | None = None, **data):
    """POST the admin's add (or change) form: the page's initial values, then ``data``.

    Inline formsets are posted empty (no new rows, existing rows untouched) unless
    ``data`` sets their management form.
    """
    url = admin_url(model, obj)
    page = client.get(url)
    assert page.status_code == 200
    payload = _form_values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        payload.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    payload.update(data)
    payload = {key: value for key, value in payload.items() if key != "_save"}
    return client.post(url, {**encode_data(payload), "_save": "Gem"})


def _snapshot(model: type[models.Model], obj: models.Model | None):
    if obj is None:
        return model._default_manager.count()
    return model_to_dict(model._default_manager.get(pk=obj.pk))


def assert_admin_refuses(
    client, model: type[models.Model], field: str, message: str, obj: models.Model | None = None, **data
):
    """The admin answers 200 with the Danish message on ``field`` and saves nothing."""
    before = _snapshot(model, obj)
    response = admin_post(client, model, obj, **data)
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    errors = response.context["adminform"].form.errors
    assert any(text.startswith(str(message)) for text in errors.get(field, [])), (
        f"expected {message!r} on {field!r}, got {errors.as_data()!r}"
    )
    assert escape(str(message)) in response.content.decode()
    assert _snapshot(model, obj) == before, "the admin saved a change it refused"
    return response


def assert_inline_refused(response, field: str, message: str) -> None:
    """The admin answers 200 with the Danish message on ``field`` of a row of its (only) inline."""
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    (inline,) = response.context["inline_admin_formsets"]
    errors = [text for form in inline.formset.forms for text in form.errors.get(field, [])]
    assert any(text.startswith(str(message)) for text in errors), errors
    assert escape(str(message)) in response.content.decode()


def assert_admin_accepts(client, model: type[models.Model], obj: models.Model | None = None, **data):
    response = admin_post(client, model, obj, **data)
    if response.status_code == 200:
        form = response.context["adminform"].form
        inline_errors = [inline.formset.errors for inline in response.context["inline_admin_formsets"]]
        pytest.fail(f"the admin refused: {form.errors.as_data()!r} {inline_errors!r}")
    assert response.status_code == 302
    return response


# --- the database itself -------------------------------------------------------------------


@contextmanager
def refused_by_database(
    name: str | tuple[str, ...], *, unique_columns: str | None = None
) -> Iterator[pytest.ExceptionInfo]:
    """The database raises IntegrityError naming the constraint (or one of ``name``'s constraints).

    SQLite names CHECK constraints in its errors but not UNIQUE ones: for those it lists the
    columns, given here as ``unique_columns`` (e.g. ``"members_party.letter"``).
    """
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        yield excinfo
    text = str(excinfo.value)
    if unique_columns is not None and connection.vendor == "sqlite":
        assert f"UNIQUE constraint failed: {unique_columns}" in text
    else:
        names = (name,) if isinstance(name, str) else name
        assert any(f'"{constraint}"' in text or text.endswith(constraint) for constraint in names), text
