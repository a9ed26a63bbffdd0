"""A member's own details, kept current on Min side."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Person

PHONE_MAX_LENGTH = Person._meta.get_field("phone").max_length
PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]*$"
validate_phone = RegexValidator(
    PHONE_PATTERN, gettext_lazy("Skriv telefonnummeret med cifre, evt. med + foran og mellemrum.")
)
BIO_MAX_LENGTH = 1000
# The reason the audit history gives for a change made on Min side.
CHANGE_REASON = "Min side: egne kontaktoplysninger opdateret"


@transaction.atomic
def update_own_contact_details(*, person: Person, phone: str, email: str, bio: str, changed_by) -> Person:
    """Save a person's own phone, email for reminders and short bio.

    Only the person's own login may do it. The values are checked as the model checks them (and
    the bio's length); nothing is saved when one is wrong, or when nothing changed. The audit
    history names the user and the reason.
    """
    if changed_by is None or not changed_by.is_authenticated or person.user_id != changed_by.pk:
        raise PermissionDenied(_("Du kan kun ændre dine egne kontaktoplysninger."))
    person = Person.objects.select_for_update().get(pk=person.pk)
    values = {"phone": phone.strip(), "email": email.strip(), "bio": bio.strip()}
    if len(values["bio"]) > BIO_MAX_LENGTH:
        raise ValidationError({"bio": _("Biografien må højst have %(limit)d tegn.") % {"limit": BIO_MAX_LENGTH}})
    changed = [name for name, value in values.items() if getattr(person, name) != value]
    if not changed:
        return person
    for name in changed:
        setattr(person, name, values[name])
    if "phone" in changed and values["phone"]:
        try:
            validate_phone(values["phone"])
        except ValidationError as error:
            raise ValidationError({"phone": error.messages}) from error
    person.clean_fields(exclude=[f.name for f in Person._meta.concrete_fields if f.name not in changed])
    person._history_user = changed_by
    person._change_reason = CHANGE_REASON
    person.save(update_fields=changed)
    return person
