"""The portal's text rules themselves (kkr_portal.text): what is refused, what is normalised."""

from __future__ import annotations

import unicodedata

import pytest
from django import forms
from django.core.exceptions import ValidationError

from kkr_portal import text
from members.search import fold, search_words

BIDI_CONTROLS = [chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]
ANGSTROM_ONE = "\u00c5se"  # Å as one character
ANGSTROM_TWO = "A\u030ase"  # A and a combining ring above


@pytest.mark.parametrize("char", ["\x00", *BIDI_CONTROLS, *ZERO_WIDTH], ids=lambda char: f"U+{ord(char):04X}")
def test_a_nul_a_bidi_control_or_a_zero_width_character_is_refused_with_a_message_naming_it(char):
    with pytest.raises(ValidationError) as error:
        text.validate_plain_text(f"Anne{char} Jensen")

    (message,) = error.value.messages
    assert message.startswith("Teksten indeholder et usynligt tegn eller et styretegn")
    assert f"U+{ord(char):04X}" in message


def test_other_control_characters_are_refused_as_well_but_not_tab_and_line_breaks():
    # Excel exports (openpyxl) cannot hold a vertical tab or a bell.
    for char in ["\x07", "\x0b", "\x1b", "\x7f", "\x85"]:
        with pytest.raises(ValidationError):
            text.validate_plain_text(f"a{char}b")
    text.validate_plain_text("Første linje\r\nAnden linje\tmed tabulator")


def test_danish_letters_accents_and_other_scripts_are_ordinary_text():
    text.validate_plain_text("Ærø, Søren Ågård, Zoë Müller-Łukasiewicz, Σωκράτης, محمد, 李")


def test_several_refused_characters_are_named_once_each():
    with pytest.raises(ValidationError) as error:
        text.validate_plain_text("\u202eA\u200bB\u202eC")

    assert error.value.messages == [
        "Teksten indeholder usynlige tegn eller styretegn (U+202E, U+200B). Fjern dem, og prøv igen."
    ]


def test_text_is_brought_to_nfc_so_a_name_typed_two_ways_is_one_name():
    assert ANGSTROM_ONE != ANGSTROM_TWO
    assert text.nfc(ANGSTROM_TWO) == text.nfc(ANGSTROM_ONE) == ANGSTROM_ONE


def test_the_search_key_is_the_same_for_both_ways_of_typing_a_name():
    assert fold(ANGSTROM_TWO) == fold(ANGSTROM_ONE)
    assert search_words(f"{ANGSTROM_TWO}gård") == search_words(f"{ANGSTROM_ONE}gård")
    assert unicodedata.is_normalized("NFC", ANGSTROM_ONE)


@pytest.mark.parametrize(
    "typed",
    [
        "12345678",
        "12 34 56 78",
        "1234 5678",
        "+45 12 34 56 78",
        "+4512345678",
        "0045 12345678",
        "0045 12 34 56 78",
        "4512345678",
        "(+45) 12 34 56 78",
        "+45 1234-5678",
        "  12.34.56.78 ",
    ],
)
def test_a_danish_phone_number_in_any_common_form_is_stored_in_one_form(typed):
    assert text.normalise_phone(typed) == "12 34 56 78"
    text.validate_phone(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+46 8 123 456 78", "+46 8 123 456 78"),
        ("0046 8 123 456 78", "+46 8 123 456 78"),
        ("+49-30-1234567", "+49 30 1234567"),
    ],
)
def test_a_foreign_number_keeps_its_country_code_and_grouping(typed, stored):
    assert text.normalise_phone(typed) == stored
    text.validate_phone(typed)


@pytest.mark.parametrize(
    "typed", ["1234567", "123456789", "+45 1234567", "+45 123456789", "ring til mig", "12-34-56-7x"]
)
def test_something_that_is_no_phone_number_is_refused(typed):
    with pytest.raises(ValidationError) as error:
        text.validate_phone(typed)

    assert error.value.messages == [
        "Skriv et dansk telefonnummer med 8 cifre, fx 12 34 56 78, eller et udenlandsk nummer med + og landekode."
    ]


def test_an_email_address_is_kept_in_lower_case():
    assert text.normalise_email("  Anne.Jensen@Odense.DK ") == "anne.jensen@odense.dk"


def test_the_form_mixin_gives_every_text_field_the_rules_but_leaves_passwords_alone():
    class Form(text.PlainTextFormMixin, forms.Form):
        name = forms.CharField(max_length=10)
        email = forms.EmailField()
        password = forms.CharField(widget=forms.PasswordInput)

    form = Form({"name": ANGSTROM_TWO, "email": "Anne@Odense.DK", "password": "hemme\u200blig"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"name": ANGSTROM_ONE, "email": "anne@odense.dk", "password": "hemme\u200blig"}

    refused = Form({"name": "An\u202ene", "email": "anne@oden\u200bse.dk", "password": "x"})
    assert not refused.is_valid()
    assert set(refused.errors) == {"name", "email"}
    # The class itself is untouched: another form built from it starts from Django's fields.
    assert type(Form.base_fields["name"]) is forms.CharField


def test_a_nul_gets_one_message_not_two():
    class Form(text.PlainTextFormMixin, forms.Form):
        name = forms.CharField()

    form = Form({"name": "An\x00ne"})
    assert not form.is_valid()
    assert form.errors["name"] == [
        "Teksten indeholder et usynligt tegn eller et styretegn (U+0000). Fjern det, og prøv igen."
    ]


def test_the_length_is_counted_after_normalisation():
    class Form(text.PlainTextFormMixin, forms.Form):
        name = forms.CharField(max_length=3)

    form = Form({"name": ANGSTROM_TWO})  # four code points typed, three stored

    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == ANGSTROM_ONE
