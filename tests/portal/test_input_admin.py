"""Input in the admin: every add form names its limits, refuses invisible characters, and stores
names, phone numbers and addresses in one form (kkr_portal.text through the models' fields).

The form tests are generated from ``admin.site._registry``: a model registered later is covered
without touching this file.
"""

from __future__ import annotations

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.validators import MaxLengthValidator
from django.db import models
from django.test import RequestFactory

from agreements.models import Agreement
from kkr_portal.admin_forms import PlainTextAdminMixin
from kkr_portal.text import PLAIN_MODEL_FIELDS, validate_plain_text
from members.models import Meeting, Party, Person, SecretariatContact
from reminders.models import Delivery
from tests import factories, rules_helpers
from tests.rules_helpers import admin_post, admin_url, assert_admin_accepts, assert_admin_refuses

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client

PORTAL_APPS = ["members", "fora", "agreements", "reminders", "elections"]
# The apps whose models' fields carry the text rules (reminders' addresses are written by the
# reminder services; its admin gets the rules from PlainTextAdminMixin).
TEXT_RULE_APPS = ["members", "fora", "agreements", "elections"]
INVISIBLE = "Teksten indeholder et usynligt tegn eller et styretegn"
ANGSTROM_ONE, ANGSTROM_TWO = "\u00c5", "A\u030a"


def _addable(model_admin) -> bool:
    request = RequestFactory().get("/")
    request.user = get_user_model()(is_staff=True, is_superuser=True, is_active=True)
    return model_admin.has_add_permission(request)


def _has_text(model_admin) -> bool:
    """The add form (or one of its inlines) has a free-text field: chosen from the model's fields,
    as the parameters are chosen before any request."""
    for model in [model_admin.model, *(inline.model for inline in model_admin.inlines)]:
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField) and field.editable and not field.choices:
                return True
    return False


ADDABLE = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if _addable(model_admin) and _has_text(model_admin)
    ),
    key=lambda item: item[0]._meta.label,
)
RULED = [(model, model_admin) for model, model_admin in ADDABLE if model._meta.app_label in TEXT_RULE_APPS]


def _ids(items) -> list[str]:
    return [model._meta.label for model, _admin in items]


def _text_fields(page) -> dict[str, tuple[forms.CharField, str | None]]:
    """The add page's text inputs: html name → (field, the inline's prefix or None)."""
    found = {}
    for bound in page.context["adminform"].form:
        if _is_text(bound.field):
            found[bound.html_name] = (bound.field, None)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, field in formset.form.base_fields.items():
            if _is_text(field) and name in formset.empty_form.fields:
                found[f"{formset.prefix}-0-{name}"] = (formset.empty_form.fields[name], formset.prefix)
    return found


def _is_text(field) -> bool:
    """Free text: not a password (a secret, compared and never shown), not JSON (structured)."""
    return (
        isinstance(field, forms.CharField)
        and not isinstance(field, forms.JSONField)
        and not isinstance(field.widget, forms.PasswordInput)
    )


def _one_inline_row(page) -> dict:
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def _errors(response, html_name: str, prefix: str | None) -> list[str]:
    if prefix is None:
        return list(response.context["adminform"].form.errors.get(html_name, []))
    name = html_name.removeprefix(f"{prefix}-0-")
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == prefix:
            return list(inline.formset.forms[0].errors.get(name, []))
    raise AssertionError(f"no inline {prefix}")


# --- limits ------------------------------------------------------------------------------------


def test_every_text_field_of_the_portal_models_has_a_limit_the_model_checks():
    unlimited = []
    for app in PORTAL_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.CharField | models.TextField) or not field.editable:
                    continue  # search_name: derived from the name by save()
                if not any(isinstance(validator, MaxLengthValidator) for validator in field.validators):
                    unlimited.append(f"{model._meta.label}.{field.name}")
    # The outbox's last SMTP error is written by the reminder task and is read-only in the admin.
    assert "last_error" in admin.site._registry[Delivery].readonly_fields
    assert [name for name in unlimited if "Historical" not in name] == ["reminders.Delivery.last_error"]


@pytest.mark.parametrize(("model", "model_admin"), ADDABLE, ids=_ids(ADDABLE))
def test_every_text_field_of_an_add_form_shows_its_limit_and_one_character_over_names_it(
    staff_client, model, model_admin
):
    page = staff_client.get(admin_url(model))
    fields = _text_fields(page)
    assert fields
    html = page.content.decode()
    before = model._default_manager.count()
    data = _one_inline_row(page)
    for html_name, (field, _prefix) in fields.items():
        assert field.max_length, f"{html_name} has no limit"
        if _prefix is None:
            assert f'maxlength="{field.max_length}"' in html
        data[html_name] = "x" * (field.max_length + 1)

    response = admin_post(staff_client, model, **data)

    assert response.status_code == 200
    for html_name, (field, prefix) in fields.items():
        errors = _errors(response, html_name, prefix)
        limit = f"højst have {field.max_length} tegn (den har"
        assert any(limit in error for error in errors), f"{html_name}: {errors}"
    assert model._default_manager.count() == before


