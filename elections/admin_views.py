"""The secretariat's composition pages: import a region's election result, see the calculation of
the KKR's composition step by step, decide (and where needed override) the supplementary seats
per party.

Routed before ``admin.site.urls`` and wrapped with ``admin.site.admin_view`` (staff only, with the
admin's login, TOTP and idle rules). A KKR is looked up among the user's councils only, so another
KKR answers 404 exactly like a missing one.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from kkr_portal import scoping
from kkr_portal.admin_io import ImportUploadStorage
from members.models import Council, ElectionPeriod

from . import importing, services
from .forms import DecisionForm, ResultUploadForm
from .models import ElectionResult, SupplementarySeats

app_name = "elections_admin"

VIEW_PERMISSIONS = ("elections.view_electionresult", "elections.view_supplementaryseats")
IMPORT_PERMISSIONS = ("elections.add_electionresult",)
DECIDE_PERMISSIONS = ("elections.add_supplementaryseats", "elections.change_supplementaryseats")


def _council(request, slug: str, *, needs: tuple[str, ...] = VIEW_PERMISSIONS) -> Council:
    council = get_object_or_404(scoping.councils_of(request.user), slug=slug)
    if not request.user.has_perms(needs):
        raise PermissionDenied
    return council


def _render(request, template: str, title: str, **context):
    return TemplateResponse(request, template, {**admin.site.each_context(request), "title": title, **context})


def overview(request, slug: str):
    council = _council(request, slug)
    periods = list(ElectionPeriod.objects.order_by("-starts_on"))
    latest: dict[int, ElectionResult] = {}
    for result in ElectionResult.objects.filter(council=council).select_related("imported_by", "period"):
        latest.setdefault(result.period_id, result)  # newest first (the model's ordering)
    decided: dict[int, int] = {}
    for row in SupplementarySeats.objects.filter(council=council).only("period_id", "decided_seats"):
        decided[row.period_id] = decided.get(row.period_id, 0) + row.decided_seats
    lines = [(period, latest.get(period.pk), decided.get(period.pk)) for period in periods]
    return _render(
        request,
        "elections/overview.html",
        _("KKR's sammensætning: %(council)s") % {"council": council},
        council=council,
        lines=lines,
        may_import=request.user.has_perms(IMPORT_PERMISSIONS),
    )


def import_view(request, slug: str, period: int):
    council = _council(request, slug, needs=VIEW_PERMISSIONS + IMPORT_PERMISSIONS)
    period = get_object_or_404(ElectionPeriod, pk=period)
    title = _("Importér valgresultat: %(council)s, %(period)s") % {"council": council, "period": period}

    def render(**context):
        return _render(
            request,
            "elections/import.html",
            title,
            council=council,
            period=period,
            columns=importing.COLUMN_HELP,
            **context,
        )

    if request.method != "POST":
        return render(form=ResultUploadForm())
    if request.POST.get("action") == "confirm":
        return _confirm_import(request, council, period, render)
    form = ResultUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(form=form)
    upload = form.cleaned_data["import_file"]
    content = upload.read()
    try:
        read = importing.read_votes(importing.read_dataset(content, upload.name), council)
    except ValueError as error:
        form.add_error("import_file", str(error))
        return render(form=form)
    if not read.ok:
        return render(form=form, problems=read.problems)
    storage = ImportUploadStorage()
    storage.save(content)
    return render(form=ResultUploadForm(), read=read, stored=storage.name, file_name=upload.name)


def _confirm_import(request, council, period, render):
    file_name = request.POST.get("file_name", "")[:255]
    claimed = ImportUploadStorage(name=request.POST.get("stored", "")).claim()
    if claimed is None or importing.format_for(file_name) is None:
        messages.error(
            request,
            _(
                "Filen fra forhåndsvisningen findes ikke længere — importen er måske allerede gennemført. "
                "Upload filen igen, hvis resultatet mangler."
            ),
        )
        return HttpResponseRedirect(reverse("elections_admin:import", args=[council.slug, period.pk]))
    try:
        content = claimed.read()
    finally:
        claimed.remove()
    try:
        read = importing.read_votes(importing.read_dataset(content, file_name), council)
    except ValueError as error:
        read = importing.ReadResult()
        read.problem(str(error))
    if not read.ok:
        # The region's data changed since the preview: nothing is written; show why.
        return render(form=ResultUploadForm(), problems=read.problems, nothing_written=True)
    services.import_result(council=council, period=period, read=read, source_name=file_name, user=request.user)
    messages.success(
        request,
        _("Valgresultatet er importeret: %(rows)s stemmetal fra %(file)s.")
        % {"rows": len(read.rows), "file": file_name},
    )
    return HttpResponseRedirect(reverse("elections_admin:composition", args=[council.slug, period.pk]))


def composition_view(request, slug: str, period: int):
    council = _council(request, slug)
    period = get_object_or_404(ElectionPeriod, pk=period)
    title = _("Beregning af KKR's sammensætning: %(council)s, %(period)s") % {"council": council, "period": period}
    plan = services.plan_composition(council=council, period=period)
    may_decide = request.user.has_perms(DECIDE_PERMISSIONS)

    def render(form, **context):
        return _render(
            request,
            "elections/composition.html",
            title,
            council=council,
            period=period,
            plan=plan,
            composition=plan.composition if plan else None,
            form=form,
            lines=form.bound_lines() if form is not None else [],
            may_decide=may_decide,
            may_import=request.user.has_perms(IMPORT_PERMISSIONS),
            **context,
        )

    if plan is None:
        return render(None)
    if request.method != "POST":
        return render(DecisionForm(plan=plan))
    if not may_decide:
        raise PermissionDenied
    if request.POST.get("token") != plan.token:
        # Checked before the numbers: they were decided against another calculation.
        return render(DecisionForm(plan=plan), stale=[services.STALE_MESSAGE])
    form = DecisionForm(request.POST, plan=plan)
    if not form.is_valid():
        return render(form)
    try:
        services.apply_composition(
            council=council,
            period=period,
            decisions=form.decisions(),
            expected_token=form.cleaned_data["token"],
            user=request.user,
        )
    except services.StaleComposition as error:
        return render(DecisionForm(plan=plan), stale=error.messages)
    except ValidationError as error:
        for key, errors in error.message_dict.items():
            form.add_error(None if key not in form.fields else key, errors)
        return render(form)
    messages.success(
        request,
        _("De supplerende pladser for valgperioden %(period)s er gemt.") % {"period": period},
    )
    return HttpResponseRedirect(reverse("elections_admin:composition", args=[council.slug, period.pk]))


urlpatterns = [
    path("sammensaetning/<slug:slug>/", admin.site.admin_view(overview), name="overview"),
    path("sammensaetning/<slug:slug>/<int:period>/", admin.site.admin_view(composition_view), name="composition"),
    path("sammensaetning/<slug:slug>/<int:period>/import/", admin.site.admin_view(import_view), name="import"),
]
