"""Rules the database cannot hold on its own (they span tables).

Each function is called by the model's ``clean()`` and by the services, so the admin, forms,
imports and services all refuse the same mistakes with the same Danish message.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _


def overlapping(queryset: QuerySet, started_on: dt.date, ended_on: dt.date | None, *, exclude_pk=None) -> QuerySet:
    """Rows of ``queryset`` whose ``started_on``..``ended_on`` overlaps the given span."""
    rows = queryset.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=started_on))
    if ended_on is not None:
        rows = rows.filter(started_on__lte=ended_on)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows


def _day(value: dt.date) -> str:
    return date_format(value)


def check_within_period(obj, *, start_field: str = "started_on", end_field: str = "ended_on", period=None) -> None:
    """A dated row's start (and end, if any) lie inside its election period."""
    period = period or getattr(obj, "period", None)
    started_on = getattr(obj, start_field)
    ended_on = getattr(obj, end_field)
    if period is None or started_on is None:
        return
    errors = {}
    if not period.contains(started_on):
        errors[start_field] = _("Datoen skal ligge i valgperioden %(period)s (%(start)s – %(end)s).") % {
            "period": period,
            "start": _day(period.starts_on),
            "end": _day(period.ends_on),
        }
    if ended_on is not None and not period.contains(ended_on):
        errors[end_field] = _("Datoen skal ligge i valgperioden %(period)s (%(start)s – %(end)s).") % {
            "period": period,
            "start": _day(period.starts_on),
            "end": _day(period.ends_on),
        }
    if errors:
        raise ValidationError(errors)


def check_election_period(period) -> None:
    from .models import ElectionPeriod

    if period.starts_on is None or period.ends_on is None:
        return
    clash = overlapping(
        ElectionPeriod.objects.alias(started_on=F("starts_on"), ended_on=F("ends_on")),
        period.starts_on,
        period.ends_on,
        exclude_pk=period.pk,
    ).first()
    if clash is not None:
        raise ValidationError({"starts_on": _("Valgperioden overlapper valgperioden %(other)s.") % {"other": clash}})


def check_council_seat(seat) -> None:
    from .models import CouncilSeat

    check_within_period(seat)
    if seat.role == CouncilSeat.Role.MAYOR and seat.municipality_id and seat.started_on:
        other = overlapping(
            CouncilSeat.objects.filter(
                municipality_id=seat.municipality_id, period_id=seat.period_id, role=CouncilSeat.Role.MAYOR
            ),
            seat.started_on,
            seat.ended_on,
            exclude_pk=seat.pk,
        ).first()
        if other is not None:
            raise ValidationError(
                {
                    "role": _("%(municipality)s har allerede %(person)s som borgmester i en del af perioden.")
                    % {"municipality": seat.municipality, "person": other.person}
                }
            )


def holds_council_seat(person_id, council_id, on: dt.date) -> bool:
    """Whether the person sits in a municipal council of the given KKR on the given day."""
    from .models import CouncilSeat

    return (
        CouncilSeat.objects.filter(person_id=person_id, municipality__council_id=council_id, started_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))
        .exists()
    )


def check_membership(membership) -> None:
    from .models import KKRMembership

    check_within_period(membership)
    if not (membership.person_id and membership.council_id and membership.started_on):
        return
    if not holds_council_seat(membership.person_id, membership.council_id, membership.started_on):
        raise ValidationError(
            {
                "person": _(
                    "Personen sidder ikke i kommunalbestyrelsen i en af kommunerne i %(council)s på startdatoen."
                )
                % {"council": membership.council}
            }
        )
    mayoralty = membership.mayoralty
    if mayoralty is not None:
        if membership.role == KKRMembership.Role.MEMBER and mayoralty.role != mayoralty.Role.MAYOR:
            raise ValidationError({"mayoralty": _("Et selvskrevent medlemskab følger af et borgmesterhverv.")})
        if membership.role == KKRMembership.Role.SUBSTITUTE and mayoralty.role != mayoralty.Role.DEPUTY_MAYOR:
            raise ValidationError(
                {"mayoralty": _("En selvskreven stedfortræder er viceborgmester og træder i borgmesterens sted.")}
            )
        if mayoralty.person_id != membership.person_id:
            raise ValidationError({"mayoralty": _("Borgmesterhvervet tilhører en anden person.")})
        if mayoralty.municipality.council_id != membership.council_id:
            raise ValidationError({"mayoralty": _("Borgmesterens kommune hører til et andet KKR.")})
    principal = membership.substitute_for
    if principal is not None:
        if principal.role != KKRMembership.Role.MEMBER:
            raise ValidationError({"substitute_for": _("En stedfortræder kan kun være stedfortræder for et medlem.")})
        if principal.council_id != membership.council_id or principal.period_id != membership.period_id:
            raise ValidationError({"substitute_for": _("Medlemmet skal sidde i samme KKR og samme valgperiode.")})
        if principal.person_id == membership.person_id:
            raise ValidationError({"substitute_for": _("Man kan ikke være sin egen stedfortræder.")})
        if mayoralty is not None and (
            principal.mayoralty is None or principal.mayoralty.municipality_id != mayoralty.municipality_id
        ):
            raise ValidationError(
                {"substitute_for": _("Viceborgmesteren er stedfortræder for borgmesteren i samme kommune.")}
            )


def check_chairmanship(chairmanship) -> None:
    from .models import Chairmanship, KKRMembership

    check_within_period(chairmanship)
    if not (chairmanship.person_id and chairmanship.council_id and chairmanship.started_on and chairmanship.role):
        return
    voting = KKRMembership.objects.filter(person_id=chairmanship.person_id, council_id=chairmanship.council_id).voting()
    # The whole post must lie within a voting membership (an open post within an open one).
    covering = voting.filter(started_on__lte=chairmanship.started_on)
    covering = (
        covering.filter(ended_on__isnull=True)
        if chairmanship.ended_on is None
        else covering.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=chairmanship.ended_on))
    )
    if not covering.exists():
        raise ValidationError(
            {
                "person": _(
                    "Formand og næstformand skal være medlemmer af %(council)s med stemmeret, så længe de har posten."
                )
                % {"council": chairmanship.council}
            }
        )
    holders = Chairmanship.objects.filter(council_id=chairmanship.council_id, period_id=chairmanship.period_id)
    same_post = overlapping(
        holders.filter(role=chairmanship.role),
        chairmanship.started_on,
        chairmanship.ended_on,
        exclude_pk=chairmanship.pk,
    ).first()
    if same_post is not None:
        raise ValidationError(
            {
                "role": _("%(person)s er %(role)s i en del af perioden. Afslut den post først.")
                % {"person": same_post.person, "role": same_post.get_role_display()}
            }
        )
    other_post = overlapping(
        holders.filter(person_id=chairmanship.person_id).exclude(role=chairmanship.role),
        chairmanship.started_on,
        chairmanship.ended_on,
        exclude_pk=chairmanship.pk,
    ).exists()
    if other_post:
        raise ValidationError({"person": _("Samme person kan ikke være både formand og næstformand.")})
