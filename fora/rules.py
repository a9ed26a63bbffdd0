"""Rules on fora, seats and appointments that span tables (see members/rules.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from kkr_portal.db import ENDS_AFTER_START
from members.rules import check_within_period, holds_council_seat, overlapping


def check_forum(forum) -> None:
    if forum.successor_id and forum.pk and forum.successor_id == forum.pk:
        raise ValidationError({"successor": _("Et forum kan ikke afløse sig selv.")})


def check_seat(seat) -> None:
    previous = seat.previous_seat
    if previous is not None and seat.period_id and seat.forum_id:
        if previous.period.starts_on >= seat.period.starts_on:
            raise ValidationError({"previous_seat": _("Den fortsatte plads skal høre til en tidligere valgperiode.")})
        if previous.kind != seat.kind or previous.forum_id not in (seat.forum_id, *_predecessors(seat.forum)):
            raise ValidationError(
                {
                    "previous_seat": _(
                        "Den fortsatte plads skal være samme slags plads i samme forum eller dets forgænger."
                    )
                }
            )
    deputy_for = seat.deputy_for
    if deputy_for is None:
        return
    if deputy_for.kind != deputy_for.Kind.MEMBER:
        raise ValidationError({"deputy_for": _("En suppleant er suppleant for en medlemsplads.")})
    if deputy_for.forum_id != seat.forum_id or deputy_for.period_id != seat.period_id:
        raise ValidationError({"deputy_for": _("Medlemspladsen skal være i samme forum og valgperiode.")})


def _predecessors(forum) -> list[int]:
    """The fora this one replaced (a forum replaced mid-period keeps its seats' history)."""
    return list(forum.predecessors.values_list("pk", flat=True)) if forum and forum.pk else []


def check_status_move(old: str, new: str) -> None:
    """The appointment process allows only the moves in ``Appointment.NEXT_STATUS``."""
    from .models import Appointment

    if new not in Appointment.NEXT_STATUS[Appointment.Status(old)]:
        raise ValidationError(
            {
                "status": _("En udpegning kan ikke gå fra »%(old)s« til »%(new)s«.")
                % {"old": Appointment.Status(old).label, "new": Appointment.Status(new).label}
            }
        )


def check_appointment(appointment) -> None:
    """The process, dates inside the period, an eligible person, and one holder per seat at a time."""
    from .models import Appointment

    if appointment.pk is not None:
        stored = Appointment.objects.filter(pk=appointment.pk).values_list("status", flat=True).first()
        if stored is not None and stored != appointment.status:
            check_status_move(stored, appointment.status)
    if not (appointment.seat_id and appointment.starts_on):
        return
    if appointment.ended_on is not None and appointment.ended_on < appointment.starts_on:
        raise ValidationError({"ended_on": ENDS_AFTER_START})
    seat = appointment.seat
    period = seat.period
    # The end may pass the period's end: an appointee stays on as carry-over until replaced.
    check_within_period(appointment, start_field="starts_on", end_field="term_ends_on", period=period)
    council = seat.forum.council
    if appointment.person_id and not holds_council_seat(appointment.person_id, council.pk, appointment.starts_on):
        raise ValidationError(
            {
                "person": _(
                    "Personen kan ikke udpeges: en udpeget skal være medlem af kommunalbestyrelsen "
                    "i en af kommunerne i %(council)s, når udpegningen begynder."
                )
                % {"council": council}
            }
        )
    if appointment.decided_at_id and appointment.decided_at.council_id != council.pk:
        raise ValidationError({"decided_at": _("Mødet skal være et møde i %(council)s.") % {"council": council}})
    if appointment.appointed_on is not None:
        holder = overlapping(
            Appointment.objects.holding().filter(seat_id=seat.pk).alias(started_on=F("starts_on")),
            appointment.starts_on,
            appointment.ended_on,
            exclude_pk=appointment.pk,
        ).first()
        if holder is not None:
            raise ValidationError(
                {"seat": _("Pladsen er allerede besat af %(person)s i en del af perioden.") % {"person": holder.person}}
            )
