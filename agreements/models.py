"""What a KKR agrees with the region, the business hubs and others, and when it is due."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kkr_portal import text
from kkr_portal.db import RuleErrorsMixin
from kkr_portal.db import check_constraint as _check
from kkr_portal.db import unique_constraint as _unique
from members.models import Council, Municipality, PolicyArea

from . import querysets, rules


class AgreementKind(RuleErrorsMixin, models.Model):
    """A kind of agreement and how often it recurs by default (recurrence is data, not code)."""

    slug = models.SlugField(_("kort navn"), unique=True)
    name = text.PlainCharField(_("navn"), max_length=150, unique=True)
    description = text.PlainTextField(_("beskrivelse"), max_length=text.DESCRIPTION_MAX_LENGTH, blank=True)
    policy_area = models.ForeignKey(
        PolicyArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreement_kinds",
        verbose_name=_("fagområde"),
    )
    recurrence_months = models.PositiveSmallIntegerField(
        _("gentages hver (måneder)"), null=True, blank=True, help_text=_("Tom: gentages ikke.")
    )
    once_per_period = models.BooleanField(_("én gang pr. valgperiode"), default=False)

    constraint_fields = {"agreements_agreementkind_recurrence_positive": "recurrence_months"}

    class Meta:
        ordering = ["name"]
        verbose_name = _("aftaletype")
        verbose_name_plural = _("aftaletyper")
        constraints = [
            _check(
                "agreements_agreementkind_recurrence_positive",
                Q(recurrence_months__isnull=True) | Q(recurrence_months__gte=1),
                _("En gentagelse er mindst én måned."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Agreement(RuleErrorsMixin, models.Model):
    """One cycle of an agreement between a KKR and a counterpart."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("KKR"))
    kind = models.ForeignKey(AgreementKind, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("type"))
    title = text.PlainCharField(_("titel"), max_length=200)
    counterpart = text.PlainCharField(
        _("aftalepart"), max_length=150, help_text=_("Fx »Region Syddanmark«, »Erhvervshus Fyn«.")
    )
    policy_area = models.ForeignKey(
        PolicyArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("fagområde"),
    )
    valid_from = models.DateField(_("gælder fra"))
    valid_to = models.DateField(_("gælder til"), null=True, blank=True)
    recurrence_months = models.PositiveSmallIntegerField(
        _("gentages hver (måneder)"), null=True, blank=True, help_text=_("Tom: gentages ikke.")
    )
    cycle = models.PositiveSmallIntegerField(_("cyklus"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_cycle",
        verbose_name=_("forrige cyklus"),
    )
    closed_on = models.DateField(_("afsluttet"), null=True, blank=True)
    description = text.PlainTextField(_("beskrivelse"), max_length=text.DESCRIPTION_MAX_LENGTH, blank=True)

    history = HistoricalRecords()
    objects = querysets.AgreementQuerySet.as_manager()

    constraint_fields = {
        "agreements_agreement_valid_to_after_from": "valid_to",
        "agreements_agreement_recurrence_positive": "recurrence_months",
        "agreements_agreement_unique_cycle": "cycle",
    }

    class Meta:
        ordering = ["council__name", "kind__name", "counterpart", "-valid_from"]
        verbose_name = _("aftale")
        verbose_name_plural = _("aftaler")
        constraints = [
            _check(
                "agreements_agreement_valid_to_after_from",
                Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                _("En aftale kan ikke udløbe, før den gælder."),
            ),
            _check(
                "agreements_agreement_recurrence_positive",
                Q(recurrence_months__isnull=True) | Q(recurrence_months__gte=1),
                _("En gentagelse er mindst én måned."),
            ),
            _unique(
                "agreements_agreement_unique_cycle",
                ["council", "kind", "counterpart", "cycle"],
                _("Denne cyklus af aftalen findes allerede."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.council})"

    def clean(self) -> None:
        rules.check_agreement(self)


class Milestone(RuleErrorsMixin, models.Model):
    """A dated step of an agreement, e.g. approval in every municipal council."""

    class Kind(models.TextChoices):
        DRAFT = "draft", _("udkast klar")
        KKR_APPROVAL = "kkr_approval", _("godkendelse i KKR")
        COUNCIL_APPROVAL = "council_approval", _("godkendelse i alle kommunalbestyrelser")
        REGIONAL_APPROVAL = "regional_approval", _("godkendelse i regionsrådet")
        SIGNING = "signing", _("underskrift")
        OTHER = "other", _("andet")

    class Audience(models.TextChoices):
        SECRETARIAT = "secretariat", _("sekretariatet")
        MEMBERS = "members", _("KKR's medlemmer og sekretariatet")

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("aftale")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    title = text.PlainCharField(_("titel"), max_length=200)
    due_on = models.DateField(_("frist"))
    audience = models.CharField(_("målgruppe"), max_length=12, choices=Audience.choices, default=Audience.SECRETARIAT)
    requires_every_council = models.BooleanField(_("kræver godkendelse i hver kommune"), default=False)
    completed_on = models.DateField(_("gennemført"), null=True, blank=True)

    history = HistoricalRecords()
    objects = querysets.MilestoneQuerySet.as_manager()

    constraint_fields = {"agreements_milestone_unique_kind_date": "due_on"}

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("milepæl")
        verbose_name_plural = _("milepæle")
        constraints = [
            _unique(
                "agreements_milestone_unique_kind_date",
                ["agreement", "kind", "due_on"],
                _("Aftalen har allerede denne milepæl på denne dato."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} – {date_format(self.due_on, 'SHORT_DATE_FORMAT')}"


class MunicipalApproval(RuleErrorsMixin, models.Model):
    """A municipal council's approval of a milestone that every council must approve."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("milepæl")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("kommune")
    )
    approved_on = models.DateField(_("godkendt den"))
    approved_by = text.PlainCharField(_("godkendt af"), max_length=100, default="Kommunalbestyrelsen")

    history = HistoricalRecords()

    constraint_fields = {"agreements_municipalapproval_once_per_municipality": "municipality"}

    class Meta:
        ordering = ["milestone", "municipality__name"]
        verbose_name = _("kommunal godkendelse")
        verbose_name_plural = _("kommunale godkendelser")
        constraints = [
            _unique(
                "agreements_municipalapproval_once_per_municipality",
                ["milestone", "municipality"],
                _("Kommunen har allerede godkendt denne milepæl."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.milestone}"

    def clean(self) -> None:
        rules.check_approval(self)
