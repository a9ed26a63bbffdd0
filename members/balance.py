"""Balance views: how a KKR's appointments to the regional fora are spread.

``/kkr/<slug>/balance/`` shows, for one KKR on today's date, the appointments per person (with a
warning at ``settings.BALANCE_MANY_SEATS`` or more), per municipality (a warning where a
municipality has none) and per party, beside the party's share of the KKR's voting members, of
the municipal council seats in the region and of the votes in the region. The votes come from the
newest election result imported (``elections``) for the KKR and the period containing the day;
the appointments are compared with them. Without one, the council seats stand in for the vote:
the seats are what the votes were turned into, and the page says so. ``/kkr/<slug>/balance.svg``
draws the party comparison as a chart (matplotlib, server-side, no script and no font files: the
text is drawn as paths).

Party affiliation is shown by the same rule as everywhere (``members.access.party_public``):
for the public, a person whose party is not public counts under "not public", so a table of
counts cannot tell anyone's party either. Votes are public per party and carry no person, so
they are shown per party to everyone (a hidden appointee still counts only under "not public").
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery, Sum
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from elections.models import ElectionResult, PartyVotes
from fora.models import Appointment, Forum
from kkr_portal import pagecache

from .access import browse_required, can_see_contact_details, party_public
from .models import Council, CouncilSeat, KKRMembership, Municipality, Party
from .querysets import today
from .views import get_or_404

# Row keys of the party table beside the parties' own ids.
LOCAL_LISTS, NO_PARTY, NOT_PUBLIC = "local", "none", "hidden"
CHART_WIDTH = 7.5


@dataclass
class PersonRow:
    person: object
    party_public: bool
    appointments: list = field(default_factory=list)
    many: bool = False

    @property
    def count(self) -> int:
        return len(self.appointments)


@dataclass
class MunicipalityRow:
    municipality: Municipality | None
    appointments: int = 0
    people: set = field(default_factory=set)

    @property
    def none(self) -> bool:
        return self.appointments == 0


@dataclass
class PartyRow:
    key: object
    label: str
    letter: str = ""
    appointments: int = 0
    members: int = 0
    seats: int = 0
    votes: int = 0
    appointment_share: float = 0.0
    member_share: float = 0.0
    seat_share: float = 0.0
    vote_share: float = 0.0
    # Percentage points the share of appointments lies above (below) the vote share, or the seat
    # share when no election result is imported (``Balance.with_votes``).
    difference: float = 0.0


@dataclass
class Balance:
    council: Council
    on: date
    threshold: int
    people: list[PersonRow]
    municipalities: list[MunicipalityRow]
    without_seat: MunicipalityRow
    parties: list[PartyRow]
    appointment_total: int
    member_total: int
    seat_total: int
    vote_total: int = 0
    # The election result the votes come from (period name, import time); None: none imported.
    vote_period: str | None = None
    votes_imported_at: object = None

    @property
    def with_votes(self) -> bool:
        """The appointments are compared with the vote (an imported result), not with the seats."""
        return self.vote_period is not None

    @property
    def many_seats(self) -> list[PersonRow]:
        return [row for row in self.people if row.many]

    @property
    def empty_municipalities(self) -> list[MunicipalityRow]:
        return [row for row in self.municipalities if row.none]

    @property
    def chart_rows(self) -> list[PartyRow]:
        return [row for row in self.parties if row.appointments or row.members or row.seats or row.votes]

    @property
    def chart_size(self) -> tuple[float, float]:
        """The chart's width and height in inches (matplotlib's unit; 72 points each in the SVG)."""
        legend = 0.3 if self.with_votes else 0.0  # four series: the legend takes two lines
        return CHART_WIDTH, max(2.5, 0.55 * len(self.chart_rows) + 1.8 + legend)

    @property
    def chart_points(self) -> tuple[int, int]:
        width, height = self.chart_size
        return round(width * 72), round(height * 72)


def _party_key(party: Party | None, visible: bool) -> tuple[object, str, str]:
    if not visible:
        return NOT_PUBLIC, _("Parti ikke offentligt"), ""
    if party is None:
        return NO_PARTY, _("Uden parti"), ""
    if party.kind == Party.Kind.LOCAL:
        # Each local list stands in one municipality: across a region they are one group.
        return LOCAL_LISTS, _("Lokallister"), ""
    return party.pk, party.short_name, party.letter


def _share(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def council_balance(council: Council, on: date, *, signed_in: bool) -> Balance:
    """The KKR's balance on the day, in five queries (appointments, municipalities, members,
    council seats by party, votes by party), whatever the number of rows."""
    council_seat = (
        CouncilSeat.objects.active_on(on)
        .filter(person=OuterRef("person"), municipality__council=council)
        .order_by("-started_on")
    )
    appointments = list(
        Appointment.objects.for_council(council)
        .active_on(on)
        .filter(seat__forum__in=Forum.objects.active_on(on).values("pk"))
        .select_related("person__party", "seat__forum")
        .annotate(
            person_party_public=party_public("person", on),
            municipality_id=Subquery(council_seat.values("municipality")[:1]),
        )
        .order_by("person__sort_name", "seat__forum__name", "seat__position", "pk")
    )
    municipalities = list(Municipality.objects.filter(council=council).order_by("name"))
    members = list(
        KKRMembership.objects.for_council(council)
        .active_on(on)
        .voting()
        .select_related("person__party")
        .annotate(person_party_public=party_public("person", on))
    )
    # Council members' parties are public by definition (they stood on the party's list).
    party_fields = ("person__party", "person__party__kind", "person__party__short_name", "person__party__letter")
    seats = list(
        CouncilSeat.objects.for_council(council).active_on(on).values(*party_fields).annotate(n=Count("pk")).order_by()
    )
    # The newest import for the period containing the day (``ElectionResultQuerySet.latest_for``'s
    # rule) as a subquery, so the votes by party are one grouped query, result or not.
    newest = (
        ElectionResult.objects.filter(council=council, period__starts_on__lte=on, period__ends_on__gte=on)
        .order_by("-imported_at", "-pk")
        .values("pk")[:1]
    )
    vote_fields = ("party", "party__kind", "party__short_name", "party__letter")
    votes = list(
        PartyVotes.objects.filter(result=Subquery(newest))
        .values(*vote_fields, "result__period__name", "result__imported_at")
        .annotate(n=Sum("votes"))
        .order_by()
    )

    threshold = settings.BALANCE_MANY_SEATS
    by_person: dict[int, PersonRow] = {}
    by_municipality = {municipality.pk: MunicipalityRow(municipality) for municipality in municipalities}
    without_seat = MunicipalityRow(None)
    parties: dict[object, PartyRow] = {}

    def party_row(party, visible) -> PartyRow:
        key, label, letter = _party_key(party, visible)
        if key not in parties:
            parties[key] = PartyRow(key, label, letter)
        return parties[key]

    for appointment in appointments:
        visible = signed_in or appointment.person_party_public
        row = by_person.setdefault(appointment.person_id, PersonRow(appointment.person, visible))
        row.appointments.append(appointment)
        place = by_municipality.get(appointment.municipality_id, without_seat)
        place.appointments += 1
        place.people.add(appointment.person_id)
        party_row(appointment.person.party, visible).appointments += 1
    for membership in members:
        party_row(membership.person.party, signed_in or membership.person_party_public).members += 1
    for seat in seats:
        party = None
        if seat["person__party"] is not None:
            party = Party(
                pk=seat["person__party"],
                kind=seat["person__party__kind"],
                short_name=seat["person__party__short_name"],
                letter=seat["person__party__letter"],
            )
        party_row(party, True).seats += seat["n"]
    for vote in votes:
        party = Party(
            pk=vote["party"],
            kind=vote["party__kind"],
            short_name=vote["party__short_name"],
            letter=vote["party__letter"],
        )
        party_row(party, True).votes += vote["n"]

    people = sorted(by_person.values(), key=lambda row: (-row.count, row.person.sort_name))
    for row in people:
        row.many = row.count >= threshold
    appointment_total, member_total = len(appointments), len(members)
    seat_total = sum(seat["n"] for seat in seats)
    vote_total = sum(vote["n"] for vote in votes)
    with_votes = bool(votes)
    for row in parties.values():
        row.appointment_share = _share(row.appointments, appointment_total)
        row.member_share = _share(row.members, member_total)
        row.seat_share = _share(row.seats, seat_total)
        row.vote_share = _share(row.votes, vote_total)
        row.difference = row.appointment_share - (row.vote_share if with_votes else row.seat_share)
    # Parties by their votes (or seats) in the region, the groups that are not parties last.
    groups = (LOCAL_LISTS, NO_PARTY, NOT_PUBLIC)
    ordered = sorted(
        parties.values(),
        key=lambda row: (
            row.key in groups,
            groups.index(row.key) if row.key in groups else 0,
            -row.votes,
            -row.seats,
            row.label,
        ),
    )
    return Balance(
        council=council,
        on=on,
        threshold=threshold,
        people=people,
        municipalities=list(by_municipality.values()),
        without_seat=without_seat,
        parties=ordered,
        appointment_total=appointment_total,
        member_total=member_total,
        seat_total=seat_total,
        vote_total=vote_total,
        vote_period=votes[0]["result__period__name"] if with_votes else None,
        votes_imported_at=votes[0]["result__imported_at"] if with_votes else None,
    )


@require_safe
@browse_required
def council_balance_page(request, slug):
    council = get_or_404(Council.objects.all(), slug=slug)
    show_contact = can_see_contact_details(request.user)
    context = {
        "council": council,
        "balance": council_balance(council, today(), signed_in=show_contact),
        "show_contact": show_contact,
    }
    return TemplateResponse(request, "members/council_balance.html", context)


def party_chart_svg(balance: Balance) -> str:
    """The party comparison as an SVG: per party, its share of the appointments, of the KKR's
    voting members, of the council seats in the region and (with an imported result) of the
    votes, as horizontal bars."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = balance.chart_rows
    labels = [f"{row.label} ({row.letter})" if row.letter else row.label for row in rows]
    # Deterministic output (no date, fixed ids): the same data draws the same bytes.
    with matplotlib.rc_context({"svg.hashsalt": "kkr-balance", "svg.fonttype": "path", "font.size": 9}):
        figure = Figure(figsize=balance.chart_size, layout="constrained")
        axes = figure.add_subplot()
        positions = range(len(rows))
        series = [
            (_("Udpegninger"), [row.appointment_share for row in rows], "#003a70"),
            (_("KKR-medlemmer med stemmeret"), [row.member_share for row in rows], "#6c8ebf"),
            (_("Kommunalbestyrelsesmandater i regionen"), [row.seat_share for row in rows], "#c9a227"),
        ]
        if balance.with_votes:
            series.append((_("Andel af stemmerne"), [row.vote_share for row in rows], "#8a3b12"))
        bar = 0.81 / len(series)
        for number, (label, values, colour) in enumerate(series):
            offset = (number - (len(series) - 1) / 2) * bar
            axes.barh([p + offset for p in positions], values, height=bar, label=label, color=colour)
        axes.set_yticks(list(positions), labels)
        axes.invert_yaxis()
        axes.set_xlabel(_("Andel (%)"))
        axes.set_xlim(0, max([100.0 / 4, *(v for _l, values, _c in series for v in values)]) * 1.1)
        axes.spines[["top", "right"]].set_visible(False)
        figure.legend(loc="outside lower center", ncols=2 if balance.with_votes else 3, frameon=False)
        axes.set_title(_("%(council)s: partiernes andel") % {"council": balance.council.name})
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


@require_safe
@browse_required
def council_balance_chart(request, slug):
    """The chart as its own image URL (``<img>`` on the page): no inline SVG or script to weigh
    against the CSP. Drawn once per data version, day, language and audience (``pagecache``)."""
    show_contact = can_see_contact_details(request.user)

    def build():
        council = get_or_404(Council.objects.all(), slug=slug)
        return party_chart_svg(council_balance(council, today(), signed_in=show_contact)), None

    svg = pagecache.cached(
        "balance-svg", slug, pagecache.audience(show_contact), build=build, version=pagecache.request_version(request)
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
