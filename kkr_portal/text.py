"""Text the portal accepts: one set of rules for forms, models, services, imports and lookups.

- **Refused** everywhere, with a message naming the character: NUL and the other control
  characters (PostgreSQL cannot store NUL; Excel exports cannot hold the others), the
  bidirectional controls U+202A-U+202E, U+2066-U+2069 (and the marks U+200E, U+200F, U+061C: a
  right-to-left override shows "Jensen" as "nesneJ", or a link's text as another address), and the
  zero-width characters U+200B-U+200D, U+2060, U+FEFF (two names that look the same would differ,
  and search would not find either).
- **Normalised** before anything is checked or compared: text to NFC, so "Å" typed as one
  character (U+00C5) or as A + ring (U+0041 U+030A) is one name; Danish phone numbers to
  ``12 34 56 78``; e-mail addresses to lower case (allauth looks logins up by the lower-case
  address, so a login stored as ``Anne@…`` would never get a code).

Models use the fields below (``PlainCharField``, ``PlainTextField``, ``PhoneField``,
``LowercaseEmailField``): they normalise in ``to_python`` (so ``full_clean``, uniqueness checks
and lookups see the normal form) and in ``pre_save`` (so a service, an import or ``bulk_create``
that skips validation stores it too), and give forms (the admin's included) form fields that do
the same. Other forms get the rules from ``PlainTextFormMixin``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# The limits of free text. Django's TextField has none; these are generous for what each holds.
DESCRIPTION_MAX_LENGTH = 2000
BIO_MAX_LENGTH = 1000  # members.profile.BIO_MAX_LENGTH, what Min side allows
NOTE_MAX_LENGTH = 1000

# Code points refused in any text. Tab, line feed and carriage return are ordinary text.
_CONTROLS = {chr(code) for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]} - {"\t", "\n", "\r"}
_BIDI_CONTROLS = {chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]}
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
FORBIDDEN = frozenset(_CONTROLS | _BIDI_CONTROLS | _ZERO_WIDTH)
_FORBIDDEN_PATTERN = re.compile("[" + "".join(re.escape(char) for char in sorted(FORBIDDEN)) + "]")


def nfc(value: str) -> str:
    """The composed form: what a Danish keyboard types, whichever way the text arrived."""
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def forbidden_characters(value: str) -> list[str]:
    """The refused characters in ``value``, each once, in order of appearance."""
    return list(dict.fromkeys(_FORBIDDEN_PATTERN.findall(value)))


def without_forbidden_characters(value: str) -> str:
    return _FORBIDDEN_PATTERN.sub("", value)


@deconstructible(path="kkr_portal.text.PlainTextValidator")
class PlainTextValidator:
    """Refuses text with an invisible or direction-changing character (see the module)."""

    code = "invisible_character"

    def __call__(self, value) -> None:
        if not isinstance(value, str):
            return
        found = forbidden_characters(value)
        if found:
            names = ", ".join(f"U+{ord(char):04X}" for char in found[:3])
            raise ValidationError(
                ngettext(
                    "Teksten indeholder et usynligt tegn eller et styretegn (%(characters)s). Fjern det, og prøv igen.",
                    "Teksten indeholder usynlige tegn eller styretegn (%(characters)s). Fjern dem, og prøv igen.",
                    len(found),
                ),
                code=self.code,
                params={"characters": names},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, PlainTextValidator)

    def __hash__(self) -> int:
        return hash(PlainTextValidator)


validate_plain_text = PlainTextValidator()


# --- Phone numbers -----------------------------------------------------------------------

# The separators people type in a phone number.
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]+")
# A Danish number: eight digits, with or without +45, 0045 or 45 in front.
_DANISH_PHONE = re.compile(r"(?:\+45|0045|45)?(\d{8})")
# A foreign number: + (or 00) and a country code other than Denmark's, 7-15 digits in all (E.164).
_FOREIGN_PHONE = re.compile(r"(?:\+|00)(?!45)[1-9]\d{6,14}")
STORED_DANISH_PHONE = re.compile(r"\d{2} \d{2} \d{2} \d{2}")


def normalise_phone(value: str) -> str:
    """A Danish number in the form Danes write it (``12 34 56 78``; without the ``+`` an export's
    cell is no formula, and the ``tel:`` link adds +45); a foreign number with ``+`` and its own
    grouping; anything else unchanged (``validate_phone`` refuses it).

    >>> [normalise_phone(v) for v in ["+45 1234 5678", "0045 12345678", "+46 8 123 456 78"]]
    ['12 34 56 78', '12 34 56 78', '+46 8 123 456 78']
    """
    text = nfc(value).strip()
    compact = _PHONE_SEPARATORS.sub("", text)
    if match := _DANISH_PHONE.fullmatch(compact):
        digits = match[1]
        return " ".join(digits[i : i + 2] for i in range(0, 8, 2))
    if _FOREIGN_PHONE.fullmatch(compact):
        spaced = _PHONE_SEPARATORS.sub(" ", text).strip()
        return "+" + spaced[2:].lstrip() if spaced.startswith("00") else spaced
    return text


def tel_uri(value: str) -> str:
    """The ``tel:`` link (RFC 3966) of a number: a Danish one with +45, so it dials from abroad.

    >>> [tel_uri(v) for v in ["23 83 20 28", "+46 8 123 456 78"]]
    ['tel:+4523832028', 'tel:+46812345678']
    """
    normal = normalise_phone(value)
    digits = _PHONE_SEPARATORS.sub("", normal)
    return f"tel:+45{digits}" if STORED_DANISH_PHONE.fullmatch(normal) else f"tel:{digits}"


def is_phone(value: str) -> bool:
    normal = normalise_phone(value)
    return bool(STORED_DANISH_PHONE.fullmatch(normal) or _FOREIGN_PHONE.fullmatch(_PHONE_SEPARATORS.sub("", normal)))


def validate_phone(value: str) -> None:
    if value and not is_phone(value):
        raise ValidationError(
            _(
                "Skriv et dansk telefonnummer med 8 cifre, fx 12 34 56 78, "
                "eller et udenlandsk nummer med + og landekode."
            ),
            code="invalid_phone",
        )


def normalise_email(value: str) -> str:
    return nfc(value).strip().lower()


# --- Form fields -----------------------------------------------------------------------------


class PlainFormFieldMixin:
    """A form text field that normalises first (before the length is counted) and then refuses
    invisible and direction-changing characters.

    The check runs in ``validate()``, before the field's validators: a NUL gets this message
    alone, not Django's "Null-tegn er ikke tilladte." as well.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return self.normalise(value) if isinstance(value, str) and value else value

    @staticmethod
    def normalise(value: str) -> str:
        return nfc(value)

    def validate(self, value) -> None:
        super().validate(value)
        validate_plain_text(value)


