"""Reads of the staff dashboard per KKR: what needs the secretariat's attention, across the apps.

Each line carries its count and a link to the admin change list of exactly the rows it counts;
the view (kkr_portal.admin_views) only renders what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agreements.models import Milestone
from agreements.querysets import approval_status
from fora.models import Appointment, Seat
from members.models import Council, Municipality, Person

from . import admin_filters

MILESTONES_WITHIN_DAYS = 30


def changelist_url(model, **params) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def ids_link(model, ids) -> str | None:
    ids = list(ids)
    return changelist_url(model, id__in=",".join(str(pk) for pk in ids)) if ids else None


@dataclass
class Line:
    label: str
    count: int
    url: str
    help: str = ""


@dataclass
class DueMilestone:
    milestone: Milestone
    url: str
    missing: list[Municipality]
    missing_url: str | None


def dashboard_lines(council: Council, on: date) -> list[Line]:
    """What needs the secretariat's attention, each with a count and a link to exactly those rows."""
    appointments = Appointment.objects.for_council(council)
    council_filter = {"seat__forum__council__id__exact": council.pk}
    return [
        Line(
            _("Ledige pladser"),
            Seat.objects.for_council(council).vacant_on(on).count(),
            changelist_url(Seat, forum__council__id__exact=council.pk, ledig="1"),
            _("Pladser i den nuværende valgperiode uden en udpeget (eller en, der bliver siddende)."),
        ),
        Line(
            _("Udpegede uden mandat i en kommunalbestyrelse"),
            appointments.without_council_seat(on).count(),
            changelist_url(Appointment, **council_filter, uden_kommunalt_mandat="1"),
            _("De er ikke længere valgbare og bør afløses."),
        ),
        Line(
            _("Udpegninger, der udløber inden for 60 dage"),
            appointments.term_ending_within(on, admin_filters.ENDING_WITHIN_DAYS).count(),
            changelist_url(Appointment, **council_filter, udloeber=str(admin_filters.ENDING_WITHIN_DAYS)),
        ),
        Line(
            _("Bliver siddende (overgang), til en efterfølger er udpeget"),
            appointments.carry_overs(on).count(),
            changelist_url(Appointment, **council_filter, overgang="1"),
        ),
        Line(
            _("Personer uden e-mailadresse"),
            Person.objects.serving(council, on).without_email().count(),
            changelist_url(Person, aktiv_i_kkr=str(council.pk), uden_email="1"),
            _("Medlemmer, formandskab og udpegede i KKR'et, som ikke kan få påmindelser."),
        ),
    ]


def due_milestones(council: Council, on: date) -> list[DueMilestone]:
    """Milestones due within 30 days, with the municipalities that have not yet approved them."""
    municipalities = list(Municipality.objects.filter(council=council).order_by("name"))
    milestones = (
        Milestone.objects.for_council(council)
        .due_within(on, MILESTONES_WITHIN_DAYS)
        .select_related("agreement")
        .prefetch_related("approvals__municipality")
        .order_by("due_on", "pk")
    )
    rows = []
    for milestone in milestones:
        missing = approval_status(milestone, municipalities)[1] if milestone.requires_every_council else []
        rows.append(
            DueMilestone(
                milestone,
                reverse("admin:agreements_milestone_change", args=[milestone.pk]),
                missing,
                ids_link(Municipality, [municipality.pk for municipality in missing]),
            )
        )
    return rows


def milestones_link(council: Council, on: date) -> str:
    """The milestone change list filtered to the ones ``due_milestones`` lists."""
    return changelist_url(
        Milestone,
        agreement__council__id__exact=council.pk,
        completed_on__isnull="True",
        due_on__gte=on.isoformat(),
        due_on__lte=(on + timedelta(days=MILESTONES_WITHIN_DAYS)).isoformat(),
    )
