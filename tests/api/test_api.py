"""The open-data API (/api/v1/), tried from the outside: every answer against the schema it
serves, the public part only, the Blå Bog's access, pages, conditional GET, the rate limit.

The world is the access matrix's (tests/portal/test_access_matrix.py): people with e-mail,
phone and bio, a party each (a local list nobody else has), council seats, KKR places, a chair,
fora appointments, a carry-over and an appointee who never sat in a council.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.utils.http import parse_http_date
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

from fora import services as fora_services
from members import services
from members.models import Council, Municipality
from tests import factories
from tests.portal.test_access_matrix import NOW, World, body, build_world, leaks, secrets_of
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

API = "/api/v1/"
COLLECTIONS = ("persons", "organizations", "posts", "memberships")
DATA_URLS = [API + name for name in COLLECTIONS] + [f"{API}{name}.csv" for name in COLLECTIONS]


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _public(settings):
    settings.BLAA_BOG_PUBLIC = True
    settings.API_RATE_LIMIT = 0  # the rate limit's own tests turn it on


@pytest.fixture
def world(syddanmark, sjaelland, odense, roskilde, period, period_2022) -> World:
    return build_world(syddanmark, sjaelland, odense, roskilde, period, period_2022)


@pytest.fixture
def schema(client) -> OpenAPI:
    """The schema the API serves (validated as an OpenAPI document on loading). CSV is text."""
    config = Config(extra_media_type_deserializers={"text/csv": lambda content, **_: content.decode("utf-8")})
    return OpenAPI.from_dict(client.get(API + "openapi.json").json(), config=config)


def checked(schema: OpenAPI, response):
    """The response, after openapi-core has validated it against the operation's declared answer."""
    schema.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
    return response


def all_rows(client, url: str) -> list[dict]:
    """Every row of a collection, following the next links."""
    rows, page = [], client.get(url).json()
    rows += page["results"]
    while page["next"]:
        page = client.get(page["next"]).json()
        rows += page["results"]
    return rows


def ident(kind: str, row) -> str:
    return f"{kind}-{row.pk}"


# --- The schema -------------------------------------------------------------------------------