class _PlainEmailFormFieldMixin(PlainFormFieldMixin):
    @staticmethod
    def normalise(value: str) -> str:
        return normalise_email(value)


class PhoneFormField(PlainFormFieldMixin, forms.CharField):
    default_validators = [validate_phone]

    def __init__(self, **kwargs) -> None:
        widget = kwargs.pop("widget", None) or forms.TextInput
        super().__init__(widget=widget, **kwargs)
        self.widget.attrs.setdefault("autocomplete", "tel")
        self.widget.attrs.setdefault("inputmode", "tel")

    @staticmethod
    def normalise(value: str) -> str:
        return normalise_phone(value)


@cache
def _plain_class(field_class: type[forms.CharField]) -> type[forms.CharField]:
    mixin = _PlainEmailFormFieldMixin if issubclass(field_class, forms.EmailField) else PlainFormFieldMixin
    return type(f"{field_class.__name__}WithTextRules", (mixin, field_class), {"__module__": __name__})


def make_plain(field: forms.Field) -> forms.Field:
    """Give a form's text field the portal's rules (its class gains ``PlainFormFieldMixin``).

    Passwords are left alone: they are compared, never shown, and a login must not fail on a
    character that was allowed when the password was set. So are fields that have the rules.
    """
    if (
        isinstance(field, forms.CharField)
        and not isinstance(field, PlainFormFieldMixin)
        and not isinstance(field.widget, forms.PasswordInput)
    ):
        field.__class__ = _plain_class(type(field))
    return field


