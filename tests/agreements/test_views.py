"""The agreements page: each KKR's agreements with their next milestones and who has approved."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from agreements.models import Agreement, AgreementKind, Milestone, MunicipalApproval
from members.models import Municipality

pytestmark = pytest.mark.django_db
CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=CPH)
TODAY = NOW.date()

# the session with the versions (one query, kkr_portal.sessions) and, on the first request
# since the login, the user row (kkr_portal.auth)
SIGNED_IN = 2
AGREEMENT_LIST_QUERIES = SIGNED_IN + 5


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def agreement(
    council, *, kind: str = "rammeaftale", counterpart: str = "Region Syddanmark", title: str = ""
) -> Agreement:
    agreement_kind = AgreementKind.objects.get(slug=kind)
    return Agreement.objects.create(
        council=council,
        kind=agreement_kind,
        title=title or f"{agreement_kind.name} med {counterpart}",
        counterpart=counterpart,
        policy_area=agreement_kind.policy_area,
        valid_from=dt.date(2026, 1, 1),
        recurrence_months=agreement_kind.recurrence_months,
    )


def milestone(agreement: Agreement, title: str, days: int, **fields) -> Milestone:
    return Milestone.objects.create(
        agreement=agreement,
        kind=fields.pop("kind", Milestone.Kind.OTHER),
        title=title,
        due_on=TODAY + dt.timedelta(days=days),
        **fields,
    )


def council_approval(agreement: Agreement, title: str, days: int, approving: int) -> Milestone:
    """A milestone every municipal council must approve; the first ``approving`` have."""
    step = milestone(agreement, title, days, kind=Milestone.Kind.COUNCIL_APPROVAL, requires_every_council=True)
    for municipality in Municipality.objects.filter(council=agreement.council).order_by("code")[:approving]:
        MunicipalApproval.objects.create(
            milestone=step, municipality=municipality, approved_on=TODAY - dt.timedelta(days=3), approved_by="Byrådet"
        )
    return step


def text(response) -> str:
    return response.content.decode()


def test_the_agreement_list_shows_agreements_by_council_with_their_next_milestones(signed_in, syddanmark, sjaelland):
    rammeaftale = agreement(syddanmark)
    milestone(rammeaftale, "Udkast klar", -40, completed_on=TODAY - dt.timedelta(days=40))
    milestone(rammeaftale, "Godkendt i regionsrådet", 17)
    milestone(rammeaftale, "Underskrevet", 52)
    agreement(sjaelland, kind="sundhedsaftale", counterpart="Region Sjælland")

    response = signed_in.get(reverse("agreement_list"))

    assert response.status_code == 200
    content = text(response)
    assert content.count("<h1") == 1
    assert '<a href="/kkr/syddanmark/">KKR Syddanmark</a></h2>' in content
    assert "Rammeaftale på det specialiserede social- og specialundervisningsområde med Region Syddanmark" in content
    assert "Med Region Syddanmark" in content
    assert "gentages hver 24. måned" in content
    assert "10. december 2026" in content
    assert "Godkendt i regionsrådet" in content
    assert "Underskrevet" in content
    assert "Udkast klar" not in content  # completed
    assert "Sundhedsaftale med Region Sjælland" in content
    assert "Ingen åbne frister." in content


def test_an_overdue_milestone_is_marked(signed_in, syddanmark):
    milestone(agreement(syddanmark), "Resultatkontrakt godkendt i KKR", -2)

    assert "overskredet" in text(signed_in.get(reverse("agreement_list")))


def test_a_milestone_every_council_must_approve_shows_who_has_and_has_not_approved(signed_in, syddanmark):
    council_approval(agreement(syddanmark), "Godkendt i alle kommunalbestyrelser", 24, approving=2)
    municipalities = list(Municipality.objects.filter(council=syddanmark).order_by("code"))

    response = signed_in.get(reverse("agreement_list"))

    (shown,) = response.context["agreements"]
    (step,) = shown.open_milestones
    assert [approval.municipality for approval in step.approved] == sorted(municipalities[:2], key=lambda m: m.name)
    assert step.missing == sorted(municipalities[2:], key=lambda m: m.name)
    content = text(response)
    assert "Godkendt i 2 kommuner, mangler 20" in content
    assert "Middelfart <span" in content  # code 410 approved, with body and date
    assert "(Byrådet, 20. november 2026)" in content
    assert "<li>Odense</li>" in content  # not yet


def test_the_agreement_list_filters_by_council(signed_in, syddanmark, sjaelland):
    agreement(syddanmark, title="Syddansk aftale")
    agreement(sjaelland, counterpart="Region Sjælland", title="Sjællandsk aftale")

    content = text(signed_in.get(reverse("agreement_list"), {"kkr": "sjaelland"}))

    assert "Sjællandsk aftale" in content
    assert "Syddansk aftale" not in content
    assert '<option value="sjaelland" selected>' in content


def test_closed_agreements_are_not_listed(signed_in, syddanmark):
    closed = agreement(syddanmark, title="Afsluttet aftale")
    closed.closed_on = TODAY - dt.timedelta(days=1)
    closed.save()

    assert "Afsluttet aftale" not in text(signed_in.get(reverse("agreement_list")))


@pytest.mark.parametrize(
    "query", [{"kkr": "atlantis"}, {"kkr": "syd\x00danmark"}, {"kkr": "x" * 10_000}, {"kkr": "SYDDANMARK"}]
)
def test_an_unknown_council_gives_a_friendly_empty_list(signed_in, syddanmark, query):
    agreement(syddanmark, title="Syddansk aftale")

    response = signed_in.get(reverse("agreement_list"), query)

    assert response.status_code == 200
    content = text(response)
    assert "Vi kender ikke det valgte KKR." in content
    assert "Syddansk aftale" not in content


def test_the_agreement_list_sends_anonymous_visitors_to_login_unless_the_blaa_bog_is_public(client, settings):
    response = client.get(reverse("agreement_list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    settings.BLAA_BOG_PUBLIC = True
    assert client.get(reverse("agreement_list")).status_code == 200


@pytest.mark.parametrize("size", [1, 6])
def test_the_agreement_list_query_count_does_not_grow_with_agreements_and_approvals(
    signed_in, syddanmark, sjaelland, size, django_assert_num_queries
):
    for number in range(size):
        for council in (syddanmark, sjaelland)[: 1 + (number % 2)]:
            row = agreement(council, counterpart=f"Part {number}")
            milestone(row, "Udkast", 10 + number)
            council_approval(row, "Godkendt i alle kommunalbestyrelser", 30 + number, approving=number + 1)

    with django_assert_num_queries(AGREEMENT_LIST_QUERIES):
        response = signed_in.get(reverse("agreement_list"))

    assert len(response.context["agreements"]) == size + size // 2
