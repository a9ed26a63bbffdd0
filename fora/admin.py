from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kkr_portal import admin_filters
from kkr_portal.admin_cache import CachedChangeList
from kkr_portal.admin_forms import RulesInlineFormSet
from kkr_portal.admin_history import HistoryAdmin
from kkr_portal.admin_io import ImportAdminMixin
from kkr_portal.admin_scope import CouncilScopedAdmin, CouncilScopedInline
from members.models import Person
from members.querysets import today
from members.search import name_matches, search_words

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


def appointment_search(term: str) -> Q:
    """Every word of ``term`` is in the person's name or the seat's label or its forum's name.

    Django's own search ORs ``icontains`` over the joined tables, so PostgreSQL joins every
    appointment to its person (all 100,000 people at 40x) before it can filter. Here each table is
    searched on its own, as a subquery: people through the Blå Bog's folded name and its trigram
    index (so "soren" finds Søren, as in the Blå Bog), seats by label or forum name.
    """
    condition = Q()
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        fora = Forum.objects.filter(name__icontains=bit).values("pk")
        matches = Q(seat__in=Seat.objects.filter(label__icontains=bit).values("pk")) | Q(
            seat__in=Seat.objects.filter(forum__in=fora).values("pk")
        )
        if words := search_words(bit):
            matches |= Q(person__in=Person.objects.filter(name_matches(words)).values("pk"))
        condition &= matches
    return condition


class AppointmentChangeList(CachedChangeList):
    """The change list at the cost of its page of rows, not of the whole table (and, warm, of
    neither: the count and the rendered rows are cached, kkr_portal.admin_cache)."""

    def get_results(self, request):
        super().get_results(request)
        if not self.get_filters_params() and not self.query:
            # Unfiltered, the total is the count just made (show_full_result_count is off so that
            # a filtered page does not count the whole table a second time).
            self.full_result_count = self.result_count

    def read_rows(self):
        """The page in two steps: which rows (their ids), then the rows with their related rows.

        The first query joins only what the filters and the ordering need and sorts narrow rows;
        the second joins person, seat, forum and period for a hundred ids. In one query PostgreSQL
        may hash all 100,000 people to find a filtered page's hundred, and a sort on a column or
        a late page sorts the whole table's wide rows on disk.
        """
        page = self._page
        if self.list_editable:
            return page  # the edit formset needs the queryset itself
        ids = list(page.values_list("pk", flat=True))
        rows = self.apply_select_related(self.model._default_manager.order_by()).in_bulk(ids)
        # A row deleted between the two queries is left out, as if the page had been read later.
        return [rows[pk] for pk in ids if pk in rows]

    @cached_property
    def _change_url(self) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=("__pk__",),
            current_app=self.model_admin.admin_site.name,
        )

    def url_for_result(self, result):
        # One reverse() for the page instead of one per row.
        return self._change_url.replace("__pk__", quote(str(result.pk)), 1)


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
    # What the search box looks in; appointment_search says how.
    search_fields = ["person__name", "seat__label", "seat__forum__name"]
    # The total without filters would be a second count of the whole table on every page.
    show_full_result_count = False
    autocomplete_fields = ["seat", "person", "decided_at"]
    # The status follows the process (propose → nominate → appoint → end) through the services.
    readonly_fields = ["status", "nominated_on", "appointed_on", "ended_on", "end_reason"]
    actions = ["nominate", "appoint", "end"]
    # Who holds which seat from when is what the process decided: once past the proposal, these
    # change only through the actions (end, then propose anew), never by rewriting the row.
    fixed_after_proposal = ("seat", "person", "starts_on")

    def get_changelist(self, request, **kwargs):
        return AppointmentChangeList

    # The result table comes from the change list's cache (kkr_portal.admin_cache).
    change_list_template = "admin/kkr/cached_change_list.html"

    def get_search_results(self, request, queryset, search_term):
        # Without a term the bases only scope the rows (CouncilScopedAdmin); the term narrows them.
        queryset, _duplicates = super().get_search_results(request, queryset, "")
        if search_term:
            queryset = queryset.filter(appointment_search(search_term))
        return queryset, False

    def action_checkbox(self, obj):
        # Django's own renders a form widget through three templates for every row (8 ms of a
        # 100-row page); this is the same markup, formatted directly.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

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
