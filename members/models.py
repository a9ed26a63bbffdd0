"""The councils and the people in them: periods, KKRs, municipalities, parties, seats, memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kkr_portal import text
from kkr_portal.db import ENDS_AFTER_START, RuleErrorsMixin
from kkr_portal.db import check_constraint as _check
from kkr_portal.db import no_overlap as _no_overlap
from kkr_portal.db import unique_constraint as _unique

from . import querysets, rules
from .search import PostgresOnlyGinIndex, fold


class ElectionPeriod(RuleErrorsMixin, models.Model):
    """A municipal election period (valgperiode), e.g. 2022-2025."""

    name = text.PlainCharField(_("navn"), max_length=20, unique=True)
    starts_on = models.DateField(_("starter"))
    ends_on = models.DateField(_("slutter"))
    election_day = models.DateField(_("valgdag"), null=True, blank=True)

    objects = querysets.ElectionPeriodQuerySet.as_manager()

    constraint_fields = {
        "members_electionperiod_ends_after_start": "ends_on",
        "members_electionperiod_no_overlap": "starts_on",
        "members_electionperiod_election_before_start": "election_day",
    }

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("valgperiode")
        verbose_name_plural = _("valgperioder")
        constraints = [
            _check(
                "members_electionperiod_ends_after_start",
                Q(ends_on__gt=F("starts_on")),
                _("Valgperioden skal slutte efter, at den er begyndt."),
            ),
            _check(
                "members_electionperiod_election_before_start",
                Q(election_day__isnull=True) | Q(election_day__lt=F("starts_on")),
                _("Valgdagen skal ligge før periodens start."),
            ),
            _no_overlap(
                "members_electionperiod_no_overlap",
                [],
                _("Valgperioden overlapper en anden valgperiode."),
                start="starts_on",
                end="ends_on",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        rules.check_election_period(self)

    def contains(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class Council(RuleErrorsMixin, models.Model):
    """One of the five KKRs (kommunekontaktråd), one per region."""

    slug = models.SlugField(_("kort navn"), unique=True)
    name = text.PlainCharField(_("navn"), max_length=100, unique=True)
    region_name = text.PlainCharField(_("region"), max_length=100)
    region_code = models.PositiveSmallIntegerField(_("regionskode"), unique=True)

    objects = querysets.CouncilQuerySet.as_manager()

    constraint_fields = {"members_council_region_code_valid": "region_code"}

    class Meta:
        ordering = ["name"]
        verbose_name = _("KKR")
        verbose_name_plural = _("KKR'er")
        constraints = [
            _check(
                "members_council_region_code_valid",
                Q(region_code__gte=1081) & Q(region_code__lte=1085),
                _("Regionskoden skal være en af 1081-1085."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Municipality(RuleErrorsMixin, models.Model):
    """One of the 98 municipalities (kommuner), with its official code."""

    code = models.PositiveSmallIntegerField(_("kommunekode"), unique=True)
    name = text.PlainCharField(_("navn"), max_length=60, unique=True)
    official_name = text.PlainCharField(_("officielt navn"), max_length=80, unique=True)
    slug = models.SlugField(_("kort navn"), unique=True)
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("KKR"))

    objects = querysets.MunicipalityQuerySet.as_manager()

    constraint_fields = {"members_municipality_code_three_digits": "code"}

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")
        constraints = [
            _check(
                "members_municipality_code_three_digits",
                Q(code__gte=101) & Q(code__lte=999),
                _("Kommunekoden skal have tre cifre."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def padded_code(self) -> str:
        """The four-digit form DAWA and DAGI use, e.g. ``0101``."""
        return f"{self.code:04d}"


class Party(RuleErrorsMixin, models.Model):
    """A party with a national ballot letter, or a local list in one municipality."""

    class Kind(models.TextChoices):
        NATIONAL = "national", _("landsparti")
        MINORITY = "minority", _("mindretalsparti")
        LOCAL = "local", _("lokalliste")

    letter = text.PlainCharField(_("bogstav"), max_length=2, blank=True)
    name = text.PlainCharField(_("navn"), max_length=100)
    short_name = text.PlainCharField(_("kort navn"), max_length=60)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.NATIONAL)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="local_lists",
        verbose_name=_("kommune"),
        help_text=_("Kun for lokallister: listens bogstav gælder kun i denne kommune."),
    )

    constraint_fields = {
        "members_party_local_list_has_municipality": "municipality",
        "members_party_national_letter_unique": "letter",
        "members_party_national_name_unique": "name",
        "members_party_local_name_unique": "name",
    }

    class Meta:
        ordering = ["letter", "name"]
        verbose_name = _("parti")
        verbose_name_plural = _("partier")
        constraints = [
            _check(
                "members_party_local_list_has_municipality",
                Q(kind="local", municipality__isnull=False) | (~Q(kind="local") & Q(municipality__isnull=True)),
                _("En lokalliste hører til én kommune; et landsparti til ingen."),
            ),
            _unique(
                "members_party_national_letter_unique",
                ["letter"],
                _("Et andet landsparti har allerede dette bogstav."),
                condition=Q(municipality__isnull=True) & ~Q(letter=""),
            ),
            _unique(
                "members_party_national_name_unique",
                ["name"],
                _("Et parti med dette navn findes allerede."),
                condition=Q(municipality__isnull=True),
            ),
            _unique(
                "members_party_local_name_unique",
                ["municipality", "name"],
                _("Kommunen har allerede en liste med dette navn."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.short_name} ({self.letter})" if self.letter else self.short_name


class PolicyArea(models.Model):
    """One of the six policy areas (fagområder) the KKRs work on."""

    slug = models.SlugField(_("kort navn"), unique=True)
    name = text.PlainCharField(_("navn"), max_length=60, unique=True)
    description = text.PlainTextField(_("beskrivelse"), max_length=text.DESCRIPTION_MAX_LENGTH)
    position = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("fagområde")
        verbose_name_plural = _("fagområder")

    def __str__(self) -> str:
        return self.name


class TimelineEntry(RuleErrorsMixin, models.Model):
    """A step in KKR's history of task areas, 2006-2026 (shown on /om-kkr/)."""

    period_label = text.PlainCharField(_("periode"), max_length=20)
    starts_year = models.PositiveSmallIntegerField(_("fra år"))
    ends_year = models.PositiveSmallIntegerField(_("til år"))
    title = text.PlainCharField(_("opgave"), max_length=200)
    position = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    constraint_fields = {
        "members_timelineentry_years_in_order": "ends_year",
        "members_timelineentry_unique": "title",
    }

    class Meta:
        ordering = ["starts_year", "position"]
        verbose_name = _("tidslinjepunkt")
        verbose_name_plural = _("tidslinjepunkter")
        constraints = [
            _check(
                "members_timelineentry_years_in_order",
                Q(ends_year__gte=F("starts_year")),
                _("Slutåret må ikke ligge før startåret."),
            ),
            _unique("members_timelineentry_unique", ["period_label", "title"], _("Punktet findes allerede.")),
        ]

    def __str__(self) -> str:
        return f"{self.period_label}: {self.title}"


