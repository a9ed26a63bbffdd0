from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kkr_portal.admin_forms import RulesInlineFormSet
from kkr_portal.admin_scope import CouncilScopedAdmin, CouncilScopedInline

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


@admin.register(Agreement)
class AgreementAdmin(CouncilScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "council", "kind", "counterpart", "cycle", "valid_from", "valid_to", "closed_on"]
    list_filter = ["council", "kind", "policy_area"]
    list_select_related = ["council", "kind"]
    search_fields = ["title", "counterpart"]
    autocomplete_fields = ["previous"]
    inlines = [MilestoneInline]


class MunicipalApprovalInline(CouncilScopedInline, admin.TabularInline):
    model = MunicipalApproval
    formset = RulesInlineFormSet
    extra = 0
    autocomplete_fields = ["municipality"]


@admin.register(Milestone)
class MilestoneAdmin(CouncilScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "agreement", "kind", "due_on", "audience", "requires_every_council", "completed_on"]
    list_filter = ["agreement__council", "kind", "audience", "requires_every_council"]
    list_select_related = ["agreement__council"]
    search_fields = ["title", "agreement__title"]
    autocomplete_fields = ["agreement"]
    date_hierarchy = "due_on"
    inlines = [MunicipalApprovalInline]


@admin.register(MunicipalApproval)
class MunicipalApprovalAdmin(CouncilScopedAdmin, SimpleHistoryAdmin):
    list_display = ["municipality", "milestone", "approved_on", "approved_by"]
    list_filter = ["municipality__council"]
    list_select_related = ["municipality", "milestone"]
    search_fields = ["municipality__name", "milestone__title"]
    autocomplete_fields = ["milestone", "municipality"]
