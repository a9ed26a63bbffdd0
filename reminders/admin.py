from django.contrib import admin

from kkr_portal.admin_scope import CouncilScopedAdmin

from .models import Delivery, ReminderOptOut, ReminderRule


@admin.register(ReminderRule)
class ReminderRuleAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["kind", "days_before", "audience", "is_active"]
    list_filter = ["kind", "audience", "is_active"]
    search_fields = ["kind"]


@admin.register(Delivery)
class DeliveryAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["email", "occasion_type", "occasion_id", "due_at", "status", "attempts", "sent_at"]
    list_filter = ["status", "occasion_type", "rule"]
    list_select_related = ["rule"]
    search_fields = ["email", "last_error"]
    date_hierarchy = "due_at"
    # The outbox is written by the reminder tasks only.
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ReminderOptOut)
class ReminderOptOutAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["person", "kind"]
    list_filter = ["kind"]
    list_select_related = ["person"]
    search_fields = ["person__name"]
    autocomplete_fields = ["person"]
