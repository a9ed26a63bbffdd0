"""``{{ person.phone|tel_uri }}``: the ``tel:`` link of a stored phone number (kkr_portal.text)."""

from django import template

from kkr_portal.text import tel_uri as _tel_uri

register = template.Library()


@register.filter
def tel_uri(phone: str) -> str:
    return _tel_uri(phone)