class Person(models.Model):
    """A politician (or anyone else the Blå Bog lists)."""

    name = text.PlainCharField(_("navn"), max_length=150)
    sort_name = text.PlainCharField(
        _("sorteringsnavn"), max_length=150, help_text=_("Efternavn først, fx »Jensen, Anne«.")
    )
    slug = models.SlugField(_("kort navn"), max_length=160, unique=True)
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="people", verbose_name=_("parti")
    )
    email = text.LowercaseEmailField(_("e-mail"), blank=True)
    phone = text.PhoneField(_("telefon"), max_length=30, blank=True)
    bio = text.PlainTextField(_("kort biografi"), max_length=text.BIO_MAX_LENGTH, blank=True)
    photo = models.ImageField(_("foto"), upload_to="people/", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("login"),
    )
    # The name as the Blå Bog's search compares it (members.search.fold), kept by save().
    # bulk_create() and QuerySet.update() bypass save(): bulk writers must set it themselves.
    search_name = models.CharField(max_length=300, editable=False, db_index=False, default="")

    # The search key is derived from the name: not a change anyone made.
    history = HistoricalRecords(excluded_fields=["search_name"])
    objects = querysets.PersonQuerySet.as_manager()

    class Meta:
        ordering = ["sort_name", "name"]
        verbose_name = _("person")
        verbose_name_plural = _("personer")
        indexes = [
            models.Index(fields=["sort_name"], name="members_person_sort_name"),
            # Serves the name search's LIKE '%…%' on PostgreSQL (pg_trgm); nothing on SQLite.
            PostgresOnlyGinIndex(
                fields=["search_name"], name="members_person_search_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)


class CouncilSeat(RuleErrorsMixin, models.Model):
    """A person's seat in a municipal council (kommunalbestyrelse) for a period."""

    class Role(models.TextChoices):
        MEMBER = "member", _("medlem")
        MAYOR = "mayor", _("borgmester")
        DEPUTY_MAYOR = "deputy_mayor", _("viceborgmester")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="council_seats", verbose_name=_("person"))
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="council_seats", verbose_name=_("kommune")
    )
    period = models.ForeignKey(
        ElectionPeriod, on_delete=models.PROTECT, related_name="council_seats", verbose_name=_("valgperiode")
    )
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    started_on = models.DateField(_("fra"))
    ended_on = models.DateField(_("til"), null=True, blank=True)

    history = HistoricalRecords()
    objects = querysets.CouncilSeatQuerySet.as_manager()

    constraint_fields = {
        "members_councilseat_ends_after_start": "ended_on",
        "members_councilseat_one_open_per_person": "person",
        "members_councilseat_one_mayor": "role",
        "members_councilseat_one_mayor_at_a_time": "role",
    }

    class Meta:
        ordering = ["municipality__name", "-started_on"]
        verbose_name = _("kommunalbestyrelsesmandat")
        verbose_name_plural = _("kommunalbestyrelsesmandater")
        constraints = [
            _check("members_councilseat_ends_after_start", Q(ended_on__gte=F("started_on")), ENDS_AFTER_START),
            _unique(
                "members_councilseat_one_open_per_person",
                ["person", "period"],
                _("Personen har allerede et åbent mandat i denne valgperiode. Afslut det først."),
                condition=Q(ended_on__isnull=True),
            ),
            _unique(
                "members_councilseat_one_mayor",
                ["municipality", "period"],
                _("Kommunen har allerede en borgmester. Afslut det nuværende borgmesterhverv først."),
                condition=Q(role="mayor", ended_on__isnull=True),
            ),
            _no_overlap(
                "members_councilseat_one_mayor_at_a_time",
                ["municipality", "period"],
                _("Kommunen havde en anden borgmester i en del af perioden."),
                condition=Q(role="mayor"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()}, {self.municipality} ({self.period})"

    def clean(self) -> None:
        rules.check_council_seat(self)


class KKRMembership(RuleErrorsMixin, models.Model):
    """A person in a KKR for a period: a member (with or without a vote) or a substitute."""

    class Basis(models.TextChoices):
        EX_OFFICIO = "ex_officio", _("selvskreven (borgmester, eller viceborgmester som stedfortræder)")
        SUPPLEMENTARY = "supplementary", _("supplerende medlem")
        KL_BOARD = "kl_board", _("medlem af KL's bestyrelse eller udvalg (uden stemmeret)")

    class Role(models.TextChoices):
        MEMBER = "member", _("medlem")
        SUBSTITUTE = "substitute", _("stedfortræder")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person"))
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("KKR"))
    period = models.ForeignKey(
        ElectionPeriod, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("valgperiode")
    )
    basis = models.CharField(_("grundlag"), max_length=20, choices=Basis.choices)
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    substitute_for = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substitutes",
        verbose_name=_("stedfortræder for"),
    )
    mayoralty = models.ForeignKey(
        CouncilSeat,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ex_officio_memberships",
        verbose_name=_("borgmester- eller viceborgmesterhverv"),
        help_text=_(
            "Hvervet en selvskreven plads følger af: borgmesterens medlemskab, viceborgmesterens stedfortræderplads."
        ),
    )
    started_on = models.DateField(_("fra"))
    ended_on = models.DateField(_("til"), null=True, blank=True)

    history = HistoricalRecords()
    objects = querysets.KKRMembershipQuerySet.as_manager()

    constraint_fields = {
        "members_kkrmembership_ends_after_start": "ended_on",
        "members_kkrmembership_ex_officio_from_mayoralty": "mayoralty",
        "members_kkrmembership_substitute_names_member": "substitute_for",
        "members_kkrmembership_one_open_per_person": "person",
        "members_kkrmembership_one_per_mayoralty": "mayoralty",
    }

    class Meta:
        ordering = ["council__name", "person__sort_name"]
        verbose_name = _("KKR-medlemskab")
        verbose_name_plural = _("KKR-medlemskaber")
        constraints = [
            _check("members_kkrmembership_ends_after_start", Q(ended_on__gte=F("started_on")), ENDS_AFTER_START),
            _check(
                "members_kkrmembership_ex_officio_from_mayoralty",
                Q(basis="ex_officio", mayoralty__isnull=False) | (~Q(basis="ex_officio") & Q(mayoralty__isnull=True)),
                _("En selvskreven plads følger af et borgmester- eller viceborgmesterhverv, og kun den."),
            ),
            _check(
                "members_kkrmembership_substitute_names_member",
                Q(role="substitute", substitute_for__isnull=False) | Q(role="member", substitute_for__isnull=True),
                _("En stedfortræder skal være stedfortræder for et medlem; et medlem for ingen."),
            ),
            _unique(
                "members_kkrmembership_one_open_per_person",
                ["person", "council", "period"],
                _("Personen har allerede en åben plads i dette KKR i valgperioden."),
                condition=Q(ended_on__isnull=True),
            ),
            _unique(
                "members_kkrmembership_one_per_mayoralty",
                ["mayoralty"],
                _("Hvervet har allerede en åben selvskreven plads i KKR."),
                condition=Q(mayoralty__isnull=False, ended_on__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()}, {self.council} ({self.period})"

    def clean(self) -> None:
        rules.check_membership(self)

    @property
    def has_vote(self) -> bool:
        return self.role == self.Role.MEMBER and self.basis != self.Basis.KL_BOARD


class Chairmanship(RuleErrorsMixin, models.Model):
    """The chair (formand) or vice-chair (næstformand) post of a KKR, held for dated spans."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("formand")
        VICE_CHAIR = "vice_chair", _("næstformand")

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="chairmanships", verbose_name=_("KKR"))
    period = models.ForeignKey(
        ElectionPeriod, on_delete=models.PROTECT, related_name="chairmanships", verbose_name=_("valgperiode")
    )
    role = models.CharField(_("post"), max_length=20, choices=Role.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="chairmanships", verbose_name=_("person"))
    started_on = models.DateField(_("fra"))
    ended_on = models.DateField(_("til"), null=True, blank=True)

    history = HistoricalRecords()
    objects = querysets.ChairmanshipQuerySet.as_manager()

    constraint_fields = {
        "members_chairmanship_ends_after_start": "ended_on",
        "members_chairmanship_one_current_per_role": "role",
        "members_chairmanship_one_holder_at_a_time": "role",
    }

    class Meta:
        ordering = ["council__name", "-started_on", "role"]
        verbose_name = _("formandskabspost")
        verbose_name_plural = _("formandskabsposter")
        constraints = [
            _check("members_chairmanship_ends_after_start", Q(ended_on__gte=F("started_on")), ENDS_AFTER_START),
            _unique(
                "members_chairmanship_one_current_per_role",
                ["council", "period", "role"],
                _("KKR'et har allerede en indehaver af denne post. Afslut den nuværende først."),
                condition=Q(ended_on__isnull=True),
            ),
            _no_overlap(
                "members_chairmanship_one_holder_at_a_time",
                ["council", "period", "role"],
                _("Posten havde en anden indehaver i en del af perioden."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.person} ({self.council}, {self.period})"

    def clean(self) -> None:
        rules.check_chairmanship(self)


class Meeting(RuleErrorsMixin, models.Model):
    """A KKR meeting (about five a year)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planlagt")
        HELD = "held", _("afholdt")
        CANCELLED = "cancelled", _("aflyst")

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("KKR"))
    title = text.PlainCharField(_("titel"), max_length=200)
    starts_at = models.DateTimeField(_("starter"))
    ends_at = models.DateTimeField(_("slutter"))
    place = text.PlainCharField(_("sted"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    is_constituent = models.BooleanField(_("konstituerende møde"), default=False)
    sequence = models.PositiveIntegerField(
        _("version"),
        default=0,
        editable=False,
        help_text=_("Tælles op, når tid eller sted ændres (kalenderens SEQUENCE)."),
    )

    history = HistoricalRecords()
    objects = querysets.MeetingQuerySet.as_manager()

    constraint_fields = {"members_meeting_ends_after_start": "ends_at"}

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("møde")
        verbose_name_plural = _("møder")
        constraints = [
            _check(
                "members_meeting_ends_after_start",
                Q(ends_at__gt=F("starts_at")),
                _("Mødet skal slutte efter, at det er begyndt."),
            )
        ]
        indexes = [models.Index(fields=["council", "starts_at"], name="members_meeting_council_start")]

    def __str__(self) -> str:
        return f"{self.council}: {self.title}"


class AgendaItem(RuleErrorsMixin, models.Model):
    """An item on a meeting's agenda (dagsordenspunkt)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("møde"))
    number = models.PositiveSmallIntegerField(_("nummer"))
    title = text.PlainCharField(_("titel"), max_length=300)
    policy_area = models.ForeignKey(
        PolicyArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("fagområde"),
    )
    description = text.PlainTextField(_("beskrivelse"), max_length=text.DESCRIPTION_MAX_LENGTH, blank=True)

    constraint_fields = {"members_agendaitem_unique_number": "number"}

    class Meta:
        ordering = ["meeting", "number"]
        verbose_name = _("dagsordenspunkt")
        verbose_name_plural = _("dagsordenspunkter")
        constraints = [
            _unique(
                "members_agendaitem_unique_number",
                ["meeting", "number"],
                _("Mødet har allerede et punkt med dette nummer."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class SecretariatContact(RuleErrorsMixin, models.Model):
    """Someone serving a KKR: its KKR secretariat or a joint professional secretariat."""

    class Kind(models.TextChoices):
        KKR_SECRETARIAT = "kkr", _("KKR-sekretariatet")
        JOINT_SECRETARIAT = "joint", _("fælleskommunalt fagsekretariat")

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="secretariat_contacts", verbose_name=_("KKR")
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    unit = text.PlainCharField(_("enhed"), max_length=150, help_text=_("Fx »KKR-sekretariat Syddanmark«."))
    name = text.PlainCharField(_("navn"), max_length=150, blank=True)
    title = text.PlainCharField(_("stilling"), max_length=100, blank=True)
    phone = text.PhoneField(_("telefon"), max_length=30, blank=True)
    email = text.LowercaseEmailField(_("e-mail"), blank=True)
    policy_area = models.ForeignKey(
        PolicyArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="secretariats",
        verbose_name=_("fagområde"),
    )
    position = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    constraint_fields = {"members_secretariatcontact_unique": "name"}

    class Meta:
        ordering = ["council__name", "kind", "position"]
        verbose_name = _("sekretariatskontakt")
        verbose_name_plural = _("sekretariatskontakter")
        constraints = [
            _unique(
                "members_secretariatcontact_unique",
                ["council", "unit", "name"],
                _("Kontakten findes allerede for dette KKR."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.unit}" if self.name else self.unit


class StaffAssignment(models.Model):
    """A staff user serves a KKR's secretariat: the admin shows them that KKR's rows only.

    What each model's rows belong to is kept in one place, kkr_portal.scoping.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_assignments",
        verbose_name=_("medarbejder"),
    )
    council = models.ForeignKey(
        Council, on_delete=models.CASCADE, related_name="staff_assignments", verbose_name=_("KKR")
    )

    class Meta:
        ordering = ["council__name", "user__email"]
        verbose_name = _("sekretariatstilknytning")
        verbose_name_plural = _("sekretariatstilknytninger")
        constraints = [
            _unique(
                "members_staffassignment_unique",
                ["user", "council"],
                _("Medarbejderen er allerede knyttet til dette KKR."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.council}"


class CalendarFeed(models.Model):
    """A person's personal calendar feed: the secret behind their ``/kalender/<token>.ics`` URL.

    The URL's token is an HMAC of the person and ``nonce`` under SECRET_KEY (``members.calendar``):
    the table alone does not give anyone a working URL, Min side can show the URL again at any
    time, and rotating means a new nonce, after which the old URL answers 404.
    """

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("person")
    )
    nonce = models.CharField(_("nøgle"), max_length=64)
    rotated_at = models.DateTimeField(_("fornyet"), auto_now_add=True)

    class Meta:
        verbose_name = _("kalenderabonnement")
        verbose_name_plural = _("kalenderabonnementer")

    def __str__(self) -> str:
        return str(self.person)


# allauth finds logins by the lower-case address: the user model (Django's own) stores it so.
models.signals.pre_save.connect(
    text.lowercase_user_email, sender=settings.AUTH_USER_MODEL, dispatch_uid="kkr_portal.text.lowercase_user_email"
)
