"""The reminders app's choices, apart from the models so that the querysets can use them too."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    MEETING = "meeting", _("møder")
    MILESTONE = "milestone", _("frister i aftaler")
    TERM_END = "term_end", _("udløb af udpegninger")


class ReminderAudience(models.TextChoices):
    MEMBERS_AND_SUBSTITUTES = "members", _("KKR's medlemmer og stedfortrædere")
    SECRETARIAT = "secretariat", _("KKR-sekretariatet")
    MILESTONE_AUDIENCE = "milestone_audience", _("milepælens målgruppe")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("afventer")
    SENT = "sent", _("sendt")
    FAILED = "failed", _("fejlet")
    SKIPPED = "skipped", _("ikke sendt (ikke længere aktuel)")
