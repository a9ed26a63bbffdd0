"""Writes of the members app. Each function checks the rules before it saves."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Chairmanship, Council, CouncilSeat, ElectionPeriod, KKRMembership, Municipality, Person

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
