"""Forms of the members' pages."""

from __future__ import annotations

from allauth.account import forms as account_forms
from allauth.mfa.base import forms as mfa_forms
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kkr_portal.text import PhoneFormField, PlainTextFormMixin
from reminders.models import ReminderKind

from . import services
from .models import Meeting
from .profile import BIO_MAX_LENGTH, PHONE_MAX_LENGTH


class ContactDetailsForm(PlainTextFormMixin, forms.Form):
    """Min side: the signed-in person's own phone, email for reminders and short bio.

    The text rules (kkr_portal.text) are the model's: the phone is stored as 12 34 56 78 and the
    address in lower case, so typing the same details another way changes nothing.
    """

    phone = PhoneFormField(
        label=_("Telefon"),
        max_length=PHONE_MAX_LENGTH,
        required=False,
        error_messages={"max_length": _("Telefonnummeret må højst have %(limit_value)d tegn.")},
    )
    email = forms.EmailField(
        label=_("E-mail til påmindelser"),
        required=False,
        max_length=254,
        help_text=_("Påmindelser om møder og frister sendes hertil."),
        error_messages={
            "invalid": _("Skriv en gyldig e-mailadresse, fx navn@kommune.dk."),
            "max_length": _("E-mailadressen må højst have %(limit_value)d tegn."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    bio = forms.CharField(
        label=_("Kort biografi"),
        required=False,
        max_length=BIO_MAX_LENGTH,
        error_messages={"max_length": _("Biografien må højst have %(limit_value)d tegn (den har %(show_value)d).")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bio"].help_text = gettext("Højst %(limit)d tegn. Vises på din side i Blå Bog.") % {
            "limit": BIO_MAX_LENGTH
        }
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.add_input(Submit("save", _("Gem"), css_class="btn-primary"))

    @staticmethod
    def initial_for(person) -> dict:
        return {"phone": person.phone, "email": person.email, "bio": person.bio}


class MeetingAdminForm(PlainTextFormMixin, forms.ModelForm):
    """The admin's meeting form: moving a cancelled meeting is refused on the form, not on save."""

    class Meta:
        model = Meeting
        fields = ["council", "title", "starts_at", "ends_at", "place", "is_constituent"]

    # A meeting of a KKR (founded 2007) in this century. Without a limit, 1 January of the year 1
    # in Copenhagen time is before the first representable UTC moment: OverflowError on SQLite.
    FIRST_YEAR, LAST_YEAR = 2000, 2099

    def clean_starts_at(self):
        return self._in_our_time("starts_at")

    def clean_ends_at(self):
        return self._in_our_time("ends_at")

    def _in_our_time(self, name: str):
        value = self.cleaned_data[name]
        if value is not None and not self.FIRST_YEAR <= value.year <= self.LAST_YEAR:
            raise ValidationError(
                gettext("Mødet skal ligge mellem år %(first)d og %(last)d.")
                % {"first": self.FIRST_YEAR, "last": self.LAST_YEAR},
                code="out_of_range",
            )
        return value

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            services.meeting_moved(meeting=self.instance)
        except ValidationError as error:
            self.add_error(None, error)


# The kinds of reminder that can reach a person: meetings (to members and substitutes) and
# milestones (where the milestone is the members'). Term-end reminders go to the secretariat's
# contacts only, so offering them on Min side would be a checkbox that does nothing.
PERSON_REMINDER_KINDS: tuple[str, ...] = (ReminderKind.MEETING, ReminderKind.MILESTONE)


class ReminderPreferencesForm(forms.Form):
    """Min side: which kinds of reminder the person receives (reminders.services keeps them)."""

    kinds = forms.MultipleChoiceField(
        label=_("Send mig påmindelser om"),
        choices=[(kind, label) for kind, label in ReminderKind.choices if kind in PERSON_REMINDER_KINDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Fjern fluebenet ved det, du ikke vil have påmindelser om."),
        error_messages={"invalid_choice": _("%(value)s er ikke en type påmindelse, vi sender.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "reminder-preferences"
        self.helper.add_input(Submit("save_reminders", _("Opdatér påmindelser"), css_class="btn-primary"))

    @staticmethod
    def initial_for(wanted: set[str]) -> dict:
        return {"kinds": [kind for kind in PERSON_REMINDER_KINDS if kind in wanted]}

    def wanted_kinds(self, current: set[str]) -> set[str]:
        """The kinds ticked, plus the person's current choice for the kinds the form does not offer
        (a stored opt-out of those is neither dropped nor added by saving the form)."""
        return set(self.cleaned_data["kinds"]) | (set(current) - set(PERSON_REMINDER_KINDS))


# --- Login (allauth's forms, named in ACCOUNT_FORMS and MFA_FORMS) ---------------------------

# A login code is 8 characters (allauth writes it as XXXX-XXXX); room for spaces typed around it.
CODE_MAX_LENGTH = 20


def _limit(field: forms.CharField, max_length: int) -> None:
    """A limit for a field allauth declares without one, in the form and in the page's HTML."""
    field.max_length = max_length
    field.validators.append(MaxLengthValidator(max_length))
    field.widget.attrs["maxlength"] = str(max_length)


class LoginForm(PlainTextFormMixin, account_forms.LoginForm):
    pass


class RequestLoginCodeForm(PlainTextFormMixin, account_forms.RequestLoginCodeForm):
    pass


class ResetPasswordForm(PlainTextFormMixin, account_forms.ResetPasswordForm):
    pass


class ConfirmLoginCodeForm(PlainTextFormMixin, account_forms.ConfirmLoginCodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit(self.fields["code"], CODE_MAX_LENGTH)


class AuthenticateForm(PlainTextFormMixin, mfa_forms.AuthenticateForm):
    """The second factor at login: a TOTP or recovery code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit(self.fields["code"], CODE_MAX_LENGTH)
