"""Writes of the members app. Each function checks the rules before it saves."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Chairmanship, Council, CouncilSeat, ElectionPeriod, KKRMembership, Municipality, Person


def _ensure_starts_after(current, started_on: dt.date, *, field: str = "started_on") -> None:
    """A successor takes over the day after; they cannot start before or with the current holder."""
    if current is not None and started_on <= current.started_on:
        raise ValidationError(
            {
                field: _("%(person)s har haft hvervet siden %(day)s; en efterfølger skal tiltræde senere.")
                % {"person": current.person, "day": date_format(current.started_on, "j. F Y")}
            }
        )


@transaction.atomic
def add_council_seat(
    *,
    person: Person,
    municipality: Municipality,
    period: ElectionPeriod,
    started_on: dt.date,
    role: str = CouncilSeat.Role.MEMBER,
) -> CouncilSeat:
    """Record a seat in a municipal council; a mayoralty brings its ex officio KKR membership."""
    seat = CouncilSeat(person=person, municipality=municipality, period=period, role=role, started_on=started_on)
    seat.save_checked()
    if role == CouncilSeat.Role.MAYOR:
        membership = KKRMembership(
            person=person,
            council=municipality.council,
            period=period,
            basis=KKRMembership.Basis.EX_OFFICIO,
            mayoralty=seat,
            started_on=started_on,
        )
        membership.save_checked()
    return seat


@transaction.atomic
def end_council_seat(*, seat: CouncilSeat, ended_on: dt.date) -> CouncilSeat:
    """End a council seat, and with a mayoralty the KKR membership (and substitutes) it carried."""
    seat.ended_on = ended_on
    seat.save_checked()
    for membership in KKRMembership.objects.filter(mayoralty=seat, ended_on__isnull=True):
        end_membership(membership=membership, ended_on=ended_on)
    return seat


@transaction.atomic
def record_mayor(
    *, person: Person, municipality: Municipality, period: ElectionPeriod, started_on: dt.date
) -> CouncilSeat:
    """A new mayor: the previous mayoralty (if any) ends the day before, the new one starts."""
    previous = (
        CouncilSeat.objects.select_for_update()
        .filter(municipality=municipality, period=period, role=CouncilSeat.Role.MAYOR, ended_on__isnull=True)
        .first()
    )
    own_seat = CouncilSeat.objects.filter(person=person, period=period, ended_on__isnull=True).first()
    _ensure_starts_after(previous, started_on)
    _ensure_starts_after(own_seat, started_on)
    if previous is not None:
        end_council_seat(seat=previous, ended_on=started_on - dt.timedelta(days=1))
    if own_seat is not None:
        # The new mayor already sits in the council as a member: that seat ends, the mayoralty begins.
        own_seat.ended_on = started_on - dt.timedelta(days=1)
        own_seat.save_checked()
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
    """End a membership; its substitutes end with it."""
    for substitute in membership.substitutes.filter(ended_on__isnull=True):
        substitute.ended_on = max(ended_on, substitute.started_on)
        substitute.save_checked()
    membership.ended_on = ended_on
    membership.save_checked()
    return membership


@transaction.atomic
def elect_chair(
    *, council: Council, period: ElectionPeriod, role: str, person: Person, started_on: dt.date
) -> Chairmanship:
    """A new chair or vice-chair; the current holder of the post (if any) steps down the day before."""
    current = (
        Chairmanship.objects.select_for_update()
        .filter(council=council, period=period, role=role, ended_on__isnull=True)
        .first()
    )
    _ensure_starts_after(current, started_on)
    if current is not None:
        current.ended_on = started_on - dt.timedelta(days=1)
        current.save_checked()
    chairmanship = Chairmanship(council=council, period=period, role=role, person=person, started_on=started_on)
    chairmanship.save_checked()
    return chairmanship
