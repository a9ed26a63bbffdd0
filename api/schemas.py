"""The API's response shapes, after the Popolo standard (https://www.popoloproject.com/).

Ids are stable strings ``<type>-<primary key>``: ``person-12``, ``kkr-3``, ``municipality-45``,
``forum-7``, ``post-9``, and for memberships the kind of row (``council_seat-4``,
``kkr_membership-8``, ``chairmanship-2``, ``appointment-31``). Slugs can be edited; these cannot.
Nothing here is contact data: no e-mail, phone, bio or photo, no login, no notes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

ID_PATTERNS = {
    "person": r"^person-[0-9]{1,12}$",
    "organization": r"^(kkr|municipality|forum)-[0-9]{1,12}$",
    "post": r"^post-[0-9]{1,12}$",
    "parent": r"^kkr-[0-9]{1,12}$",
}
PERIOD_PATTERN = r"^[0-9]{4}-[0-9]{4}$"


class Error(Schema):
    detail: str = Field(description="What went wrong, in English.")


class ParameterError(Schema):
    parameter: str
    message: str


class ValidationErrorBody(Schema):
    detail: str
    errors: list[ParameterError]


class Link(Schema):
    url: str
    note: str


class Identifier(Schema):
    scheme: str = Field(description="kommunekode (a municipality's official code) or regionskode (a KKR's region).")
    identifier: str


class Party(Schema):
    name: str
    short_name: str
    letter: str | None = Field(description="The national ballot letter; null for a local list without one.")


class Person(Schema):
    id: str = Field(examples=["person-12"])
    name: str
    sort_name: str = Field(description="Family name first, as the Blå Bog sorts.")
    party: Party | None = Field(
        description="Only while the public may see it: the person sits in, or is elected to, a municipal "
        "council (docs/privacy.md). Null otherwise, also when the person has a party."
    )
    links: list[Link]


class Organization(Schema):
    id: str = Field(examples=["kkr-3", "municipality-45", "forum-7"])
    name: str
    classification: Literal["kkr", "municipality", "forum"]
    parent_id: str | None = Field(description="The KKR a municipality or a forum belongs to.")
    founding_date: dt.date | None
    dissolution_date: dt.date | None
    forum_kind: str | None = Field(description="The kind of forum (a classification of fora); fora only.")
    identifiers: list[Identifier]
    links: list[Link]


class Post(Schema):
    id: str = Field(examples=["post-9"])
    label: str
    organization_id: str = Field(description="The forum (``forum-<pk>``).")
    role: Literal["member", "deputy"]
    deputy_for_id: str | None = Field(description="A deputy seat's member seat.")
    appointment_mode: Literal["appoints", "nominates", "recommends"] = Field(
        description="The KKR appoints, nominates (another body appoints), or fills it on others' recommendation."
    )
    appointing_body: str
    period: str = Field(description="The election period, e.g. 2026-2029.")
    start_date: dt.date
    end_date: dt.date


MembershipKind = Literal["council_seat", "kkr_membership", "chairmanship", "appointment"]
MembershipRole = Literal["member", "mayor", "deputy_mayor", "substitute", "chair", "vice_chair", "deputy"]


class Membership(Schema):
    id: str = Field(examples=["kkr_membership-8"])
    kind: MembershipKind = Field(
        description="council_seat: a municipal council (member, mayor, deputy_mayor); kkr_membership: a KKR "
        "(member, substitute); chairmanship: a KKR's chair or vice_chair; appointment: a forum's post "
        "(member, deputy), once appointed."
    )
    person_id: str
    organization_id: str
    post_id: str | None
    role: MembershipRole
    basis: Literal["ex_officio", "supplementary", "kl_board"] | None = Field(description="A KKR place's basis.")
    status: Literal["appointed", "ended"] | None = Field(description="An appointment's status.")
    substitute_for_id: str | None = Field(description="The KKR membership a substitute stands in for.")
    start_date: dt.date
    end_date: dt.date | None
    period: str


class Page(Schema):
    count: int = Field(description="Rows matching the filters, on all pages.")
    next: str | None = Field(description="The next page's URL; null on the last page.")
    previous: str | None


class PersonPage(Page):
    results: list[Person]


class OrganizationPage(Page):
    results: list[Organization]


class PostPage(Page):
    results: list[Post]


class MembershipPage(Page):
    results: list[Membership]