def test_the_schema_is_served_and_every_collection_has_json_and_csv(client):
    response = client.get(API + "openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {f"/api/v1/{name}" for name in COLLECTIONS} | {f"/api/v1/{name}.csv" for name in COLLECTIONS}
    assert all(set(operations) == {"get"} for operations in paths.values())


def test_every_endpoint_answers_with_filters_as_its_schema_says(client, world, schema, odense, syddanmark):
    forum = f"forum-{world.appointee.appointments.get().seat.forum_id}"
    queries = {
        "persons": ["", "?limit=2", "?limit=2&offset=2"],
        "organizations": ["", "?classification=forum", f"?parent=kkr-{syddanmark.pk}&date=2026-06-01"],
        "posts": ["", f"?organization={forum}", "?period=2022-2025", "?date=2024-01-01"],
        "memberships": [
            "",
            f"?organization=municipality-{odense.pk}",
            f"?organization=kkr-{syddanmark.pk}&date=2026-06-01",
            f"?person=person-{world.mayor.pk}",
            "?kind=appointment&period=2022-2025",
            f"?post=post-{world.appointee.appointments.get().seat_id}",
        ],
    }
    for name, variants in queries.items():
        for query in variants:
            for url in (f"{API}{name}{query}", f"{API}{name}.csv{query}"):
                response = checked(schema, client.get(url))
                assert response.status_code == 200, url
    page = checked(schema, client.get(API + "memberships")).json()
    assert {row["kind"] for row in page["results"]} == {"council_seat", "kkr_membership", "chairmanship", "appointment"}


def test_errors_and_304_answer_as_the_schema_says(client, world, schema, settings):
    assert checked(schema, client.get(API + "persons?limit=0")).status_code == 422
    assert checked(schema, client.get(API + "posts.csv?date=x")).status_code == 422
    tag = client.get(API + "organizations")["ETag"]
    assert checked(schema, client.get(API + "organizations", HTTP_IF_NONE_MATCH=tag)).status_code == 304
    settings.BLAA_BOG_PUBLIC = False
    assert checked(schema, client.get(API + "persons")).status_code == 401
    settings.BLAA_BOG_PUBLIC = True
    settings.API_RATE_LIMIT = 1
    client.get(API + "posts")
    assert checked(schema, client.get(API + "posts")).status_code == 429


# --- The public part only -----------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_no_response_holds_an_email_phone_or_bio_whoever_asks(client, world, signed_in, member):
    if signed_in:
        client.force_login(member.user)
    secrets = secrets_of(*world.people)
    bios = {person.bio for person in world.people}
    for url in DATA_URLS:
        text = "\n".join(json.dumps(row) for row in all_rows(client, url)) if not url.endswith(".csv") else ""
        text += body(client.get(url))
        assert not leaks(text, secrets), url
        assert not [bio for bio in bios if bio in text], url
        assert "@" not in text, url
    assert world.mayor.name in body(client.get(API + "persons.csv"))  # the control: the people are there


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_party_is_shown_only_while_it_is_public(client, world, signed_in, member):
    """The carry-over left the council at the election, the external never sat in one: their
    parties stay hidden from the API, also from a signed-in user (the API is the public part)."""
    if signed_in:
        client.force_login(member.user)
    people = {row["id"]: row for row in all_rows(client, API + "persons")}
    assert people[ident("person", world.mayor)]["party"]["name"] == "Majlisten"
    assert people[ident("person", world.appointee)]["party"]["name"] == "Aaselisten"
    for hidden in (world.carry_over, world.external):
        assert people[ident("person", hidden)]["party"] is None
    csv = body(client.get(API + "persons.csv"))
    assert "Majlisten" in csv
    assert "Karenlisten" not in csv
    assert "Eriklisten" not in csv


def test_people_without_a_role_held_are_not_listed(client, world):
    listed = {row["id"] for row in all_rows(client, API + "persons")}
    assert ident("person", world.unplaced) not in listed
    assert ident("person", world.former) in listed  # history is public, without the party


def test_memberships_carry_no_note_and_proposals_are_not_memberships(client, world, period):
    seat = factories.SeatFactory(forum=world.appointee.appointments.get().seat.forum, period=period, label="Medlem 9")
    proposed = fora_services.propose(
        seat=seat, person=world.deputy, starts_on=dt.date(2026, 12, 1), note="Fortroligt: afventer samtale"
    )
    text = body(client.get(API + "memberships.csv"))
    assert "Fortroligt" not in text
    assert f"appointment-{proposed.pk}," not in text


# --- Access ---------------------------------------------------------------------------------------


def test_without_a_public_blaa_bog_the_data_needs_a_signed_in_user(client, world, settings, member):
    settings.BLAA_BOG_PUBLIC = False
    for url in DATA_URLS:
        response = client.get(url)
        assert response.status_code == 401, url
        assert "Sign in" in response.json()["detail"]
        assert world.mayor.name not in body(response)
    assert client.get(API + "openapi.json").status_code == 200  # the schema is no data
    client.force_login(member.user)
    for url in DATA_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"]


def test_with_a_public_blaa_bog_anyone_may_read_and_caches_may_keep_it(client, world):
    response = client.get(API + "persons")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]


def test_only_get_is_allowed_and_csrf_does_not_come_into_it(world):
    client = Client(enforce_csrf_checks=True)
    for url in [API, *DATA_URLS]:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url)
            assert response.status_code == 405, (method, url)
            assert response["Allow"] == "GET"
            assert "read-only" in response.json()["detail"]


def test_head_answers_as_get_without_the_body(signed_in, world):
    for url in [API, *DATA_URLS]:
        got = signed_in.get(url)
        head = signed_in.head(url)
        assert head.status_code == 200, url
        assert head.content == b"", url
        assert head["Content-Type"] == got["Content-Type"], url
        if url != API:  # the index is no collection: no ETag
            assert head["ETag"] == got["ETag"], url
            assert head["Content-Length"] == str(len(got.content)), url


def test_an_unknown_path_is_a_json_404(client):
    response = client.get(API + "people")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_the_index_names_every_collection(client):
    links = client.get(API).json()
    assert set(links) == {"openapi", *COLLECTIONS, *(f"{name}_csv" for name in COLLECTIONS)}


