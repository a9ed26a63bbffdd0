"""The appointment process as admin actions: nominate, appoint and end, each through its service.

An action that needs input (a date, a meeting, a reason) first shows an intermediate page with a
form (``admin/fora/appointment/process_step.html``); posting it runs the service for each selected
row the user may see (the admin's scoped ``get_queryset``).

Each row is changed in its own transaction (the services are ``@transaction.atomic``), not all or
nothing: after an election the secretariat selects many rows at once, the rows do not depend on
each other, and one ineligible appointee should not hold back the rest. Every refused row is
reported by name with the rule it broke, so it can be put right and the action run again for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kkr_portal import scoping, text
from members.models import Meeting

from . import services
from .models import Appointment

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        return f"{date_format(obj.starts_at.date())}: {obj.title} ({obj.council})"


class _StepForm(forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if "decided_at" in self.fields:
            # Only the user's own KKRs' meetings: another KKR's id is "not a valid choice".
            meetings = Meeting.objects.select_related("council").order_by("-starts_at")
            self.fields["decided_at"].queryset = scoping.scope(meetings, user)


def _meeting_field() -> MeetingChoiceField:
    return MeetingChoiceField(
        label=gettext_lazy("Besluttet på KKR-møde"),
        queryset=Meeting.objects.none(),
        required=False,
        help_text=gettext_lazy("Tom: behold det møde, udpegningen allerede har."),
    )


class NominateForm(_StepForm):
    nominated_on = forms.DateField(label=gettext_lazy("Indstillet den"), widget=DATE_INPUT)
    decided_at = _meeting_field()


class AppointForm(_StepForm):
    appointed_on = forms.DateField(
        label=gettext_lazy("Det udpegende organs beslutningsdato"),
        widget=DATE_INPUT,
        help_text=gettext_lazy("Datoen, hvor det udpegende organ traf beslutningen."),
    )
    decided_at = _meeting_field()


class EndForm(text.PlainTextFormMixin, _StepForm):
    ended_on = forms.DateField(label=gettext_lazy("Ophørt den"), widget=DATE_INPUT)
    reason = forms.ChoiceField(label=gettext_lazy("Ophørsårsag"), choices=Appointment.EndReason.choices)
    # The note is added to each row's own note; a row whose combined note would be too long is
    # refused by the service with a message of its own.
    note = forms.CharField(
        label=gettext_lazy("Bemærkning"),
        required=False,
        max_length=text.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Føjes til hver udpegnings bemærkning."),
    )


@dataclass(frozen=True)
class Step:
    """One step of the process: its form, the service call, and how the result is reported."""

    action: str
    title: str
    submit: str
    form_class: type[_StepForm]
    run: Callable[[Appointment, dict], Appointment]
    done: Callable[[int], str]


STEPS = {
    "nominate": Step(
        action="nominate",
        title=gettext_lazy("Indstil udpegninger"),
        submit=gettext_lazy("Indstil"),
        form_class=NominateForm,
        run=lambda row, data: services.nominate(
            appointment=row, nominated_on=data["nominated_on"], decided_at=data["decided_at"]
        ),
        done=lambda count: ngettext(
            "%(count)d udpegning er indstillet: %(rows)s", "%(count)d udpegninger er indstillet: %(rows)s", count
        ),
    ),
    "appoint": Step(
        action="appoint",
        title=gettext_lazy("Registrér udpegninger"),
        submit=gettext_lazy("Registrér som udpeget"),
        form_class=AppointForm,
        run=lambda row, data: services.appoint(
            appointment=row, appointed_on=data["appointed_on"], decided_at=data["decided_at"]
        ),
        done=lambda count: ngettext(
            "%(count)d udpegning er registreret som udpeget: %(rows)s",
            "%(count)d udpegninger er registreret som udpeget: %(rows)s",
            count,
        ),
    ),
    "end": Step(
        action="end",
        title=gettext_lazy("Afslut udpegninger"),
        submit=gettext_lazy("Afslut"),
        form_class=EndForm,
        run=lambda row, data: services.end(
            appointment=row, ended_on=data["ended_on"], reason=data["reason"], note=data["note"]
        ),
        done=lambda count: ngettext(
            "%(count)d udpegning er afsluttet: %(rows)s", "%(count)d udpegninger er afsluttet: %(rows)s", count
        ),
    ),
}

APPLY = "apply"


def run_step(model_admin, request, queryset, step: Step):
    """The action: the intermediate page, or (its form posted and valid) the service per row."""
    rows = list(queryset.select_related("person", "seat__forum", "seat__period").order_by("pk"))
    posted = APPLY in request.POST
    form = step.form_class(request.POST if posted else None, user=request.user)
    if posted and form.is_valid():
        apply(model_admin, request, rows, step, form.cleaned_data)
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": step.title,
        "subtitle": None,
        "opts": model_admin.model._meta,
        "rows": rows,
        "form": form,
        "action": step.action,
        "submit": step.submit,
        "apply": APPLY,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/fora/appointment/process_step.html", context)


def apply(model_admin, request, rows: list[Appointment], step: Step, data: dict) -> None:
    if not rows:
        model_admin.message_user(request, _("Ingen af de valgte udpegninger blev fundet."), messages.WARNING)
        return
    changed: list[Appointment] = []
    for row in rows:
        try:
            # Each row in its own transaction: a refused row leaves no trace, the others stand.
            step.run(row, data)
        except ValidationError as error:
            model_admin.message_user(
                request,
                _("»%(row)s« blev ikke ændret: %(reason)s") % {"row": row, "reason": " ".join(error.messages)},
                messages.ERROR,
            )
        else:
            changed.append(row)
    if changed:
        model_admin.message_user(
            request,
            step.done(len(changed)) % {"count": len(changed), "rows": "; ".join(str(row) for row in changed)},
            messages.SUCCESS,
        )
