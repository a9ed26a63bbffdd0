"""The agreements page: each KKR's open agreements with their next milestones."""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from members.access import browse_required
from members.models import Council
from members.querysets import today
from members.views import get_or_404, pick

from .models import Agreement
from .querysets import approval_status, with_approval_status


@require_safe
@browse_required
def agreement_list(request):
    councils = list(Council.objects.order_by("name"))
    wanted = request.GET.get("kkr", "")
    council = pick(councils, wanted)
    agreements = Agreement.objects.none()
    if council is not None or not wanted:
        agreements = Agreement.objects.open().with_next_milestones(approvals=True)
        if council is not None:
            agreements = agreements.for_council(council)
    context = {
        "councils": councils,
        "council": council,
        "unknown_council": bool(wanted) and council is None,
        "agreements": with_approval_status(agreements),
        "today": today(),
    }
    return TemplateResponse(request, "agreements/agreement_list.html", context)


@require_safe
@browse_required
def agreement_detail(request, pk):
    agreement = get_or_404(Agreement.objects.with_milestones(), pk=pk)
    municipalities = list(agreement.council.municipalities.all())
    milestones = agreement.all_milestones
    for milestone in milestones:
        if milestone.requires_every_council:
            milestone.approved, milestone.missing = approval_status(milestone, municipalities)
    context = {
        "agreement": agreement,
        "milestones": milestones,
        "next_cycle": getattr(agreement, "next_cycle", None),
        "today": today(),
    }
    return TemplateResponse(request, "agreements/agreement_detail.html", context)
