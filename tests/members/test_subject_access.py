"""``manage.py subject_access``: everything the portal holds about one person, in one JSON file.

A person with every kind of row (roles of each kind, a login, reminder choices and deliveries,
a calendar feed, changes by themselves and by the secretariat, a secretariat contact row under
the same address) is asked for by address, by an earlier address and by slug. The file has all
of it, with who changed what and when, and none of the secrets (password hash, calendar token,
second-factor secret).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from fora import services as fora_services
from members import calendar, profile, services
from members.models import CouncilSeat, Person, SecretariatContact
from reminders import services as reminder_services
from reminders.models import Delivery, ReminderOptOut, ReminderRule
from tests import factories
from tests.rules_helpers import NOW

pytestmark = pytest.mark.django_db

EARLIER = "anne.gammel@borger.example"
ADDRESS = "anne.hansen@odense.example"


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def anne(odense, syddanmark, period, staff_syddanmark):
    """Odense's mayor: seat, KKR place, chair post, an appointment; changes by herself and by
    the secretariat; a login with a second factor; reminder choices, deliveries and a feed."""
    person = factories.PersonFactory(name="Anne Hansen", slug="anne-hansen", email=EARLIER, phone="+45 20 30 40 50")
    person.user = factories.UserFactory(email=ADDRESS)
    person.save()
    EmailAddress.objects.create(user=person.user, email=ADDRESS, primary=True, verified=True)
    TOTP.activate(person.user, generate_totp_secret())
    start = period.starts_on
    seat = services.record_mayor(person=person, municipality=odense, period=period, started_on=start)
    services.elect_chair(council=syddanmark, period=period, role="chair", person=person, started_on=start)
    forum_seat = factories.SeatFactory(forum=factories.ForumFactory(council=syddanmark, name="Erhvervshus Fyn"))
    fora_services.appoint(
        appointment=fora_services.propose(seat=forum_seat, person=person, starts_on=dt.date(2026, 2, 1)),
        appointed_on=dt.date(2026, 2, 1),
    )
    # Her own change on Min side, and the secretariat's correction of her seat.
    profile.update_own_contact_details(
        person=person, phone="+45 20 30 40 51", email=ADDRESS, bio="Borgmester i Odense.", changed_by=person.user
    )
    seat = CouncilSeat.objects.get(pk=seat.pk)
    seat._history_user = staff_syddanmark
    seat.started_on = start + dt.timedelta(days=1)
    seat.save()
    LogEntry.objects.create(
        user=staff_syddanmark,
        content_type=ContentType.objects.get_for_model(Person),
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Telefon"]}}]',
    )
    reminder_services.set_reminder_preferences(person=person, wanted_kinds={"meeting"})
    occasion = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
    Delivery.objects.create(
        rule=ReminderRule.objects.get(kind="meeting", days_before=7),
        council=syddanmark,
        occasion_type="meeting",
        occasion_id=1,
        occasion_at=occasion,
        due_at=occasion - dt.timedelta(days=7),
        recipient=person,
        email=ADDRESS,
    )
    services.ensure_calendar_feed(person=person)
    # She also answers for the secretariat's network: a contact row under the same address.
    SecretariatContact.objects.create(
        council=syddanmark, kind="joint", unit="Sundhedsklyngen Fyn", name="Anne Hansen", email=ADDRESS.upper()
    )
    person.refresh_from_db()
    return person


@pytest.fixture
def stranger(odense, period):
    """Someone else, whose data must not be in Anne's file."""
    return factories.PersonFactory(name="Bent Fremmed", email="bent@borger.example", phone="+45 99 88 77 66")


def report(tmp_path, subject: str) -> tuple[dict, str]:
    path = tmp_path / "indsigt.json"
    call_command("subject_access", subject, output=str(path))
    text = path.read_text(encoding="utf-8")
    path.unlink()
    return json.loads(text), text


