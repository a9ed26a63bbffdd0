from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kkr_portal.admin_forms import RulesInlineFormSet
from kkr_portal.admin_history import HistoryAdmin
from kkr_portal.admin_scope import CouncilScopedAdmin, CouncilScopedInline
from members.querysets import today

from . import services
from .models import Agreement, AgreementKind, Milestone, MunicipalApproval


@admin.register(AgreementKind)
class AgreementKindAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "recurrence_months", "once_per_period", "policy_area"]
    list_select_related = ["policy_area"]
    search_fields = ["name"]


class MilestoneInline(CouncilScopedInline, admin.TabularInline):
    model = Milestone
    formset = RulesInlineFormSet
    extra = 0
    fields = ["kind", "title", "due_on", "audience", "requires_every_council", "completed_on"]


class CloseCycleForm(forms.Form):
    closed_on = forms.DateField(
        label=_("Afsluttes den"),
        error_messages={"required": _("Skriv datoen, cyklussen afsluttes."), "invalid": _("Skriv en gyldig dato.")},
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@admin.register(Agreement)
class AgreementAdmin(CouncilScopedAdmin, HistoryAdmin):
    list_display = ["title", "council", "kind", "counterpart", "cycle", "valid_from", "valid_to", "closed_on"]
    list_filter = ["council", "kind", "policy_area"]
    list_select_related = ["council", "kind"]
    search_fields = ["title", "counterpart"]
    autocomplete_fields = ["previous"]
    inlines = [MilestoneInline]
    actions = ["close_cycles"]

    @admin.action(description=_("Afslut cyklus og opret den næste …"), permissions=["change"])
    def close_cycles(self, request, queryset):
        """First a page with the next cycle of each agreement (new dates of every milestone), then,
        when confirmed, ``services.close_cycle`` for each. ``queryset`` comes from the scoped
        ``get_queryset``: ids of another KKR's agreements posted here are silently not there."""
        agreements = list(queryset.select_related("council", "kind").order_by("council__name", "title", "cycle"))
        form = CloseCycleForm(request.POST if "apply" in request.POST else None, initial={"closed_on": today()})
        if form.is_valid():
            closed_on = form.cleaned_data["closed_on"]
            created = []
            for agreement in agreements:
                try:
                    created.append(services.close_cycle(agreement=agreement, closed_on=closed_on))
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
            if created:
                message = ngettext(
                    "Cyklussen er afsluttet, og %(count)d ny cyklus er oprettet.",
                    "Cyklusserne er afsluttet, og %(count)d nye cyklusser er oprettet.",
                    len(created),
                ) % {"count": len(created)}
                self.message_user(request, message, messages.SUCCESS)
            return None
        # The closing date is chosen on this page; the preview checks what does not depend on it.
        rows = []
        for agreement in agreements:
            try:
                rows.append((agreement, services.cycle_preview(agreement), None))
            except ValidationError as error:
                rows.append((agreement, None, " ".join(error.messages)))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Afslut cyklus og opret den næste"),
            "opts": self.model._meta,
            "rows": rows,
            "form": form,
            "can_apply": any(preview is not None for _agreement, preview, _error in rows),
            "selected": [agreement.pk for agreement in agreements],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "agreements/admin/close_cycle.html", context)


class MunicipalApprovalInline(CouncilScopedInline, admin.TabularInline):
    model = MunicipalApproval
    formset = RulesInlineFormSet
    extra = 0
    autocomplete_fields = ["municipality"]


@admin.register(Milestone)
class MilestoneAdmin(CouncilScopedAdmin, HistoryAdmin):
    list_display = ["title", "agreement", "kind", "due_on", "audience", "requires_every_council", "completed_on"]
    list_filter = ["agreement__council", "kind", "audience", "requires_every_council"]
    list_select_related = ["agreement__council"]
    search_fields = ["title", "agreement__title"]
    autocomplete_fields = ["agreement"]
    date_hierarchy = "due_on"
    inlines = [MunicipalApprovalInline]


@admin.register(MunicipalApproval)
class MunicipalApprovalAdmin(CouncilScopedAdmin, HistoryAdmin):
    list_display = ["municipality", "milestone", "approved_on", "approved_by"]
    list_filter = ["municipality__council"]
    list_select_related = ["municipality", "milestone"]
    search_fields = ["municipality__name", "milestone__title"]
    autocomplete_fields = ["milestone", "municipality"]
