"""Every model is in the admin, every admin page answers, and no changelist grows with its rows.

The page tests are generated from ``admin.site._registry``: a model registered later is covered
without touching this file; a portal model without a query-count pin makes a test fail.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from simple_history.models import HistoricalChanges

from agreements.models import Agreement, AgreementKind, Milestone, MunicipalApproval
from elections.models import ElectionResult, PartyVotes, SupplementarySeats
from fora.models import Appointment, Forum, ForumKind, Seat
from members.models import (
    AgendaItem,
    CalendarFeed,
    Chairmanship,
    Council,
    CouncilSeat,
    ElectionPeriod,
    KKRMembership,
    Meeting,
    Municipality,
    Party,
    Person,
    PolicyArea,
    SecretariatContact,
    StaffAssignment,
    TimelineEntry,
)
from reminders.models import Delivery, ReminderOptOut, ReminderRule
from tests import factories, rules_helpers

pytestmark = pytest.mark.django_db

staff_client = rules_helpers.staff_client

PORTAL_APPS = ["members", "fora", "agreements", "reminders", "elections"]
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
PORTAL_REGISTERED = [(model, model_admin) for model, model_admin in REGISTERED if model._meta.app_label in PORTAL_APPS]


def _label(item) -> str:
    return item[0]._meta.label


def _url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def test_every_model_of_the_portal_apps_is_registered_in_the_admin():
    portal_models = [
        model
        for app in PORTAL_APPS
        for model in apps.get_app_config(app).get_models()
        # simple_history's historical tables are shown through each admin's history view.
        if not issubclass(model, HistoricalChanges)
    ]
    assert len(portal_models) >= 20
    assert [model._meta.label for model in portal_models if model not in admin.site._registry] == []


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[_label(item) for item in REGISTERED])
def test_the_changelist_answers(staff_client, model, model_admin):
    assert staff_client.get(_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[_label(item) for item in REGISTERED])
def test_a_search_answers(staff_client, model, model_admin):
    response = staff_client.get(_url(model, "changelist"), {"q": "x"})
    assert response.status_code == 200
    assert response.context["cl"].query == "x"


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[_label(item) for item in REGISTERED])
def test_the_add_page_answers_where_adding_is_permitted(staff_client, superuser, model, model_admin):
    request = RequestFactory().get("/")
    request.user = superuser
    expected = 200 if model_admin.has_add_permission(request) else 403
    assert staff_client.get(_url(model, "add")).status_code == expected


# --- query counts at two data sizes ----------------------------------------------------------

_numbers = itertools.count(1)


def _n() -> int:
    return next(_numbers)


def _day(offset: int) -> dt.date:
    return dt.date(2026, 1, 1) + dt.timedelta(days=offset)


def _period(n: int) -> ElectionPeriod:
    year = 2030 + 4 * (n % 1000)
    return ElectionPeriod(name=f"{year}-{year + 3}", starts_on=dt.date(year, 1, 1), ends_on=dt.date(year + 3, 12, 31))


def _municipality(n: int) -> Municipality:
    council = Council.objects.get(slug="syddanmark")
    code = 900 + n % 100
    return Municipality(
        code=code, name=f"Testby {n}", official_name=f"Testby {n} Kommune", slug=f"testby-{n}", council=council
    )


def _council_seat(n: int) -> CouncilSeat:
    return CouncilSeat(
        person=factories.PersonFactory(),
        municipality=Municipality.objects.get(code=461),
        period=ElectionPeriod.objects.get(name="2026-2029"),
        started_on=_day(0),
    )


def _membership(n: int) -> KKRMembership:
    return KKRMembership(
        person=factories.PersonFactory(),
        council=Council.objects.get(slug="syddanmark"),
        period=ElectionPeriod.objects.get(name="2026-2029"),
        basis="supplementary",
        started_on=_day(0),
    )


def _chairmanship(n: int) -> Chairmanship:
    # One after the other, so that PostgreSQL's exclusion constraint is satisfied.
    started = _day(10 * (n % 100))
    return Chairmanship(
        council=Council.objects.get(slug="syddanmark"),
        period=ElectionPeriod.objects.get(name="2026-2029"),
        role="chair",
        person=factories.PersonFactory(),
        started_on=started,
        ended_on=started + dt.timedelta(days=5),
    )


def _appointment(n: int) -> Appointment:
    return Appointment(
        seat=factories.SeatFactory(),
        person=factories.PersonFactory(),
        status="appointed",
        starts_on=_day(30),
        appointed_on=_day(20),
        decided_at=factories.MeetingFactory(),
    )


def _milestone(n: int) -> Milestone:
    agreement = Agreement.objects.create(
        council=Council.objects.get(slug="syddanmark"),
        kind=AgreementKind.objects.get(slug="rammeaftale"),
        title=f"Aftale {n}",
        counterpart=f"Part {n}",
        valid_from=_day(0),
    )
    return Milestone(agreement=agreement, kind="draft", title=f"Udkast {n}", due_on=_day(n % 300))


def _approval(n: int) -> MunicipalApproval:
    milestone = _milestone(n)
    milestone.requires_every_council = True
    milestone.save()
    return MunicipalApproval(milestone=milestone, municipality=Municipality.objects.get(code=461), approved_on=_day(5))


def _delivery(n: int) -> Delivery:
    occasion_at = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
    return Delivery(
        rule=ReminderRule.objects.get(kind="meeting", days_before=7),
        occasion_type="meeting",
        occasion_id=n,
        occasion_at=occasion_at,
        email=f"person{n}@example.dk",
        due_at=occasion_at - dt.timedelta(days=7),
        recipient=factories.PersonFactory(),
    )


def _election_result(n: int) -> ElectionResult:
    return ElectionResult(
        council=Council.objects.get(slug="syddanmark"),
        period=ElectionPeriod.objects.get(name="2026-2029"),
        source_name=f"valg-{n}.csv",
    )


def _party_votes(n: int) -> PartyVotes:
    result = _election_result(n)
    result.save()
    return PartyVotes(
        result=result, municipality=Municipality.objects.get(code=461), party=Party.objects.get(letter="A"), votes=n
    )


def _supplementary_seats(n: int) -> SupplementarySeats:
    result = _election_result(n)
    result.save()
    # One row per party and period: a period of its own each time.
    period = _period(n)
    period.save()
    return SupplementarySeats(
        council=result.council,
        period=period,
        party=Party.objects.get(letter="A"),
        result=result,
        computed_seats=1,
        decided_seats=1,
    )


# One row of each portal model; ``n`` is unique per call. Council is missing on purpose:
# there are exactly five KKRs (region codes 1081-1085), so 30 of them cannot exist.
ROW_BUILDERS: dict[type, Callable[[int], object]] = {
    ElectionPeriod: _period,
    Municipality: _municipality,
    Party: lambda n: Party(name=f"Parti {n}", short_name=f"Parti {n}"),
    PolicyArea: lambda n: PolicyArea(slug=f"omraade-{n}", name=f"Område {n}", description="Test"),
    TimelineEntry: lambda n: TimelineEntry(
        period_label="2026-2029", starts_year=2026, ends_year=2029, title=f"Opgave {n}"
    ),
    Person: lambda n: factories.PersonFactory.build(party=Party.objects.get(letter="V")),
    CouncilSeat: _council_seat,
    KKRMembership: _membership,
    Chairmanship: _chairmanship,
    Meeting: lambda n: factories.MeetingFactory.build(title=f"Møde {n}"),
    AgendaItem: lambda n: AgendaItem(
        meeting=factories.MeetingFactory(), number=1, title=f"Punkt {n}", policy_area=PolicyArea.objects.first()
    ),
    SecretariatContact: lambda n: SecretariatContact(
        council=Council.objects.get(slug="syddanmark"), kind="kkr", unit="KKR-sekretariatet", name=f"Konsulent {n}"
    ),
    ForumKind: lambda n: ForumKind(slug=f"type-{n}", name=f"Forumtype {n}"),
    Forum: lambda n: factories.ForumFactory.build(),
    Seat: lambda n: factories.SeatFactory.build(forum=factories.ForumFactory()),
    Appointment: _appointment,
    AgreementKind: lambda n: AgreementKind(slug=f"aftaletype-{n}", name=f"Aftaletype {n}"),
    Agreement: lambda n: Agreement(
        council=Council.objects.get(slug="syddanmark"),
        kind=AgreementKind.objects.get(slug="rammeaftale"),
        title=f"Aftale {n}",
        counterpart=f"Part {n}",
        valid_from=_day(0),
    ),
    Milestone: _milestone,
    MunicipalApproval: _approval,
    ReminderRule: lambda n: ReminderRule(kind="milestone", days_before=100 + n % 200, audience="secretariat"),
    Delivery: _delivery,
    ReminderOptOut: lambda n: ReminderOptOut(person=factories.PersonFactory(), kind="meeting"),
    CalendarFeed: lambda n: CalendarFeed(person=factories.PersonFactory(), nonce=f"{n:064x}"),
    StaffAssignment: lambda n: StaffAssignment(
        user=factories.UserFactory(is_staff=True), council=Council.objects.get(slug="syddanmark")
    ),
    ElectionResult: _election_result,
    PartyVotes: _party_votes,
    SupplementarySeats: _supplementary_seats,
}
NOT_PINNED = {Council}
PINNED = [(model, ROW_BUILDERS[model]) for model, _admin in PORTAL_REGISTERED if model in ROW_BUILDERS]
# Session, user, counts, filter choices, date hierarchy and the rows themselves: well under this.
MAX_CHANGELIST_QUERIES = 15


def test_every_portal_changelist_has_a_query_count_pin():
    unpinned = {model for model, _admin in PORTAL_REGISTERED} - set(ROW_BUILDERS) - NOT_PINNED
    assert {model._meta.label for model in unpinned} == set()


def _add_rows(model, build, count: int) -> None:
    model._default_manager.bulk_create([build(_n()) for _ in range(count)])


@pytest.mark.parametrize(("model", "build"), PINNED, ids=[model._meta.label for model, _build in PINNED])
def test_the_changelist_query_count_does_not_grow_with_its_rows(
    staff_client, django_assert_max_num_queries, model, build
):
    url = _url(model, "changelist")
    staff_client.get(url)  # warm up: session, content types, caches
    before = model._default_manager.count()
    counts = []
    for added in (3, 27):  # 3 rows of our own, then 30
        _add_rows(model, build, added)
        with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES) as captured:
            response = staff_client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == model._default_manager.count()
        counts.append(len(captured))
    assert model._default_manager.count() == before + 30
    assert counts[0] == counts[1], f"{model._meta.label}: {counts[0]} queries with 3 rows, {counts[1]} with 30"
