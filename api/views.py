"""The open-data API, ``/api/v1/``: the public part of the directory in Popolo's shape.

Read-only (GET). Persons, organisations (the KKRs, the municipal councils, the fora), posts (the
fora's seats) and memberships (council seats, KKR places, chair posts, appointments), each as
paged JSON and as a CSV download. The OpenAPI schema is ``/api/v1/openapi.json``; there is no
documentation page (ninja's would load its scripts from a CDN or need inline configuration).

Access follows the Blå Bog: public when ``BLAA_BOG_PUBLIC`` is on, else for signed-in users
(401 for others). Whoever asks, the answers hold only what the public Blå Bog shows: never an
e-mail address, a phone number, a bio or photo, a login, a note; a party only while it is
public (``members.access.party_public``). So a response is the same for every audience, and its
ETag needs no audience.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from ninja import NinjaAPI, Query
from ninja.decorators import decorate_view
from ninja.errors import ValidationError

from . import collections as c
from .guard import error, published
from .schemas import Error, MembershipPage, OrganizationPage, PersonPage, PostPage, ValidationErrorBody

api = NinjaAPI(
    title="KKR Portal – open data",
    version="1",
    description=(
        "The public part of the Blå Bog of Denmark's five KKRs, after the Popolo standard: persons, "
        "organizations (KKRs, municipal councils, fora), posts (the fora's seats) and memberships with "
        "dates. Paged (limit/offset, with next and previous links), conditional (ETag and Last-Modified: "
        "If-None-Match or If-Modified-Since → 304), rate-limited per client address (429 with "
        "Retry-After). Without a public Blå Bog the API needs a signed-in session (401 otherwise). "
        "Every collection is also a CSV download (<name>.csv)."
    ),
    urls_namespace="api",
    docs_url=None,
)

ERRORS = {401: Error, 422: ValidationErrorBody, 429: Error}
NOT_MODIFIED = {"304": {"description": "Not Modified: the ETag sent in If-None-Match is still current."}}


def _csv_extra(name: str) -> dict:
    return {
        "responses": {
            "200": {
                "description": f"Every {name} row the filters match (no paging), as CSV.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            },
            **NOT_MODIFIED,
        }
    }


@api.exception_handler(ValidationError)
def bad_parameters(request, exc: ValidationError):
    errors = [
        {
            "parameter": ".".join(str(part) for part in problem["loc"][1:]) or str(problem["loc"][0]),
            "message": problem["msg"],
        }
        for problem in exc.errors
    ]
    detail = "Invalid parameters: " + "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
    return error(422, detail, errors=errors)


# --- Persons ----------------------------------------------------------------------------------


@api.get("/persons", response={200: PersonPage, **ERRORS}, openapi_extra={"responses": NOT_MODIFIED}, tags=["persons"])
@decorate_view(published)
def persons(request, paging: Query[c.Paging]):
    """People who hold or held a role. The party only while it is public."""
    return c.page(request, c.persons(), paging, c.person_item)


@api.get(
    "/persons.csv", response=ERRORS, openapi_extra=_csv_extra("person"), summary="Persons as CSV", tags=["persons"]
)
@decorate_view(published)
def persons_csv(request):
    return c.csv_response("persons", c.CSV_COLUMNS["persons"], map(c.person_item, c.persons().iterator()))


# --- Organizations ----------------------------------------------------------------------------


@api.get(
    "/organizations",
    response={200: OrganizationPage, **ERRORS},
    openapi_extra={"responses": NOT_MODIFIED},
    tags=["organizations"],
)
@decorate_view(published)
def organizations(request, filters: Query[c.OrganizationFilters], paging: Query[c.Paging]):
    """The KKRs, the municipal councils (each under its KKR) and the fora (under the KKR that appoints to them)."""
    return c.page(request, c.organizations(filters), paging, c.organization_item)


@api.get(
    "/organizations.csv",
    response=ERRORS,
    openapi_extra=_csv_extra("organization"),
    summary="Organizations as CSV",
    tags=["organizations"],
)
@decorate_view(published)
def organizations_csv(request, filters: Query[c.OrganizationFilters]):
    rows = map(c.organization_item, c.organizations(filters))
    return c.csv_response("organizations", c.CSV_COLUMNS["organizations"], rows)


# --- Posts ------------------------------------------------------------------------------------


@api.get("/posts", response={200: PostPage, **ERRORS}, openapi_extra={"responses": NOT_MODIFIED}, tags=["posts"])
@decorate_view(published)
def posts(request, filters: Query[c.PostFilters], paging: Query[c.Paging]):
    """The fora's seats, held or vacant, per election period."""
    return c.page(request, c.posts(filters), paging, c.post_item)


@api.get("/posts.csv", response=ERRORS, openapi_extra=_csv_extra("post"), summary="Posts as CSV", tags=["posts"])
@decorate_view(published)
def posts_csv(request, filters: Query[c.PostFilters]):
    return c.csv_response("posts", c.CSV_COLUMNS["posts"], map(c.post_item, c.posts(filters)))


# --- Memberships ------------------------------------------------------------------------------


@api.get(
    "/memberships",
    response={200: MembershipPage, **ERRORS},
    openapi_extra={"responses": NOT_MODIFIED},
    tags=["memberships"],
)
@decorate_view(published)
def memberships(request, filters: Query[c.MembershipFilters], paging: Query[c.Paging]):
    """Council seats, KKR places, chair posts and appointments (once appointed), with their dates."""
    return c.page(request, c.memberships(filters), paging, c.membership_item)


@api.get(
    "/memberships.csv",
    response=ERRORS,
    openapi_extra=_csv_extra("membership"),
    summary="Memberships as CSV",
    tags=["memberships"],
)
@decorate_view(published)
def memberships_csv(request, filters: Query[c.MembershipFilters]):
    rows = map(c.membership_item, c.memberships(filters))
    return c.csv_response("memberships", c.CSV_COLUMNS["memberships"], rows)


def index_links() -> dict:
    root = settings.SITE_URL + reverse("api:api-root")
    names = ("persons", "organizations", "posts", "memberships")
    return {
        "openapi": root + "openapi.json",
        **{name: root + name for name in names},
        **{f"{name}_csv": f"{root}{name}.csv" for name in names},
    }
