"""The forms of the guided new-period changeover (kkr_portal.admin_views): step 1 picks the new
period, step 2 a new mayor per municipality of the KKR."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fora import changeover
from members.models import Council, CouncilSeat, ElectionPeriod, Municipality, Person

from . import scoping


class PeriodForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Ny valgperiode"),
        queryset=ElectionPeriod.objects.all(),
        error_messages={"invalid_choice": _("Vælg en valgperiode fra listen.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", "---------")] + [
            (period.pk, str(period)) for period in changeover.eligible_periods()
        ]

    def clean_period(self):
        period = self.cleaned_data["period"]
        try:
            changeover.check_new_period(period)
        except ValidationError as error:
            raise ValidationError(error.message_dict[changeover.PERIOD_FIELD]) from error
        return period


class ChangeoverForm(PeriodForm):
    """The new period (chosen in step 1, carried along) and a new mayor per municipality."""

    def __init__(self, *args, council: Council, user, period: ElectionPeriod | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].widget = forms.HiddenInput()
        self.council = council
        self.municipalities = list(Municipality.objects.filter(council=council).order_by("name"))
        people = scoping.scope(Person.objects.all(), user)
        candidates: dict[int, list[tuple[int, str]]] = {}
        current: dict[int, int] = {}
        if period is not None:
            old = changeover.previous_period(period)
            seats = (
                CouncilSeat.objects.filter(municipality__council=council, period__in=[p for p in (old, period) if p])
                .select_related("person")
                .order_by("person__sort_name", "pk")
            )
            for seat in seats:
                options = candidates.setdefault(seat.municipality_id, [])
                if (seat.person_id, seat.person.name) not in options:
                    options.append((seat.person_id, seat.person.name))
                if seat.period_id == period.pk and seat.role == CouncilSeat.Role.MAYOR and seat.ended_on is None:
                    current[seat.municipality_id] = seat.person_id
        for municipality in self.municipalities:
            name = changeover.mayor_field(municipality)
            field = forms.ModelChoiceField(
                label=municipality.name,
                queryset=people,
                required=False,
                error_messages={"invalid_choice": _("Vælg en person fra listen.")},
            )
            # Offered: the councillors of the old and the new period; checked: anyone the user may see,
            # so that a person from elsewhere gets the changeover's own message.
            field.choices = [("", _("(ingen ændring)")), *candidates.get(municipality.pk, [])]
            field.initial = current.get(municipality.pk)
            self.fields[name] = field

    def mayor_fields(self):
        return [self[changeover.mayor_field(municipality)] for municipality in self.municipalities]

    def mayors(self) -> dict[Municipality, Person | None]:
        return {
            municipality: self.cleaned_data.get(changeover.mayor_field(municipality))
            for municipality in self.municipalities
        }

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's refusal: on the mayor field it names, or above the form when it names a
        field this form does not have (a seat's ``label``, an appointment's ``person``, ...) —
        ``add_error`` would raise for those instead of showing them."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for key, errors in error.error_dict.items():
            messages = [message for item in errors for message in item.messages]
            self.add_error(key if key in self.fields else None, messages)
