"""The API's collections: which rows, filtered how, shaped into Popolo items, paged or as CSV.

Reads go through the apps' QuerySet methods (``as_membership_rows``, ``as_organisation_rows``,
``with_held_role``, ``for_public``, ``as_posts``). A collection drawn from several models is one
UNION query, so a page costs the same two queries (its count and its rows) at any page size.
Parameters are validated before they get here (``filters``): every id is ``<type>-<digits>``,
so nothing odd ever reaches the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, Schema

from fora.models import Appointment, Forum, Seat
from kkr_portal.spreadsheet import neutralise
from members.models import Chairmanship, Council, CouncilSeat, KKRMembership, Municipality, Person

from .schemas import ID_PATTERNS, PERIOD_PATTERN, MembershipKind

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 10**9


# --- Parameters ---------------------------------------------------------------------------------


class Paging(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page, at most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip.")


DATE = Field(None, description="As on this day (YYYY-MM-DD): only what was held, or existed, on it.")
PERIOD = Field(None, pattern=PERIOD_PATTERN, description="An election period by name, e.g. 2026-2029.")


class OrganizationFilters(Schema):
    classification: Literal["kkr", "municipality", "forum"] | None = None
    parent: str | None = Field(
        None, pattern=ID_PATTERNS["parent"], description="A KKR's id: its municipalities and fora."
    )
    date: dt.date | None = DATE


class PostFilters(Schema):
    organization: str | None = Field(None, pattern=r"^forum-[0-9]{1,12}$", description="A forum's id.")
    period: str | None = PERIOD
    date: dt.date | None = Field(None, description="The posts of the election period containing this day.")


class MembershipFilters(Schema):
    organization: str | None = Field(
        None, pattern=ID_PATTERNS["organization"], description="A KKR's, municipality's or forum's id."
    )
    person: str | None = Field(None, pattern=ID_PATTERNS["person"])
    post: str | None = Field(None, pattern=ID_PATTERNS["post"])
    kind: MembershipKind | None = None
    date: dt.date | None = DATE
    period: str | None = PERIOD


def _pk(value: str) -> int:
    return int(value.rsplit("-", 1)[1])


def ident(kind: str, pk: int | None) -> str | None:
    return None if pk is None else f"{kind}-{pk}"


def _link(name: str, slug: str) -> dict:
    return {"url": settings.SITE_URL + reverse(name, args=[slug]), "note": "KKR Portal"}


# --- Persons ------------------------------------------------------------------------------------


def persons() -> QuerySet:
    return Person.objects.with_held_role().for_public()


def person_item(person: Person) -> dict:
    party = person.party if person.party_id and person.party_public else None
    return {
        "id": ident("person", person.pk),
        "name": person.name,
        "sort_name": person.sort_name,
        "party": party and {"name": party.name, "short_name": party.short_name, "letter": party.letter or None},
        "links": [_link("person_detail", person.slug)],
    }


# --- Organisations ------------------------------------------------------------------------------


def organizations(filters: OrganizationFilters) -> QuerySet:
    parts: dict[str, QuerySet] = {}
    kinds = [filters.classification] if filters.classification else ["kkr", "municipality", "forum"]
    parent = _pk(filters.parent) if filters.parent else None
    if "kkr" in kinds and parent is None:  # a KKR has no parent
        parts["kkr"] = Council.objects.all()
    if "municipality" in kinds:
        parts["municipality"] = Municipality.objects.all()
    if "forum" in kinds:
        fora = Forum.objects.all()
        parts["forum"] = fora.active_on(filters.date) if filters.date else fora
    if parent is not None:
        parts = {kind: rows.filter(council_id=parent) for kind, rows in parts.items()}
    rows = [queryset.as_organisation_rows() for queryset in parts.values()]
    return _union(rows, Council.objects.as_organisation_rows(), ("o_kind", "o_name", "o_pk"))


def organization_item(row: dict) -> dict:
    kind = row["o_kind"]
    links = []
    identifiers = []
    if kind == "kkr":
        links.append(_link("council_detail", row["o_slug"]))
        identifiers.append({"scheme": "regionskode", "identifier": str(row["o_code"])})
    elif kind == "forum":
        links.append(_link("forum_detail", row["o_slug"]))
        if row["o_website"]:
            links.append({"url": row["o_website"], "note": "website"})
    else:
        identifiers.append({"scheme": "kommunekode", "identifier": f"{row['o_code']:04d}"})
    return {
        "id": ident(kind, row["o_pk"]),
        "name": row["o_name"],
        "classification": kind,
        "parent_id": ident("kkr", row["o_parent"]),
        "founding_date": row["o_founded"],
        "dissolution_date": row["o_dissolved"],
        "forum_kind": row["o_forum_kind"],
        "identifiers": identifiers,
        "links": links,
    }


# --- Posts --------------------------------------------------------------------------------------


def posts(filters: PostFilters) -> QuerySet:
    seats = Seat.objects.as_posts()
    if filters.organization:
        seats = seats.filter(forum_id=_pk(filters.organization))
    if filters.period:
        seats = seats.filter(period__name=filters.period)
    if filters.date:
        seats = seats.filter(period__starts_on__lte=filters.date, period__ends_on__gte=filters.date)
    return seats


def post_item(seat: Seat) -> dict:
    return {
        "id": ident("post", seat.pk),
        "label": seat.label,
        "organization_id": ident("forum", seat.forum_id),
        "role": seat.kind,
        "deputy_for_id": ident("post", seat.deputy_for_id),
        "appointment_mode": seat.mode,
        "appointing_body": seat.appointing_body,
        "period": seat.period.name,
        "start_date": seat.period.starts_on,
        "end_date": seat.period.ends_on,
    }


# --- Memberships --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One model the memberships come from, and how the filters apply to it."""

    kind: str
    rows: Callable[[], QuerySet]
    organization_kind: str
    organization_field: str
    period_field: str = "period__name"


