"""Privacy (GDPR): everything the portal holds about one person (a subject access request), and
the erasure of contact details once their purpose has passed (retention).

``docs/privacy.md`` says what is kept, for whom and for how long, and why. The entry points are
the management command ``subject_access`` and the beat task
``members.tasks.erase_expired_contact_details``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import CalendarFeed, Chairmanship, CouncilSeat, KKRMembership, Person, SecretariatContact
from .querysets import today

# What retention erases from a person, their historical records and their deliveries. The name,
# the party and the roles stay: they are the public record of who held which office.
ERASED_FIELDS = ("email", "phone", "bio", "photo")
# The audit history's reason on the record the erasure writes.
ERASURE_REASON = "Kontaktoplysninger slettet efter opbevaringsperioden"
# Never in a subject access report: secrets, not data about the person.
SECRET_FIELDS = {"password", "nonce", "data", "search_name"}


def _role_models() -> dict[str, type[models.Model]]:
    from fora.models import Appointment

    return {
        "council_seats": CouncilSeat,
        "kkr_memberships": KKRMembership,
        "chairmanships": Chairmanship,
        "appointments": Appointment,
    }


# --- Retention -------------------------------------------------------------------------------


def retention_cutoff(on: dt.date | None = None) -> dt.date:
    """Roles that ended on or before this day no longer justify keeping contact details."""
    return (on or today()) - dt.timedelta(days=settings.PRIVACY_RETENTION_DAYS)


def _roles_q(*, since: dt.date | None = None) -> Q:
    """People with any role; with ``since``: a role that had not ended by that day (current, future
    or ended later). A council seat, KKR place or chair post ends on its ``ended_on`` or else with
    its period; an appointment that has not ended (a carry-over too) is still held."""
    person = OuterRef("pk")
    result = Q()
    for model in _role_models().values():
        rows = model._default_manager.filter(person=person).order_by()
        if since is not None:
            if hasattr(model, "period"):
                rows = rows.filter(Q(ended_on__gt=since) | Q(ended_on__isnull=True, period__ends_on__gt=since))
            else:
                rows = rows.filter(Q(ended_on__gt=since) | Q(ended_on__isnull=True))
        result |= Q(Exists(rows))
    return result


def expired_q(on: dt.date | None = None) -> Q:
    """People whose last role ended more than PRIVACY_RETENTION_DAYS ago. People who never had a
    role are not included: the secretariat created them to place them (docs/privacy.md)."""
    return _roles_q() & ~_roles_q(since=retention_cutoff(on))


def _holds_contact_data_q() -> Q:
    """People of whom something that retention erases is still stored anywhere."""
    from reminders.models import Delivery

    person = OuterRef("pk")
    blank = dict.fromkeys(ERASED_FIELDS, "")
    history = Person.history.model.objects.filter(id=person).exclude(**blank)
    deliveries = Delivery.objects.filter(recipient=person).filter(~Q(email="") | Q(last_error__contains="@"))
    login = Q(user__isnull=False, user__is_staff=False, user__is_superuser=False) & (
        Q(user__is_active=True) | ~Q(user__email="")
    )
    return (
        ~Q(**blank)
        | Q(Exists(history.order_by()))
        | Q(Exists(deliveries.order_by()))
        | Q(Exists(CalendarFeed.objects.filter(person=person)))
        | login
    )


def people_due_for_erasure(on: dt.date | None = None) -> list[int]:
    """The ids of people whose contact details have outlived the retention period."""
    due = Person.objects.filter(expired_q(on)).filter(_holds_contact_data_q())
    return list(due.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def erase_contact_details(*, person_id: int, on: dt.date | None = None) -> bool:
    """Erase one person's contact details if their last role ended more than the retention period
    ago; returns whether anything was erased. Safe to run twice: the second run finds nothing.

    Erased, not hidden: the person's e-mail, phone, bio and photo (the file too) — also in every
    historical record of the person, so the audit trail keeps who held which role and when but
    no contact data; the address and any error naming it in their reminder deliveries; their
    calendar feed; and their login (a member's: deactivated, address and name removed). A person
    with a current or future role is never touched: the row is locked and the rule checked again,
    so a role recorded meanwhile wins.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from reminders.models import Delivery

    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or not Person.objects.filter(pk=person_id).filter(expired_q(on)).exists():
        return False
    history = Person.history.filter(id=person.pk)
    photos = {person.photo.name, *history.exclude(photo="").values_list("photo", flat=True)} - {""}
    erased = False

    changed = [name for name in ERASED_FIELDS if getattr(person, name)]
    if changed:
        for name in changed:
            setattr(person, name, "")
        # One more historical record says when and why; it holds nothing to erase.
        person._change_reason = ERASURE_REASON
        person.save(update_fields=changed)
        erased = True
    blank = dict.fromkeys(ERASED_FIELDS, "")
    erased |= bool(history.exclude(**blank).update(**blank))
    erased |= bool(
        Delivery.objects.filter(recipient=person).exclude(email="").update(email="")
        + Delivery.objects.filter(recipient=person, last_error__contains="@").update(last_error="")
    )
    erased |= bool(CalendarFeed.objects.filter(person=person).delete()[0])

    user = person.user
    if user is not None and not (user.is_staff or user.is_superuser) and (user.is_active or user.email):
        # A member's login: without a role for years, and its address is contact data too.
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        user.email = user.first_name = user.last_name = ""
        user.username = f"slettet-{user.pk}"
        user.is_active = False
        user.set_unusable_password()
        user.save()
        erased = True

    photos -= set(Person.objects.exclude(pk=person.pk).filter(photo__in=photos).values_list("photo", flat=True))
    if photos:
        storage = Person._meta.get_field("photo").storage
        # After the commit: a rolled-back erasure keeps its files.
        transaction.on_commit(lambda: [storage.delete(name) for name in sorted(photos)])
    return erased


# --- Subject access --------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A stored file as its name (JSON has no files)."""
    return (value.name or "") if isinstance(value, models.fields.files.FieldFile) else value


def _value(obj: models.Model, field: models.Field) -> Any:
    value = _plain(getattr(obj, field.attname))
    if field.choices and value not in (None, ""):
        return {"value": value, "label": str(dict(field.flatchoices).get(value, value))}
    return value


def _row(obj: models.Model | None, *, exclude: set[str] = frozenset()) -> dict | None:
    """Every stored field of a row; a foreign key as its id and its name."""
    if obj is None:
        return None
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS or field.name in exclude:
            continue
        if field.is_relation:
            related_id = getattr(obj, field.attname)
            related = getattr(obj, field.name) if related_id is not None else None
            data[field.name] = None if related is None else {"id": related_id, "name": str(related)}
        else:
            data[field.name] = _value(obj, field)
    return data


def _who(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name() or user.get_username()}


HISTORY_TYPES = {"+": "oprettet", "~": "ændret", "-": "slettet"}


def _history(records) -> list[dict]:
    """Each historical record with who changed what and when, oldest first."""
    records = list(records.select_related("history_user").order_by("history_date", "history_id"))
    tracked = list(records[0].instance_type._meta.concrete_fields) if records else []
    result, previous = [], None
    for record in records:
        changes = []
        if previous is not None:
            delta = record.diff_against(previous)
            changes = [
                {"field": change.field, "old": _plain(change.old), "new": _plain(change.new)}
                for change in delta.changes
            ]
        values = {
            field.name: _plain(getattr(record, field.attname))
            for field in tracked
            if field.name not in SECRET_FIELDS and hasattr(record, field.attname)
        }
        result.append(
            {
                "date": record.history_date,
                "type": HISTORY_TYPES.get(record.history_type, record.history_type),
                "by": _who(record.history_user),
                "reason": record.history_change_reason or "",
                "changes": changes,
                "values": values,
            }
        )
        previous = record
    return result


def _admin_log(model: type[models.Model], pks: list[int]) -> list[dict]:
    content_type = ContentType.objects.get_for_model(model)
    entries = LogEntry.objects.filter(content_type=content_type, object_id__in=[str(pk) for pk in pks])
    return [
        {
            "date": entry.action_time,
            "model": model._meta.label,
            "object_id": entry.object_id,
            "action": entry.get_action_flag_display(),
            "by": _who(entry.user),
            "message": entry.get_change_message(),
        }
        for entry in entries.select_related("user").order_by("action_time", "pk")
    ]


def _user_account(user) -> dict | None:
    if user is None:
        return None
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from .models import StaffAssignment

    return {
        **_row(user, exclude={"user_permissions", "groups"}),
        "groups": list(user.groups.values_list("name", flat=True)),
        "email_addresses": [_row(row, exclude={"user"}) for row in EmailAddress.objects.filter(user=user)],
        # The kind and dates of a second factor, never its secret.
        "second_factors": [
            {"type": row.type, "created_at": row.created_at, "last_used_at": row.last_used_at}
            for row in Authenticator.objects.filter(user=user)
        ],
        "staff_assignments": [str(row.council) for row in StaffAssignment.objects.filter(user=user)],
    }


def _person_report(person: Person) -> dict:
    from reminders.models import Delivery, ReminderOptOut

    roles = {
        name: [_row(row, exclude={"person"}) for row in model._default_manager.filter(person=person).order_by("pk")]
        for name, model in _role_models().items()
    }
    history = {"person": _history(Person.history.filter(id=person.pk))}
    admin_log = _admin_log(Person, [person.pk])
    for name, model in _role_models().items():
        history[name] = _history(model.history.filter(person_id=person.pk))
        admin_log += _admin_log(model, [row["id"] for row in roles[name]])
    feed = CalendarFeed.objects.filter(person=person).first()
    return {
        "person": _row(person),
        "roles": roles,
        "user_account": _user_account(person.user),
        "reminder_opt_outs": [
            _row(row, exclude={"person"}) for row in ReminderOptOut.objects.filter(person=person).order_by("pk")
        ],
        "reminder_deliveries": [
            _row(row, exclude={"recipient"}) for row in Delivery.objects.filter(recipient=person).order_by("pk")
        ],
        # That a personal feed exists and when it was renewed; the secret URL is not given out here.
        "calendar_feed": None if feed is None else {"renewed_at": feed.rotated_at},
        "history": history,
        "admin_log": sorted(admin_log, key=lambda entry: entry["date"]),
    }


def find_subject(identifier: str) -> tuple[list[Person], set[str]]:
    """The people an e-mail address (now or ever theirs, or their login's) or a person's slug
    names, and every address of theirs the portal has held (lower case)."""
    identifier = identifier.strip()
    if "@" in identifier:
        ever = Person.history.filter(email__iexact=identifier).values("id")
        people = Person.objects.filter(Q(email__iexact=identifier) | Q(user__email__iexact=identifier) | Q(pk__in=ever))
    else:
        people = Person.objects.filter(slug=identifier)
    people = list(people.select_related("user", "party").order_by("pk"))
    addresses = {identifier.lower()} if "@" in identifier else set()
    for person in people:
        addresses |= {person.email.lower(), (person.user.email.lower() if person.user else "")}
        addresses |= {email.lower() for email in Person.history.filter(id=person.pk).values_list("email", flat=True)}
    return people, addresses - {""}


def subject_access_report(identifier: str) -> dict | None:
    """Everything the portal holds about the person an e-mail address or slug names, as one
    JSON-ready dict (``DjangoJSONEncoder`` for the dates); ``None`` if it holds nothing.

    Per person: the row, every role (council seats, KKR places, chair posts, appointments), the
    login (no password hash, no second-factor secret), reminder opt-outs and deliveries, whether
    there is a calendar feed (not its secret URL), and the audit trail of the person and of each
    role — who changed what and when — with the admin's log. Beside the people: secretariat
    contacts, opt-outs, deliveries and logins under any of their addresses.
    """
    from reminders.models import Delivery, ReminderOptOut

    people, addresses = find_subject(identifier)
    address_q = Q()
    for address in addresses:
        address_q |= Q(email__iexact=address)
    by_address = address_q if addresses else Q(pk__in=[])
    linked_users = {person.user_id for person in people}
    report = {
        "generated_at": timezone.now(),
        "request": identifier.strip(),
        "people": [_person_report(person) for person in people],
        "secretariat_contacts": [_row(row) for row in SecretariatContact.objects.filter(by_address).order_by("pk")],
        "reminder_opt_outs_by_address": [
            _row(row) for row in ReminderOptOut.objects.filter(by_address, person__isnull=True).order_by("pk")
        ],
        "reminder_deliveries_by_address": [
            _row(row) for row in Delivery.objects.filter(by_address, recipient__isnull=True).order_by("pk")
        ],
        "user_accounts": [
            _user_account(user)
            for user in get_user_model().objects.filter(by_address).exclude(pk__in=linked_users).order_by("pk")
        ],
    }
    if not any(report[key] for key in report if key not in ("generated_at", "request")):
        return None
    return report
