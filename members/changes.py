"""Changes since the last edition of the Blå Bog: ``/aendringer/`` and its feeds.

Read from the audit history (django-simple-history) of appointments, chair posts and KKR
places. Each historical record is compared with the record before it of the same row (a
subquery on the history table, so one query per kind of row, whatever the number of changes):

- an appointment: *nominated* (indstillet) and *appointed* (udpeget) when its status became so,
  *ended* when it ended after a nomination or an appointment. A proposal is the secretariat's
  draft and is never listed, nor is the end of one (a proposal dropped);
- a chair post and a KKR place (member or substitute): *started* when recorded open, *ended*
  when its end date was set. A row recorded already ended is history typed in afterwards, not
  a change since the last edition.

Rows deleted since (a mistake put right in the admin) are left out. Only names, roles, fora and
dates: never contact details, never a party (the Blå Bog's party rule needs more than a name).

Access is the Blå Bog's (``browse_required``): public when ``BLAA_BOG_PUBLIC`` is on, else for a
signed-in session. So is the feed: a feed reader cannot sign in, so when the Blå Bog is not
public the feed works only in a signed-in browser (the page says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.validators import MinValueValidator
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from fora.models import Appointment

from .access import browse_required
from .models import Chairmanship, Council, KKRMembership
from .querysets import today
from .views import pick

DEFAULT_DAYS = 30
# At most this many changes of each kind of row; the page says so when it shows that many.
LIMIT = 200
FEED_ITEMS = 50
# KKR began with the municipal reform of 2007's preparations in 2006: nothing to list before.
EARLIEST = dt.date(2006, 1, 1)

# The labels by value (lazy, so in the request's language).
END_REASONS = dict(Appointment.EndReason.choices)


@dataclass
class Change:
    key: str
    recorded_at: dt.datetime
    kind: str
    label: str
    text: str
    person: object
    council: Council
    forum: object = None


def _day(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT")


def _previous(history, field: str) -> Subquery:
    """The field's value in the same row's record just before this one ('' when there is none)."""
    earlier = history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by("-history_id")
    return Subquery(earlier.values(field)[:1])


def _recorded(history, model, since: dt.datetime):
    """Records of rows that still exist, made since the moment, newest first."""
    return (
        history.objects.filter(history_date__gte=since, history_type__in=["+", "~"])
        .filter(Exists(model.objects.filter(pk=OuterRef("id"))))
        .order_by("-history_date", "-history_id")
    )


def appointment_changes(since: dt.datetime, council: Council | None = None) -> list[Change]:
    history = Appointment.history.model
    records = (
        _recorded(history, Appointment, since)
        .annotate(previous_status=Coalesce(_previous(history, "status"), Value("")))
        .filter(
            Q(status="appointed", previous_status__in=["", "proposed", "nominated"])
            | Q(status="nominated", previous_status__in=["", "proposed"])
            | Q(status="ended", previous_status__in=["nominated", "appointed"])
        )
        .select_related("person", "seat__forum__council")
    )
    if council is not None:
        records = records.filter(seat__forum__council=council)
    changes = []
    for record in records[:LIMIT]:
        forum, seat = record.seat.forum, record.seat
        names = {"forum": forum.name, "seat": seat.label}
        if record.status == "appointed":
            label = _("Ny udpegning")
            text = _("Udpeget til %(forum)s (%(seat)s) fra %(day)s.") % {**names, "day": _day(record.starts_on)}
        elif record.status == "nominated":
            label = _("Indstillet")
            text = _("Indstillet til %(forum)s (%(seat)s).") % names
        else:
            label = _("Udpegning ophørt") if record.previous_status == "appointed" else _("Indstilling ophørt")
            # History keeps reasons that are no longer choices: shown as recorded, never a 500.
            reason = END_REASONS.get(record.end_reason, record.end_reason)
            text = _("Ophørt i %(forum)s (%(seat)s) pr. %(day)s: %(reason)s.") % {
                **names,
                "day": _day(record.ended_on),
                "reason": reason,
            }
        changes.append(
            Change(
                f"appointment-{record.history_id}",
                record.history_date,
                record.status,
                label,
                text,
                record.person,
                forum.council,
                forum,
            )
        )
    return changes


def _dated_changes(model, since: dt.datetime, council: Council | None):
    """Records of a dated row (chair post, KKR place) that started it open or set its end date."""
    history = model.history.model
    records = (
        _recorded(history, model, since)
        .alias(previous_ended_on=_previous(history, "ended_on"))
        .filter(
            Q(history_type="+", ended_on__isnull=True)
            | Q(history_type="~", ended_on__isnull=False, previous_ended_on__isnull=True)
        )
        .select_related("person", "council")
    )
    if council is not None:
        records = records.filter(council=council)
    return records[:LIMIT]


def chair_changes(since: dt.datetime, council: Council | None = None) -> list[Change]:
    changes = []
    for record in _dated_changes(Chairmanship, since, council):
        names = {"post": Chairmanship.Role(record.role).label, "council": record.council.name}
        if record.ended_on is None:
            label = _("Ny formand") if record.role == Chairmanship.Role.CHAIR else _("Ny næstformand")
            text = _("Valgt som %(post)s for %(council)s fra %(day)s.") % {**names, "day": _day(record.started_on)}
            kind = "chair_started"
        else:
            label = _("Formandspost ophørt")
            text = _("Fratrådt som %(post)s for %(council)s pr. %(day)s.") % {**names, "day": _day(record.ended_on)}
            kind = "chair_ended"
        changes.append(
            Change(f"chair-{record.history_id}", record.history_date, kind, label, text, record.person, record.council)
        )
    return changes


def membership_changes(since: dt.datetime, council: Council | None = None) -> list[Change]:
    changes = []
    for record in _dated_changes(KKRMembership, since, council):
        names = {"council": record.council.name}
        substitute = record.role == KKRMembership.Role.SUBSTITUTE
        if record.ended_on is None:
            label = _("Ny stedfortræder") if substitute else _("Nyt medlem")
            template = (
                _("Stedfortræder i %(council)s fra %(day)s.") if substitute else _("Medlem af %(council)s fra %(day)s.")
            )
            text = template % {**names, "day": _day(record.started_on)}
            kind = "joined"
        else:
            label = _("Stedfortræder ophørt") if substitute else _("Medlemskab ophørt")
            template = (
                _("Ikke længere stedfortræder i %(council)s pr. %(day)s.")
                if substitute
                else _("Udtrådt af %(council)s pr. %(day)s.")
            )
            text = template % {**names, "day": _day(record.ended_on)}
            kind = "left"
        changes.append(
            Change(
                f"membership-{record.history_id}", record.history_date, kind, label, text, record.person, record.council
            )
        )
    return changes


def changes_since(since: dt.date, council: Council | None = None) -> tuple[list[Change], bool]:
    """Every change recorded from the start of the day (Copenhagen time), newest first, in three
    queries; and whether the list was cut at ``LIMIT``."""
    moment = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    found = appointment_changes(moment, council) + chair_changes(moment, council) + membership_changes(moment, council)
    found.sort(key=lambda change: change.recorded_at, reverse=True)
    return found[:LIMIT], len(found) > LIMIT


class SinceForm(forms.Form):
    siden = forms.DateField(
        label=gettext_lazy("Ændringer siden"),
        required=False,
        input_formats=["%Y-%m-%d"],
        validators=[MinValueValidator(EARLIEST, message=gettext_lazy("Vælg en dato fra 2006 eller senere."))],
        error_messages={"invalid": gettext_lazy("Skriv datoen som år-måned-dag, fx 2026-11-01.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def since_from(request) -> tuple[SinceForm, dt.date]:
    """The form (bound, with its errors) and the day to list from: the reader's, or 30 days back."""
    default = today() - dt.timedelta(days=DEFAULT_DAYS)
    form = SinceForm(request.GET if "siden" in request.GET else None)
    if form.is_bound and form.is_valid() and form.cleaned_data["siden"]:
        return form, form.cleaned_data["siden"]
    if not form.is_bound:
        form = SinceForm(initial={"siden": default})
    return form, default