class PlainTextFormMixin:
    """A form whose text fields follow the portal's rules; put it first among the bases.

    The fields are the form instance's own copies (Django deep-copies ``base_fields``), so the
    form class itself is not changed.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            make_plain(field)


# --- Model fields ----------------------------------------------------------------------------


class _PlainModelFieldMixin:
    """Normalise in ``to_python`` (``full_clean``, ``get_prep_value`` for saves and lookups) and
    in ``pre_save`` (the instance keeps the stored form, also when nothing validated it)."""

    @staticmethod
    def normalise(value: str) -> str:
        return nfc(value)

    def to_python(self, value):
        value = super().to_python(value)
        return self.normalise(value) if isinstance(value, str) and value else value

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if isinstance(value, str) and value:
            value = self.normalise(value)
            setattr(model_instance, self.attname, value)
        return value

    def stored_form(self, value):
        """What a data migration makes of a stored value: refused characters dropped, normalised."""
        if not isinstance(value, str) or not value:
            return value
        return self.normalise(without_forbidden_characters(value))

    def formfield(self, **kwargs):
        return make_plain(super().formfield(**kwargs))


class PlainCharField(_PlainModelFieldMixin, models.CharField):
    default_validators = [validate_plain_text]


class PlainTextField(_PlainModelFieldMixin, models.TextField):
    """A text field with a limit that the model checks too (Django's ``TextField`` leaves
    ``max_length`` to the form)."""

    default_validators = [validate_plain_text]

    @property
    def validators(self):
        limit = [validators.MaxLengthValidator(self.max_length)] if self.max_length else []
        return [*super().validators, *limit]


class PhoneField(_PlainModelFieldMixin, models.CharField):
    default_validators = [validate_plain_text, validate_phone]

    @staticmethod
    def normalise(value: str) -> str:
        return normalise_phone(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PhoneFormField, **kwargs})


class LowercaseEmailField(_PlainModelFieldMixin, models.EmailField):
    """An address that differs only in case is the same address."""

    default_validators = [validate_plain_text, validators.validate_email]

    @staticmethod
    def normalise(value: str) -> str:
        return normalise_email(value)


PLAIN_MODEL_FIELDS = (PlainCharField, PlainTextField, PhoneField, LowercaseEmailField)


def lowercase_user_email(sender, instance, **kwargs) -> None:
    """``pre_save`` of the user model: logins are found by the lower-case address (allauth)."""
    if instance.email:
        instance.email = normalise_email(instance.email)


def normalise_stored_text(apps, app_label: str) -> int:
    """A data migration's step: every plain text field of the app's models (not their history,
    which records what was written) to its stored form. Returns the number of rows changed."""
    changed_rows = 0
    for model in apps.get_app_config(app_label).get_models():
        if model.__name__.startswith("Historical"):
            continue
        fields = [field for field in model._meta.concrete_fields if isinstance(field, _PlainModelFieldMixin)]
        if not fields:
            continue
        changed = []
        for row in model._default_manager.only("pk", *(field.attname for field in fields)).iterator(chunk_size=2000):
            dirty = False
            for field in fields:
                value = getattr(row, field.attname)
                stored = field.stored_form(value)
                if stored != value:
                    setattr(row, field.attname, stored)
                    dirty = True
            if dirty:
                changed.append(row)
        model._default_manager.bulk_update(changed, [field.name for field in fields], batch_size=500)
        changed_rows += len(changed)
    return changed_rows