# --- Bad parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=abc",
        "offset=-1",
        "offset=99999999999999999999999",
        "date=2026-02-30",
        "date=x",
        "organization=kkr",
        "organization=kkr-1%0A",
        "organization=kkr-%00",
        "organization=person-1",
        "person=" + "1" * 10_000,
        "period=2026",
        "kind=mayor",
        "post=post-1;DROP",
    ],
)
def test_a_bad_parameter_is_a_422_naming_it_never_a_500(client, world, query):
    response = client.get(f"{API}memberships?{query}")
    assert response.status_code == 422
    name = query.split("=")[0]
    assert response.json()["errors"][0]["parameter"] == name
    assert name in response.json()["detail"]
    assert "ETag" not in response


# --- Filters --------------------------------------------------------------------------------------


def test_memberships_as_on_a_day(client, world, syddanmark, odense):
    def ids(query: str) -> set[str]:
        return {row["id"] for row in all_rows(client, f"{API}memberships?{query}")}

    now = ids(f"organization=municipality-{odense.pk}&date=2026-06-01")
    then = ids(f"organization=municipality-{odense.pk}&date=2024-06-01")
    assert {f"council_seat-{seat.pk}" for seat in world.mayor.council_seats.all()} <= now
    assert not {f"council_seat-{seat.pk}" for seat in world.former.council_seats.all()} & now
    assert {f"council_seat-{seat.pk}" for seat in world.former.council_seats.all()} <= then
    # The carry-over is still on the forum's seat (no successor appointed), the day after the period.
    carry = world.carry_over.appointments.get()
    assert f"appointment-{carry.pk}" in ids(f"kind=appointment&date={NOW.date().isoformat()}")
    chair = ids(f"organization=kkr-{syddanmark.pk}&kind=chairmanship")
    assert chair == {f"chairmanship-{c.pk}" for c in world.mayor.chairmanships.all()}


def test_organizations_by_classification_and_parent(client, world, syddanmark):
    kkrs = all_rows(client, API + "organizations?classification=kkr")
    assert len(kkrs) == Council.objects.count() == 5
    under = all_rows(client, f"{API}organizations?parent=kkr-{syddanmark.pk}")
    municipalities = [row for row in under if row["classification"] == "municipality"]
    assert len(municipalities) == Municipality.objects.filter(council=syddanmark).count()
    assert {row["parent_id"] for row in under} == {f"kkr-{syddanmark.pk}"}
    assert any(row["classification"] == "forum" for row in under)


# --- Pages ----------------------------------------------------------------------------------------


def test_pages_walk_the_whole_collection_once_with_counts_and_links(client, world):
    everyone = client.get(API + "memberships?limit=200").json()
    walked = all_rows(client, API + "memberships?limit=3")
    assert [row["id"] for row in walked] == [row["id"] for row in everyone["results"]]
    assert len(walked) == everyone["count"] > 3
    first = client.get(API + "memberships?limit=3&kind=council_seat").json()
    assert first["previous"] is None
    assert "kind=council_seat" in first["next"]
    assert "offset=3" in first["next"]
    second = client.get(first["next"]).json()
    assert "offset=0" in second["previous"]
    beyond = client.get(API + "memberships?offset=1000").json()
    assert beyond["results"] == []
    assert beyond["count"] == everyone["count"]


def more_data(odense, period, n: int) -> None:
    """``n`` more councillors, each a supplementary KKR member."""
    for _ in range(n):
        person = councillor(odense, period)
        services.add_membership(
            person=person, council=odense.council, period=period, basis="supplementary", started_on=period.starts_on
        )


@pytest.mark.parametrize("extra", [0, 30])
def test_a_page_costs_the_same_queries_at_any_size(client, world, odense, period, extra, django_assert_num_queries):
    """The data version, the count, the rows: three queries, for one row or two hundred, with
    few people or many; a multi-model collection is one UNION query."""
    more_data(odense, period, extra)
    for name in COLLECTIONS:
        for limit in (1, 200):
            with django_assert_num_queries(3):
                response = client.get(f"{API}{name}?limit={limit}")
            assert response.status_code == 200
            assert len(response.json()["results"]) == min(limit, response.json()["count"])


