"""Writes of the reminders app: preferences, planning the outbox, sending one delivery, retrying.

The pipeline (DESIGN.md, "The pipeline in detail"): the plan task inserts the deliveries that
have come due under a unique constraint (a second tick adds nothing), then queues one send task
per ready row after the commit. The send task locks its row, re-checks the occasion and the
recipient, sends and marks the row sent in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from members.models import Person

from . import querysets, smtp
from .models import Delivery, ReminderKind, ReminderOptOut, ReminderRule

logger = logging.getLogger(__name__)

# Rows per INSERT when planning: few round trips, statements of a few MB at most.
PLAN_BATCH_SIZE = 5_000


# --- preferences ------------------------------------------------------------------------------


def wanted_kinds(person: Person) -> set[str]:
    """The kinds of reminder the person receives: every kind they have not turned off."""
    opted_out = set(ReminderOptOut.objects.filter(person=person).values_list("kind", flat=True))
    return set(ReminderKind.values) - opted_out


@transaction.atomic
def set_reminder_preferences(*, person: Person, wanted_kinds: set[str]) -> None:
    """Opt the person out of exactly the kinds they do not want; running it twice changes nothing."""
    unknown = set(wanted_kinds) - set(ReminderKind.values)
    if unknown:
        raise ValueError(f"Unknown reminder kinds: {sorted(unknown)}")
    unwanted = set(ReminderKind.values) - set(wanted_kinds)
    ReminderOptOut.objects.filter(person=person).exclude(kind__in=unwanted).delete()
    # ignore_conflicts: a concurrent save of the same form must not fail on the unique constraint.
    ReminderOptOut.objects.bulk_create(
        [ReminderOptOut(person=person, kind=kind) for kind in sorted(unwanted)], ignore_conflicts=True
    )


@transaction.atomic
def unsubscribe(*, person: Person, kind: str) -> None:
    """Turn one kind off (the one-click link in a reminder); harmless when it is off already."""
    set_reminder_preferences(person=person, wanted_kinds=wanted_kinds(person) - {kind})


@transaction.atomic
def unsubscribe_address(*, email: str, kind: str) -> None:
    """Turn one kind off for a secretariat contact's address (they have no Min side); harmless
    when it is off already."""
    if kind not in ReminderKind.values:
        raise ValueError(f"Unknown reminder kind: {kind}")
    if not ReminderOptOut.objects.filter(person__isnull=True, email__iexact=email, kind=kind).exists():
        # ignore_conflicts: two clicks at once must not fail on the unique constraint.
        ReminderOptOut.objects.bulk_create([ReminderOptOut(email=email.lower(), kind=kind)], ignore_conflicts=True)


# --- planning ---------------------------------------------------------------------------------


def _queue(delivery_ids: list[int], *, countdown: float | None = None) -> None:
    from .tasks import send_delivery

    for delivery_id in delivery_ids:
        send_delivery.apply_async((delivery_id,), countdown=countdown)


@transaction.atomic
def plan_deliveries(*, now: dt.datetime | None = None) -> int:
    """Insert the deliveries that have come due; returns how many rows the rules asked for.

    The unique constraints settle duplicates: a second tick, or two at once, inserts nothing new.
    A row the plan asks for that exists as skipped was skipped for a reason that has gone away
    since (an opt-out turned back on, a rule switched on again, a meeting moved back, a
    membership restored): it is made pending again, so the reminder is not lost. Sent and failed
    rows are never touched.

    Set-based: the occasions are read once per kind and the recipients of all of them in two
    queries, so the number of queries does not grow with the number of occasions.
    """
    now = now or timezone.now()
    due = querysets.due_occasions(ReminderRule.objects.filter(is_active=True), now)
    if not due:
        return 0
    # Few rows are skipped for occasions still ahead: one read spares an UPDATE per occasion.
    skipped = set(
        Delivery.objects.filter(status=Delivery.Status.SKIPPED, occasion_at__gt=now).values_list(
            "rule_id", "occasion_type", "occasion_id", "occasion_at"
        )
    )
    rows, revive = [], []
    for (rule, occasion), recipients in zip(due, querysets.recipients_of(due), strict=True):
        due_at = querysets.due_at(occasion.at, rule.days_before)
        wanted = sorted(recipients, key=lambda r: (r[1], r[0] or 0))
        rows.extend(
            (rule.pk, occasion.kind, occasion.pk, occasion.at, occasion.council_id, person_id, email, due_at)
            for person_id, email in wanted
        )
        if wanted and (rule.pk, occasion.kind, occasion.pk, occasion.at) in skipped:
            revive.append((rule, occasion, wanted))
    _revive_skipped(revive)
    for start in range(0, len(rows), PLAN_BATCH_SIZE):
        _insert_planned(rows[start : start + PLAN_BATCH_SIZE])
    return len(rows)


# The columns planning fills, in the order of the row tuples; the others get what a new
# Delivery() has (pending, no attempts, created now).
PLANNED_FIELDS = ("rule", "occasion_type", "occasion_id", "occasion_at", "council", "recipient", "email", "due_at")


def _insert_planned(rows: list[tuple]) -> None:
    """``bulk_create(ignore_conflicts=True)`` of planned rows, given as tuples of ``PLANNED_FIELDS``.

    On PostgreSQL one ``INSERT … SELECT … FROM unnest(…) ON CONFLICT DO NOTHING`` with the rows
    passed column by column: bulk_create builds and converts a model instance per row, which
    cost more than the database's own work (0.5 of 0.8 s for 10,000 rows in the benchmark).
    """
    meta = Delivery._meta
    planned = [meta.get_field(name) for name in PLANNED_FIELDS]
    if connection.vendor != "postgresql":
        attnames = [field.attname for field in planned]
        objs = [Delivery(**dict(zip(attnames, row, strict=True))) for row in rows]
        Delivery.objects.bulk_create(objs, ignore_conflicts=True)
        return
    others = [field for field in meta.concrete_fields if not field.primary_key and field not in planned]
    new = Delivery()
    constants = [field.get_db_prep_save(field.pre_save(new, add=True), connection) for field in others]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in [*planned, *others])
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in planned)
    values = ", ".join(["%s"] * len(others))
    # Identifiers and types come from the model's own metadata; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT *, {values} FROM unnest({arrays}) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, *(list(column) for column in zip(*rows, strict=True))])


def _revive_skipped(revive: list[tuple[ReminderRule, querysets.Occasion, list[querysets.Recipient]]]) -> None:
    """Make the skipped rows of each (rule, occasion) pending again for the recipients wanted now,
    in one UPDATE."""
    if not revive:
        return
    rows = Q()
    for rule, occasion, wanted in revive:
        people = [person_id for person_id, _email in wanted if person_id is not None]
        addresses = [email for person_id, email in wanted if person_id is None]
        rows |= Q(
            Q(recipient_id__in=people) | Q(recipient__isnull=True, email__in=addresses),
            rule=rule,
            occasion_type=occasion.kind,
            occasion_id=occasion.pk,
            occasion_at=occasion.at,
        )
    Delivery.objects.filter(rows, status=Delivery.Status.SKIPPED).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=None, queued_at=None, last_error=""
    )


@transaction.atomic
def queue_ready_deliveries(*, now: dt.datetime | None = None) -> list[int]:
    """Queue one send task, after the commit, for every ready row no task is waiting for.

    New rows have no ``queued_at``; a row queued long ago lost its message (Redis is disposable,
    the database is the truth). ``skip_locked``: two ticks at once queue each row once.
    """
    now = now or timezone.now()
    ids = list(
        Delivery.objects.to_queue(now)
        .order_by("due_at", "pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    if ids:
        Delivery.objects.filter(pk__in=ids).update(queued_at=now)
        transaction.on_commit(lambda: _queue(ids))
    return ids


@transaction.atomic
def retry_failed(*, deliveries) -> int:
    """Give failed deliveries a fresh set of attempts and queue them after the commit."""
    ids = list(deliveries.filter(status=Delivery.Status.FAILED).values_list("pk", flat=True))
    now = timezone.now()
    Delivery.objects.filter(pk__in=ids).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=None, queued_at=now
    )
    if ids:
        transaction.on_commit(lambda: _queue(ids))
    return len(ids)


# --- sending ----------------------------------------------------------------------------------


class TransientError(Exception):
    """The SMTP server may accept the message later: 4xx, timeout, connection refused."""


def classify(error: BaseException) -> bool:
    """``True`` if the error is worth retrying, ``False`` if it is permanent (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return any(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPException | OSError | socket.timeout | SoftTimeLimitExceeded)


def _still_due(delivery: Delivery, now: dt.datetime) -> tuple[querysets.Occasion | None, str]:
    """The occasion as it is now, and why the delivery must not be sent any more (``""``: send it).

    A person is re-checked by who they are, not by the address planned: the row is then sent to
    their current address (``email`` is updated to it). A secretariat contact is their address.
    The occasion and the recipient are read in one query (``querysets.recheck``).
    """
    if not delivery.rule.is_active:
        return None, "Reglen er slået fra."
    occasion, current = querysets.recheck(delivery)
    if occasion is None:
        return None, "Anledningen findes ikke længere, er aflyst, gennemført eller ophørt."
    if occasion.at != delivery.occasion_at:
        return None, "Anledningen er flyttet; påmindelsen for det nye tidspunkt planlægges for sig."
    if occasion.at <= now:
        return None, "Anledningen er overstået."
    if current is None:
        if delivery.recipient_id is not None:
            return None, "Personen skal ikke længere have påmindelsen (fravalgt, uden e-mail eller ikke længere med)."
        return None, "Adressen skal ikke længere have påmindelsen (frameldt eller ikke længere kontakt)."
    delivery.email = current
    return occasion, ""


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.REMINDERS_RETRY_BACKOFF * 2 ** (attempts - 1))


