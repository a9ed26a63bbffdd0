"""The composition pages: scoped per KKR, and a fixed number of queries whatever the region's size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from elections import services
from elections.models import ElectionResult, PartyVotes, SupplementarySeats
from members import services as member_services
from members.models import Municipality, Party
from tests import factories

from .conftest import composition_url, csv_upload, import_url, region_rows

pytestmark = pytest.mark.django_db


def test_another_kkrs_pages_answer_404_and_change_nothing(secretary, sjaelland, syddanmark, period, imported):
    for url in [
        reverse("elections_admin:overview", args=[sjaelland.slug]),
        composition_url(sjaelland, period),
        import_url(sjaelland, period),
    ]:
        assert secretary.get(url).status_code == 404, url
    upload = csv_upload(region_rows(sjaelland), name="sjaelland.csv")
    assert secretary.post(import_url(sjaelland, period), {"import_file": upload}).status_code == 404
    assert secretary.post(composition_url(sjaelland, period), {"token": "x"}).status_code == 404
    assert ElectionResult.objects.filter(council=sjaelland).count() == 0
    assert SupplementarySeats.objects.count() == 0


def test_another_kkrs_result_is_out_of_reach_in_the_admin_too(secretary, staff_sjaelland, client, sjaelland, period):
    result = ElectionResult.objects.create(council=sjaelland, period=period, source_name="sjaelland.csv")
    url = reverse("admin:elections_electionresult_change", args=[result.pk])
    assert secretary.get(url).status_code == 404
    assert secretary.get(reverse("admin:elections_electionresult_changelist")).context["cl"].result_count == 0


def test_the_services_refuse_another_kkr_on_their_own(syddanmark, sjaelland, period, imported, staff_sjaelland):
    plan = services.plan_composition(council=syddanmark, period=period)
    with pytest.raises(services.PermissionDenied):
        services.apply_composition(
            council=syddanmark, period=period, decisions={}, expected_token=plan.token, user=staff_sjaelland
        )
    assert SupplementarySeats.objects.count() == 0


def test_a_superuser_sees_every_kkr(client, superuser, sjaelland, period):
    client.force_login(superuser)
    assert client.get(composition_url(sjaelland, period)).status_code == 200
    assert client.get(reverse("elections_admin:overview", args=[sjaelland.slug])).status_code == 200


def test_the_overview_links_the_periods_and_the_admin_index_links_the_overview(secretary, syddanmark, period, imported):
    overview = reverse("elections_admin:overview", args=[syddanmark.slug])
    assert overview in secretary.get(reverse("admin:index")).content.decode()
    page = secretary.get(overview).content.decode()
    assert composition_url(syddanmark, period) in page
    assert "kv25-syddanmark.csv" in page


# --- query counts at two sizes --------------------------------------------------------------

MORE_PARTIES = ["B", "C", "I", "O", "Ø", "Å", "M", "Æ"]


def _grow_region(council, period) -> None:
    """Eight parties more, each with votes everywhere, a councillor and a mayor; a new import."""
    votes = {"A": 300, "V": 200, "F": 80, "K": 5, **dict.fromkeys(MORE_PARTIES, 40)}
    free = list(Municipality.objects.filter(council=council, council_seats__isnull=True).order_by("code"))
    for letter, municipality in zip(MORE_PARTIES, free, strict=False):
        person = factories.PersonFactory(party=Party.objects.get(letter=letter))
        member_services.record_mayor(
            person=person, municipality=municipality, period=period, started_on=period.starts_on
        )
    result = ElectionResult.objects.create(council=council, period=period, source_name="stor.csv")
    PartyVotes.objects.bulk_create(
        PartyVotes(
            result=result,
            municipality=Municipality.objects.get(code=code),
            party=Party.objects.get(letter=letter),
            votes=n,
        )
        for code, letter, n in region_rows(council, votes)
    )


def _count(client, url) -> int:
    client.get(url)  # warm up: session, content types
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_calculation_page_does_not_grow_with_the_region(secretary, syddanmark, period, imported):
    url = composition_url(syddanmark, period)
    plan = services.plan_composition(council=syddanmark, period=period)
    services.apply_composition(council=syddanmark, period=period, decisions={}, expected_token=plan.token)
    small = _count(secretary, url)
    _grow_region(syddanmark, period)
    plan = services.plan_composition(council=syddanmark, period=period)
    assert len(plan.composition.steps) == 12
    services.apply_composition(council=syddanmark, period=period, decisions={}, expected_token=plan.token)
    assert _count(secretary, url) == small
    assert small <= 14  # session, user, permissions, the plan's 8 reads, messages


def test_the_overview_does_not_grow_with_the_results(secretary, syddanmark, period, imported):
    url = reverse("elections_admin:overview", args=[syddanmark.slug])
    small = _count(secretary, url)
    _grow_region(syddanmark, period)
    assert _count(secretary, url) == small
    assert small <= 9
