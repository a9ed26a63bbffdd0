"""The members' pages: one KKR, one person, the meetings, Min side and About KKR.

Views stay thin: they fetch through the QuerySet methods in ``members/querysets.py`` (and the
fora and agreements apps' ones), evaluate the lists the template shows, and hand over.
Query parameters are never sent to the database as they are: a KKR or policy area named in
the URL is looked up among the rows already loaded, so an unknown or odd value (a NUL byte,
10,000 characters) gives the normal page with a friendly message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from agreements.models import Agreement, Milestone
from fora.models import Forum
from fora.querysets import seating
from kkr_portal import pagecache
from reminders import services as reminder_services

from . import calendar, profile, services
from .access import browse_required, can_see_contact_details
from .forms import ContactDetailsForm, ReminderPreferencesForm
from .models import (
    Chairmanship,
    Council,
    KKRMembership,
    Meeting,
    Person,
    PolicyArea,
    SecretariatContact,
    TimelineEntry,
)
from .querysets import CALENDAR_HISTORY, person_roles, policy_areas_of, secretariat_of, today

MEETINGS_PER_PAGE = 20


def get_or_404(queryset: QuerySet, **lookup):
    """The members' pages' access helper: the one row the URL names, or the portal's 404.

    Who may browse at all is settled before (``browse_required``); this only fetches.
    """
    row = queryset.filter(**lookup).first()
    if row is None:
        raise Http404
    return row


def pick(rows, slug: str | None):
    """The row among ``rows`` whose slug is ``slug`` (compared in Python, never in SQL), else None."""
    return next((row for row in rows if row.slug == slug), None) if slug else None


def person_agenda(person, *, meetings: int = 5, milestones: int = 8) -> dict:
    """The next meetings of the person's KKRs and the coming deadlines meant for members (two queries)."""
    return {
        "next_meetings": list(Meeting.objects.for_person(person).ahead().with_council()[:meetings]),
        "next_milestones": list(
            Milestone.objects.for_person(person).for_members().upcoming().with_agreement()[:milestones]
        ),
    }


@require_safe
@browse_required
def council_detail(request, slug):
    """One KKR's page; its content is cached (``kkr_portal.pagecache``) until the data, the day
    or the end of a listed meeting changes it."""
    show_contact = can_see_contact_details(request.user)

    def build():
        council = get_or_404(Council.objects.all(), slug=slug)
        on = today()
        posts = {post.role: post for post in Chairmanship.objects.holders(council, on)}
        fora = Forum.objects.for_council(council).active_on(on).select_related("kind").with_seating(on)
        contacts = list(secretariat_of(council))
        meetings = list(Meeting.objects.for_council(council).ahead()[:5])
        context = {
            "council": council,
            "chair": posts.get(Chairmanship.Role.CHAIR),
            "vice_chair": posts.get(Chairmanship.Role.VICE_CHAIR),
            "members": list(KKRMembership.objects.roster(council, on)),
            "fora": [(forum, seating(forum, on)) for forum in fora],
            "meetings": meetings,
            "agreements": list(Agreement.objects.for_council(council).open().with_next_milestones()),
            "kkr_contacts": [c for c in contacts if c.kind == SecretariatContact.Kind.KKR_SECRETARIAT],
            "joint_contacts": [c for c in contacts if c.kind != SecretariatContact.Kind.KKR_SECRETARIAT],
            "policy_areas": list(policy_areas_of(council)),
            "today": on,
            "show_contact": show_contact,
        }
        content = render_to_string("members/council_detail_content.html", context)
        # A meeting leaves "Næste møder" when it is over.
        return {"title": council.name, "content": content}, min((m.ends_at for m in meetings), default=None)

    parts = pagecache.cached(
        "council", slug, pagecache.audience(show_contact), build=build, version=pagecache.request_version(request)
    )
    return TemplateResponse(request, "members/council_detail.html", {"parts": parts})


@require_safe
@browse_required
def person_detail(request, slug):
    """One person's page; its content is cached (``kkr_portal.pagecache``)."""
    show_contact = can_see_contact_details(request.user)

    def build():
        person = get_or_404(Person.objects.with_roles(), slug=slug)
        current, history = person_roles(person)
        context = {
            "person": person,
            "current_roles": current,
            "history": history,
            "show_contact_details": show_contact,
            "page_path": reverse("person_detail", args=[person.slug]),
        }
        return {"title": person.name, "content": render_to_string("members/person_detail_content.html", context)}, None

    parts = pagecache.cached(
        "person", slug, pagecache.audience(show_contact), build=build, version=pagecache.request_version(request)
    )
    return TemplateResponse(request, "members/person_detail.html", {"parts": parts})


