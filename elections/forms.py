"""The forms of the composition pages: the election result file, and the decided seats per party."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kkr_portal.admin_io import MAX_IMPORT_BYTES
from kkr_portal.text import PlainTextFormMixin, make_plain

from . import services
from .models import REASON_MAX_LENGTH


class ResultUploadForm(forms.Form):
    import_file = forms.FileField(
        label=_("Fil (CSV eller Excel)"),
        help_text=_("Højst %(size)s MB. Første række er kolonnernes overskrifter.")
        % {"size": MAX_IMPORT_BYTES // (1024 * 1024)},
        error_messages={"required": _("Vælg en fil."), "empty": _("Filen er tom.")},
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("Filen er for stor (%(size)s MB). Den må højst fylde %(limit)s MB.")
                % {"size": round(upload.size / (1024 * 1024), 1), "limit": MAX_IMPORT_BYTES // (1024 * 1024)}
            )
        return upload


class DecisionForm(PlainTextFormMixin, forms.Form):
    """A number and a reason per party, the calculated number given; a different number needs a reason."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, plan: services.CompositionPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.lines = []
        for party, computed in plan.rows:
            earlier = plan.decided.get(party.pk)
            keep = earlier is not None and earlier.computed_seats == computed
            seats = forms.IntegerField(
                label=_("Besluttede pladser for %(party)s") % {"party": party},
                min_value=0,
                max_value=plan.composition.cap,
                initial=earlier.decided_seats if keep else computed,
                error_messages={
                    "required": _("Skriv et antal (0 eller flere)."),
                    "invalid": _("Skriv et helt tal."),
                    "min_value": _("Antallet kan ikke være negativt."),
                    "max_value": _("Antallet kan højst være %(limit_value)s."),
                },
            )
            reason = forms.CharField(
                label=_("Begrundelse for %(party)s") % {"party": party},
                required=False,
                max_length=REASON_MAX_LENGTH,
                initial=earlier.reason if keep else "",
                widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
            )
            self.fields[services.seats_field(party)] = seats
            self.fields[services.reason_field(party)] = reason
            mayors = next((line.mayors for line in plan.composition.seats if line.party.key == party.pk), 0)
            self.lines.append(
                (party, mayors, computed, earlier, services.seats_field(party), services.reason_field(party))
            )
            # PlainTextFormMixin ran before these fields existed: they get the text rules here.
            make_plain(reason)
        self.initial.setdefault("token", plan.token)

    def bound_lines(self):
        """Per party: the party, the calculated number, the earlier decision and the two bound fields."""
        return [
            (party, mayors, computed, earlier, self[seats], self[reason])
            for party, mayors, computed, earlier, seats, reason in self.lines
        ]

    def decisions(self) -> dict[int, tuple[int, str]]:
        return {
            party.pk: (self.cleaned_data[seats], self.cleaned_data.get(reason) or "")
            for party, _mayors, _computed, _earlier, seats, reason in self.lines
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for key, messages in services.check_decisions(self.plan, self.decisions()).items():
                self.add_error(None if key == "__all__" else key, messages)
        return cleaned
