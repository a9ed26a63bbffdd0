"""The fora pages: the list (by KKR and policy area) and one forum with its seats."""

from __future__ import annotations

from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from members.access import browse_required
from members.models import Council, PolicyArea
from members.querysets import today
from members.views import pick

from .models import Forum
from .querysets import seating


def get_forum_or_404(slug: str, on):
    """The fora pages' access helper: the forum with its council, kind, successor, predecessors and
    current seats, or the portal's 404. Who may browse at all is settled by ``browse_required``."""
    forum = (
        Forum.objects.select_related("council", "kind", "successor")
        .prefetch_related("predecessors")
        .with_seating(on)
        .filter(slug=slug)
        .first()
    )
    if forum is None:
        raise Http404
    return forum


@require_safe
@browse_required
def forum_list(request):
    councils = list(Council.objects.order_by("name"))
    areas = list(PolicyArea.objects.order_by("position", "name"))
    wanted_council, wanted_area = request.GET.get("kkr", ""), request.GET.get("fagomraade", "")
    council, area = pick(councils, wanted_council), pick(areas, wanted_area)
    unknown = (bool(wanted_council) and council is None) or (bool(wanted_area) and area is None)
    fora = Forum.objects.none()
    if not unknown:
        fora = Forum.objects.listing(today())
        if council is not None:
            fora = fora.for_council(council)
        if area is not None:
            fora = fora.in_policy_area(area)
    context = {
        "councils": councils,
        "areas": areas,
        "council": council,
        "area": area,
        "unknown_filter": unknown,
        "fora": list(fora),
    }
    return TemplateResponse(request, "fora/forum_list.html", context)


@require_safe
@browse_required
def forum_detail(request, slug):
    on = today()
    forum = get_forum_or_404(slug, on)
    context = {
        "forum": forum,
        "seats": seating(forum, on),
        "is_dissolved": forum.dissolved_on is not None and forum.dissolved_on < on,
    }
    return TemplateResponse(request, "fora/forum_detail.html", context)
