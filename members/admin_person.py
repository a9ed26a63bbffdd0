"""The person's page in the admin: their roles as read-only inlines, and eligible people first.

A person's council seats, KKR places and appointments are shown on the person, each row linked to
its own page. They are not edited here: a row's own admin runs its rules *and* its consequences
(a mayoralty brings its ex officio KKR place, ending a place ends its substitutes and chair post,
an appointment moves through its process by actions), which an inline formset's save would skip.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q

from fora.models import Appointment
from kkr_portal import scoping
from kkr_portal.admin_forms import RulesInlineFormSet
from kkr_portal.admin_scope import CouncilScopedInline

from .models import CouncilSeat, ElectionPeriod, KKRMembership, Person
from .querysets import active_on_q, today


class _RoleInline(CouncilScopedInline, admin.TabularInline):
    """A person's rows of one kind, scoped to the user's KKRs, read-only with a link to each."""

    formset = RulesInlineFormSet
    fk_name = "person"
    extra = 0
    can_delete = False
    show_change_link = True
    related: tuple[str, ...] = ()

    def get_queryset(self, request):
        # Each row is shown by its name too, and the names name the person.
        return super().get_queryset(request).select_related("person", *self.related)

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PersonCouncilSeatInline(_RoleInline):
    model = CouncilSeat
    fields = ["municipality", "role", "period", "started_on", "ended_on"]
    related = ("municipality", "period")


class PersonMembershipInline(_RoleInline):
    model = KKRMembership
    fields = ["council", "basis", "role", "period", "started_on", "ended_on"]
    related = ("council", "period")


class PersonAppointmentInline(_RoleInline):
    model = Appointment
    fields = ["seat", "status", "starts_on", "term_ends_on", "ended_on"]
    related = ("seat__forum", "seat__period")


PERSON_INLINES = [PersonCouncilSeatInline, PersonMembershipInline, PersonAppointmentInline]

# The autocomplete that picks an appointee (Django names the field asking in the request).
APPOINTEE_FIELD = {"app_label": "fora", "model_name": "appointment", "field_name": "person"}


def asks_for_appointee(request) -> bool:
    return all(request.GET.get(key) == value for key, value in APPOINTEE_FIELD.items())


def eligible_first(queryset, user):
    """People who hold a council seat in a municipality of the user's KKRs come first: only they can
    be appointed (fora.rules.check_appointment). A seat counts if it is current, or open in the next
    period that has not yet begun: in the changeover window (after the election, before 1 January)
    the secretariat appoints the new period's councillors to the new period's seats.

    Django's autocomplete request names the field, not the appointment or its seat, so the seat's
    own period and start date are unknown here: today's and the next period's councillors together
    are the best available guess. The appointment's own rules still check the actual date.
    """
    on = today()
    upcoming = ElectionPeriod.objects.filter(starts_on__gt=on).order_by("starts_on").values("pk")[:1]
    seats = CouncilSeat.objects.filter(
        Q(active_on_q(on), period__starts_on__lte=on, period__ends_on__gte=on)
        | Q(period__in=upcoming, ended_on__isnull=True),
        person=OuterRef("pk"),
        municipality__council__in=scoping.councils_of(user).values("pk"),
    )
    return queryset.annotate(eligible=Exists(seats)).order_by("-eligible", *Person._meta.ordering, "pk")
