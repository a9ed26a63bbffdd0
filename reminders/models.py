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

from .choices import DeliveryStatus, ReminderAudience, ReminderKind
from .querysets import DeliveryQuerySet

__all__ = ["Delivery", "ReminderAudience", "ReminderKind", "ReminderOptOut", "ReminderRule"]


class ReminderRule(RuleErrorsMixin, models.Model):
    """What to watch, how long before, and whom to tell."""

    Audience = ReminderAudience

    kind = models.CharField(_("påmindelsestype"), max_length=12, choices=ReminderKind.choices)
    days_before = models.PositiveSmallIntegerField(_("dage før"))
    audience = models.CharField(_("modtagere"), max_length=20, choices=Audience.choices)
    is_active = models.BooleanField(_("aktiv"), default=True)

    constraint_fields = {
        "reminders_reminderrule_unique": "days_before",
        "reminders_reminderrule_days_positive": "days_before",
        "reminders_reminderrule_audience_fits_kind": "audience",
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
            _check(
                "reminders_reminderrule_audience_fits_kind",
                Q(kind=ReminderKind.MEETING, audience=ReminderAudience.MEMBERS_AND_SUBSTITUTES)
                | Q(
                    kind=ReminderKind.MILESTONE,
                    audience__in=[ReminderAudience.SECRETARIAT, ReminderAudience.MILESTONE_AUDIENCE],
                )
                | Q(kind=ReminderKind.TERM_END, audience=ReminderAudience.SECRETARIAT),
                _(
                    "Modtagerne passer ikke til påmindelsestypen: møder går til KKR's medlemmer og "
                    "stedfortrædere, frister til sekretariatet eller milepælens målgruppe, udløb af "
                    "udpegninger til sekretariatet."
                ),
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

    Status = DeliveryStatus

    rule = models.ForeignKey(ReminderRule, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("regel"))
    occasion_type = models.CharField(_("anledning"), max_length=12, choices=ReminderKind.choices)
    occasion_id = models.PositiveBigIntegerField(_("anledningens id"))
    occasion_at = models.DateTimeField(
        _("anledningens tidspunkt"), help_text=_("Et flyttet møde får nye påmindelser for sit nye tidspunkt.")
    )
    # The KKR whose occasion it is: scopes the outbox in the admin. Empty only on rows planned
    # before the field existed.
    council = models.ForeignKey(
        "members.Council",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminder_deliveries",
        verbose_name=_("KKR"),
    )
    recipient = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries", verbose_name=_("person")
    )
    # For a person: the address used (their current one when sent); for a secretariat contact
    # (no person): the recipient itself.
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
            # A person is one recipient whatever their address: a changed address gets no second
            # copy. A secretariat contact is not a person in the portal; the address is the key.
            models.UniqueConstraint(
                fields=["rule", "occasion_type", "occasion_id", "occasion_at", "recipient"],
                condition=Q(recipient__isnull=False),
                name="reminders_delivery_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["rule", "occasion_type", "occasion_id", "occasion_at", "email"],
                condition=Q(recipient__isnull=True),
                name="reminders_delivery_once_per_address",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
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
    """A kind of reminder someone does not want: a person (turned off on Min side or by the link),
    or a secretariat contact's address (by the link; contacts are not people in the portal)."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminder_opt_outs",
        verbose_name=_("person"),
    )
    email = models.EmailField(
        _("e-mail"), blank=True, help_text=_("Kun for sekretariatskontakter, der ikke er personer i portalen.")
    )
    kind = models.CharField(_("påmindelsestype"), max_length=12, choices=ReminderKind.choices)

    constraint_fields = {
        "reminders_reminderoptout_unique": "kind",
        "reminders_reminderoptout_unique_email": "kind",
        "reminders_reminderoptout_person_or_email": "email",
    }

    class Meta:
        verbose_name = _("fravalgt påmindelse")
        verbose_name_plural = _("fravalgte påmindelser")
        constraints = [
            _unique("reminders_reminderoptout_unique", ["person", "kind"], _("Påmindelsen er allerede fravalgt.")),
            _unique(
                "reminders_reminderoptout_unique_email",
                ["email", "kind"],
                _("Påmindelsen er allerede fravalgt for denne e-mail."),
                condition=Q(person__isnull=True),
            ),
            _check(
                "reminders_reminderoptout_person_or_email",
                (Q(person__isnull=False) & Q(email="")) | (Q(person__isnull=True) & ~Q(email="")),
                _("Angiv enten en person eller en e-mail, ikke begge."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.email}: {self.get_kind_display()}"
