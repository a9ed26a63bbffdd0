"""Writes of the members app. Each function checks the rules before it saves."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import (
    CalendarFeed,
    Chairmanship,
    Council,
    CouncilSeat,
    ElectionPeriod,
    KKRMembership,
    Meeting,
    Municipality,
    Person,
)

DAY = dt.timedelta(days=1)


def _ensure_starts_after(current, started_on: dt.date, *, field: str = "started_on") -> None:
    """A successor takes over the day after; they cannot start before or with the current holder."""
    if current is not None and started_on <= current.started_on:
        raise ValidationError(
            {
                field: _("%(person)s har haft hvervet siden %(day)s; en efterfølger skal tiltræde senere.")
                % {"person": current.person, "day": date_format(current.started_on)}
            }
        )


def sync_ex_officio_membership(seat: CouncilSeat) -> None:
    """The ex officio places in KKR follow the mayoralty (selvskrevne medlemmer).

    A mayor is a member from the first day of the mayoralty and the deputy mayor is the
    mayor's substitute; when the seat ends, so does the place. Called by the services and by
    the admin after it saves a council seat, however the seat was recorded.
    """
    if seat.role == CouncilSeat.Role.MAYOR:
        membership = KKRMembership.objects.filter(mayoralty=seat).order_by("-started_on").first()
        if membership is None:
            _end_other_places(seat)
            membership = KKRMembership(
                person=seat.person,
                council=seat.municipality.council,
                period=seat.period,
                basis=KKRMembership.Basis.EX_OFFICIO,
                mayoralty=seat,
                started_on=seat.started_on,
                ended_on=seat.ended_on,
            )
            membership.save_checked()
            deputy = _open_seat(seat, CouncilSeat.Role.DEPUTY_MAYOR)
            if deputy is not None and seat.ended_on is None:
                _add_ex_officio_substitute(deputy, membership, max(deputy.started_on, seat.started_on))
        elif seat.ended_on is not None and membership.ended_on != seat.ended_on:
            end_membership(membership=membership, ended_on=seat.ended_on)
    elif seat.role == CouncilSeat.Role.DEPUTY_MAYOR:
        substitute = KKRMembership.objects.filter(mayoralty=seat, ended_on__isnull=True).first()
        already_in_kkr = KKRMembership.objects.filter(
            person=seat.person, council=seat.municipality.council, period=seat.period, ended_on__isnull=True
        ).exists()
        # A deputy mayor who already has a place in the KKR keeps it and is not the substitute.
        if substitute is None and seat.ended_on is None and not already_in_kkr:
            mayor = _open_seat(seat, CouncilSeat.Role.MAYOR)
            principal = KKRMembership.objects.filter(mayoralty=mayor, ended_on__isnull=True).first() if mayor else None
            if principal is not None:
                _add_ex_officio_substitute(seat, principal, max(seat.started_on, principal.started_on))
        elif substitute is not None and seat.ended_on is not None:
            substitute.ended_on = max(seat.ended_on, substitute.started_on)
            substitute.save_checked()


def _end_other_places(seat: CouncilSeat) -> None:
    """A new mayor's supplementary or KL board place gives way to the ex officio one."""
    for place in KKRMembership.objects.filter(
        person=seat.person, council=seat.municipality.council, period=seat.period, ended_on__isnull=True
    ):
        _ensure_starts_after(place, seat.started_on)
        end_membership(membership=place, ended_on=seat.started_on - DAY)


def _open_seat(seat: CouncilSeat, role: str) -> CouncilSeat | None:
    return CouncilSeat.objects.filter(
        municipality_id=seat.municipality_id, period_id=seat.period_id, role=role, ended_on__isnull=True
    ).first()


def _add_ex_officio_substitute(deputy: CouncilSeat, principal: KKRMembership, started_on: dt.date) -> None:
    KKRMembership(
        person=deputy.person,
        council=principal.council,
        period=principal.period,
        basis=KKRMembership.Basis.EX_OFFICIO,
        role=KKRMembership.Role.SUBSTITUTE,
        substitute_for=principal,
        mayoralty=deputy,
        started_on=started_on,
    ).save_checked()


