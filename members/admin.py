from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kkr_portal import admin_filters, scoping
from kkr_portal.admin_forms import RulesInlineFormSet, SideEffectsAdminMixin
from kkr_portal.admin_history import HistoryAdmin
from kkr_portal.admin_io import ImportAdminMixin
from kkr_portal.admin_scope import CouncilScopedAdmin, CouncilScopedInline

from . import services
from .admin_person import PERSON_INLINES, asks_for_appointee, eligible_first
from .forms import MeetingAdminForm
from .models import (
    AgendaItem,
    CalendarFeed,
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
    StaffAssignment,
    TimelineEntry,
)
from .resources import PersonResource


@admin.register(ElectionPeriod)
class ElectionPeriodAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "election_day"]
    search_fields = ["name"]


@admin.register(Council)
class CouncilAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "region_name", "region_code", "slug"]
    search_fields = ["name", "region_name"]


@admin.register(Municipality)
class MunicipalityAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "official_name", "council"]
    list_filter = ["council"]
    list_select_related = ["council"]
    search_fields = ["name", "official_name", "=code"]


@admin.register(Party)
class PartyAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["letter", "name", "short_name", "kind", "municipality"]
    list_filter = ["kind"]
    list_select_related = ["municipality"]
    search_fields = ["letter", "name", "short_name"]
    autocomplete_fields = ["municipality"]


