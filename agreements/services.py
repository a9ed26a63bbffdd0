"""Writes of the agreements app: closing a cycle of a recurring agreement.

A recurring agreement (the rammeaftale every second year, a result contract every year) is one
row per cycle. Closing a cycle creates the next one with its dates and milestones moved by the
agreement's own recurrence (data, not code: the law changes it). The admin shows ``cycle_preview``
before it calls ``close_cycle``; both use the same checks and the same date arithmetic.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Agreement, Milestone


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class MilestoneShift:
    milestone: Milestone
    due_on: dt.date


@dataclass
class CyclePreview:
    """What closing ``agreement`` would create: the next cycle's dates and milestones."""

    agreement: Agreement
    cycle: int
    valid_from: dt.date
    valid_to: dt.date | None
    milestones: list[MilestoneShift] = field(default_factory=list)


def check_can_close(agreement: Agreement, *, closed_on: dt.date | None = None) -> None:
    """Refuse (in Danish) a cycle that cannot be closed into a next one."""
    if not agreement.recurrence_months:
        raise ValidationError(
            _("%(agreement)s gentages ikke, så der er ingen næste cyklus at oprette.") % {"agreement": agreement.title}
        )
    if agreement.closed_on is not None:
        raise ValidationError(
            _("Cyklus %(cycle)d af %(agreement)s blev allerede afsluttet %(day)s.")
            % {"cycle": agreement.cycle, "agreement": agreement.title, "day": date_format(agreement.closed_on)}
        )
    if Agreement.objects.filter(previous=agreement).exists():
        raise ValidationError(_("Den næste cyklus af %(agreement)s findes allerede.") % {"agreement": agreement.title})
    if closed_on is not None and closed_on < agreement.valid_from:
        raise ValidationError(
            _("En cyklus kan ikke afsluttes, før den begynder (%(day)s).") % {"day": date_format(agreement.valid_from)}
        )


def cycle_preview(agreement: Agreement, *, closed_on: dt.date | None = None) -> CyclePreview:
    """The next cycle that ``close_cycle`` would create, or a ValidationError saying why not."""
    check_can_close(agreement, closed_on=closed_on)
    months = agreement.recurrence_months
    milestones = agreement.milestones.order_by("due_on", "pk")
    return CyclePreview(
        agreement=agreement,
        cycle=agreement.cycle + 1,
        valid_from=add_months(agreement.valid_from, months),
        valid_to=add_months(agreement.valid_to, months) if agreement.valid_to else None,
        milestones=[MilestoneShift(milestone, add_months(milestone.due_on, months)) for milestone in milestones],
    )


@transaction.atomic
def close_cycle(*, agreement: Agreement, closed_on: dt.date) -> Agreement:
    """Close ``agreement``'s cycle on ``closed_on`` and create the next cycle, all or nothing.

    The next cycle has the same council, kind, counterpart and recurrence, cycle + 1, ``previous``
    set, its validity and every milestone moved by the recurrence; the milestones start open and
    the municipal approvals are not copied (each cycle is approved anew). The row is locked, so two
    staff closing the same cycle at once create one next cycle; the other is refused.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    preview = cycle_preview(agreement, closed_on=closed_on)
    following = Agreement(
        council_id=agreement.council_id,
        kind_id=agreement.kind_id,
        title=agreement.title,
        counterpart=agreement.counterpart,
        policy_area_id=agreement.policy_area_id,
        valid_from=preview.valid_from,
        valid_to=preview.valid_to,
        recurrence_months=agreement.recurrence_months,
        cycle=preview.cycle,
        previous=agreement,
        description=agreement.description,
    )
    following.save_checked()
    for shift in preview.milestones:
        Milestone(
            agreement=following,
            kind=shift.milestone.kind,
            title=shift.milestone.title,
            due_on=shift.due_on,
            audience=shift.milestone.audience,
            requires_every_council=shift.milestone.requires_every_council,
        ).save_checked()
    agreement.closed_on = closed_on
    agreement.save_checked(update_fields=["closed_on"])
    return following
