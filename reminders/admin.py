from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kkr_portal.admin_scope import CouncilScopedAdmin

from . import services
from .models import Delivery, ReminderOptOut, ReminderRule


@admin.register(ReminderRule)
class ReminderRuleAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["kind", "days_before", "audience", "is_active"]
    list_filter = ["kind", "audience", "is_active"]
    search_fields = ["kind"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The deliveries of a rule were planned for what it said; changing it would leave them
            # meaning something else. Another rule is added instead; switching one off stays open.
            fields += [name for name in ("kind", "days_before", "audience") if name not in fields]
        return fields


@admin.register(Delivery)
class DeliveryAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = [
        "email",
        "council",
        "occasion_type",
        "occasion_id",
        "due_at",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
        "sent_at",
    ]
    list_filter = ["status", "occasion_type", "council", "rule", "attempts"]
    list_select_related = ["rule", "council"]
    search_fields = ["email", "last_error"]
    date_hierarchy = "due_at"
    actions = ["retry_failed"]
    # The outbox is written by the reminder tasks only; status changes go through the action.
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A deleted row would be planned and sent again: the outbox is the record of what went out.
        return False

    def delete_view(self, request, object_id, extra_context=None):
        # Another KKR's row answers like a missing one (404) before any row is refused (403).
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        return super().delete_view(request, object_id, extra_context)

    @admin.display(description=_("seneste fejl"), ordering="last_error")
    def short_error(self, delivery: Delivery) -> str:
        return Truncator(delivery.last_error).chars(80)

    @admin.action(description=_("Prøv valgte fejlede udsendelser igen"), permissions=["change"])
    def retry_failed(self, request, queryset):
        count = services.retry_failed(deliveries=queryset)
        if count:
            message = ngettext("%(count)d udsendelse sendes igen.", "%(count)d udsendelser sendes igen.", count) % {
                "count": count
            }
            self.message_user(request, message, messages.SUCCESS)
        else:
            self.message_user(request, _("Ingen af de valgte udsendelser er fejlet."), messages.WARNING)


@admin.register(ReminderOptOut)
class ReminderOptOutAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["person", "email", "kind"]
    list_filter = ["kind"]
    list_select_related = ["person"]
    search_fields = ["person__name", "email"]
    autocomplete_fields = ["person"]
