"""The data migrations that bring stored text to the rules (members 0006/0007, fora 0004,
agreements 0002), run against rows written past the model (raw SQL), as old rows were."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection

from fora.models import Forum
from kkr_portal import text
from members.models import Person, SecretariatContact
from tests import factories

pytestmark = pytest.mark.django_db

USER_EMAILS = importlib.import_module("members.migrations.0007_user_email_lower_unique")
User = get_user_model()


def write_raw(model, pk, **values) -> None:
    """Write values as an old row holds them: past save(), pre_save and get_prep_value."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {columns} WHERE id = %s", [*values.values(), pk])  # noqa: S608


def read_raw(model, pk, *names) -> tuple:
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()


def test_stored_people_and_contacts_get_nfc_names_one_phone_form_lower_case_addresses(syddanmark):
    person = factories.PersonFactory(name="Aase Holm")
    contact = SecretariatContact.objects.create(council=syddanmark, kind="kkr", unit="KKR", name="Bo")
    write_raw(
        Person,
        person.pk,
        name="A\u030ase\u200b Holm",
        sort_name="Holm,\u202e Aase",
        phone="+4512345678",
        email="Aase@Holm.DK",
    )
    write_raw(SecretariatContact, contact.pk, phone="0045 2383 2028", email="BEL@KL.dk", title="Konsulent\ufeff")

    changed = text.normalise_stored_text(apps, "members")

    assert changed == 2
    assert read_raw(Person, person.pk, "name", "sort_name", "phone", "email") == (
        "\u00c5se Holm",
        "Holm, Aase",
        "12 34 56 78",
        "aase@holm.dk",
    )
    assert read_raw(SecretariatContact, contact.pk, "phone", "email", "title") == (
        "23 83 20 28",
        "bel@kl.dk",
        "Konsulent",
    )


def test_a_stored_value_the_rules_cannot_mend_is_left_for_the_secretariat():
    person = factories.PersonFactory()
    write_raw(Person, person.pk, phone="ring efter 17")

    text.normalise_stored_text(apps, "members")

    assert read_raw(Person, person.pk, "phone") == ("ring efter 17",)


def test_history_rows_keep_what_was_written():
    person = factories.PersonFactory(name="Aase Holm")
    record = person.history.get()
    table = connection.ops.quote_name(record._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET name = %s WHERE history_id = %s", ["A\u030ase Holm", record.history_id])  # noqa: S608

    text.normalise_stored_text(apps, "members")

    assert type(record).objects.get(history_id=record.history_id).name == "A\u030ase Holm"


def test_stored_fora_text_is_mended_too(syddanmark):
    forum = Forum.objects.create(
        council=syddanmark, kind=factories.ForumFactory().kind, name="Erhvervshus Fyn", slug="erhvervshus-fyn-x"
    )
    write_raw(Forum, forum.pk, name="Erhvervshus\u200b Fyn", description="Bestyrelsen\u202e")

    assert text.normalise_stored_text(apps, "fora") == 1

    assert read_raw(Forum, forum.pk, "name", "description") == ("Erhvervshus Fyn", "Bestyrelsen")


def test_stored_login_addresses_are_brought_to_lower_case():
    user = factories.UserFactory(email="anne@odense.dk")
    write_raw(User, user.pk, email="Anne@Odense.DK")

    USER_EMAILS.lowercase_emails(apps, None)

    assert read_raw(User, user.pk, "email") == ("anne@odense.dk",)


def test_two_logins_sharing_an_address_stop_the_migration_with_their_ids():
    first = factories.UserFactory(email="anne@odense.dk")
    second = factories.UserFactory(email="bo@odense.dk")
    with connection.cursor() as cursor:  # as before the index: rolled back with the test
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(USER_EMAILS.INDEX)}")
    write_raw(User, second.pk, email="ANNE@odense.dk")

    with pytest.raises(RuntimeError) as error:
        USER_EMAILS.lowercase_emails(apps, None)

    assert f"[[{first.pk}, {second.pk}]]" in str(error.value)