@transaction.atomic
def add_council_seat(
    *,
    person: Person,
    municipality: Municipality,
    period: ElectionPeriod,
    started_on: dt.date,
    role: str = CouncilSeat.Role.MEMBER,
    ended_on: dt.date | None = None,
) -> CouncilSeat:
    """Record a seat in a municipal council; a mayoralty brings its ex officio KKR membership."""
    seat = CouncilSeat(
        person=person, municipality=municipality, period=period, role=role, started_on=started_on, ended_on=ended_on
    )
    seat.save_checked()
    sync_ex_officio_membership(seat)
    return seat


@transaction.atomic
def end_council_seat(*, seat: CouncilSeat, ended_on: dt.date) -> CouncilSeat:
    """End a council seat, and with a mayoralty the KKR membership (and substitutes) it carried."""
    seat.ended_on = ended_on
    seat.save_checked()
    sync_ex_officio_membership(seat)
    return seat


@transaction.atomic
def record_mayor(
    *, person: Person, municipality: Municipality, period: ElectionPeriod, started_on: dt.date
) -> CouncilSeat:
    """A new mayor. The previous mayor steps down the day before and stays a council member;
    the new mayor's own council seat becomes the mayoralty."""
    previous = (
        CouncilSeat.objects.select_for_update()
        .filter(municipality=municipality, period=period, role=CouncilSeat.Role.MAYOR, ended_on__isnull=True)
        .first()
    )
    own_seat = (
        CouncilSeat.objects.select_for_update().filter(person=person, period=period, ended_on__isnull=True).first()
    )
    _ensure_starts_after(previous, started_on)
    if previous is not None:
        end_council_seat(seat=previous, ended_on=started_on - DAY)
        add_council_seat(person=previous.person, municipality=municipality, period=period, started_on=started_on)
    if own_seat is not None and own_seat.started_on == started_on and own_seat.municipality_id == municipality.pk:
        # Elected mayor at the constituent meeting: the seat is the mayoralty from its first day.
        own_seat.role = CouncilSeat.Role.MAYOR
        own_seat.save_checked()
        sync_ex_officio_membership(own_seat)
        return own_seat
    if own_seat is not None:
        _ensure_starts_after(own_seat, started_on)
        end_council_seat(seat=own_seat, ended_on=started_on - DAY)
    return add_council_seat(
        person=person, municipality=municipality, period=period, started_on=started_on, role=CouncilSeat.Role.MAYOR
    )


@transaction.atomic
def add_membership(
    *,
    person: Person,
    council: Council,
    period: ElectionPeriod,
    basis: str,
    started_on: dt.date,
    substitute_for: KKRMembership | None = None,
) -> KKRMembership:
    """A supplementary or KL board member, or (with ``substitute_for``) a substitute."""
    membership = KKRMembership(
        person=person,
        council=council,
        period=period,
        basis=basis,
        role=KKRMembership.Role.SUBSTITUTE if substitute_for else KKRMembership.Role.MEMBER,
        substitute_for=substitute_for,
        started_on=started_on,
    )
    membership.save_checked()
    return membership


@transaction.atomic
def end_membership(*, membership: KKRMembership, ended_on: dt.date) -> KKRMembership:
    """End a membership; its substitutes, and a chair or vice-chair post it carried, end with it."""
    for substitute in membership.substitutes.filter(ended_on__isnull=True):
        substitute.ended_on = max(ended_on, substitute.started_on)
        substitute.save_checked()
    if membership.role == KKRMembership.Role.MEMBER:
        for post in Chairmanship.objects.filter(
            council=membership.council, period=membership.period, person=membership.person, ended_on__isnull=True
        ):
            post.ended_on = max(ended_on, post.started_on)
            post.save_checked()
    membership.ended_on = ended_on
    membership.save_checked()
    return membership


