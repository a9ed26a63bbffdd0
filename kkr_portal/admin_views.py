"""The secretariat's own admin pages: the admin index with "Dine KKR'er", a dashboard per KKR and
the guided new-period changeover per KKR.

Routed before ``admin.site.urls`` (kkr_portal/urls.py) and wrapped with ``admin.site.admin_view``:
staff only, with the admin's login, TOTP and idle rules. A KKR is looked up among the user's
councils only (kkr_portal.scoping), so another KKR answers 404 exactly like a missing one.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from elections import services as election_services
from fora import changeover
from fora.models import Appointment, Seat
from members.models import Chairmanship, Council, CouncilSeat, ElectionPeriod, KKRMembership
from members.querysets import today

from . import dashboard as dashboard_reads
from . import scoping
from .admin_changeover_forms import ChangeoverForm, PeriodForm

app_name = "kkr_admin"

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


def _admin_context(request, title: str, **context) -> dict:
    return {**admin.site.each_context(request), "title": title, **context}


# --- the admin index -----------------------------------------------------------------------


def index(request):
    """The admin's own index, with the user's KKRs (dashboard and changeover) on top."""
    councils = list(scoping.councils_of(request.user).order_by("name"))
    return admin.site.index(request, extra_context={"kkr_councils": councils})


# --- the dashboard -------------------------------------------------------------------------


def dashboard(request, slug: str):
    council = _council(request, slug)
    on = today()
    return TemplateResponse(
        request,
        "admin/kkr/dashboard.html",
        _admin_context(
            request,
            _("Oversigt: %(council)s") % {"council": council},
            council=council,
            on=on,
            lines=dashboard_reads.dashboard_lines(council, on),
            milestones=dashboard_reads.due_milestones(council, on),
            milestones_link=dashboard_reads.milestones_link(council, on),
            milestones_days=dashboard_reads.MILESTONES_WITHIN_DAYS,
        ),
    )


# --- the changeover ------------------------------------------------------------------------


def _result_links(result: dict) -> list[tuple[str, int, str | None]]:
    kinds = [
        (_("Borgmesterhverv registreret"), CouncilSeat, "council_seats"),
        (_("KKR-medlemskaber oprettet"), KKRMembership, "memberships_created"),
        (_("KKR-medlemskaber afsluttet"), KKRMembership, "memberships_ended"),
        (_("Formandskabsposter afsluttet"), Chairmanship, "chairmanships_ended"),
        (_("Udpegninger afsluttet"), Appointment, "appointments_ended"),
        (_("Udpegede, der bliver siddende (overgang)"), Appointment, "appointments_carried_over"),
        (_("Pladser oprettet i den nye valgperiode"), Seat, "seats_created"),
    ]
    return [
        (label, len(result.get(key, [])), dashboard_reads.ids_link(model, result.get(key, [])))
        for label, model, key in kinds
    ]


def changeover_view(request, slug: str):
    council = _council(request, slug)
    if not request.user.has_perms(CHANGEOVER_PERMISSIONS):
        raise PermissionDenied
    title = _("Skift til ny valgperiode: %(council)s") % {"council": council}

    def render(template: str, **context):
        if template == "admin/kkr/changeover_preview.html":
            # The new period's supplementary seats (elections), shown as seats to fill.
            context["seats_period"] = context["period"]
            context["seats_to_fill"] = election_services.seats_to_fill(council=council, period=context["period"])
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
    except changeover.BlockedPlan:
        # The preview lists the problems and offers no "Anvend" until they are resolved.
        plan = changeover.plan_changeover(council=council, new_period=period, mayors=mayors)
        return render("admin/kkr/changeover_preview.html", form=form, plan=plan, period=period)
    except ValidationError as error:
        form.add_service_error(error)
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
            seats_period=period,
            seats_to_fill=election_services.seats_to_fill(council=council, period=period),
        ),
    )


urlpatterns = [
    path("", admin.site.admin_view(index), name="index"),
    path("oversigt/<slug:slug>/", admin.site.admin_view(dashboard), name="dashboard"),
    path("skifte/<slug:slug>/", admin.site.admin_view(changeover_view), name="changeover"),
    path("skifte/<slug:slug>/resultat/", admin.site.admin_view(changeover_done), name="changeover_done"),
]