@pytest.mark.parametrize("extra", [0, 30])
def test_a_csv_costs_the_same_queries_at_any_size(client, world, odense, period, extra, django_assert_num_queries):
    more_data(odense, period, extra)
    for name in COLLECTIONS:
        with django_assert_num_queries(2):  # the data version and the rows
            assert client.get(f"{API}{name}.csv").status_code == 200


# --- Conditional GET ------------------------------------------------------------------------------


def test_an_unchanged_collection_answers_304_and_a_write_changes_the_etag(
    client, world, django_assert_num_queries, syddanmark, period
):
    first = client.get(API + "memberships")
    tag = first["ETag"]
    with django_assert_num_queries(1):  # the data version only: nothing of the collection is read
        again = client.get(API + "memberships", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == tag
    assert client.get(API + "memberships?limit=5")["ETag"] != tag  # another query, another tag

    membership = services.add_membership(
        person=world.appointee, council=syddanmark, period=period, basis="supplementary", started_on=dt.date(2026, 6, 1)
    )
    changed = client.get(API + "memberships", HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert changed["ETag"] != tag
    assert f"kkr_membership-{membership.pk}" in changed.content.decode()


def test_last_modified_answers_if_modified_since_and_moves_with_a_write(client, world, syddanmark, period):
    """The moment a version was first seen is its Last-Modified; not in its first second (a
    write in the same second could share it), and never before the day began."""
    with time_machine.travel(NOW, tick=False) as traveller:
        assert "Last-Modified" not in client.get(API + "persons")  # first seen in this very second
        traveller.shift(2)
        stamp = client.get(API + "persons")["Last-Modified"]
        assert parse_http_date(stamp) == int(NOW.timestamp())
        traveller.shift(60)
        assert client.get(API + "persons", HTTP_IF_MODIFIED_SINCE=stamp).status_code == 304
        services.add_membership(
            person=world.appointee,
            council=syddanmark,
            period=period,
            basis="supplementary",
            started_on=period.starts_on,
        )
        assert client.get(API + "persons", HTTP_IF_MODIFIED_SINCE=stamp).status_code == 200
        traveller.shift(2)
        assert parse_http_date(client.get(API + "persons")["Last-Modified"]) > parse_http_date(stamp)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False) as traveller:
        traveller.shift(5)
        midnight = NOW.replace(hour=0, minute=0, second=0) + dt.timedelta(days=1)
        assert parse_http_date(client.get(API + "persons")["Last-Modified"]) == int(midnight.timestamp())


def test_a_new_day_changes_the_etag(client, world):
    tag = client.get(API + "persons")["ETag"]
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert client.get(API + "persons", HTTP_IF_NONE_MATCH=tag).status_code == 200


def test_a_csv_download_is_conditional_too(client, world):
    tag = client.get(API + "persons.csv")["ETag"]
    assert client.get(API + "persons.csv", HTTP_IF_NONE_MATCH=tag).status_code == 304


# --- Rate limit -----------------------------------------------------------------------------------


def test_the_rate_limit_answers_429_until_the_window_is_over(client, world, settings):
    settings.API_RATE_LIMIT = 3
    settings.API_RATE_WINDOW = 60
    with time_machine.travel(dt.datetime(2026, 11, 23, 11, 0, 10, tzinfo=dt.UTC), tick=False) as traveller:
        for _ in range(3):
            assert client.get(API + "persons").status_code == 200
        limited = client.get(API + "persons")
        assert limited.status_code == 429
        assert limited["Retry-After"] == "50"
        assert "Too many requests" in limited.json()["detail"]
        assert client.get(API + "persons.csv").status_code == 429  # one count for every endpoint
        other = Client(REMOTE_ADDR="192.0.2.7")  # another client has its own count
        assert other.get(API + "persons").status_code == 200
        traveller.shift(50)
        assert client.get(API + "persons").status_code == 200


def test_behind_a_proxy_each_client_is_counted_by_the_address_the_proxy_saw(client, world, settings):
    settings.API_RATE_LIMIT = 2
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.1"}
    for _ in range(2):
        assert client.get(API + "persons", **first).status_code == 200
    assert client.get(API + "persons", **first).status_code == 429
    # A client cannot escape by sending its own X-Forwarded-For: the proxy's entry is the last one.
    assert client.get(API + "persons", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.1").status_code == 429
    assert client.get(API + "persons", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200
