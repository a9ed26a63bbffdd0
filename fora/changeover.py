"""The new-period changeover of one KKR: after a municipal election, in one step.

``plan_changeover`` reads what the changeover would do (nothing is written): the new mayors and
the ex officio places they bring, the old period's memberships, chair posts and appointments that
end, the appointees who stay on as carry-over, and the fora's seats rebuilt in the new period as
vacancies continuing the old ones. ``apply_changeover`` writes exactly that in one transaction,
through the services, so every rule is checked as everywhere else. Nothing is deleted.

It lives in ``fora`` because it spans both apps and ``fora`` already builds on ``members``.

The preview carries a token (a digest of the planned changes); applying with a token that no
longer matches is refused, so the secretariat never applies something they did not see. Applying
a second time finds nothing left to do and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kkr_portal import scoping
from members import services as member_services
from members.models import Chairmanship, Council, CouncilSeat, ElectionPeriod, KKRMembership, Municipality, Person
from members.querysets import today

from . import services as fora_services
from .models import Appointment, Forum, Seat

PERIOD_FIELD = "period"


class StalePlan(ValidationError):
    """The data changed between the preview and "Anvend"."""


class BlockedPlan(ValidationError):
    """The plan has problems the secretariat must resolve by hand before it can be applied."""


def mayor_field(municipality: Municipality) -> str:
    """The name of the form field (and error key) for a municipality's new mayor."""
    return f"mayor_{municipality.code}"


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MayorChange:
    municipality: Municipality
    person: Person
    started_on: dt.date
    converts_seat: bool  # the person's seat in the new period becomes the mayoralty
    deputy: Person | None  # the deputy mayor who becomes the ex officio substitute


@dataclass(frozen=True)
class PlannedMembership:
    person: Person
    basis_label: str
    role_label: str
    started_on: dt.date
    municipality: Municipality


@dataclass(frozen=True)
class EndedAppointment:
    appointment: Appointment
    ended_on: dt.date
    reason: str

    @property
    def reason_label(self) -> str:
        return Appointment.EndReason(self.reason).label


@dataclass(frozen=True)
class PlannedSeat:
    previous: Seat  # the old period's seat the new one continues
    forum: Forum
    existing: Seat | None = None  # a seat of the new period with the same label: linked, not created


@dataclass(frozen=True)
class SeatCollision:
    """An old seat that cannot continue: the new period already has a seat with its label, and that
    seat continues a different seat. Creating another would duplicate the label; linking would
    silently re-point the other continuation. Only the secretariat knows which seat is which."""

    previous: Seat
    forum: Forum
    existing: Seat

    @property
    def message(self) -> str:
        return _(
            "Pladsen »%(label)s« i %(forum)s kan ikke videreføres: valgperioden %(period)s har allerede en "
            "plads »%(label)s«, som fortsætter pladsen »%(other)s«. Giv en af pladserne en anden betegnelse, "
            "eller ret hvilken plads den fortsætter, og lav forhåndsvisningen igen."
        ) % {
            "label": self.previous.label,
            "forum": self.forum,
            "period": self.existing.period,
            "other": self.existing.previous_seat.label,
        }


