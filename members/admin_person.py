"""The person's page in the admin: their roles as read-only inlines, and eligible people first.

A person's council seats, KKR places and appointments are shown on the person, each row linked to
its own page. They are not edited here: a row's own admin runs its rules *and* its consequences
(a mayoralty brings its ex officio KKR place, ending a place ends its substitutes and chair post,
an appointment moves through its process by actions), which an inline formset's save would skip.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef

from fora.models import Appointment
from kkr_portal import scoping
from kkr_portal.admin_forms import RulesInlineFormSet
from kkr_portal.admin_scope import CouncilScopedInline

from .models import CouncilSeat, KKRMembership, Person


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
    """People who hold a council seat today in a municipality of the user's KKRs come first:
    only they can be appointed (fora.rules.check_appointment)."""
    seats = CouncilSeat.objects.current().filter(
        person=OuterRef("pk"), municipality__council__in=scoping.councils_of(user).values("pk")
    )
    return queryset.annotate(eligible=Exists(seats)).order_by("-eligible", *Person._meta.ordering, "pk")