@transaction.atomic
def elect_chair(
    *,
    council: Council,
    period: ElectionPeriod,
    role: str,
    person: Person,
    started_on: dt.date,
    ended_on: dt.date | None = None,
) -> Chairmanship:
    """A new chair or vice-chair; the current holder of the post (if any) steps down the day before.

    ``ended_on`` records a post that is already over (history entered afterwards)."""
    current = (
        Chairmanship.objects.select_for_update()
        .filter(council=council, period=period, role=role, ended_on__isnull=True)
        .first()
    )
    _ensure_starts_after(current, started_on)
    if current is not None:
        current.ended_on = started_on - DAY
        current.save_checked()
    chairmanship = Chairmanship(
        council=council, period=period, role=role, person=person, started_on=started_on, ended_on=ended_on
    )
    chairmanship.save_checked()
    return chairmanship


# What a calendar shows as the meeting's when and where: a change is a new version of the event
# (its SEQUENCE), so calendar apps replace the copy they have instead of keeping the old time.
MEETING_CALENDAR_FIELDS = ("starts_at", "ends_at", "place")


def meeting_moved(*, meeting: Meeting, stored: Meeting | None = None) -> bool:
    """Whether saving ``meeting`` changes its calendar time or place; refuses to move a cancelled one.

    The admin's form calls it before saving (the message lands on the form), ``save_meeting`` again
    with the row locked.
    """
    if meeting.pk is None:
        return False
    if stored is None:
        stored = Meeting.objects.filter(pk=meeting.pk).first()
    if stored is None:
        return False
    moved = any(getattr(meeting, name) != getattr(stored, name) for name in MEETING_CALENDAR_FIELDS)
    if moved and stored.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("Et aflyst møde kan ikke flyttes. Opret et nyt møde i stedet."))
    return moved


@transaction.atomic
def save_meeting(*, meeting: Meeting) -> Meeting:
    """Create or change a meeting; a moved one (time or place changed) gets the next ``sequence``.

    The stored row is locked and compared, so two staff moving the same meeting at once give two
    versions, never one. A cancelled meeting is not moved (calendars have already removed it).
    """
    if meeting.pk is not None:
        stored = Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        if stored is not None:
            moved = meeting_moved(meeting=meeting, stored=stored)
            meeting.sequence = stored.sequence + 1 if moved else stored.sequence
    meeting.save_checked()
    return meeting


@transaction.atomic
def cancel_meeting(*, meeting: Meeting) -> Meeting:
    """Cancel a planned meeting: it stays in the calendar feeds as STATUS:CANCELLED, one version up."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError(
            _("%(meeting)s er %(status)s og kan ikke aflyses.")
            % {"meeting": meeting.title, "status": meeting.get_status_display()}
        )
    meeting.status = Meeting.Status.CANCELLED
    meeting.sequence += 1
    meeting.save_checked(update_fields=["status", "sequence"])
    return meeting


@transaction.atomic
def mark_meeting_held(*, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """Record that a planned meeting took place (only once it has begun)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError(
            _("%(meeting)s er %(status)s og kan ikke markeres som afholdt.")
            % {"meeting": meeting.title, "status": meeting.get_status_display()}
        )
    if meeting.starts_at > (now or timezone.now()):
        raise ValidationError(_("%(meeting)s er ikke begyndt endnu.") % {"meeting": meeting.title})
    meeting.status = Meeting.Status.HELD
    meeting.save_checked(update_fields=["status"])
    return meeting


@transaction.atomic
def ensure_calendar_feed(*, person: Person) -> CalendarFeed:
    """The person's personal calendar feed, made on first use (safe to call again)."""
    feed, _created = CalendarFeed.objects.get_or_create(person=person, defaults={"nonce": secrets.token_hex(32)})
    return feed


@transaction.atomic
def rotate_calendar_feed(*, person: Person) -> CalendarFeed:
    """A new secret for the person's feed: the old URL stops working at once (404)."""
    feed, _created = CalendarFeed.objects.update_or_create(
        person=person, defaults={"nonce": secrets.token_hex(32), "rotated_at": timezone.now()}
    )
    return feed