@require_safe
@browse_required
def meeting_list(request):
    councils = list(Council.objects.order_by("name"))
    wanted = request.GET.get("kkr", "")
    council = pick(councils, wanted)
    past = request.GET.get("vis") == "tidligere"
    meetings = Meeting.objects.with_agenda()
    if council is not None:
        meetings = meetings.for_council(council)
    elif wanted:
        meetings = meetings.none()
    meetings = meetings.past() if past else meetings.ahead()
    page = Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "councils": councils,
        "council": council,
        "unknown_council": bool(wanted) and council is None,
        "past": past,
        "page": page,
        "meetings": list(page.object_list),
    }
    return TemplateResponse(request, "members/meeting_list.html", context)


@require_safe
@browse_required
def meeting_detail(request, pk):
    meeting = get_or_404(Meeting.objects.with_agenda(), pk=pk)
    context = {"meeting": meeting, "agenda": list(meeting.agenda_items.all())}
    return TemplateResponse(request, "members/meeting_detail.html", context)


def ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Feeds change when a meeting moves; calendar apps should fetch again rather than trust a cache.
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_safe
@browse_required
def council_feed(request, slug):
    """One KKR's meetings as a calendar feed.

    As open as the KKR's page (``can_browse``): public when the Blå Bog is public, else for a
    signed-in session (downloading the file). A calendar app cannot sign in, so for a subscription
    members use their personal feed on Min side, whose secret URL needs no login.
    """

    def build():
        council = get_or_404(Council.objects.all(), slug=slug)
        meetings = list(Meeting.objects.for_council(council).for_calendar())
        # A meeting leaves the feed a year after it ended (``MeetingQuerySet.for_calendar``).
        first_end = min((meeting.ends_at for meeting in meetings), default=None)
        content = calendar.feed_ics(name=council.name, meetings=meetings)
        return content, first_end + CALENDAR_HISTORY if first_end else None

    return ics_response(
        pagecache.cached("council-feed", slug, build=build, version=pagecache.request_version(request)), f"{slug}.ics"
    )


@require_safe
def personal_feed(request, token):
    """A person's meetings and deadlines at their secret URL (no login: calendar apps fetch it).

    The URL works while the person can sign in (``calendar.feed_for_token``); otherwise a 404."""
    feed = calendar.feed_for_token(token)
    if feed is None:
        raise Http404
    person = feed.person
    meetings = list(Meeting.objects.for_person(person).for_calendar())
    # Every deadline of their KKRs' agreements, not only those addressed to members: a member
    # follows the cycle the KKR runs (the reminders, not the calendar, go by audience).
    milestones = list(Milestone.objects.for_person(person).for_calendar())
    name = _("KKR – %(name)s") % {"name": person.name}
    return ics_response(calendar.feed_ics(name=name, meetings=meetings, milestones=milestones), "kkr.ics")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_page(request):
    """Min side: three forms on one page, told apart by their submit button's name."""
    person = Person.objects.with_roles().select_related("calendar_feed").filter(user=request.user).first()
    if person is None:
        return TemplateResponse(request, "members/my_page_unlinked.html", {})
    form = ContactDetailsForm(initial=ContactDetailsForm.initial_for(person))
    wanted_now = reminder_services.wanted_kinds(person)
    reminders_initial = ReminderPreferencesForm.initial_for(wanted_now)
    reminder_form = ReminderPreferencesForm(initial=reminders_initial)
    if request.method == "POST":
        if "rotate_feed" in request.POST:
            services.rotate_calendar_feed(person=person)
            messages.success(request, _("Dit kalenderlink er nyt. Det gamle link virker ikke længere."))
            return redirect(reverse("my_page") + "#kalender")
        if "save_reminders" in request.POST:
            reminder_form = ReminderPreferencesForm(request.POST, initial=reminders_initial)
            if reminder_form.is_valid():
                wanted = reminder_form.wanted_kinds(wanted_now)
                reminder_services.set_reminder_preferences(person=person, wanted_kinds=wanted)
                messages.success(request, _("Dine valg af påmindelser er gemt."))
                return redirect(reverse("my_page") + "#paamindelser")
        else:
            form = ContactDetailsForm(request.POST, initial=ContactDetailsForm.initial_for(person))
            if form.is_valid():
                if form.has_changed():
                    profile.update_own_contact_details(person=person, changed_by=request.user, **form.cleaned_data)
                    messages.success(request, _("Dine kontaktoplysninger er gemt."))
                else:
                    messages.info(request, _("Der var ingen ændringer at gemme."))
                return redirect("my_page")
    current, history = person_roles(person)
    feed = getattr(person, "calendar_feed", None)
    context = {
        "person": person,
        "current_roles": current,
        "history": history,
        "form": form,
        "reminder_form": reminder_form,
        "feed_url": calendar.feed_url(feed) if feed else None,
        **person_agenda(person),
    }
    return TemplateResponse(request, "members/my_page.html", context)


@require_safe
def about(request):
    context = {
        "policy_areas": list(PolicyArea.objects.order_by("position", "name")),
        "timeline": list(TimelineEntry.objects.order_by("starts_year", "position")),
        "councils": list(Council.objects.order_by("name")),
    }
    return TemplateResponse(request, "members/about.html", context)