@admin.register(PolicyArea)
class PolicyAreaAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "position"]
    search_fields = ["name"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["period_label", "title", "starts_year", "ends_year"]
    search_fields = ["title"]


@admin.register(Person)
class PersonAdmin(CouncilScopedAdmin, ImportAdminMixin, HistoryAdmin):
    resource_classes = [PersonResource]
    list_display = ["name", "party", "email", "phone"]
    list_filter = ["party", admin_filters.ServingCouncilFilter, admin_filters.WithoutEmailFilter]
    list_select_related = ["party"]
    search_fields = ["name", "sort_name", "email"]
    autocomplete_fields = ["party", "user"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = PERSON_INLINES

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if asks_for_appointee(request):
            # Picking an appointee: those who can be appointed come first (still scoped above).
            queryset = eligible_first(queryset, request.user)
        return queryset, may_have_duplicates


@admin.register(CouncilSeat)
class CouncilSeatAdmin(CouncilScopedAdmin, SideEffectsAdminMixin, HistoryAdmin):
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
class KKRMembershipAdmin(CouncilScopedAdmin, SideEffectsAdminMixin, HistoryAdmin):
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
class ChairmanshipAdmin(CouncilScopedAdmin, HistoryAdmin):
    list_display = ["council", "role", "person", "period", "started_on", "ended_on"]
    list_filter = ["council", "role", "period"]
    list_select_related = ["council", "person", "period"]
    search_fields = ["person__name", "council__name"]
    autocomplete_fields = ["person"]


class AgendaItemInline(CouncilScopedInline, admin.TabularInline):
    model = AgendaItem
    formset = RulesInlineFormSet
    extra = 1
    autocomplete_fields = ["policy_area"]


class _MeetingSaveRefused(Exception):
    """``save_meeting`` refused a change the form had accepted; carries the service's error."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


@admin.register(Meeting)
class MeetingAdmin(CouncilScopedAdmin, HistoryAdmin):
    """Saves go through ``services.save_meeting`` (a move raises the calendar SEQUENCE); the status
    changes only through the actions, which call the services."""

    form = MeetingAdminForm
    list_display = ["title", "council", "starts_at", "place", "status", "is_constituent", "sequence"]
    list_filter = ["council", "status", "is_constituent"]
    list_select_related = ["council"]
    search_fields = ["title", "place"]
    date_hierarchy = "starts_at"
    readonly_fields = ["status", "sequence"]
    inlines = [AgendaItemInline]
    actions = ["cancel_meetings", "mark_meetings_held"]

    def save_model(self, request, obj, form, change):
        try:
            services.save_meeting(meeting=obj)
        except ValidationError as error:
            # The form was checked, but the row changed since (e.g. someone cancelled the meeting).
            raise _MeetingSaveRefused(error) from error

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            # Django's changeform_view is atomic: the refusal rolls back the whole save (inlines too).
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _MeetingSaveRefused as refused:
            self.message_user(request, " ".join(refused.error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _apply(self, request, queryset, service, done_message) -> None:
        done = 0
        # The queryset is the scoped get_queryset(): another KKR's rows cannot be named here.
        for meeting in queryset.order_by("starts_at", "pk"):
            try:
                service(meeting=meeting)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Aflys valgte møder"), permissions=["change"])
    def cancel_meetings(self, request, queryset):
        self._apply(request, queryset, services.cancel_meeting, gettext("%(count)d møde(r) er aflyst."))

    @admin.action(description=_("Markér valgte møder som afholdt"), permissions=["change"])
    def mark_meetings_held(self, request, queryset):
        self._apply(
            request, queryset, services.mark_meeting_held, gettext("%(count)d møde(r) er markeret som afholdt.")
        )


@admin.register(CalendarFeed)
class CalendarFeedAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    """Personal calendar links, for KL's central administrators: see who has one and retire a link
    that leaked. The secret itself is never shown or edited here (the person rotates it on Min side)."""

    list_display = ["person", "rotated_at"]
    list_select_related = ["person"]
    search_fields = ["person__name"]
    fields = ["person", "rotated_at"]
    readonly_fields = ["person", "rotated_at"]
    actions = ["rotate_feeds"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_rotate_permission(self, request):
        # Rotating changes data: it needs the change permission, though the form itself is read-only.
        opts = self.model._meta
        return scoping.may_change(self.model, request.user) and request.user.has_perm(
            f"{opts.app_label}.{get_permission_codename('change', opts)}"
        )

    @admin.action(description=_("Forny valgte kalenderlinks (de gamle holder op med at virke)"), permissions=["rotate"])
    def rotate_feeds(self, request, queryset):
        count = 0
        for feed in queryset.select_related("person"):
            services.rotate_calendar_feed(person=feed.person)
            count += 1
        message = gettext("%(count)d kalenderlink(s) er fornyet.") % {"count": count}
        self.message_user(request, message, messages.SUCCESS)


@admin.register(AgendaItem)
class AgendaItemAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["number", "title", "meeting", "policy_area"]
    list_filter = ["meeting__council", "policy_area"]
    list_select_related = ["meeting__council", "policy_area"]
    search_fields = ["title"]
    autocomplete_fields = ["meeting", "policy_area"]


@admin.register(SecretariatContact)
class SecretariatContactAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    list_display = ["unit", "name", "title", "council", "kind", "phone", "email"]
    list_filter = ["council", "kind"]
    list_select_related = ["council"]
    search_fields = ["unit", "name", "email"]


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(CouncilScopedAdmin, admin.ModelAdmin):
    """Which KKRs a staff user serves: kept by KL's central administrators only (kkr_portal.scoping)."""

    list_display = ["user", "council"]
    list_filter = ["council"]
    list_select_related = ["user", "council"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "council__name"]
    autocomplete_fields = ["user"]


def _superuser_only(model) -> None:
    """Users, groups, permissions and logins are KL's central administrators' alone: the admins
    of Django and allauth get the same mixin as the portal's (kkr_portal.scoping.SUPERUSER_ONLY)."""
    model_admin = admin.site._registry[model]
    admin.site.unregister(model)
    scoped = type(type(model_admin).__name__, (CouncilScopedAdmin, type(model_admin)), {})
    admin.site.register(model, scoped)


for _model in list(admin.site._registry):
    if _model._meta.app_label not in {"members", "fora", "agreements", "reminders"}:
        _superuser_only(_model)