# --- invisible characters ------------------------------------------------------------------------


def _with_invisible_character(field) -> str:
    """A value that is valid but for one invisible character (so only the text rules refuse it)."""
    if isinstance(field, forms.EmailField):
        return "anne@ode\u200bnse.dk"  # IDNA maps a zero-width space away: Django's own check passes
    if isinstance(field, forms.URLField):
        return "https://ode\u202ense.dk/"
    if isinstance(field, forms.SlugField):
        return "ode\u200bnse"
    return "Ode\u202ense"


@pytest.mark.parametrize(("model", "model_admin"), RULED, ids=_ids(RULED))
def test_every_text_field_of_an_add_form_refuses_an_invisible_character(staff_client, model, model_admin):
    page = staff_client.get(admin_url(model))
    fields = _text_fields(page)
    assert fields
    data = _one_inline_row(page)
    for html_name, (field, _prefix) in fields.items():
        data[html_name] = _with_invisible_character(field)

    before = model._default_manager.count()
    response = admin_post(staff_client, model, **data)

    assert response.status_code == 200
    for html_name, (field, prefix) in fields.items():
        errors = _errors(response, html_name, prefix)
        assert errors, f"{html_name} accepted an invisible character"
        if not isinstance(field, forms.SlugField):  # a slug has its own rule: letters, digits, -
            assert any(error.startswith(INVISIBLE) for error in errors), f"{html_name}: {errors}"
    assert model._default_manager.count() == before


def test_a_text_field_of_a_change_form_refuses_a_right_to_left_override(staff_client):
    person = factories.PersonFactory(name="Anne Jensen")

    assert_admin_refuses(staff_client, Person, "name", INVISIBLE, obj=person, name="Anne \u202enesneJ")


# --- one name, one number, one address -----------------------------------------------------------


def test_a_name_typed_with_a_combining_ring_is_stored_in_nfc(staff_client):
    assert_admin_accepts(
        staff_client, Person, name=f"{ANGSTROM_TWO}se Holm", sort_name=f"Holm, {ANGSTROM_TWO}se", slug="aase-holm"
    )

    person = Person.objects.get(slug="aase-holm")
    assert (person.name, person.sort_name) == (f"{ANGSTROM_ONE}se Holm", f"Holm, {ANGSTROM_ONE}se")
    assert Person.objects.filter(name=f"{ANGSTROM_TWO}se Holm").get() == person


def test_a_party_name_typed_the_other_way_is_the_same_name_and_refused_as_a_duplicate(staff_client):
    Party.objects.create(name=f"{ANGSTROM_ONE}rhus-listen", short_name="Å-listen")

    assert_admin_refuses(
        staff_client,
        Party,
        "name",
        "Et parti med dette navn findes allerede.",
        name=f"{ANGSTROM_TWO}rhus-listen",
        short_name="Å2",
        kind="national",
    )


@pytest.mark.parametrize("typed", ["12345678", "+45 12 34 56 78", "0045 1234 5678", "+4512345678"])
def test_a_phone_number_typed_in_the_admin_is_stored_in_one_form(staff_client, typed):
    person = factories.PersonFactory(phone="")

    assert_admin_accepts(staff_client, Person, person, phone=typed)

    person.refresh_from_db()
    assert person.phone == "12 34 56 78"


def test_a_secretariat_contacts_number_and_address_are_stored_in_one_form(staff_client, syddanmark):
    assert_admin_accepts(
        staff_client,
        SecretariatContact,
        council=syddanmark,
        kind="kkr",
        unit="KKR-sekretariatet",
        name="Birgitte Lambrechtsen",
        phone="+45 2383 2028",
        email="BEL@KL.dk",
    )

    contact = SecretariatContact.objects.get(name="Birgitte Lambrechtsen")
    assert (contact.phone, contact.email) == ("23 83 20 28", "bel@kl.dk")


def test_a_phone_number_that_is_no_number_is_refused_in_the_admin(staff_client):
    person = factories.PersonFactory(phone="")

    assert_admin_refuses(
        staff_client, Person, "phone", "Skriv et dansk telefonnummer med 8 cifre", obj=person, phone="ring efter 17"
    )


