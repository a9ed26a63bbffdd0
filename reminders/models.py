"""One mechanism for every reminder: rules as data, and an outbox with one row per delivery."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kkr_portal.db import RuleErrorsMixin
from kkr_portal.db import check_constraint as _check
from kkr_portal.db import unique_constraint as _unique
from members.models import Person

from .querysets import DeliveryQuerySet


class ReminderKind(models.TextChoices):
    MEETING = "meeting", _("møder")
    MILESTONE = "milestone", _("frister i aftaler")
    TERM_END = "term_end", _("udløb af udpegninger")


class ReminderRule(RuleErrorsMixin, models.Model):
    """What to watch, how long before, and whom to tell."""

    class Audience(models.TextChoices):
        MEMBERS_AND_SUBSTITUTES = "members", _("KKR's medlemmer og stedfortrædere")
        SECRETARIAT = "secretariat", _("KKR-sekretariatet")
        MILESTONE_AUDIENCE = "milestone_audience", _("milepælens målgruppe")

    kind = models.CharField(_("påmindelsestype"), max_length=12, choices=ReminderKind.choices)
    days_before = models.PositiveSmallIntegerField(_("dage før"))
    audience = models.CharField(_("modtagere"), max_length=20, choices=Audience.choices)
    is_active = models.BooleanField(_("aktiv"), default=True)

    constraint_fields = {
        "reminders_reminderrule_unique": "days_before",
        "reminders_reminderrule_days_positive": "days_before",
    }

    class Meta:
        ordering = ["kind", "-days_before"]
        verbose_name = _("påmindelsesregel")
        verbose_name_plural = _("påmindelsesregler")
        constraints = [
            _unique(
                "reminders_reminderrule_unique",
                ["kind", "days_before", "audience"],
                _("Der findes allerede en regel for dette antal dage og disse modtagere."),
            ),
            _check(
                "reminders_reminderrule_days_positive",
                Q(days_before__gte=1) & Q(days_before__lte=365),
                _("Antal dage skal være mellem 1 og 365."),
            ),
        ]

    def __str__(self) -> str:
        return ngettext(
            "%(kind)s: %(days)s dag før, til %(audience)s",
            "%(kind)s: %(days)s dage før, til %(audience)s",
            self.days_before,
        ) % {
            "kind": self.get_kind_display(),
            "days": self.days_before,
            "audience": self.get_audience_display(),
        }


class Delivery(models.Model):
    """The outbox: one row per (rule, occasion, recipient), written before anything is sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("afventer")
        SENT = "sent", _("sendt")
        FAILED = "failed", _("fejlet")
        SKIPPED = "skipped", _("ikke sendt (ikke længere aktuel)")

    rule = models.ForeignKey(ReminderRule, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("regel"))
    occasion_type = models.CharField(_("anledning"), max_length=12, choices=ReminderKind.choices)
    occasion_id = models.PositiveBigIntegerField(_("anledningens id"))
    occasion_at = models.DateTimeField(
        _("anledningens tidspunkt"), help_text=_("Et flyttet møde får nye påmindelser for sit nye tidspunkt.")
    )
    recipient = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries", verbose_name=_("person")
    )
    email = models.EmailField(_("e-mail"))
    due_at = models.DateTimeField(_("skal sendes"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("forsøg"), default=0)
    next_attempt_at = models.DateTimeField(_("næste forsøg"), null=True, blank=True)
    queued_at = models.DateTimeField(_("sat i kø"), null=True, blank=True)
    last_error = models.TextField(_("seneste fejl"), blank=True)
    sent_at = models.DateTimeField(_("sendt"), null=True, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at"]
        verbose_name = _("udsendelse")
        verbose_name_plural = _("udsendelser")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "occasion_type", "occasion_id", "occasion_at", "email"],
                name="reminders_delivery_once_per_recipient",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminders_delivery_sent_has_time",
            ),
            models.CheckConstraint(
                condition=Q(occasion_at__gt=F("due_at")),
                name="reminders_delivery_due_before_occasion",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="reminders_delivery_status_due")]

    def __str__(self) -> str:
        return f"{self.get_occasion_type_display()} #{self.occasion_id} → {self.email} ({self.get_status_display()})"


class ReminderOptOut(RuleErrorsMixin, models.Model):
    """A person who does not want a kind of reminder (turned off on Min side)."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="reminder_opt_outs", verbose_name=_("person")
    )
    kind = models.CharField(_("påmindelsestype"), max_length=12, choices=ReminderKind.choices)

    constraint_fields = {"reminders_reminderoptout_unique": "kind"}

    class Meta:
        verbose_name = _("fravalgt påmindelse")
        verbose_name_plural = _("fravalgte påmindelser")
        constraints = [
            _unique("reminders_reminderoptout_unique", ["person", "kind"], _("Påmindelsen er allerede fravalgt."))
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_kind_display()}"
