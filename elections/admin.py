"""The election results and decided seats in the admin: read-only lists (with history).

Results are written by the import page and seats by the calculation page
(``elections.admin_views``), which check every rule; the admin cannot bypass them.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kkr_portal.admin_history import HistoryAdmin
from kkr_portal.admin_scope import CouncilScopedAdmin

from .models import ElectionResult, PartyVotes, SupplementarySeats


class ReadOnlyAdmin:
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Another KKR's row answers 404 like a missing one, before the permission says 403.
    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._ensure_visible(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._ensure_visible(request, object_id)
        return super().delete_view(request, object_id, extra_context)


@admin.register(ElectionResult)
class ElectionResultAdmin(CouncilScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["source_name", "council", "period", "imported_at", "imported_by", "calculation"]
    list_filter = ["council", "period"]
    list_select_related = ["council", "period", "imported_by"]
    search_fields = ["source_name"]
    autocomplete_fields: list[str] = []

    @admin.display(description=_("beregning"))
    def calculation(self, obj):
        url = reverse("elections_admin:composition", args=[obj.council.slug, obj.period_id])
        return format_html('<a href="{}">{}</a>', url, _("Se beregningen"))


@admin.register(PartyVotes)
class PartyVotesAdmin(CouncilScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["party", "municipality", "votes", "result"]
    list_filter = ["result__council", "result__period", "municipality"]
    list_select_related = ["party", "municipality", "result__council", "result__period"]
    search_fields = ["party__name", "party__letter", "municipality__name"]


@admin.register(SupplementarySeats)
class SupplementarySeatsAdmin(CouncilScopedAdmin, ReadOnlyAdmin, HistoryAdmin):
    list_display = [
        "party",
        "council",
        "period",
        "computed_seats",
        "decided_seats",
        "reason",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["council", "period"]
    list_select_related = ["party", "council", "period", "decided_by"]
    search_fields = ["party__name", "party__letter", "reason"]