@dataclass
class ChangeoverPlan:
    council: Council
    old_period: ElectionPeriod
    new_period: ElectionPeriod
    mayors: list[MayorChange] = field(default_factory=list)
    memberships_created: list[PlannedMembership] = field(default_factory=list)
    memberships_ended: list[KKRMembership] = field(default_factory=list)
    chairmanships_ended: list[Chairmanship] = field(default_factory=list)
    appointments_ended: list[EndedAppointment] = field(default_factory=list)
    appointments_carried_over: list[Appointment] = field(default_factory=list)
    seats_created: list[PlannedSeat] = field(default_factory=list)
    seats_linked: list[PlannedSeat] = field(default_factory=list)
    fora_skipped: list[Forum] = field(default_factory=list)
    seat_collisions: list[SeatCollision] = field(default_factory=list)

    @property
    def ends_on(self) -> dt.date:
        return self.old_period.ends_on

    @property
    def has_changes(self) -> bool:
        # Carry-overs and skipped fora are reported, not written.
        return bool(
            self.mayors
            or self.memberships_ended
            or self.chairmanships_ended
            or self.appointments_ended
            or self.seats_created
            or self.seats_linked
        )

    @property
    def problems(self) -> list[str]:
        """What blocks applying the plan, in Danish."""
        return [collision.message for collision in self.seat_collisions]

    @property
    def can_apply(self) -> bool:
        return self.has_changes and not self.problems

    @property
    def token(self) -> str:
        """A digest of every change the plan would write: it differs as soon as the data does."""
        parts = [
            f"council:{self.council.pk}",
            f"periods:{self.old_period.pk}>{self.new_period.pk}",
            *(f"mayor:{m.municipality.pk}:{m.person.pk}:{m.started_on}" for m in self.mayors),
            *(f"membership:{m.pk}" for m in self.memberships_ended),
            *(f"chair:{c.pk}" for c in self.chairmanships_ended),
            *(f"end:{e.appointment.pk}:{e.appointment.status}:{e.reason}" for e in self.appointments_ended),
            *(f"seat:{s.previous.pk}" for s in self.seats_created),
            *(f"link:{s.previous.pk}:{s.existing.pk}" for s in self.seats_linked),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


@dataclass
class ChangeoverResult:
    """What ``apply_changeover`` wrote: ids per kind of row, for the summary's links."""

    council_seats: list[int] = field(default_factory=list)
    memberships_created: list[int] = field(default_factory=list)
    memberships_ended: list[int] = field(default_factory=list)
    chairmanships_ended: list[int] = field(default_factory=list)
    appointments_ended: list[int] = field(default_factory=list)
    appointments_carried_over: list[int] = field(default_factory=list)
    seats_created: list[int] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(
            (
                self.council_seats,
                self.memberships_created,
                self.memberships_ended,
                self.chairmanships_ended,
                self.appointments_ended,
                self.seats_created,
            )
        )

    def as_dict(self) -> dict[str, list[int]]:
        return {name: list(getattr(self, name)) for name in self.__dataclass_fields__}


# --- checks ------------------------------------------------------------------------------------


def previous_period(period: ElectionPeriod) -> ElectionPeriod | None:
    return ElectionPeriod.objects.filter(starts_on__lt=period.starts_on).order_by("-starts_on").first()


def eligible_periods(on: dt.date | None = None) -> list[ElectionPeriod]:
    """The periods a KKR can change over to: the next period, or the current one (the constituent
    meeting is usually held in the new period's first months) — never one that is over."""
    on = on or today()
    periods = list(ElectionPeriod.objects.order_by("starts_on"))
    return [
        period
        for index, period in enumerate(periods)
        if index > 0 and period.ends_on >= on and periods[index - 1].starts_on <= on
    ]


def check_new_period(new_period: ElectionPeriod, on: dt.date | None = None) -> ElectionPeriod:
    """The period before ``new_period``, if the changeover to it is allowed today."""
    if new_period not in eligible_periods(on):
        raise ValidationError(
            {
                PERIOD_FIELD: _(
                    "Valgperioden %(period)s kan ikke vælges: vælg den valgperiode, der følger efter den "
                    "nuværende (eller den nye, netop begyndte valgperiode)."
                )
                % {"period": new_period}
            }
        )
    return previous_period(new_period)


def _open_seats(new_period: ElectionPeriod, people) -> dict[int, CouncilSeat]:
    return {
        seat.person_id: seat
        for seat in CouncilSeat.objects.filter(period=new_period, person__in=people, ended_on__isnull=True)
        .select_related("municipality")
        .order_by("started_on")
    }


def _plan_mayors(
    council: Council, old: ElectionPeriod, new: ElectionPeriod, mayors: Mapping[Municipality, Person | None]
) -> list[MayorChange]:
    chosen = {municipality: person for municipality, person in mayors.items() if person is not None}
    errors: dict[str, list[str]] = {}
    for municipality in chosen:
        if municipality.council_id != council.pk:
            # A forged municipality: the form never offers one of another KKR.
            raise ValidationError(_("Kommunen hører ikke til %(council)s.") % {"council": council})
    people = list(chosen.values())
    in_new = _open_seats(new, people)
    sat_in_old = set(
        CouncilSeat.objects.filter(period=old, person__in=people).values_list("person_id", "municipality_id")
    )
    current_mayors = {
        seat.municipality_id: seat
        for seat in CouncilSeat.objects.filter(
            period=new, role=CouncilSeat.Role.MAYOR, ended_on__isnull=True, municipality__in=list(chosen)
        ).select_related("person")
    }
    deputies = {
        seat.municipality_id: seat.person
        for seat in CouncilSeat.objects.filter(
            period=new, role=CouncilSeat.Role.DEPUTY_MAYOR, ended_on__isnull=True, municipality__in=list(chosen)
        ).select_related("person")
    }
    seen: dict[int, Municipality] = {}
    changes = []
    for municipality, person in sorted(chosen.items(), key=lambda item: item[0].name):
        key = mayor_field(municipality)
        current = current_mayors.get(municipality.pk)
        if current is not None and current.person_id == person.pk:
            continue  # already recorded: nothing to change
        if current is not None:
            errors.setdefault(key, []).append(
                _("%(municipality)s har allerede %(person)s som borgmester i valgperioden %(period)s.")
                % {"municipality": municipality, "person": current.person, "period": new}
            )
            continue
        if person.pk in seen:
            errors.setdefault(key, []).append(
                _("%(person)s er allerede valgt som borgmester i %(other)s.")
                % {"person": person, "other": seen[person.pk]}
            )
            continue
        seen[person.pk] = municipality
        own = in_new.get(person.pk)
        if own is not None and own.role == CouncilSeat.Role.DEPUTY_MAYOR:
            errors.setdefault(key, []).append(
                _("%(person)s er viceborgmester i valgperioden %(period)s. Afslut først viceborgmesterhvervet.")
                % {"person": person, "period": new}
            )
            continue
        if own is not None and own.municipality_id != municipality.pk:
            errors.setdefault(key, []).append(
                _("%(person)s sidder i kommunalbestyrelsen i %(other)s i valgperioden %(period)s, ikke i %(here)s.")
                % {"person": person, "other": own.municipality, "period": new, "here": municipality}
            )
            continue
        if own is None and (person.pk, municipality.pk) not in sat_in_old:
            errors.setdefault(key, []).append(
                _(
                    "%(person)s sidder ikke i kommunalbestyrelsen i %(municipality)s. Registrér først "
                    "personens mandat i den nye valgperiode."
                )
                % {"person": person, "municipality": municipality}
            )
            continue
        deputy = deputies.get(municipality.pk)
        changes.append(
            MayorChange(
                municipality=municipality,
                person=person,
                started_on=own.started_on if own is not None else new.starts_on,
                converts_seat=own is not None,
                deputy=deputy if deputy is not None and deputy.pk != person.pk else None,
            )
        )
    if errors:
        raise ValidationError(errors)
    return changes


# --- reading the plan -------------------------------------------------------------------------


def plan_changeover(
    *,
    council: Council,
    new_period: ElectionPeriod,
    mayors: Mapping[Municipality, Person | None] | None = None,
    on: dt.date | None = None,
) -> ChangeoverPlan:
    """Every change the changeover of ``council`` to ``new_period`` would make. Writes nothing.

    Raises ValidationError (keyed by ``PERIOD_FIELD`` and ``mayor_field(...)``) on bad input.
    """
    old = check_new_period(new_period, on)
    plan = ChangeoverPlan(council=council, old_period=old, new_period=new_period)
    plan.mayors = _plan_mayors(council, old, new_period, mayors or {})
    ex_officio = KKRMembership.Basis.EX_OFFICIO.label
    for change in plan.mayors:
        plan.memberships_created.append(
            PlannedMembership(
                change.person, ex_officio, KKRMembership.Role.MEMBER.label, change.started_on, change.municipality
            )
        )
        if change.deputy is not None:
            plan.memberships_created.append(
                PlannedMembership(
                    change.deputy,
                    ex_officio,
                    KKRMembership.Role.SUBSTITUTE.label,
                    change.started_on,
                    change.municipality,
                )
            )

    plan.memberships_ended = list(
        KKRMembership.objects.filter(council=council, period=old, ended_on__isnull=True)
        .select_related("person", "substitute_for__person")
        .order_by("role", "person__sort_name")
    )
    plan.chairmanships_ended = list(
        Chairmanship.objects.filter(council=council, period=old, ended_on__isnull=True).select_related("person")
    )

    # The seats: each old seat continues in the new period unless its forum is gone by then.
    # Member seats before deputy seats: a deputy seat is tied to its member seat's continuation.
    old_seats = sorted(
        Seat.objects.filter(forum__council=council, period=old).select_related("forum", "deputy_for"),
        key=lambda seat: (seat.forum.name, seat.kind != Seat.Kind.MEMBER, seat.position, seat.label),
    )
    already_continued = set(Seat.objects.filter(previous_seat__in=old_seats).values_list("previous_seat_id", flat=True))
    # Every seat of the new period, also those continuing another seat: a label is unique per
    # forum and period, so any of them would collide with a seat created under the same label.
    same_label = {
        (seat.forum_id, seat.label): seat
        for seat in Seat.objects.filter(forum__council=council, period=new_period).select_related(
            "period", "previous_seat"
        )
    }
    continuing: set[int] = set(already_continued)
    skipped: dict[int, Forum] = {}
    for seat in old_seats:
        forum = seat.forum
        if forum.dissolved_on is not None and forum.dissolved_on < new_period.starts_on:
            skipped[forum.pk] = forum
            continue
        if seat.pk in already_continued:
            continue
        existing = same_label.get((forum.pk, seat.label))
        if existing is not None:
            if existing.previous_seat_id is not None:  # continues another seat (this one's was caught above)
                plan.seat_collisions.append(SeatCollision(seat, forum, existing))
                continue
            if existing.kind == seat.kind:
                plan.seats_linked.append(PlannedSeat(seat, forum, existing))
                continuing.add(seat.pk)
            continue
        if seat.kind == Seat.Kind.DEPUTY and seat.deputy_for_id not in continuing:
            continue  # a deputy seat needs its member seat in the new period
        plan.seats_created.append(PlannedSeat(seat, forum))
        continuing.add(seat.pk)
    plan.fora_skipped = sorted(skipped.values(), key=lambda forum: forum.name)

    # The appointments: holders stay on as carry-over where their seat continues.
    for appointment in (
        Appointment.objects.filter(seat__in=old_seats, ended_on__isnull=True)
        .select_related("person", "seat__forum", "seat__period")
        .order_by("seat__forum__name", "seat__position", "seat__label")
    ):
        if appointment.status == Appointment.Status.APPOINTED and appointment.seat_id in continuing:
            plan.appointments_carried_over.append(appointment)
            continue
        if appointment.status == Appointment.Status.APPOINTED:
            reason = (
                Appointment.EndReason.FORUM_DISSOLVED
                if appointment.seat.forum_id in skipped
                else Appointment.EndReason.TERM_EXPIRED
            )
            dissolved = appointment.seat.forum.dissolved_on
            ended_on = min(old.ends_on, dissolved) if reason == Appointment.EndReason.FORUM_DISSOLVED else old.ends_on
        else:
            # A proposal or nomination for the old period's seat is not pursued further.
            reason = Appointment.EndReason.WITHDRAWN
            ended_on = old.ends_on
        plan.appointments_ended.append(EndedAppointment(appointment, max(ended_on, appointment.starts_on), reason))
    return plan


# --- applying it ------------------------------------------------------------------------------


def _check_access(*, council: Council, mayors: Mapping[Municipality, Person | None], user) -> None:
    """The views check this too; the service refuses a forged council or person on its own."""
    if user is None or scoping.sees_everything(user):
        return
    if not scoping.councils_of(user).filter(pk=council.pk).exists():
        raise PermissionDenied
    people = [person.pk for person in mayors.values() if person is not None]
    if len(people) != scoping.scope(Person.objects.filter(pk__in=people), user).count():
        raise PermissionDenied


@transaction.atomic
def apply_changeover(
    *,
    council: Council,
    new_period: ElectionPeriod,
    mayors: Mapping[Municipality, Person | None] | None = None,
    expected_token: str | None = None,
    user=None,
    on: dt.date | None = None,
) -> ChangeoverResult:
    """Write the plan in one transaction; refuse it if it is not the plan that was previewed, or if
    it has problems (``BlockedPlan``).

    A second run finds nothing left to do and returns an empty result.
    """
    mayors = mayors or {}
    _check_access(council=council, mayors=mayors, user=user)
    # Two secretaries pressing "Anvend" at once: the second waits, then finds nothing to do.
    Council.objects.select_for_update().filter(pk=council.pk).first()
    plan = plan_changeover(council=council, new_period=new_period, mayors=mayors, on=on)
    if plan.problems:
        raise BlockedPlan(plan.problems)
    result = ChangeoverResult(appointments_carried_over=[a.pk for a in plan.appointments_carried_over])
    if not plan.has_changes:
        return result
    if expected_token is not None and expected_token != plan.token:
        raise StalePlan(
            _(
                "Data er ændret, siden forhåndsvisningen blev lavet (fx af en kollega). Intet er ændret. "
                "Se den nye forhåndsvisning igennem, og anvend den igen."
            )
        )
    ends_on = plan.ends_on

    for post in plan.chairmanships_ended:
        post.refresh_from_db()
        if post.ended_on is None:
            post.ended_on = max(ends_on, post.started_on)
            post.save_checked()
            result.chairmanships_ended.append(post.pk)
    # Members first: ending one ends its substitutes (and any chair post) with it.
    for membership in sorted(plan.memberships_ended, key=lambda m: m.role != KKRMembership.Role.MEMBER):
        membership.refresh_from_db()
        if membership.ended_on is None:
            member_services.end_membership(membership=membership, ended_on=max(ends_on, membership.started_on))
    result.memberships_ended = [m.pk for m in plan.memberships_ended]

    for ended in plan.appointments_ended:
        fora_services.end(
            appointment=ended.appointment,
            ended_on=ended.ended_on,
            reason=ended.reason,
            note=_("Afsluttet ved skiftet til valgperioden %(period)s.") % {"period": new_period},
        )
        result.appointments_ended.append(ended.appointment.pk)

    new_seats: dict[int, Seat] = {
        seat.previous_seat_id: seat for seat in Seat.objects.filter(period=new_period, previous_seat__isnull=False)
    }
    for planned in plan.seats_linked:
        planned.existing.previous_seat = planned.previous
        planned.existing.save_checked()
        new_seats[planned.previous.pk] = planned.existing
    for planned in plan.seats_created:
        old = planned.previous
        seat = Seat(
            forum=old.forum,
            period=new_period,
            label=old.label,
            kind=old.kind,
            deputy_for=new_seats.get(old.deputy_for_id) if old.deputy_for_id else None,
            mode=old.mode,
            appointing_body=old.appointing_body,
            recommended_by=old.recommended_by,
            position=old.position,
            previous_seat=old,
        )
        seat.save_checked()
        new_seats[old.pk] = seat
        result.seats_created.append(seat.pk)

    before = set(KKRMembership.objects.filter(council=council, period=new_period).values_list("pk", flat=True))
    for change in plan.mayors:
        seat = member_services.record_mayor(
            person=change.person, municipality=change.municipality, period=new_period, started_on=change.started_on
        )
        result.council_seats.append(seat.pk)
    result.memberships_created = sorted(
        set(KKRMembership.objects.filter(council=council, period=new_period).values_list("pk", flat=True)) - before
    )
    return result
