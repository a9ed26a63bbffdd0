"""Input at login: allauth's forms with the portal's text rules, and one login per address.

allauth finds a login by the lower-case address, so the user model keeps addresses in lower case
(kkr_portal.text.lowercase_user_email) and the database refuses a second login whose address
differs only in case (members migration 0007).
"""

from __future__ import annotations

import pytest
from allauth.account import app_settings as account_settings
from allauth.mfa import app_settings as mfa_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from members import forms as member_forms
from tests import factories

pytestmark = pytest.mark.django_db

INVISIBLE = "Teksten indeholder et usynligt tegn eller et styretegn"
User = get_user_model()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _errors(response, field: str) -> list[str]:
    assert response.status_code == 200, response.get("Location")
    return list(response.context["form"].errors.get(field, []))


# --- the forms -----------------------------------------------------------------------------------


def test_allauth_uses_the_portals_login_and_code_forms():
    wanted = {
        "login": member_forms.LoginForm,
        "request_login_code": member_forms.RequestLoginCodeForm,
        "confirm_login_code": member_forms.ConfirmLoginCodeForm,
        "reset_password": member_forms.ResetPasswordForm,
    }
    assert {key: import_string(account_settings.FORMS[key]) for key in wanted} == wanted
    assert import_string(mfa_settings.FORMS["authenticate"]) is member_forms.AuthenticateForm


@pytest.mark.parametrize("url_name", ["account_request_login_code", "account_reset_password"])
def test_an_address_one_character_over_its_limit_names_the_limit(client, url_name):
    response = client.post(reverse(url_name), {"email": "a" * 310 + "@kommune.dk"})

    assert any("højst have 320 tegn (den har 321)" in error for error in _errors(response, "email"))


def test_the_login_forms_address_names_its_limit_too(client):
    response = client.post(reverse("account_login"), {"login": "a" * 310 + "@kommune.dk", "password": "x"})

    assert any("højst have 320 tegn (den har 321)" in error for error in _errors(response, "login"))


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u200b", "\ufeff"], ids=["NUL", "RLO", "ZWSP", "BOM"])
def test_an_invisible_character_in_the_address_is_refused_with_a_message(client, member, char):
    # In the domain, a zero-width space passes Django's own check (IDNA maps it away).
    response = client.post(reverse("account_request_login_code"), {"email": f"medlem@exam{char}ple.dk"})

    assert any(error.startswith(INVISIBLE) for error in _errors(response, "email"))
    assert mail.outbox == []


def test_an_invisible_character_on_the_password_login_is_refused_with_a_message(client):
    response = client.post(reverse("account_login"), {"login": "admin@exam\u200bple.dk", "password": "x"})

    assert any(error.startswith(INVISIBLE) for error in _errors(response, "login"))


@pytest.mark.parametrize(
    ("code", "message"),
    [("A" * 21, "Denne værdi må højst have 20 tegn (den har 21)."), ("ABCD-\u202eEFGH", INVISIBLE)],
    ids=["too-long", "RLO"],
)
def test_the_login_code_has_a_limit_and_refuses_invisible_characters(client, member, code, message):
    client.post(reverse("account_request_login_code"), {"email": member.user.email})
    page = client.get(reverse("account_confirm_login_code"))
    assert 'maxlength="20"' in str(page.context["form"]["code"])

    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    assert any(error.startswith(message) for error in _errors(response, "code"))


def test_the_second_factors_code_has_a_limit(superuser):
    form = member_forms.AuthenticateForm(user=superuser, data={"code": "1" * 21})

    assert not form.is_valid()
    assert form.errors["code"] == ["Denne værdi må højst have 20 tegn (den har 21)."]


# --- one login per address -------------------------------------------------------------------------


def test_a_login_stored_with_capitals_gets_its_code():
    user = factories.UserFactory(email="Anne.Jensen@Odense.DK")
    factories.PersonFactory(user=user, email="anne.jensen@odense.dk")
    user.refresh_from_db()
    assert user.email == "anne.jensen@odense.dk"

    response = Client().post(reverse("account_request_login_code"), {"email": "anne.jensen@odense.dk"})

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["anne.jensen@odense.dk"]]


def test_the_database_refuses_a_second_login_with_the_address_in_another_case():
    factories.UserFactory(email="anne@odense.dk")

    # bulk_create skips the model's pre_save: the database itself must refuse.
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        User.objects.bulk_create([User(username="anne2", email="Anne@Odense.dk")])

    assert "auth_user_email_lower_unique" in str(error.value)


def test_saving_a_second_login_with_the_address_in_another_case_is_refused_too():
    factories.UserFactory(email="anne@odense.dk")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="anne2", email="ANNE@odense.dk")


def test_logins_without_an_address_are_not_one_login():
    User.objects.bulk_create([User(username="uden-1", email=""), User(username="uden-2", email="")])

    assert User.objects.filter(email="").count() == 2


def test_the_unique_index_is_on_lower_email():
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, User._meta.db_table)
    assert indexes["auth_user_email_lower_unique"]["unique"] is True
