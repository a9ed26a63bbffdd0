"""Which rows a user may see and touch: one rule per model, used by the admin (and by any view,
export or API that lists rows for staff).

A staff user serves the KKRs they are assigned to (``members.StaffAssignment``); superusers (KL's
central administrators) see every KKR. Each model is in exactly one of three lists:

- ``COUNCIL_PATHS``: the row belongs to a KKR, found by following a lookup path from the row to
  the council. Staff see the rows of their own councils only.
- ``REFERENCE``: data shared by all five KKRs (periods, parties, policy areas, …). Staff may
  view it; only superusers add, change or delete it.
- ``SUPERUSER_ONLY``: users, groups, permissions, the staff assignments themselves and the reminder
  opt-outs. Staff do not see them at all.

``Person`` has a rule of its own (``_people_q``): people with any role (a council seat, a KKR
membership, a chair post, an appointment) in one of the user's councils, and people with no role
at all yet, so that staff can create a person and then place them. A person who holds a role
only in another KKR is not shown.

``rule_for`` raises for a model in none of the lists, so a model added later without a rule fails
loudly (and the admin scoping test fails) instead of being shown to everyone.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

# model label -> lookup path from the model to its council ("pk" for the council itself)
COUNCIL_PATHS: dict[str, str] = {
    "members.council": "pk",
    "members.municipality": "council",
    "members.councilseat": "municipality__council",
    "members.kkrmembership": "council",
    "members.chairmanship": "council",
    "members.meeting": "council",
    "members.agendaitem": "meeting__council",
    "members.secretariatcontact": "council",
    "fora.forum": "council",
    "fora.seat": "forum__council",
    "fora.appointment": "seat__forum__council",
    "agreements.agreement": "council",
    "agreements.milestone": "agreement__council",
    "agreements.municipalapproval": "milestone__agreement__council",
    "reminders.delivery": "council",
    "elections.electionresult": "council",
    "elections.partyvotes": "result__council",
    "elections.supplementaryseats": "council",
}
PERSON = "members.person"
# The roles that tie a person to a council: (model label, lookup path to the council).
PERSON_ROLES: list[tuple[str, str]] = [
    ("members.councilseat", "municipality__council"),
    ("members.kkrmembership", "council"),
    ("members.chairmanship", "council"),
    ("fora.appointment", "seat__forum__council"),
]
REFERENCE: frozenset[str] = frozenset(
    {
        "members.electionperiod",
        "members.party",
        "members.policyarea",
        "members.timelineentry",
        "fora.forumkind",
        "agreements.agreementkind",
        "reminders.reminderrule",
    }
)
SUPERUSER_ONLY: frozenset[str] = frozenset(
    {
        "members.staffassignment",
        "members.calendarfeed",
        "reminders.reminderoptout",
        "auth.user",
        "auth.group",
        "auth.permission",
        "account.emailaddress",
        "mfa.authenticator",
    }
)

COUNCIL = "council"
PERSON_RULE = "person"


def rule_for(model: type[models.Model]) -> str:
    """``"council"``, ``"person"``, ``"reference"`` or ``"superuser"``; raises for a model without a rule."""
    label = model._meta.label_lower
    if label in COUNCIL_PATHS:
        return COUNCIL
    if label == PERSON:
        return PERSON_RULE
    if label in REFERENCE:
        return "reference"
    if label in SUPERUSER_ONLY:
        return "superuser"
    raise LookupError(f"{model._meta.label} has no scoping rule in kkr_portal.scoping")


def sees_everything(user) -> bool:
    return bool(user.is_active and user.is_superuser)


def councils_of(user):
    """The councils the user serves, as a queryset (usable as a subquery)."""
    from members.models import Council

    if sees_everything(user):
        return Council.objects.all()
    if not user.is_authenticated:
        return Council.objects.none()
    return Council.objects.filter(staff_assignments__user=user)


def _people_q(councils) -> Q:
    from django.apps import apps

    in_councils = Q()
    no_role = Q()
    for label, path in PERSON_ROLES:
        role_model = apps.get_model(label)
        roles = role_model._default_manager.filter(person=OuterRef("pk"))
        in_councils |= Exists(roles.filter(**{f"{path}__in": councils}))
        no_role &= ~Exists(roles)
    return in_councils | no_role


def scope(queryset: models.QuerySet, user) -> models.QuerySet:
    """The rows of ``queryset`` the user may see."""
    if sees_everything(user):
        return queryset
    rule = rule_for(queryset.model)
    if rule == "reference":
        return queryset
    if rule == "superuser" or not user.is_authenticated:
        return queryset.none()
    councils = councils_of(user).values("pk")
    if rule == PERSON_RULE:
        return queryset.filter(_people_q(councils))
    return queryset.filter(**{f"{COUNCIL_PATHS[queryset.model._meta.label_lower]}__in": councils})


def may_change(model: type[models.Model], user) -> bool:
    """Whether the user may add, change or delete rows of ``model`` at all (before their own permissions)."""
    return sees_everything(user) or rule_for(model) in (COUNCIL, PERSON_RULE)


def may_view(model: type[models.Model], user) -> bool:
    return sees_everything(user) or rule_for(model) != "superuser"
