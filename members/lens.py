"""The policy-area lens: ``/omraader/`` and ``/omraader/<slug>/``.

One policy area across the five KKRs (or one, ``?kkr=<slug>``): the open agreements and their
next deadlines, the active fora and who holds their seats, and the meetings whose agenda has
items in the area. Like the other members' pages, the KKR named in the URL is looked up among
the rows already loaded (``views.pick``): an unknown one gives the page with a message.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from agreements.models import Agreement
from fora.models import Forum
from fora.querysets import seating

from .access import browse_required, can_see_contact_details
from .models import Council, Meeting, PolicyArea
from .querysets import policy_area_overview, today
from .views import pick

UPCOMING_MEETINGS = 20
RECENT_MEETINGS = 5
# Meetings held this long ago still count as recent for the lens.
RECENT_DAYS = 183


@require_safe
@browse_required
def policy_area_list(request):
    context = {"areas": list(policy_area_overview(today(), timezone.now()))}
    return TemplateResponse(request, "members/policy_area_list.html", context)


@require_safe
@browse_required
def policy_area_detail(request, slug):
    areas = list(PolicyArea.objects.order_by("position", "name"))
    area = pick(areas, slug)
    if area is None:
        raise Http404
    councils = list(Council.objects.order_by("name"))
    wanted = request.GET.get("kkr", "")
    council = pick(councils, wanted)
    unknown = bool(wanted) and council is None
    on, now = today(), timezone.now()
    agreements = Agreement.objects.none()
    fora = Forum.objects.none()
    upcoming = recent = Meeting.objects.none()
    if not unknown:
        agreements = Agreement.objects.open().in_policy_area(area).with_next_milestones()
        fora = (
            Forum.objects.active_on(on)
            .in_policy_area(area)
            .select_related("council", "kind")
            .with_seating(on)
            .order_by("council__name", "name")
        )
        meetings = Meeting.objects.touching(area).with_items_in(area)
        upcoming = meetings.ahead(now)
        recent = meetings.past(now).filter(ends_at__gte=now - timedelta(days=RECENT_DAYS))
        if council is not None:
            agreements, fora = agreements.for_council(council), fora.for_council(council)
            upcoming, recent = upcoming.for_council(council), recent.for_council(council)
    context = {
        "area": area,
        "areas": areas,
        "councils": councils,
        "council": council,
        "unknown_council": unknown,
        "agreements": list(agreements),
        # Who holds each seat now (carry-overs included); the template leaves out proposed and
        # nominated successors: the lens shows who represents the KKR, not the process.
        "fora": [(forum, seating(forum, on)) for forum in fora],
        "upcoming": list(upcoming[:UPCOMING_MEETINGS]),
        "recent": list(recent[:RECENT_MEETINGS]),
        "today": on,
        "show_contact": can_see_contact_details(request.user),
    }
    return TemplateResponse(request, "members/policy_area_detail.html", context)
