from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kkr_portal.admin_forms import RulesInlineFormSet, SideEffectsAdminMixin

from . import services
from .models import (
    AgendaItem,
    Chairmanship,
    Council,
    CouncilSeat,
    ElectionPeriod,
    KKRMembership,
    Meeting,
    Municipality,
    Party,
    Person,
    PolicyArea,
    SecretariatContact,
    TimelineEntry,
)


@admin.register(ElectionPeriod)
class ElectionPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "election_day"]
    search_fields = ["name"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "region_name", "region_code", "slug"]
    search_fields = ["name", "region_name"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "official_name", "council"]
    list_filter = ["council"]
    list_select_related = ["council"]
    search_fields = ["name", "official_name", "=code"]


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["letter", "name", "short_name", "kind", "municipality"]
    list_filter = ["kind"]
    list_select_related = ["municipality"]
    search_fields = ["letter", "name", "short_name"]
    autocomplete_fields = ["municipality"]


@admin.register(PolicyArea)
class PolicyAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    search_fields = ["name"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["period_label", "title", "starts_year", "ends_year"]
    search_fields = ["title"]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "party", "email", "phone"]
    list_filter = ["party"]
    list_select_related = ["party"]
    search_fields = ["name", "sort_name", "email"]
    autocomplete_fields = ["party", "user"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CouncilSeat)
class CouncilSeatAdmin(SideEffectsAdminMixin, SimpleHistoryAdmin):
    list_display = ["person", "municipality", "role", "period", "started_on", "ended_on"]
    list_filter = ["role", "period", "municipality__council"]
    list_select_related = ["person", "municipality", "period"]
    search_fields = ["person__name", "municipality__name"]
    autocomplete_fields = ["person", "municipality"]
    date_hierarchy = "started_on"

    def get_readonly_fields(self, request, obj=None):
        # A new role is a new seat (end this one, record the next), so history is kept.
        return ["role", "person", "municipality", "period"] if obj else []

    def after_save(self, obj):
        # A mayoralty carries its ex officio KKR places, as when the services record it.
        services.sync_ex_officio_membership(obj)


@admin.register(KKRMembership)
class KKRMembershipAdmin(SideEffectsAdminMixin, SimpleHistoryAdmin):
    list_display = ["person", "council", "basis", "role", "period", "started_on", "ended_on"]
    list_filter = ["council", "basis", "role", "period"]
    list_select_related = ["person", "council", "period"]
    search_fields = ["person__name"]
    autocomplete_fields = ["person", "substitute_for", "mayoralty"]

    def get_readonly_fields(self, request, obj=None):
        # What a place is follows from how it arose; a different place is a new row.
        return ["person", "council", "period", "basis", "role", "substitute_for", "mayoralty"] if obj else []

    def after_save(self, obj):
        if obj.ended_on is not None:
            # Its substitutes and a chair post it carried end with it.
            services.end_membership(membership=obj, ended_on=obj.ended_on)


@admin.register(Chairmanship)
class ChairmanshipAdmin(SimpleHistoryAdmin):
    list_display = ["council", "role", "person", "period", "started_on", "ended_on"]
    list_filter = ["council", "role", "period"]
    list_select_related = ["council", "person", "period"]
    search_fields = ["person__name", "council__name"]
    autocomplete_fields = ["person"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    formset = RulesInlineFormSet
    extra = 1
    autocomplete_fields = ["policy_area"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ["title", "council", "starts_at", "place", "status", "is_constituent"]
    list_filter = ["council", "status", "is_constituent"]
    list_select_related = ["council"]
    search_fields = ["title", "place"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "meeting", "policy_area"]
    list_filter = ["meeting__council", "policy_area"]
    list_select_related = ["meeting__council", "policy_area"]
    search_fields = ["title"]
    autocomplete_fields = ["meeting", "policy_area"]


@admin.register(SecretariatContact)
class SecretariatContactAdmin(admin.ModelAdmin):
    list_display = ["unit", "name", "title", "council", "kind", "phone", "email"]
    list_filter = ["council", "kind"]
    list_select_related = ["council"]
    search_fields = ["unit", "name", "email"]
