"""One agreement's page: its milestones, and who has and has not approved where every council must."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from agreements import services
from agreements.models import MunicipalApproval
from members.models import Municipality
from tests import factories
from tests.rules_helpers import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def agreement(syddanmark, odense, middelfart):
    row = factories.AgreementFactory(title="Rammeaftale for det specialiserede område", counterpart="Region Syddanmark")
    factories.MilestoneFactory(
        agreement=row, kind="kkr_approval", title="Godkendelse i KKR", due_on=dt.date(2027, 3, 1)
    )
    approval = factories.MilestoneFactory(
        agreement=row,
        kind="council_approval",
        title="Godkendelse i alle kommunalbestyrelser",
        due_on=dt.date(2027, 5, 31),
        requires_every_council=True,
    )
    MunicipalApproval.objects.create(
        milestone=approval, municipality=odense, approved_on=dt.date(2027, 4, 2), approved_by="Byrådet"
    )
    return row


def test_the_agreement_page_shows_the_kkr_counterpart_and_every_milestone(signed_in, agreement):
    response = signed_in.get(reverse("agreement_detail", args=[agreement.pk]))

    assert response.status_code == 200
    content = text(response)
    assert "Rammeaftale for det specialiserede område" in content
    assert "KKR Syddanmark" in content
    assert "Region Syddanmark" in content
    assert "Godkendelse i KKR" in content
    assert "1. marts 2027" in content
    assert "Godkendelse i alle kommunalbestyrelser" in content


def test_the_agreement_page_shows_which_municipalities_have_approved_and_which_have_not(
    signed_in, agreement, syddanmark, odense, middelfart
):
    response = signed_in.get(reverse("agreement_detail", args=[agreement.pk]))

    (milestone,) = [row for row in response.context["milestones"] if row.requires_every_council]
    assert [(a.municipality.name, a.approved_by, a.approved_on) for a in milestone.approved] == [
        ("Odense", "Byrådet", dt.date(2027, 4, 2))
    ]
    missing = [municipality.name for municipality in milestone.missing]
    assert "Middelfart" in missing
    assert "Odense" not in missing
    assert len(missing) == Municipality.objects.filter(council=syddanmark).count() - 1
    assert "Roskilde" not in missing  # another KKR's municipality
    content = text(response)
    assert "Byrådet, 2. april 2027" in content
    assert f"Godkendt i 1 kommune, mangler {len(missing)}" in content


def test_the_list_and_the_kkr_page_link_to_the_agreement(signed_in, agreement):
    url = reverse("agreement_detail", args=[agreement.pk])

    assert url in text(signed_in.get(reverse("agreement_list")))
    assert url in text(signed_in.get(reverse("council_detail", args=["syddanmark"])))


def test_the_page_links_the_cycles_before_and_after(signed_in, agreement):
    following = services.close_cycle(agreement=agreement, closed_on=dt.date(2028, 12, 31))

    first = text(signed_in.get(reverse("agreement_detail", args=[agreement.pk])))
    second = text(signed_in.get(reverse("agreement_detail", args=[following.pk])))

    assert reverse("agreement_detail", args=[following.pk]) in first
    assert "afsluttet" in first
    assert reverse("agreement_detail", args=[agreement.pk]) in second


def test_an_unknown_agreement_is_a_404(signed_in):
    assert signed_in.get("/aftaler/999999/").status_code == 404


def test_anonymous_visitors_are_sent_to_login_unless_the_blaa_bog_is_public(client, settings, agreement):
    url = reverse("agreement_detail", args=[agreement.pk])

    assert client.get(url)["Location"].startswith(reverse("account_login"))
    settings.BLAA_BOG_PUBLIC = True
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("milestones", [1, 12])
def test_the_agreement_page_query_count_does_not_grow_with_milestones_and_approvals(
    signed_in, syddanmark, milestones, django_assert_num_queries
):
    agreement = factories.AgreementFactory()
    municipalities = list(Municipality.objects.filter(council=syddanmark)[:5])
    for number in range(milestones):
        milestone = factories.MilestoneFactory(
            agreement=agreement, due_on=dt.date(2027, 1, 1) + dt.timedelta(days=number), requires_every_council=True
        )
        for municipality in municipalities:
            MunicipalApproval.objects.create(
                milestone=milestone, municipality=municipality, approved_on=dt.date(2027, 1, 1)
            )

    # the session with the versions, the user, the agreement with its council, kind and cycles, the
    # milestones, their approvals with municipalities, the council's municipalities
    with django_assert_num_queries(6):
        response = signed_in.get(reverse("agreement_detail", args=[agreement.pk]))

    assert len(response.context["milestones"]) == milestones
