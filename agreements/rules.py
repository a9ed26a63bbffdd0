"""Rules on agreements that span tables (see members/rules.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def check_agreement(agreement) -> None:
    previous = getattr(agreement, "previous", None)
    if previous is None:
        return
    if (previous.council_id, previous.kind_id, previous.counterpart) != (
        agreement.council_id,
        agreement.kind_id,
        agreement.counterpart,
    ):
        raise ValidationError({"previous": _("Den forrige cyklus skal være samme aftale med samme part.")})
    if agreement.valid_from and agreement.valid_from <= previous.valid_from:
        raise ValidationError({"valid_from": _("En ny cyklus skal begynde efter den forrige.")})


def check_approval(approval) -> None:
    # getattr: on an add page the milestone is not saved yet, but the inline attaches it.
    milestone = getattr(approval, "milestone", None)
    if milestone is None or not approval.municipality_id or not milestone.agreement_id:
        return
    if not milestone.requires_every_council:
        raise ValidationError({"milestone": _("Milepælen kræver ikke godkendelse i hver kommune.")})
    if approval.municipality.council_id != milestone.agreement.council_id:
        raise ValidationError(
            {"municipality": _("Kommunen hører ikke til %(council)s.") % {"council": milestone.agreement.council}}
        )
