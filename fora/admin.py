from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from kkr_portal import admin_filters
from kkr_portal.admin_forms import RulesInlineFormSet
from kkr_portal.admin_history import HistoryAdmin
from kkr_portal.admin_io import ImportAdminMixin
from kkr_portal.admin_scope import CouncilScopedAdmin, CouncilScopedInline
from members.querysets import today

from . import admin_actions, services
from .models import Appointment, Forum, ForumKind, Seat
from .resources import AppointmentResource


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

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("forum", "period")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        period = formset.form.base_fields.get("period")
        if period is not None:
            # The periods are read once for the page, not once for each seat's row.
            period.choices = list(period.choices)
            inner = getattr(period.widget, "widget", None)
            if inner is not None:
                inner.choices = period.choices
        return formset


@admin.register(Forum)
class ForumAdmin(CouncilScopedAdmin, HistoryAdmin):
    list_display = ["name", "council", "kind", "basis", "founded_on", "dissolved_on"]
    list_filter = ["council", "kind", "basis", "policy_areas"]
    list_select_related = ["council", "kind"]
    search_fields = ["name"]
    autocomplete_fields = ["successor", "policy_areas"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SeatInline]
    readonly_fields = ["current_appointments"]

    @admin.display(description=_("nuværende udpegninger"))
    def current_appointments(self, forum):
        """The forum's appointments under way or in force, linked to their own pages (Django
        has no nested inlines: appointments hang off the seats). One query however many."""
        if forum.pk is None:
            return "—"
        rows = (
            Appointment.objects.filter(seat__forum=forum)
            .live_on(today())
            .select_related("person", "seat__period")
            .order_by("seat__position", "seat__label", "starts_on", "pk")
        )
        return render_to_string("admin/fora/forum/_appointments.html", {"rows": list(rows)})


@admin.register(Seat)
class SeatAdmin(CouncilScopedAdmin, HistoryAdmin):
    list_display = ["label", "forum", "period", "kind", "mode"]
    list_filter = ["forum__council", "period", "kind", "mode", admin_filters.VacantSeatFilter]
    list_select_related = ["forum", "period"]
    search_fields = ["label", "forum__name"]
    autocomplete_fields = ["forum", "deputy_for", "previous_seat"]


@admin.register(Appointment)
class AppointmentAdmin(CouncilScopedAdmin, ImportAdminMixin, HistoryAdmin):
    resource_classes = [AppointmentResource]
    list_display = ["person", "seat", "status", "starts_on", "term_ends_on", "ended_on"]
    list_filter = [
        "seat__forum__council",
        "status",
        "seat__period",
        "seat__kind",
        admin_filters.CarryOverFilter,
        admin_filters.EndingSoonFilter,
        admin_filters.WithoutCouncilSeatFilter,
    ]
    list_select_related = ["person", "seat__forum", "seat__period"]
    search_fields = ["person__name", "seat__label", "seat__forum__name"]
    autocomplete_fields = ["seat", "person", "decided_at"]
    # The status follows the process (propose → nominate → appoint → end) through the services.
    readonly_fields = ["status", "nominated_on", "appointed_on", "ended_on", "end_reason"]
    actions = ["nominate", "appoint", "end"]
    # Who holds which seat from when is what the process decided: once past the proposal, these
    # change only through the actions (end, then propose anew), never by rewriting the row.
    fixed_after_proposal = ("seat", "person", "starts_on")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Appointment.Status.PROPOSED:
            fields += [name for name in self.fixed_after_proposal if name not in fields]
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new appointment is a proposal, made by the service like any other.
        proposal = services.propose(
            seat=obj.seat,
            person=obj.person,
            starts_on=obj.starts_on,
            term_ends_on=obj.term_ends_on,
            decided_at=obj.decided_at,
            note=obj.note,
        )
        obj.pk, obj.status, obj._state.adding = proposal.pk, proposal.status, False

    @admin.action(permissions=["change"], description=_("Indstil de valgte udpegninger"))
    def nominate(self, request, queryset):
        return admin_actions.run_step(self, request, queryset, admin_actions.STEPS["nominate"])

    @admin.action(permissions=["change"], description=_("Registrér de valgte som udpeget"))
    def appoint(self, request, queryset):
        return admin_actions.run_step(self, request, queryset, admin_actions.STEPS["appoint"])

    @admin.action(permissions=["change"], description=_("Afslut de valgte udpegninger"))
    def end(self, request, queryset):
        return admin_actions.run_step(self, request, queryset, admin_actions.STEPS["end"])
