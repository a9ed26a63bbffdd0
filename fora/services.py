"""Writes of the fora app: the appointment process, step by step."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kkr_portal import text
from members.models import Meeting, Person

from . import rules
from .models import Appointment, Seat


def _move(appointment: Appointment, status: str) -> None:
    rules.check_status_move(appointment.status, status)
    appointment.status = status


@transaction.atomic
def propose(
    *,
    seat: Seat,
    person: Person,
    starts_on: dt.date,
    term_ends_on: dt.date | None = None,
    decided_at: Meeting | None = None,
    note: str = "",
) -> Appointment:
    appointment = Appointment(
        seat=seat, person=person, starts_on=starts_on, term_ends_on=term_ends_on, decided_at=decided_at, note=note
    )
    appointment.save_checked()
    return appointment


@transaction.atomic
def nominate(*, appointment: Appointment, nominated_on: dt.date, decided_at: Meeting | None = None) -> Appointment:
    """The KKR nominates (indstiller); another body will appoint."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    _move(appointment, Appointment.Status.NOMINATED)
    appointment.nominated_on = nominated_on
    appointment.decided_at = decided_at or appointment.decided_at
    appointment.save_checked()
    return appointment


@transaction.atomic
def appoint(*, appointment: Appointment, appointed_on: dt.date, decided_at: Meeting | None = None) -> Appointment:
    """The appointment takes effect; a carry-over predecessor on the seat ends the day before."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    _move(appointment, Appointment.Status.APPOINTED)
    appointment.appointed_on = appointed_on
    appointment.decided_at = decided_at or appointment.decided_at
    # The holder until now: on this seat, or the carry-over on the seat it continues.
    seats = [appointment.seat_id, appointment.seat.previous_seat_id]
    for predecessor in (
        Appointment.objects.select_for_update()
        .filter(seat_id__in=[seat for seat in seats if seat], status=Appointment.Status.APPOINTED)
        .filter(starts_on__lt=appointment.starts_on)
        .exclude(pk=appointment.pk)
    ):
        end(
            appointment=predecessor,
            ended_on=appointment.starts_on - dt.timedelta(days=1),
            reason=Appointment.EndReason.TERM_EXPIRED,
        )
    appointment.save_checked()
    return appointment


@transaction.atomic
def end(*, appointment: Appointment, ended_on: dt.date, reason: str, note: str = "") -> Appointment:
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    _move(appointment, Appointment.Status.ENDED)
    appointment.ended_on = ended_on
    appointment.end_reason = reason
    if note:
        combined = f"{appointment.note}\n{note}".strip()
        if len(combined) > text.NOTE_MAX_LENGTH:
            # Said in the user's terms: the note is added to the one already there.
            raise ValidationError(
                {
                    "note": _(
                        "Bemærkningen kan ikke tilføjes: sammen med udpegningens bemærkning bliver den "
                        "%(length)s tegn, og en bemærkning må højst være %(limit)s tegn. Forkort den."
                    )
                    % {"length": len(combined), "limit": text.NOTE_MAX_LENGTH}
                }
            )
        appointment.note = combined
    appointment.save_checked()
    return appointment
