"""Retention: contact details of people whose last role ended more than PRIVACY_RETENTION_DAYS
ago are erased — from the person, from every historical record of the person, from their
reminder deliveries, their calendar feed and their member login — by a daily task that is safe
to run twice. The roles and their history stay. Anyone with a current or future role is never
touched. (docs/privacy.md, members/privacy.py, members/tasks.py)
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from fora import services as fora_services
from fora.models import Appointment
from kkr_portal.celery import app
from members import privacy, services, tasks
from members.models import CalendarFeed, CouncilSeat, ElectionPeriod, Person
from reminders.models import Delivery, ReminderRule
from tests import factories
from tests.rules_helpers import NOW, councillor

pytestmark = pytest.mark.django_db

HistoricalPerson = Person.history.model


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def period_2014(db) -> ElectionPeriod:
    """A period long over: its roles ended on 31 December 2017, nearly nine years before "today"."""
    return ElectionPeriod.objects.create(name="2014-2017", starts_on=dt.date(2014, 1, 1), ends_on=dt.date(2017, 12, 31))


@pytest.fixture
def run_sweep(monkeypatch, django_capture_on_commit_callbacks):
    """The beat task, with each queued erasure run at once (and its after-commit work done)."""
    queued = []

    def delay(person_id):
        queued.append(person_id)
        tasks.erase_contact_details(person_id)

    monkeypatch.setattr(tasks.erase_contact_details, "delay", delay)

    def run() -> list[int]:
        queued.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.erase_expired_contact_details() == len(queued)
        return list(queued)

    return run


def with_details(person: Person, tag: str) -> Person:
    """Contact details changed twice (so the history has them twice), and two photos."""
    for version in (1, 2):
        person.email = f"{tag}.{version}@borger.example"
        person.phone = f"+45 20 30 40 5{version}"
        person.bio = f"Biografi {version} om {tag}."
        person.photo.save(f"{tag}-{version}.png", ContentFile(b"\x89PNG fake"), save=False)
        person.save()
    return person


def former_member(municipality, period_2014, meeting_rule, syddanmark, tag: str = "tidligere") -> Person:
    """A councillor in 2014-2017 only, with everything retention erases."""
    person = with_details(councillor(municipality, period_2014, name="Frede Fortid"), tag)
    person.user = factories.UserFactory(email=person.email)
    person.save()
    EmailAddress.objects.create(user=person.user, email=person.email, primary=True, verified=True)
    services.ensure_calendar_feed(person=person)
    occasion = dt.datetime(2017, 6, 1, 10, tzinfo=dt.UTC)
    Delivery.objects.create(
        rule=meeting_rule,
        council=syddanmark,
        occasion_type="meeting",
        occasion_id=1,
        occasion_at=occasion,
        due_at=occasion - dt.timedelta(days=7),
        recipient=person,
        email=person.email,
        status=Delivery.Status.FAILED,
        last_error=f"SMTPRecipientsRefused: {{'{person.email}': (550, b'unknown')}}",
    )
    return person


@pytest.fixture
def meeting_rule(db) -> ReminderRule:
    return ReminderRule.objects.get(kind="meeting", days_before=7)


def stored_details(person: Person) -> set[str]:
    """Every e-mail, phone, bio and photo still stored about the person, anywhere retention reaches."""
    rows = [Person.objects.filter(pk=person.pk), HistoricalPerson.objects.filter(id=person.pk)]
    values = set()
    for rows_of_kind in rows:
        for row in rows_of_kind.values(*privacy.ERASED_FIELDS):
            values |= {value for value in row.values() if value}
    values |= {value for value in Delivery.objects.filter(recipient=person).values_list("email", flat=True) if value}
    values |= {
        error
        for error in Delivery.objects.filter(recipient=person).values_list("last_error", flat=True)
        if "@" in error
    }
    return values


# --- Erased -----------------------------------------------------------------------------------


def test_contact_details_of_someone_whose_last_role_ended_long_ago_are_erased_everywhere(
    run_sweep, odense, period_2014, meeting_rule, syddanmark
):
    person = former_member(odense, period_2014, meeting_rule, syddanmark)
    photos = set(HistoricalPerson.objects.filter(id=person.pk).exclude(photo="").values_list("photo", flat=True))
    assert len(photos) == 2
    assert all(default_storage.exists(name) for name in photos)
    address = person.email
    seats_before = list(CouncilSeat.history.filter(person_id=person.pk).values_list("history_id", flat=True))
    records_before = HistoricalPerson.objects.filter(id=person.pk).count()

    assert run_sweep() == [person.pk]

    person.refresh_from_db()
    assert (person.email, person.phone, person.bio, person.photo.name) == ("", "", "", "")
    assert stored_details(person) == set()
    assert not any(default_storage.exists(name) for name in photos)
    # The record of who held which role is kept: the person's name and party, the roles, their history.
    assert person.name == "Frede Fortid"
    assert person.council_seats.count() == 1
    assert list(CouncilSeat.history.filter(person_id=person.pk).values_list("history_id", flat=True)) == seats_before
    # The history keeps the earlier records (blanked) and says when and why they were erased.
    records = HistoricalPerson.objects.filter(id=person.pk).order_by("history_date", "history_id")
    assert records.count() == records_before + 1
    assert records.last().history_change_reason == privacy.ERASURE_REASON
    # The login is closed and holds no address; the calendar feed is gone.
    user = person.user
    user.refresh_from_db()
    assert (user.is_active, user.email, user.has_usable_password()) == (False, "", False)
    assert user.username == f"slettet-{user.pk}"
    assert address not in user.username
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not CalendarFeed.objects.filter(person=person).exists()
    assert Delivery.objects.filter(recipient=person).count() == 1


def test_running_the_erasure_twice_changes_nothing(run_sweep, odense, period_2014, meeting_rule, syddanmark):
    person = former_member(odense, period_2014, meeting_rule, syddanmark)
    run_sweep()
    records = list(HistoricalPerson.objects.filter(id=person.pk).values())

    assert run_sweep() == []
    assert privacy.erase_contact_details(person_id=person.pk) is False
    assert list(HistoricalPerson.objects.filter(id=person.pk).values()) == records


def test_a_change_after_the_erasure_is_erased_by_the_next_run(run_sweep, odense, period_2014, meeting_rule, syddanmark):
    """An address typed in again for someone without a role is erased again (and only it)."""
    person = former_member(odense, period_2014, meeting_rule, syddanmark)
    run_sweep()
    person.refresh_from_db()
    person.phone = "+45 99 88 77 66"
    person.save()

    assert run_sweep() == [person.pk]
    assert stored_details(person) == set()


# --- Never touched ----------------------------------------------------------------------------


def test_people_with_a_current_future_or_recent_role_or_none_yet_are_never_touched(
    run_sweep, odense, period_2014, period_2022, period, syddanmark, meeting_rule
):
    current = with_details(councillor(odense, period), "nu")
    # Left the council in 2017 and proposed for a forum seat starting next year.
    coming_back = with_details(councillor(odense, period_2014), "tilbage")
    seat = factories.SeatFactory(forum=factories.ForumFactory(council=syddanmark), period=period)
    Appointment.objects.create(seat=seat, person=coming_back, starts_on=dt.date(2027, 1, 1))
    # Appointed in 2014-2017 and still on the seat as a carry-over (no successor appointed).
    carry_over = with_details(councillor(odense, period_2014), "fortsaetter")
    old_seat = factories.SeatFactory(forum=factories.ForumFactory(council=syddanmark), period=period_2014)
    fora_services.appoint(
        appointment=fora_services.propose(seat=old_seat, person=carry_over, starts_on=dt.date(2015, 1, 1)),
        appointed_on=dt.date(2015, 1, 1),
    )
    # Left in 2022: within the retention period.
    recent = councillor(odense, period_2022, started_on=dt.date(2022, 1, 1))
    services.end_council_seat(seat=recent.council_seats.get(), ended_on=dt.date(2022, 6, 30))
    recent = with_details(recent, "for-nylig")
    no_role = with_details(factories.PersonFactory(), "uden-rolle")
    untouched = [current, coming_back, carry_over, recent, no_role]
    before = {person.pk: stored_details(person) for person in untouched}

    assert run_sweep() == []

    assert {person.pk: stored_details(person) for person in untouched} == before
    assert all(before.values())
    for person in untouched:
        assert privacy.erase_contact_details(person_id=person.pk) is False


def test_a_role_recorded_after_the_sweep_found_someone_wins(odense, period_2014, period, meeting_rule, syddanmark):
    person = former_member(odense, period_2014, meeting_rule, syddanmark)
    assert privacy.people_due_for_erasure() == [person.pk]
    services.add_council_seat(person=person, municipality=odense, period=period, started_on=dt.date(2026, 11, 1))
    before = stored_details(person)

    assert tasks.erase_contact_details(person.pk) is False
    assert stored_details(person) == before


def test_a_staff_login_of_an_erased_person_is_left_to_kl(run_sweep, odense, period_2014, meeting_rule, syddanmark):
    person = former_member(odense, period_2014, meeting_rule, syddanmark)
    person.user.is_staff = True
    person.user.save()

    run_sweep()

    person.user.refresh_from_db()
    assert person.user.is_active
    assert person.user.email
    assert stored_details(person) == set()


def test_the_retention_period_is_the_setting(run_sweep, odense, period_2022, meeting_rule, syddanmark, settings):
    """Roles of 2022-2025 ended eleven months ago: kept by the default, erased by a shorter period."""
    person = with_details(councillor(odense, period_2022), "kort")
    assert settings.PRIVACY_RETENTION_DAYS >= 4 * 365
    assert run_sweep() == []

    settings.PRIVACY_RETENTION_DAYS = 300

    assert run_sweep() == [person.pk]
    assert stored_details(person) == set()


def test_the_erasure_runs_every_day_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["erase-expired-contact-details"]
    assert entry["task"] == tasks.erase_expired_contact_details.name
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 24 * 60 * 60


def test_several_logins_are_erased_the_same_day(run_sweep, odense, middelfart, period_2014, meeting_rule, syddanmark):
    """Erased logins all have no address: one login per address must not stop the second."""
    first = former_member(odense, period_2014, meeting_rule, syddanmark, tag="foerste")
    second = former_member(middelfart, period_2014, meeting_rule, syddanmark, tag="anden")

    assert sorted(run_sweep()) == sorted([first.pk, second.pk])
    for person in (first, second):
        person.user.refresh_from_db()
        assert (person.user.email, person.user.is_active) == ("", False)
