"""Input on Min side and through the model layer (services, imports, bulk writes, lookups).

Min side's contact form follows the same rules as the admin (kkr_portal.text): limits named in
Danish, invisible characters refused, the phone stored as 12 34 56 78 and the address in lower
case, so typing the same details another way changes nothing.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members import profile
from members.models import Person, SecretariatContact
from members.search import name_matches, search_words
from tests import factories, rules_helpers

pytestmark = pytest.mark.django_db

frozen_today = rules_helpers.frozen_today

MY_PAGE = reverse("my_page")
INVISIBLE = "Teksten indeholder et usynligt tegn eller et styretegn"
ANGSTROM_ONE, ANGSTROM_TWO = "\u00c5", "A\u030a"


def post_contact(client, **values):
    return client.post(MY_PAGE, {"phone": "", "email": "medlem@example.dk", "bio": "", **values})


# --- Min side ------------------------------------------------------------------------------------


def test_min_side_shows_the_limit_of_every_field(signed_in, member):
    form = signed_in.get(MY_PAGE).context["form"]

    assert 'maxlength="30"' in str(form["phone"])
    assert 'maxlength="254"' in str(form["email"])
    assert 'maxlength="1000"' in str(form["bio"])
    assert form["bio"].help_text == "Højst 1000 tegn. Vises på din side i Blå Bog."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "1" * 31, "Telefonnummeret må højst have 30 tegn."),
        ("email", "a" * 244 + "@kommune.dk", "E-mailadressen må højst have 254 tegn."),
        ("bio", "x" * 1001, "Biografien må højst have 1000 tegn (den har 1001)."),
    ],
)
def test_one_character_over_a_limit_on_min_side_names_the_limit(signed_in, member, field, value, message):
    before = member.history.count()

    response = post_contact(signed_in, **{field: value})

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert member.history.count() == before


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u2066", "\u200b", "\ufeff", "\u2060"])
@pytest.mark.parametrize(
    ("field", "value"), [("phone", "12 34 56 78{}"), ("email", "med{}lem@example.dk"), ("bio", "Landmand{} på Fyn")]
)
def test_an_invisible_character_on_min_side_is_refused_with_a_message(signed_in, member, char, field, value):
    before = member.history.count()

    response = post_contact(signed_in, **{field: value.format(char)})

    assert response.status_code == 200
    assert any(error.startswith(INVISIBLE) for error in response.context["form"].errors[field])
    member.refresh_from_db()
    assert (member.phone, member.email, member.bio) == ("", "medlem@example.dk", "")
    assert member.history.count() == before


@pytest.mark.parametrize("typed", ["12345678", "+45 12 34 56 78", "0045 12345678", "+4512345678", "1234 5678"])
def test_a_phone_number_on_min_side_is_stored_in_one_form(signed_in, member, typed):
    assert post_contact(signed_in, phone=typed).status_code == 302

    member.refresh_from_db()
    assert member.phone == "12 34 56 78"


def test_the_same_number_and_address_typed_another_way_change_nothing(signed_in, member):
    post_contact(signed_in, phone="12 34 56 78")
    before = member.history.count()

    response = post_contact(signed_in, phone="+4512345678", email="Medlem@Example.DK")

    assert response.status_code == 302
    assert member.history.count() == before
    messages = [str(message) for message in response.wsgi_request._messages]
    assert messages[-1] == "Der var ingen ændringer at gemme."


def test_an_address_on_min_side_is_stored_in_lower_case(signed_in, member):
    assert post_contact(signed_in, email="Anne.Jensen@Odense.DK").status_code == 302

    member.refresh_from_db()
    assert member.email == "anne.jensen@odense.dk"


def test_a_phone_number_that_is_no_number_is_refused_on_min_side(signed_in, member):
    response = post_contact(signed_in, phone="ring efter kl. 17")

    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "Skriv et dansk telefonnummer med 8 cifre, fx 12 34 56 78, eller et udenlandsk nummer med + og landekode."
    ]


def test_the_service_stores_the_same_forms_as_the_form(member):
    person = profile.update_own_contact_details(
        person=member,
        phone="+45 87 65 43 21",
        email=" Medlem@Kommune.DK ",
        bio="Født i \u00c5rhus",
        changed_by=member.user,
    )

    assert (person.phone, person.email) == ("87 65 43 21", "medlem@kommune.dk")


def test_the_service_refuses_an_invisible_character_the_form_did_not_see(member):
    with pytest.raises(ValidationError) as error:
        profile.update_own_contact_details(
            person=member, phone="", email="medlem@example.dk", bio="Landmand\u202e", changed_by=member.user
        )

    rules_helpers.assert_refused(error, "bio", INVISIBLE)


# --- the model layer: services, bulk writes, lookups -------------------------------------------


def test_full_clean_refuses_an_invisible_character_in_a_name():
    person = Person(name="Anne\u200b Jensen", sort_name="Jensen, Anne", slug="anne-jensen")

    with pytest.raises(ValidationError) as error:
        person.full_clean()

    rules_helpers.assert_refused(error, "name", INVISIBLE)


def test_a_bio_over_its_limit_is_refused_by_the_model_not_only_by_the_form():
    person = Person(name="Anne Jensen", sort_name="Jensen, Anne", slug="anne-jensen", bio="x" * 1001)

    with pytest.raises(ValidationError) as error:
        person.full_clean()

    rules_helpers.assert_refused(error, "bio", "Denne værdi må højst have 1000 tegn (den har 1001).")


def test_a_save_that_skips_validation_still_stores_the_normal_forms():
    person = Person.objects.create(
        name=f"{ANGSTROM_TWO}se Holm",
        sort_name=f"Holm, {ANGSTROM_TWO}se",
        slug="aase-holm",
        phone="0045 1234 5678",
        email="Aase@Holm.DK",
    )

    # The instance shows what was stored, and so does the database.
    stored = Person.objects.values("name", "sort_name", "phone", "email").get(pk=person.pk)
    expected = {
        "name": f"{ANGSTROM_ONE}se Holm",
        "sort_name": f"Holm, {ANGSTROM_ONE}se",
        "phone": "12 34 56 78",
        "email": "aase@holm.dk",
    }
    assert stored == expected
    assert {key: getattr(person, key) for key in expected} == expected


def test_bulk_create_stores_the_normal_forms_too():
    Person.objects.bulk_create(
        [Person(name=f"{ANGSTROM_TWO}se", sort_name=f"{ANGSTROM_TWO}se", slug="aase", phone="+4511223344")]
    )

    assert Person.objects.values_list("name", "phone").get(slug="aase") == (f"{ANGSTROM_ONE}se", "11 22 33 44")


def test_lookups_find_a_name_number_or_address_typed_another_way():
    person = factories.PersonFactory(name=f"{ANGSTROM_ONE}se Holm", phone="12 34 56 78", email="aase@holm.dk")

    assert Person.objects.get(name=f"{ANGSTROM_TWO}se Holm") == person
    assert Person.objects.get(phone="+45 1234 5678") == person
    assert Person.objects.get(email="AASE@Holm.dk") == person


def test_the_name_search_finds_a_name_typed_with_a_combining_ring():
    stored = factories.PersonFactory(name=f"{ANGSTROM_ONE}se {ANGSTROM_ONE}gård")
    typed_apart = factories.PersonFactory(name=f"{ANGSTROM_TWO}se Holm")

    found = Person.objects.filter(name_matches(search_words(f"{ANGSTROM_TWO}se")))

    assert set(found) == {stored, typed_apart}


def test_a_secretariat_contact_saved_by_a_service_has_the_normal_forms(syddanmark):
    contact = SecretariatContact.objects.create(
        council=syddanmark, kind="kkr", unit="KKR-sekretariatet", name="Bo", phone="2383 2028", email="BEL@KL.dk"
    )

    contact.refresh_from_db()
    assert (contact.phone, contact.email) == ("23 83 20 28", "bel@kl.dk")


# --- the import ------------------------------------------------------------------------------------


def _csv_file(rows: list[list[str]]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return SimpleUploadedFile("liste.csv", buffer.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.fixture
def import_client(client, staff_syddanmark):
    from django.contrib.auth.models import Permission

    staff_syddanmark.user_permissions.set(Permission.objects.all())
    client.force_login(staff_syddanmark)
    return client


def test_an_import_stores_the_normal_forms(import_client, frozen_today):
    upload = _csv_file(
        [
            ["Navn", "E-mail", "Telefon", "Kommunekode"],
            [f"{ANGSTROM_TWO}se Holm", "Aase@Holm.DK", "+45 1234 5678", "461"],
        ]
    )
    preview = import_client.post(reverse("admin:members_person_import"), {"import_file": upload, "format": ""})
    form = preview.context["confirm_form"]
    assert form is not None, preview.context["problems"]

    done = import_client.post(
        reverse("admin:members_person_process_import"), {name: form.initial.get(name, "") for name in form.fields}
    )

    assert done.status_code == 302
    person = Person.objects.get(email="aase@holm.dk")
    assert (person.name, person.phone) == (f"{ANGSTROM_ONE}se Holm", "12 34 56 78")


def test_an_import_reports_an_invisible_character_by_row_and_column_and_writes_nothing(import_client, frozen_today):
    upload = _csv_file([["Navn", "Kommunekode"], ["God Række", "461"], ["Anne \u202enesneJ", "461"]])
    before = Person.objects.count()

    preview = import_client.post(reverse("admin:members_person_import"), {"import_file": upload, "format": ""})

    problems = [(problem["row"], str(problem["message"])) for problem in preview.context["problems"]]
    assert any(row == 3 and message.startswith(INVISIBLE) for row, message in problems), problems
    assert Person.objects.count() == before