SOURCES = (
    Source("council_seat", lambda: CouncilSeat.objects.all(), "municipality", "municipality_id"),
    Source("kkr_membership", lambda: KKRMembership.objects.all(), "kkr", "council_id"),
    Source("chairmanship", lambda: Chairmanship.objects.all(), "kkr", "council_id"),
    Source("appointment", lambda: Appointment.objects.all(), "forum", "seat__forum_id", "seat__period__name"),
)


def memberships(filters: MembershipFilters) -> QuerySet:
    parts = []
    for source in SOURCES:
        if filters.kind and filters.kind != source.kind:
            continue
        if filters.post and source.kind != "appointment":
            continue
        rows = source.rows()
        if filters.organization:
            kind, pk = filters.organization.rsplit("-", 1)
            if kind != source.organization_kind:
                continue
            rows = rows.filter(**{source.organization_field: int(pk)})
        if filters.person:
            rows = rows.filter(person_id=_pk(filters.person))
        if filters.post:
            rows = rows.filter(seat_id=_pk(filters.post))
        if filters.period:
            rows = rows.filter(**{source.period_field: filters.period})
        if filters.date:
            rows = rows.active_on(filters.date)  # appointments: holders that day, carry-overs too
        parts.append(rows.as_membership_rows())
    return _union(parts, CouncilSeat.objects.as_membership_rows(), ("m_start", "m_kind", "m_pk"))


def membership_item(row: dict) -> dict:
    return {
        "id": ident(row["m_kind"], row["m_pk"]),
        "kind": row["m_kind"],
        "person_id": ident("person", row["m_person"]),
        "organization_id": ident(row["m_org_kind"], row["m_org"]),
        "post_id": ident("post", row["m_post"]),
        "role": row["m_role"],
        "basis": row["m_basis"] or None,
        "status": row["m_status"] or None,
        "substitute_for_id": ident("kkr_membership", row["m_substitute_for"]),
        "start_date": row["m_start"],
        "end_date": row["m_end"],
        "period": row["m_period"],
    }


def _union(parts: list[QuerySet], shape: QuerySet, ordering: tuple[str, ...]) -> QuerySet:
    """The parts as one query in a total order; no part (a filter that rules all out): none."""
    if not parts:
        return shape.none()
    first, *rest = parts
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by(*ordering)


# --- Paging and CSV -----------------------------------------------------------------------------


def page(request, queryset: QuerySet, paging: Paging, item: Callable[[object], dict]) -> dict:
    """One page with the total and the neighbours' URLs: two queries whatever the page size."""
    count = queryset.count()
    start, stop = paging.offset, paging.offset + paging.limit
    rows = list(queryset[start:stop]) if start < count else []

    def url(offset: int) -> str:
        params = request.GET.copy()
        params["limit"] = str(paging.limit)
        params["offset"] = str(offset)
        return f"{settings.SITE_URL}{request.path}?{params.urlencode()}"

    return {
        "count": count,
        "next": url(stop) if stop < count else None,
        "previous": url(max(0, start - paging.limit)) if start > 0 else None,
        "results": [item(row) for row in rows],
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def csv_response(name: str, columns: dict[str, Callable[[dict], object]], items: Iterable[dict]) -> HttpResponse:
    """A whole collection as CSV (UTF-8 with a byte order mark, so Excel reads æ, ø and å);
    every cell that a spreadsheet would run as a formula is made plain text."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(column(item)) for column in columns.values()])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _key(name: str) -> Callable[[dict], object]:
    return lambda item: item[name]


def _first_link(item: dict) -> object:
    return item["links"][0]["url"] if item["links"] else None


def _identifier(item: dict) -> object:
    return item["identifiers"][0]["identifier"] if item["identifiers"] else None


CSV_COLUMNS: dict[str, dict[str, Callable[[dict], object]]] = {
    "persons": {
        "id": _key("id"),
        "name": _key("name"),
        "sort_name": _key("sort_name"),
        "party": lambda item: item["party"] and item["party"]["name"],
        "party_letter": lambda item: item["party"] and item["party"]["letter"],
        "url": _first_link,
    },
    "organizations": {
        **{name: _key(name) for name in ("id", "name", "classification", "parent_id", "founding_date")},
        **{name: _key(name) for name in ("dissolution_date", "forum_kind")},
        "code": _identifier,
        "url": _first_link,
    },
    "posts": {
        name: _key(name)
        for name in (
            "id",
            "label",
            "organization_id",
            "role",
            "deputy_for_id",
            "appointment_mode",
            "appointing_body",
            "period",
            "start_date",
            "end_date",
        )
    },
    "memberships": {
        name: _key(name)
        for name in (
            "id",
            "kind",
            "person_id",
            "organization_id",
            "post_id",
            "role",
            "basis",
            "status",
            "substitute_for_id",
            "start_date",
            "end_date",
            "period",
        )
    },
}
