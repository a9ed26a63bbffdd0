from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kkr_portal.admin_forms import RulesInlineFormSet
from kkr_portal.admin_scope import CouncilScopedAdmin, CouncilScopedInline

from .models import Appointment, Forum, ForumKind, Seat


@admin.register(ForumKind)
class ForumKindAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "position"]
    search_fields = ["name"]


class SeatInline(CouncilScopedInline, admin.TabularInline):
    model = Seat
    formset = RulesInlineFormSet
    fk_name = "forum"
    extra = 0
    fields = ["period", "label", "kind", "deputy_for", "mode", "appointing_body", "position", "previous_seat"]
    autocomplete_fields = ["deputy_for", "previous_seat"]


@admin.register(Forum)
class ForumAdmin(CouncilScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "council", "kind", "basis", "founded_on", "dissolved_on"]
    list_filter = ["council", "kind", "basis", "policy_areas"]
    list_select_related = ["council", "kind"]
    search_fields = ["name"]
    autocomplete_fields = ["successor", "policy_areas"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SeatInline]


@admin.register(Seat)
class SeatAdmin(CouncilScopedAdmin, SimpleHistoryAdmin):
    list_display = ["label", "forum", "period", "kind", "mode"]
    list_filter = ["forum__council", "period", "kind", "mode"]
    list_select_related = ["forum", "period"]
    search_fields = ["label", "forum__name"]
    autocomplete_fields = ["forum", "deputy_for", "previous_seat"]


@admin.register(Appointment)
class AppointmentAdmin(CouncilScopedAdmin, SimpleHistoryAdmin):
    list_display = ["person", "seat", "status", "starts_on", "term_ends_on", "ended_on"]
    list_filter = ["seat__forum__council", "status", "seat__period", "seat__kind"]
    list_select_related = ["person", "seat__forum", "seat__period"]
    search_fields = ["person__name", "seat__label", "seat__forum__name"]
    autocomplete_fields = ["seat", "person", "decided_at"]
    # The status follows the process (propose → nominate → appoint → end) through the services.
    readonly_fields = ["status", "nominated_on", "appointed_on", "ended_on", "end_reason"]
