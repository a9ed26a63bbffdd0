"""Where a KKR is represented: regional fora, their seats, and the people appointed to them."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kkr_portal import text
from kkr_portal.db import ENDS_AFTER_START, HttpsURLField, RuleErrorsMixin
from kkr_portal.db import check_constraint as _check
from kkr_portal.db import no_overlap as _no_overlap
from kkr_portal.db import unique_constraint as _unique
from members.models import Council, ElectionPeriod, Meeting, Person, PolicyArea

from . import querysets, rules


class ForumKind(models.Model):
    """A classification of fora (business-hub board, RAR, university-college board, ...)."""

    slug = models.SlugField(_("kort navn"), unique=True)
    name = text.PlainCharField(_("navn"), max_length=100, unique=True)
    description = text.PlainTextField(_("beskrivelse"), max_length=text.DESCRIPTION_MAX_LENGTH, blank=True)
    position = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("forumtype")
        verbose_name_plural = _("forumtyper")

    def __str__(self) -> str:
        return self.name


class Forum(RuleErrorsMixin, models.Model):
    """A regional body a KKR appoints or nominates people to."""

    class Basis(models.TextChoices):
        STATUTORY = "statutory", _("lovfastsat")
        LOCAL_AGREEMENT = "local_agreement", _("lokal aftale")

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="fora", verbose_name=_("KKR"))
    kind = models.ForeignKey(ForumKind, on_delete=models.PROTECT, related_name="fora", verbose_name=_("type"))
    name = text.PlainCharField(_("navn"), max_length=200)
    slug = models.SlugField(_("kort navn"), max_length=200, unique=True)
    policy_areas = models.ManyToManyField(PolicyArea, blank=True, related_name="fora", verbose_name=_("fagområder"))
    basis = models.CharField(_("grundlag"), max_length=20, choices=Basis.choices, default=Basis.STATUTORY)
    description = text.PlainTextField(_("beskrivelse"), max_length=text.DESCRIPTION_MAX_LENGTH, blank=True)
    website = HttpsURLField(_("hjemmeside"), blank=True, validators=[text.validate_plain_text])
    founded_on = models.DateField(_("oprettet"), null=True, blank=True)
    dissolved_on = models.DateField(_("nedlagt"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        verbose_name=_("afløst af"),
    )

    history = HistoricalRecords(m2m_fields=[policy_areas])
    objects = querysets.ForumQuerySet.as_manager()

    constraint_fields = {
        "fora_forum_dissolved_after_founded": "dissolved_on",
        "fora_forum_not_own_successor": "successor",
        "fora_forum_unique_name": "name",
    }

    class Meta:
        ordering = ["council__name", "name"]
        verbose_name = _("forum")
        verbose_name_plural = _("fora")
        # The appointment change list is ordered by the forum's name (migrations 0003 and 0005).
        indexes = [models.Index(fields=["name"], name="fora_forum_name")]
        constraints = [
            _check(
                "fora_forum_dissolved_after_founded",
                Q(dissolved_on__isnull=True) | Q(founded_on__isnull=True) | Q(dissolved_on__gte=F("founded_on")),
                _("Et forum kan ikke nedlægges, før det er oprettet."),
            ),
            _check(
                "fora_forum_not_own_successor",
                ~Q(successor=F("pk")),
                _("Et forum kan ikke afløse sig selv."),
            ),
            _unique("fora_forum_unique_name", ["council", "name"], _("KKR'et har allerede et forum med dette navn.")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        rules.check_forum(self)


class Seat(RuleErrorsMixin, models.Model):
    """A post in a forum for an election period, held or vacant (Popolo's *Post*)."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("medlem")
        DEPUTY = "deputy", _("suppleant")

    class Mode(models.TextChoices):
        APPOINTS = "appoints", _("KKR udpeger")
        NOMINATES = "nominates", _("KKR indstiller")
        RECOMMENDS = "recommends", _("efter indstilling fra andre")

    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="seats", verbose_name=_("forum"))
    period = models.ForeignKey(
        ElectionPeriod, on_delete=models.PROTECT, related_name="seats", verbose_name=_("valgperiode")
    )
    label = text.PlainCharField(_("betegnelse"), max_length=150)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.MEMBER)
    deputy_for = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deputies",
        verbose_name=_("suppleant for"),
    )
    mode = models.CharField(_("KKR's rolle"), max_length=12, choices=Mode.choices, default=Mode.APPOINTS)
    appointing_body = text.PlainCharField(
        _("udpegende organ"), max_length=150, blank=True, help_text=_("Hvem der udpeger, når KKR indstiller.")
    )
    recommended_by = text.PlainCharField(_("indstilles af"), max_length=150, blank=True)
    position = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)
    previous_seat = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_seat",
        verbose_name=_("fortsætter pladsen"),
        help_text=_("Samme plads i forrige valgperiode: dens udpegede bliver siddende, til en efterfølger er udpeget."),
    )

    history = HistoricalRecords()
    objects = querysets.SeatQuerySet.as_manager()

    constraint_fields = {
        "fora_seat_deputy_names_member_seat": "deputy_for",
        "fora_seat_unique_label": "label",
        "fora_seat_nominated_names_body": "appointing_body",
        "fora_seat_not_its_own_previous": "previous_seat",
    }

    class Meta:
        ordering = ["forum__name", "period__starts_on", "position", "label"]
        verbose_name = _("plads")
        verbose_name_plural = _("pladser")
        constraints = [
            _check(
                "fora_seat_deputy_names_member_seat",
                Q(kind="deputy", deputy_for__isnull=False) | Q(kind="member", deputy_for__isnull=True),
                _("En suppleantplads hører til en medlemsplads; en medlemsplads til ingen."),
            ),
            _check(
                "fora_seat_nominated_names_body",
                ~Q(mode="nominates") | ~Q(appointing_body=""),
                _("Angiv hvilket organ der udpeger, når KKR indstiller."),
            ),
            _check(
                "fora_seat_not_its_own_previous",
                ~Q(previous_seat=F("pk")),
                _("En plads kan ikke fortsætte sig selv."),
            ),
            _unique(
                "fora_seat_unique_label",
                ["forum", "period", "label"],
                _("Forummet har allerede en plads med denne betegnelse i valgperioden."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.forum}: {self.label} ({self.period})"

    def clean(self) -> None:
        rules.check_seat(self)


class Appointment(RuleErrorsMixin, models.Model):
    """A person on a seat: proposed → nominated (indstillet) → appointed (udpeget) → ended."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("foreslået")
        NOMINATED = "nominated", _("indstillet")
        APPOINTED = "appointed", _("udpeget")
        ENDED = "ended", _("ophørt")

    class EndReason(models.TextChoices):
        TERM_EXPIRED = "term_expired", _("perioden udløb, efterfølger udpeget")
        RESIGNED = "resigned", _("udtrådt efter eget ønske")
        LEFT_COUNCIL = "left_council", _("udtrådt af kommunalbestyrelsen")
        WITHDRAWN = "withdrawn", _("indstilling trukket tilbage")
        NOT_APPOINTED = "not_appointed", _("ikke udpeget af det udpegende organ")
        FORUM_DISSOLVED = "forum_dissolved", _("forummet er nedlagt")
        DECEASED = "deceased", _("afgået ved døden")
        OTHER = "other", _("anden årsag")

    # The appointment process: which status may follow which (python.org's Contract.next_status).
    NEXT_STATUS = {
        Status.PROPOSED: (Status.NOMINATED, Status.APPOINTED, Status.ENDED),
        Status.NOMINATED: (Status.APPOINTED, Status.ENDED),
        Status.APPOINTED: (Status.ENDED,),
        Status.ENDED: (),
    }

    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("plads"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("person"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    starts_on = models.DateField(_("fra"))
    term_ends_on = models.DateField(
        _("periodens udløb"), null=True, blank=True, help_text=_("Tom: valgperiodens slutning.")
    )
    ended_on = models.DateField(_("ophørt"), null=True, blank=True)
    end_reason = models.CharField(_("ophørsårsag"), max_length=20, choices=EndReason.choices, blank=True)
    decided_at = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointment_decisions",
        verbose_name=_("besluttet på KKR-møde"),
    )
    nominated_on = models.DateField(_("indstillet den"), null=True, blank=True)
    appointed_on = models.DateField(
        _("udpeget den"), null=True, blank=True, help_text=_("Datoen for det udpegende organs beslutning.")
    )
    note = text.PlainTextField(_("bemærkning"), max_length=text.NOTE_MAX_LENGTH, blank=True)

    history = HistoricalRecords()
    objects = querysets.AppointmentQuerySet.as_manager()

    constraint_fields = {
        "fora_appointment_ends_after_start": "ended_on",
        "fora_appointment_term_after_start": "term_ends_on",
        "fora_appointment_appointed_has_decision_date": "appointed_on",
        "fora_appointment_ended_has_date_and_reason": "ended_on",
        "fora_appointment_nominated_has_date": "nominated_on",
        "fora_appointment_one_holder_at_a_time": "seat",
    }

    class Meta:
        ordering = ["seat__forum__name", "seat__position", "-starts_on"]
        verbose_name = _("udpegning")
        verbose_name_plural = _("udpegninger")
        constraints = [
            _check("fora_appointment_ends_after_start", Q(ended_on__gte=F("starts_on")), ENDS_AFTER_START),
            _check(
                "fora_appointment_term_after_start",
                Q(term_ends_on__gte=F("starts_on")),
                _("Perioden kan ikke udløbe, før den er begyndt."),
            ),
            _check(
                "fora_appointment_appointed_has_decision_date",
                ~Q(status="appointed") | Q(appointed_on__isnull=False),
                _("En udpegning skal have datoen for det udpegende organs beslutning."),
            ),
            _check(
                "fora_appointment_nominated_has_date",
                ~Q(status="nominated") | Q(nominated_on__isnull=False),
                _("En indstilling skal have en dato."),
            ),
            _check(
                "fora_appointment_ended_has_date_and_reason",
                (Q(status="ended") & Q(ended_on__isnull=False) & ~Q(end_reason=""))
                | (~Q(status="ended") & Q(ended_on__isnull=True) & Q(end_reason="")),
                _("En ophørt udpegning har en ophørsdato og en årsag; kun ophørte udpegninger har det."),
            ),
            _no_overlap(
                "fora_appointment_one_holder_at_a_time",
                ["seat"],
                _("Pladsen har allerede en udpeget i en del af perioden."),
                # Holders were appointed at some point; a withdrawn nomination never held the seat.
                condition=Q(appointed_on__isnull=False),
                start="starts_on",
            ),
        ]
        indexes = [models.Index(fields=["seat", "status"], name="fora_appointment_seat_status")]

    def __str__(self) -> str:
        return f"{self.person} – {self.seat}"

    def clean(self) -> None:
        rules.check_appointment(self)

    @property
    def effective_term_end(self):
        return self.term_ends_on or self.seat.period.ends_on

    def is_carry_over(self, on) -> bool:
        """Term over, still on the seat until a successor is appointed."""
        return self.status == self.Status.APPOINTED and self.effective_term_end < on