def test_an_address_typed_in_capitals_in_the_admin_is_stored_in_lower_case(staff_client):
    person = factories.PersonFactory(email="")

    assert_admin_accepts(staff_client, Person, person, email="Anne.Jensen@Odense.DK")

    person.refresh_from_db()
    assert person.email == "anne.jensen@odense.dk"


# --- the admins of Django's and allauth's models -------------------------------------------------


def _with_text_rules(model):
    """The registered admin, which has the rules through CouncilScopedAdmin (members/admin.py
    gives Django's and allauth's admins the same base)."""
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, PlainTextAdminMixin)
    return model_admin


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def test_the_text_rules_reach_the_group_admin_through_the_mixin(superuser):
    form_class = _with_text_rules(Group).get_form(_request(superuser))

    form = form_class({"name": "Sekretariat\u200b"})

    assert not form.is_valid()
    assert form.errors["name"][0].startswith(INVISIBLE)


def test_a_login_address_another_login_has_in_other_case_is_refused_on_the_user_form(superuser):
    factories.UserFactory(email="anne@odense.dk")
    other = factories.UserFactory(email="bo@odense.dk")
    model_admin = _with_text_rules(get_user_model())
    form_class = model_admin.get_form(_request(superuser), obj=other, change=True)
    data = {
        "username": other.username,
        "email": "Anne@Odense.DK",
        "first_name": "",
        "last_name": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "12:00:00",
        "is_active": "on",
    }

    form = form_class(data, instance=other)

    assert not form.is_valid()
    assert form.errors["email"] == ["Et andet login har allerede denne e-mailadresse."]
    # Its own address, in another case, is its own.
    assert form_class({**data, "email": "Bo@Odense.DK"}, instance=other).is_valid()


def test_every_registered_admin_has_the_text_rules():
    missing = [model._meta.label for model, model_admin in ADDABLE if not isinstance(model_admin, PlainTextAdminMixin)]
    assert missing == []


def test_the_portal_models_text_fields_carry_the_rules_themselves():
    """Without the mixin, the portal's admins, services and imports follow the rules because the
    fields do. Slugs have their own rule (letters, digits, -); the calendar nonce is generated."""
    without = []
    for app in TEXT_RULE_APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical"):
                continue
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.CharField | models.TextField) or not field.editable or field.choices:
                    continue
                if isinstance(field, models.SlugField) or validate_plain_text in field.validators:
                    continue
                without.append(f"{model._meta.label}.{field.name}")
    assert without == ["members.CalendarFeed.nonce"]
    assert all(isinstance(Person._meta.get_field(name), PLAIN_MODEL_FIELDS) for name in ["name", "email", "phone"])


# --- a forged id in an autocomplete field ------------------------------------------------------------


def test_a_forged_id_in_an_autocomplete_field_is_refused_and_the_form_shown_again_through_the_mixin(superuser):
    """Django's AutocompleteSelect looks the submitted id up to show it again; ``1.5`` for an
    integer key raises ValueError there (found by tests/portal/test_property_forms.py)."""
    form_class = _with_text_rules(Agreement).get_form(_request(superuser))

    for forged in ["1.5", str(2**70)]:  # no number; a number SQLite cannot look up (OverflowError)
        form = form_class({"previous": forged})

        assert not form.is_valid()
        assert form.errors["previous"][0].startswith("Marker en gyldig valgmulighed.")
        assert 'name="previous"' in str(form["previous"])  # rendered without the lookup failing


def test_a_forged_id_of_more_than_64_bits_in_a_many_to_many_choice_is_refused_through_the_mixin(superuser):
    """Django looks it up, and SQLite cannot (OverflowError); PostgreSQL finds nothing."""
    form_class = _with_text_rules(Group).get_form(_request(superuser))

    form = form_class({"name": "Sekretariat", "permissions": [str(2**70)]})

    assert not form.is_valid()
    assert form.errors["permissions"] == [f"“{2**70}” er ikke en gyldig værdi."]


def test_a_forged_id_in_an_autocomplete_field_gets_the_form_again_not_a_server_error(staff_client):
    response = admin_post(staff_client, Agreement, previous="1.5")

    assert response.status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_a_meeting_outside_this_century_is_refused_with_a_message(staff_client, syddanmark, day):
    assert_admin_refuses(
        staff_client,
        Meeting,
        "starts_at",
        "Mødet skal ligge mellem år 2000 og 2099.",
        council=syddanmark,
        title="KKR-møde",
        starts_at_0=day,
        starts_at_1="00:00:00",
        ends_at_0="2026-03-02",
        ends_at_1="12:00:00",
    )