def send_delivery(*, delivery_id: int) -> str:
    """Send one delivery at most once; returns what happened (for logs and tests).

    The row stays locked from the re-check until the outcome is committed, so a second task for
    the same row (a redelivered message, a second worker) finds it locked or no longer pending
    and does nothing. The SMTP connection is this worker process's own, kept open from one task
    to the next (``reminders.smtp``: checked before use, dropped after any error) rather than
    opened and closed by ``EmailMessage.send()``: the row is marked sent as soon as the server
    has accepted the message, and an error while saying goodbye (a timeout or 421 on QUIT, the
    soft time limit) is logged and ignored instead of being taken for a failed send and sending
    it again.

    The one ambiguous case left: the SMTP server accepted the message and the worker died before
    the commit. The row is still pending and is sent again when its message is redelivered or
    re-queued: a duplicate, at most one per killed worker process, within the milliseconds
    between the server's "250" and the commit; its Message-ID is the same, so mail clients fold it.
    """
    backend = None
    try:
        with transaction.atomic():
            now = timezone.now()
            delivery = querysets.lock_ready(delivery_id, now)
            if delivery is None:
                return "not ready"
            occasion, reason = _still_due(delivery, now)
            if occasion is None:
                delivery.status = Delivery.Status.SKIPPED
                delivery.last_error = reason
                delivery.save(update_fields=["status", "last_error"])
                return "skipped"
            delivery.attempts += 1
            try:
                message = _message(delivery, occasion)
                backend = smtp.acquire()
                if backend.send_messages([message]) != 1:
                    raise RuntimeError("The mail backend sent nothing.")
            except Exception as error:
                # Whatever the server was in the middle of, that connection is not used again.
                smtp.drop(backend)
                backend = None
                # Anything else than a transient SMTP error (a 5xx, a bug in a template) would fail
                # the same way again: the row is failed at once, with the error, for the admin to see.
                transient = classify(error)
                if not transient:
                    # The server's answer names the address: the log names the delivery and the
                    # kind of error (the admin shows the whole answer); a bug keeps its traceback.
                    logger.error(
                        "Reminder %s cannot be sent: %s",
                        delivery.pk,
                        type(error).__name__,
                        exc_info=not isinstance(error, smtplib.SMTPException),
                    )
                retry = transient and delivery.attempts < settings.REMINDERS_MAX_ATTEMPTS
                return _record_failure(delivery, error, retry=retry)
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "sent_at", "attempts", "email", "last_error", "next_attempt_at"])
            return "sent"
    finally:
        # After the commit: the outcome is recorded whatever happens on QUIT.
        if backend is not None:
            smtp.release(backend)


def _message(delivery: Delivery, occasion: querysets.Occasion):
    from .emails import reminder_message

    return reminder_message(delivery, occasion)


def _record_failure(delivery: Delivery, error: BaseException, *, retry: bool) -> str:
    delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
    if retry:
        backoff = _backoff(delivery.attempts)
        delivery.next_attempt_at = timezone.now() + backoff
        # The sweep leaves the row to the retry queued below until it is overdue itself.
        delivery.queued_at = delivery.next_attempt_at
        delivery.save(update_fields=["attempts", "last_error", "next_attempt_at", "queued_at"])
        delivery_id = delivery.pk
        transaction.on_commit(lambda: _queue([delivery_id], countdown=backoff.total_seconds()))
        logger.warning(
            "Reminder %s: attempt %s failed, retrying: %s", delivery.pk, delivery.attempts, type(error).__name__
        )
        return "retry"
    delivery.status = Delivery.Status.FAILED
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    logger.error("Reminder %s failed after %s attempt(s): %s", delivery.pk, delivery.attempts, type(error).__name__)
    return "failed"