def test_the_file_holds_everything_the_portal_has_about_the_person(tmp_path, anne, stranger, staff_syddanmark):
    data, text = report(tmp_path, ADDRESS)

    [entry] = data["people"]
    assert entry["person"]["name"] == "Anne Hansen"
    assert entry["person"]["email"] == ADDRESS
    assert entry["person"]["phone"] == anne.phone
    assert entry["person"]["bio"] == "Borgmester i Odense."
    roles = entry["roles"]
    assert [row["role"]["value"] for row in roles["council_seats"]] == ["mayor"]
    assert [row["basis"]["value"] for row in roles["kkr_memberships"]] == ["ex_officio"]
    assert [row["role"]["value"] for row in roles["chairmanships"]] == ["chair"]
    assert [row["status"]["value"] for row in roles["appointments"]] == ["appointed"]
    assert roles["appointments"][0]["seat"]["name"].startswith("Erhvervshus Fyn")
    # The login, without its password hash; the second factor's kind, without its secret.
    account = entry["user_account"]
    assert account["email"] == ADDRESS
    assert "password" not in account
    assert [row["email"] for row in account["email_addresses"]] == [ADDRESS]
    assert [factor["type"] for factor in account["second_factors"]] == ["totp"]
    # Reminder choices and deliveries; that a feed exists, not its address.
    assert {row["kind"]["value"] for row in entry["reminder_opt_outs"]} == {"milestone", "term_end"}
    assert [row["email"] for row in entry["reminder_deliveries"]] == [ADDRESS]
    assert entry["calendar_feed"] is not None
    # The audit trail: who changed what, when — she herself, and the secretariat.
    own_change = next(record for record in entry["history"]["person"] if record["reason"] == profile.CHANGE_REASON)
    assert own_change["by"]["id"] == anne.user_id
    [phone] = [change for change in own_change["changes"] if change["field"] == "phone"]
    assert (phone["old"][-5:], phone["new"]) == ("40 50", anne.phone)
    assert {"field": "email", "old": EARLIER, "new": ADDRESS} in own_change["changes"]
    correction = entry["history"]["council_seats"][-1]
    assert correction["by"]["id"] == staff_syddanmark.pk
    assert [change["field"] for change in correction["changes"]] == ["started_on"]
    assert {len(entry["history"][kind]) > 0 for kind in roles} == {True}
    assert [log["by"]["id"] for log in entry["admin_log"]] == [staff_syddanmark.pk]
    # Rows under her address that are not her person row.
    assert [row["unit"] for row in data["secretariat_contacts"]] == ["Sundhedsklyngen Fyn"]
    assert stranger.email not in text
    assert stranger.phone not in text


def test_no_secret_is_in_the_file(tmp_path, anne):
    _data, text = report(tmp_path, ADDRESS)

    feed = anne.calendar_feed
    secrets = [anne.user.password, feed.nonce, calendar.feed_token(feed)]
    secrets += [str(secret) for secret in anne.user.authenticator_set.values_list("data", flat=True)]
    secrets += [value for data in anne.user.authenticator_set.values_list("data", flat=True) for value in data.values()]
    for secret in secrets:
        assert secret
        assert secret not in text


def test_the_person_is_found_by_slug_and_by_an_earlier_address(tmp_path, anne):
    by_address, _text = report(tmp_path, ADDRESS.upper())
    by_slug, _text = report(tmp_path, "anne-hansen")
    by_earlier, _text = report(tmp_path, EARLIER)

    for data in (by_address, by_slug, by_earlier):
        assert [entry["person"]["id"] for entry in data["people"]] == [anne.pk]
        # Her earlier address leads to the contact row under her current one too.
        assert [row["unit"] for row in data["secretariat_contacts"]] == ["Sundhedsklyngen Fyn"]


def test_an_address_that_is_no_person_gives_its_own_rows(tmp_path, syddanmark):
    """A secretariat contact is not a person in the portal: their rows are found by address."""
    SecretariatContact.objects.create(council=syddanmark, kind="kkr", unit="KKR-sekretariatet", email="sara@kl.example")
    ReminderOptOut.objects.create(email="sara@kl.example", kind="milestone")

    data, _text = report(tmp_path, "sara@kl.example")

    assert data["people"] == []
    assert len(data["secretariat_contacts"]) == 1
    assert len(data["reminder_opt_outs_by_address"]) == 1


def test_the_file_is_for_its_owner_only_and_never_replaces_one(tmp_path, anne):
    path = tmp_path / "indsigt.json"
    call_command("subject_access", "anne-hansen", output=str(path))

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(CommandError):
        call_command("subject_access", "anne-hansen", output=str(path))


def test_without_a_file_the_json_goes_to_standard_output(anne, capsys):
    call_command("subject_access", "anne-hansen")

    assert json.loads(capsys.readouterr().out)["people"][0]["person"]["slug"] == "anne-hansen"


def test_a_subject_the_portal_knows_nothing_about_is_an_error(db):
    with pytest.raises(CommandError):
        call_command("subject_access", "ingen@example.dk")
    with pytest.raises(CommandError):
        call_command("subject_access", "ingen-saadan-person")
