"""Fixtures of the reminder tests: a KKR meeting with members, and the send queue recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from agreements.models import Agreement, AgreementKind, Milestone
from members import services as member_services
from members.models import KKRMembership, SecretariatContact
from reminders import emails, smtp
from tests import factories
from tests.rules_helpers import COPENHAGEN, councillor

# A Monday meeting in the 2026-2029 period, 10:00 Danish time (09:00 UTC).
MEETING_AT = dt.datetime(2026, 12, 7, 10, 0, tzinfo=COPENHAGEN)


def kkr_member(municipality, period, email: str, **fields):
    """A supplementary member of the municipality's KKR with an email address."""
    person = councillor(municipality, period, email=email, **fields)
    return member_services.add_membership(
        person=person,
        council=municipality.council,
        period=period,
        basis=KKRMembership.Basis.SUPPLEMENTARY,
        started_on=period.starts_on,
    )


def substitute(municipality, period, principal: KKRMembership, email: str) -> KKRMembership:
    person = councillor(municipality, period, email=email)
    return member_services.add_membership(
        person=person,
        council=municipality.council,
        period=period,
        basis=KKRMembership.Basis.SUPPLEMENTARY,
        started_on=period.starts_on,
        substitute_for=principal,
    )


def meeting_at(when: dt.datetime, **fields):
    return factories.MeetingFactory(starts_at=when, ends_at=when + dt.timedelta(hours=3), **fields)


def milestone(council, due_on: dt.date, *, audience: str = "secretariat", **fields) -> Milestone:
    agreement = Agreement.objects.create(
        council=council,
        kind=AgreementKind.objects.get(slug="rammeaftale"),
        title="Rammeaftale 2027-2028",
        counterpart="Region Syddanmark",
        valid_from=dt.date(2026, 1, 1),
    )
    return Milestone.objects.create(
        agreement=agreement,
        kind=Milestone.Kind.COUNCIL_APPROVAL,
        title="Godkendelse i kommunalbestyrelserne",
        due_on=due_on,
        audience=audience,
        requires_every_council=True,
        **fields,
    )


@pytest.fixture
def members(odense, period):
    """Two members of KKR Syddanmark and the first one's substitute."""
    anne = kkr_member(odense, period, "anne@example.dk", name="Anne Hansen")
    bo = kkr_member(odense, period, "bo@example.dk", name="Bo Jensen")
    carl = substitute(odense, period, anne, "carl@example.dk")
    return [anne, bo, carl]


@pytest.fixture
def meeting(members):
    return meeting_at(MEETING_AT, title="KKR-møde december", place="Odense Rådhus")


@pytest.fixture
def secretariat(syddanmark):
    """KKR Syddanmark's secretariat: one consultant with an email, one without; a joint secretariat."""
    SecretariatContact.objects.create(
        council=syddanmark, kind="kkr", unit="KKR-sekretariatet", name="Sara Konsulent", email="sara@kl.dk"
    )
    SecretariatContact.objects.create(council=syddanmark, kind="kkr", unit="KKR-sekretariatet", name="Uden Mail")
    SecretariatContact.objects.create(
        council=syddanmark, kind="joint", unit="Social", name="Fælles Sekretær", email="social@kl.dk"
    )
    return ["sara@kl.dk"]


@pytest.fixture
def queued(monkeypatch):
    """The send tasks queued after commit: ``[(delivery id, countdown)]`` instead of the broker."""
    calls: list[tuple[int, float | None]] = []

    def record(delivery_ids, *, countdown=None):
        calls.extend((delivery_id, countdown) for delivery_id in delivery_ids)

    monkeypatch.setattr("reminders.services._queue", record)
    return calls


@pytest.fixture(autouse=True)
def _nothing_kept_between_tests():
    """A worker keeps its SMTP connection, the .ics and the texts of recent occasions for the next
    send task: not from one test to the next."""
    smtp.discard()
    emails._ics_cache.clear()
    emails._render_cache.clear()
    yield
    smtp.discard()
    emails._ics_cache.clear()
    emails._render_cache.clear()