@require_safe
@browse_required
def changes_page(request):
    councils = list(Council.objects.order_by("name"))
    wanted = request.GET.get("kkr", "")
    council = pick(councils, wanted)
    unknown = bool(wanted) and council is None
    form, since = since_from(request)
    found, cut = ([], False) if unknown else changes_since(since, council)
    context = {
        "form": form,
        "since": since,
        "councils": councils,
        "council": council,
        "unknown_council": unknown,
        "changes": found,
        "cut": cut,
        "limit": LIMIT,
        "blaa_bog_public": settings.BLAA_BOG_PUBLIC,
    }
    return TemplateResponse(request, "members/changes.html", context)


class ChangesAtomFeed(Feed):
    """The last 30 days' changes (or since ``?siden=``; ``?kkr=`` for one KKR), newest first."""

    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs):
        councils = list(Council.objects.order_by("name"))
        council = pick(councils, request.GET.get("kkr", ""))
        _form, since = since_from(request)
        return {"council": council, "since": since}

    def title(self, obj) -> str:
        if obj["council"] is not None:
            return _("Ændringer i Blå Bog – %(council)s") % {"council": obj["council"].name}
        return _("Ændringer i Blå Bog")

    def link(self, obj) -> str:
        url = reverse("changes")
        return f"{url}?kkr={obj['council'].slug}" if obj["council"] is not None else url

    def subtitle(self, obj) -> str:
        return _("Nye udpegninger, ophør, nye formænd og medlemmer i KKR siden %(day)s.") % {"day": _day(obj["since"])}

    description = subtitle

    def items(self, obj) -> list[Change]:
        return changes_since(obj["since"], obj["council"])[0][:FEED_ITEMS]

    def item_title(self, item: Change) -> str:
        return f"{item.label}: {item.person.name}"

    def item_description(self, item: Change) -> str:
        return item.text

    def item_link(self, item: Change) -> str:
        return reverse("person_detail", args=[item.person.slug])

    def item_guid(self, item: Change) -> str:
        return f"kkr-portal:{item.key}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Change) -> dt.datetime:
        return item.recorded_at

    def item_updateddate(self, item: Change) -> dt.datetime:
        return item.recorded_at

    def item_categories(self, item: Change) -> list[str]:
        return [item.council.name]


class ChangesRssFeed(ChangesAtomFeed):
    feed_type = Rss201rev2Feed


changes_atom = require_safe(browse_required(ChangesAtomFeed()))
changes_rss = require_safe(browse_required(ChangesRssFeed()))
