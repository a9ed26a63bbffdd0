"""The secretariat's own admin pages: the admin index with "Dine KKR'er", a dashboard per KKR and
the guided new-period changeover per KKR.

Routed before ``admin.site.urls`` (kkr_portal/urls.py) and wrapped with ``admin.site.admin_view``:
staff only, with the admin's login, TOTP and idle rules. A KKR is looked up among the user's
councils only (kkr_portal.scoping), so another KKR answers 404 exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import Milestone
from agreements.querysets import approval_status
from fora import changeover
from fora.models import Appointment, Seat
from members.models import Council, CouncilSeat, ElectionPeriod, KKRMembership, Municipality, Person
from members.querysets import today

from . import admin_filters, scoping

app_name = "kkr_admin"

MILESTONES_WITHIN_DAYS = 30
# Writing the changeover needs what the secretariat's staff group grants (kkr_portal.demo).
CHANGEOVER_PERMISSIONS = (
    "members.add_councilseat",
    "members.change_councilseat",
    "members.add_kkrmembership",
    "members.change_kkrmembership",
    "members.change_chairmanship",
    "fora.add_seat",
    "fora.change_seat",
    "fora.change_appointment",
)
RESULT_SESSION_KEY = "kkr_portal.changeover_result"


def _council(request, slug: str) -> Council:
    return get_object_or_404(scoping.councils_of(request.user), slug=slug)


def _changelist(model, **params) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _ids_link(model, ids) -> str | None:
    ids = list(ids)
    return _changelist(model, id__in=",".join(str(pk) for pk in ids)) if ids else None


def _admin_context(request, title: str, **context) -> dict:
    return {**admin.site.each_context(request), "title": title, **context}


# --- the admin index -----------------------------------------------------------------------


def index(request):
    """The admin's own index, with the user's KKRs (dashboard and changeover) on top."""
    councils = list(scoping.councils_of(request.user).order_by("name"))
    return admin.site.index(request, extra_context={"kkr_councils": councils})


# --- the dashboard -------------------------------------------------------------------------


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

    def count(queryset: QuerySet) -> int:
        return queryset.count()

    return [
        Line(
            gettext_lazy("Ledige pladser"),
            count(Seat.objects.for_council(council).vacant_on(on)),
            _changelist(Seat, forum__council__id__exact=council.pk, ledig="1"),
            gettext_lazy("Pladser i den nuværende valgperiode uden en udpeget (eller en, der bliver siddende)."),
        ),
        Line(
            gettext_lazy("Udpegede uden mandat i en kommunalbestyrelse"),
            count(appointments.without_council_seat(on)),
            _changelist(Appointment, **council_filter, uden_kommunalt_mandat="1"),
            gettext_lazy("De er ikke længere valgbare og bør afløses."),
        ),
        Line(
            gettext_lazy("Udpegninger, der udløber inden for 60 dage"),
            count(appointments.term_ending_within(on, admin_filters.ENDING_WITHIN_DAYS)),
            _changelist(Appointment, **council_filter, udloeber=str(admin_filters.ENDING_WITHIN_DAYS)),
        ),
        Line(
            gettext_lazy("Bliver siddende (overgang), til en efterfølger er udpeget"),
            count(appointments.carry_overs(on)),
            _changelist(Appointment, **council_filter, overgang="1"),
        ),
        Line(
            gettext_lazy("Personer uden e-mailadresse"),
            count(Person.objects.serving(council, on).without_email()),
            _changelist(Person, aktiv_i_kkr=str(council.pk), uden_email="1"),
            gettext_lazy("Medlemmer, formandskab og udpegede i KKR'et, som ikke kan få påmindelser."),
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
                _ids_link(Municipality, [municipality.pk for municipality in missing]),
            )
        )
    return rows


def dashboard(request, slug: str):
    council = _council(request, slug)
    on = today()
    milestones = due_milestones(council, on)
    milestones_link = _changelist(
        Milestone,
        agreement__council__id__exact=council.pk,
        completed_on__isnull="True",
        due_on__gte=on.isoformat(),
        due_on__lte=(on + timedelta(days=MILESTONES_WITHIN_DAYS)).isoformat(),
    )
    return TemplateResponse(
        request,
        "admin/kkr/dashboard.html",
        _admin_context(
            request,
            _("Oversigt: %(council)s") % {"council": council},
            council=council,
            on=on,
            lines=dashboard_lines(council, on),
            milestones=milestones,
            milestones_link=milestones_link,
            milestones_days=MILESTONES_WITHIN_DAYS,
        ),
    )


# --- the changeover ------------------------------------------------------------------------


class PeriodForm(forms.Form):
    period = forms.ModelChoiceField(
        label=gettext_lazy("Ny valgperiode"),
        queryset=ElectionPeriod.objects.all(),
        error_messages={"invalid_choice": gettext_lazy("Vælg en valgperiode fra listen.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", "---------")] + [
            (period.pk, str(period)) for period in changeover.eligible_periods()
        ]

    def clean_period(self):
        period = self.cleaned_data["period"]
        try:
            changeover.check_new_period(period)
        except ValidationError as error:
            raise ValidationError(error.message_dict[changeover.PERIOD_FIELD]) from error
        return period


class ChangeoverForm(PeriodForm):
    """The new period (chosen in step 1, carried along) and a new mayor per municipality."""

    def __init__(self, *args, council: Council, user, period: ElectionPeriod | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].widget = forms.HiddenInput()
        self.council = council
        self.municipalities = list(Municipality.objects.filter(council=council).order_by("name"))
        people = scoping.scope(Person.objects.all(), user)
        candidates: dict[int, list[tuple[int, str]]] = {}
        current: dict[int, int] = {}
        if period is not None:
            old = changeover.previous_period(period)
            seats = (
                CouncilSeat.objects.filter(municipality__council=council, period__in=[p for p in (old, period) if p])
                .select_related("person")
                .order_by("person__sort_name", "pk")
            )
            for seat in seats:
                options = candidates.setdefault(seat.municipality_id, [])
                if (seat.person_id, seat.person.name) not in options:
                    options.append((seat.person_id, seat.person.name))
                if seat.period_id == period.pk and seat.role == CouncilSeat.Role.MAYOR and seat.ended_on is None:
                    current[seat.municipality_id] = seat.person_id
        for municipality in self.municipalities:
            name = changeover.mayor_field(municipality)
            field = forms.ModelChoiceField(
                label=municipality.name,
                queryset=people,
                required=False,
                error_messages={"invalid_choice": gettext_lazy("Vælg en person fra listen.")},
            )
            # Offered: the councillors of the old and the new period; checked: anyone the user may see,
            # so that a person from elsewhere gets the changeover's own message.
            field.choices = [("", _("(ingen ændring)")), *candidates.get(municipality.pk, [])]
            field.initial = current.get(municipality.pk)
            self.fields[name] = field

    def mayor_fields(self):
        return [self[changeover.mayor_field(municipality)] for municipality in self.municipalities]

    def mayors(self) -> dict[Municipality, Person | None]:
        return {
            municipality: self.cleaned_data.get(changeover.mayor_field(municipality))
            for municipality in self.municipalities
        }


def _result_links(result: dict) -> list[tuple[str, int, str | None]]:
    kinds = [
        (_("Borgmesterhverv registreret"), CouncilSeat, "council_seats"),
        (_("KKR-medlemskaber oprettet"), KKRMembership, "memberships_created"),
        (_("KKR-medlemskaber afsluttet"), KKRMembership, "memberships_ended"),
        (_("Formandskabsposter afsluttet"), "members.chairmanship", "chairmanships_ended"),
        (_("Udpegninger afsluttet"), Appointment, "appointments_ended"),
        (_("Udpegede, der bliver siddende (overgang)"), Appointment, "appointments_carried_over"),
        (_("Pladser oprettet i den nye valgperiode"), Seat, "seats_created"),
    ]
    from django.apps import apps

    links = []
    for label, model, key in kinds:
        model = apps.get_model(model) if isinstance(model, str) else model
        ids = result.get(key, [])
        links.append((label, len(ids), _ids_link(model, ids)))
    return links


def changeover_view(request, slug: str):
    council = _council(request, slug)
    if not request.user.has_perms(CHANGEOVER_PERMISSIONS):
        raise PermissionDenied
    title = _("Skift til ny valgperiode: %(council)s") % {"council": council}

    def render(template: str, **context):
        return TemplateResponse(request, template, _admin_context(request, title, council=council, **context))

    if request.method != "POST":
        if "period" not in request.GET:
            return render("admin/kkr/changeover_period.html", form=PeriodForm())
        period_form = PeriodForm(request.GET)
        if not period_form.is_valid():
            return render("admin/kkr/changeover_period.html", form=period_form)
        period = period_form.cleaned_data["period"]
        form = ChangeoverForm(initial={"period": period.pk}, council=council, user=request.user, period=period)
        return render("admin/kkr/changeover_mayors.html", form=form, period=period)

    posted = request.POST.get("period", "")
    period = ElectionPeriod.objects.filter(pk=posted).first() if posted.isdigit() else None
    form = ChangeoverForm(request.POST, council=council, user=request.user, period=period)
    if not form.is_valid():
        if "period" in form.errors:
            return render("admin/kkr/changeover_period.html", form=PeriodForm(request.POST))
        return render("admin/kkr/changeover_mayors.html", form=form, period=period)
    period, mayors = form.cleaned_data["period"], form.mayors()
    try:
        if request.POST.get("action") == "apply":
            result = changeover.apply_changeover(
                council=council,
                new_period=period,
                mayors=mayors,
                expected_token=request.POST.get("token", ""),
                user=request.user,
            )
            request.session[RESULT_SESSION_KEY] = {
                "council": council.pk,
                "period": period.pk,
                **result.as_dict(),
            }
            if result.changed_anything:
                messages.success(request, _("Skiftet til valgperioden %(period)s er gennemført.") % {"period": period})
            else:
                messages.info(request, _("Der var intet at ændre: skiftet er allerede gennemført."))
            return HttpResponseRedirect(reverse("kkr_admin:changeover_done", args=[council.slug]))
        plan = changeover.plan_changeover(council=council, new_period=period, mayors=mayors)
    except changeover.StalePlan as error:
        plan = changeover.plan_changeover(council=council, new_period=period, mayors=mayors)
        return render("admin/kkr/changeover_preview.html", form=form, plan=plan, period=period, stale=error.messages)
    except ValidationError as error:
        form.add_error(None, error)
        return render("admin/kkr/changeover_mayors.html", form=form, period=period)
    return render("admin/kkr/changeover_preview.html", form=form, plan=plan, period=period)


def changeover_done(request, slug: str):
    council = _council(request, slug)
    result = request.session.get(RESULT_SESSION_KEY)
    if not result or result.get("council") != council.pk:
        return HttpResponseRedirect(reverse("kkr_admin:changeover", args=[council.slug]))
    period = get_object_or_404(ElectionPeriod, pk=result["period"])
    return TemplateResponse(
        request,
        "admin/kkr/changeover_done.html",
        _admin_context(
            request,
            _("Skiftet er gennemført: %(council)s") % {"council": council},
            council=council,
            period=period,
            links=_result_links(result),
        ),
    )


urlpatterns = [
    path("", admin.site.admin_view(index), name="index"),
    path("oversigt/<slug:slug>/", admin.site.admin_view(dashboard), name="dashboard"),
    path("skifte/<slug:slug>/", admin.site.admin_view(changeover_view), name="changeover"),
    path("skifte/<slug:slug>/resultat/", admin.site.admin_view(changeover_done), name="changeover_done"),
]
