"""The demo data set (``manage.py load_demo_data``): all five KKRs filled in around the seed facts.

Everything is written through the apps' services, so the demo obeys the same rules as the admin.
It is deterministic for a given seed: people, parties, seats, appointments and agreements come
from ``random.Random(seed)`` and a seeded Faker, and dates from the fixed ``DEMO_ANCHOR``; only
the meeting calendar (which meetings lie ahead, which are held) follows the real date, so there
are always meetings in the coming months.

The real people the welcome folders name (seed_facts.toml) keep exactly the roles the folders
give them and get no invented ones; every other person here is fictional.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils import timezone
from faker import Faker

from agreements.models import Agreement, AgreementKind, Milestone, MunicipalApproval
from fora import services as fora_services
from fora.models import Appointment, Forum, ForumKind, Seat
from kkr_portal.management.commands.load_reference_data import danish_slug
from members import services as member_services
from members.models import (
    AgendaItem,
    Chairmanship,
    Council,
    CouncilSeat,
    ElectionPeriod,
    KKRMembership,
    Meeting,
    Municipality,
    Party,
    Person,
    PolicyArea,
    StaffAssignment,
)

# Demo logins. The password is for the demo data set only: never load the demo into production.
DEMO_PASSWORD = "kkr-demo-2026"  # noqa: S105
DEMO_DOMAIN = "kkr-portal.dk"
SUPERUSER_EMAIL = f"admin@{DEMO_DOMAIN}"
MEMBER_EMAIL = f"medlem@{DEMO_DOMAIN}"
STAFF_GROUP = "Sekretariat"
# The fictional people's work emails use a reserved top-level domain (RFC 2606), so a reminder
# sent to one of them can never reach a real mailbox, whatever the email backend.
PEOPLE_EMAIL_DOMAIN = "kommune.example"

DEFAULT_SEED = 2026
# "Today" for everything that must not depend on the day the demo is loaded (milestones,
# approvals, appointments). Meetings use the real date instead.
DEMO_ANCHOR = dt.date(2026, 11, 23)
TZ = zoneinfo.ZoneInfo("Europe/Copenhagen")


def staff_email(council_slug: str) -> str:
    return f"sekretariat.{council_slug}@{DEMO_DOMAIN}"


def has_other_data() -> bool:
    """Whether the database already holds current-period data that is not the demo's (then the demo
    is not loaded: it would mix fictional people into real ones)."""
    return (
        CouncilSeat.objects.filter(period__starts_on__lte=DEMO_ANCHOR, period__ends_on__gte=DEMO_ANCHOR).exists()
        or Appointment.objects.exists()
        or Meeting.objects.exists()
    )


def is_loaded() -> bool:
    """The demo set is written in one transaction, its superuser last: its presence means all of it."""
    return get_user_model().objects.filter(username=SUPERUSER_EMAIL).exists()


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist in the database, superuser first."""
    users = {user.username: user for user in get_user_model().objects.filter(username__endswith=f"@{DEMO_DOMAIN}")}
    logins = []
    if SUPERUSER_EMAIL in users:
        logins.append(DemoLogin(SUPERUSER_EMAIL, "KL-administrator (superbruger, alle fem KKR'er)"))
    logins += [
        DemoLogin(staff_email(council.slug), f"Sekretariatet for {council.name} (admin)")
        for council in Council.objects.order_by("name")
        if staff_email(council.slug) in users
    ]
    member = users.get(MEMBER_EMAIL)
    if member is not None:
        person = Person.objects.filter(user=member).first()
        logins.append(DemoLogin(MEMBER_EMAIL, f"Medlem: {person}" if person else "Medlem"))
    return logins


def weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


# --- What the demo contains ------------------------------------------------------------

# Rough vote shares at a municipal election, and who tends to become mayor.
VOTE_WEIGHTS = {"A": 28, "V": 21, "C": 14, "F": 9, "Ø": 7, "B": 5, "Æ": 5, "O": 4, "I": 3, "M": 2, "Å": 1, "K": 1}
MAYOR_WEIGHTS = {"A": 38, "V": 34, "C": 14, "F": 5, "Æ": 3, "B": 2, "O": 1, "Ø": 1, "I": 1, "M": 1}
KL_BOARD = {"nordjylland": 1, "midtjylland": 2, "syddanmark": 2, "hovedstaden": 3, "sjaelland": 2}
PROFESSIONS = [
    "Skolelærer",
    "Sygeplejerske",
    "Selvstændig erhvervsdrivende",
    "Landmand",
    "Pædagog",
    "Jurist",
    "Økonom",
    "Ingeniør",
    "Socialrådgiver",
    "Tømrermester",
    "Kommunikationskonsulent",
    "Pensioneret skoleleder",
    "Fysioterapeut",
    "Butiksindehaver",
    "Social- og sundhedsassistent",
]


@dataclass(frozen=True)
class ForumPlan:
    kind: str
    name: str
    members: int
    deputies: bool = True
    mode: str = Seat.Mode.APPOINTS
    appointing_body: str = ""
    recommended_by: str = ""
    areas: tuple[str, ...] = ()
    basis: str = Forum.Basis.STATUTORY
    history: bool = False  # also has 2022-2025 seats (for former holders and carry-overs)


def _fora_for(council: Council) -> list[ForumPlan]:
    """The fora each KKR appoints or nominates to: 62-69 seats per KKR, members and deputies."""
    region = council.region_name
    growth, health = ("vaekst-og-beskaeftigelse",), ("sundhed",)
    hubs, rars, colleges, clusters, traffic, eu_office = {
        "nordjylland": (
            ["Erhvervshus Nordjylland"],
            ["RAR Nordjylland"],
            ["Professionshøjskolen UCN"],
            [
                "Sundhedsklynge Aalborg",
                "Sundhedsklynge Vendsyssel",
                "Sundhedsklynge Thy-Mors",
                "Sundhedsklynge Himmerland",
            ],
            ["NT – Nordjyllands Trafikselskab"],
            "North Denmark EU Office",
        ),
        "midtjylland": (
            ["Erhvervshus Midtjylland"],
            ["RAR Midt-Nord", "RAR Østjylland"],
            ["VIA University College"],
            ["Sundhedsklynge Aarhus", "Sundhedsklynge Midt", "Sundhedsklynge Vest", "Sundhedsklynge Horsens"],
            ["Midttrafik"],
            "Central Denmark EU Office",
        ),
        "syddanmark": (
            ["Erhvervshus Sydjylland", "Erhvervshus Fyn"],
            ["RAR Sydjylland", "RAR Fyn"],
            ["UC SYD", "UCL Erhvervsakademi og Professionshøjskole"],
            [
                "Sundhedsklynge Lillebælt",
                "Sundhedsklynge Sydvestjylland",
                "Sundhedsklynge Sønderjylland",
                "Sundhedsklynge Fyn",
            ],
            ["Sydtrafik", "FynBus"],
            "Syddansk EU-kontor",
        ),
        "hovedstaden": (
            ["Erhvervshus Hovedstaden"],
            ["RAR Hovedstaden"],
            ["Københavns Professionshøjskole"],
            [
                "Sundhedsklynge Bispebjerg og Frederiksberg",
                "Sundhedsklynge Amager og Hvidovre",
                "Sundhedsklynge Herlev og Gentofte",
                "Sundhedsklynge Nordsjælland",
            ],
            ["Movia"],
            "Greater Copenhagen EU Office",
        ),
        "sjaelland": (
            ["Erhvervshus Sjælland"],
            ["RAR Sjælland"],
            ["Professionshøjskolen Absalon"],
            [
                "Sundhedsklynge Holbæk",
                "Sundhedsklynge Nykøbing F.",
                "Sundhedsklynge Roskilde-Køge",
                "Sundhedsklynge Slagelse",
            ],
            ["Movia"],
            "Zealand Denmark EU Office",
        ),
    }[council.slug]
    two = len(hubs) > 1
    plans = [ForumPlan("erhvervshus", hub, 3 if two else 4, areas=growth, history=True) for hub in hubs]
    plans.append(
        ForumPlan("erhvervsfremmebestyrelse", "Danmarks Erhvervsfremmebestyrelse", 1, deputies=False, areas=growth)
    )
    plans += [
        ForumPlan(
            "rar",
            rar,
            2 if len(rars) > 1 else 4,
            mode=Seat.Mode.NOMINATES,
            appointing_body="Beskæftigelsesministeren",
            areas=growth,
            history=True,
        )
        for rar in rars
    ]
    plans += [
        ForumPlan(
            "professionshoejskole",
            college,
            2 if len(colleges) > 1 else 3,
            mode=Seat.Mode.NOMINATES,
            appointing_body="Professionshøjskolens bestyrelse",
            areas=("uddannelse",),
        )
        for college in colleges
    ]
    plans.append(
        ForumPlan(
            "eu-kontor",
            eu_office,
            2,
            areas=(*growth, "klima-og-miljoe"),
            basis=Forum.Basis.LOCAL_AGREEMENT,
            history=True,
        )
    )
    plans.append(ForumPlan("sundhedssamarbejde", f"Sundhedskoordinationsudvalget i {region}", 4, areas=health))
    plans.append(ForumPlan("sundhedssamarbejde", f"Praksisplanudvalget i {region}", 2, areas=health))
    plans += [
        ForumPlan(
            "sundhedsklynge",
            cluster,
            2,
            mode=Seat.Mode.RECOMMENDS,
            recommended_by="Kommunerne i klyngen",
            areas=health,
            basis=Forum.Basis.LOCAL_AGREEMENT,
        )
        for cluster in clusters
    ]
    plans += [
        ForumPlan("trafikselskab", company, 2 if len(traffic) > 1 else 4, areas=("trafik-og-infrastruktur",))
        for company in traffic
    ]
    return plans


AGENDA = {
    "sundhed": [
        "Status på sundhedsaftalen",
        "Sundhedsklyngernes arbejdsplaner",
        "Udkast til plan for almen praksis",
        "Sundhedsreformen: kommunernes rolle i de nye sundhedsråd",
        "Det nære sundhedsvæsen – fælles pejlemærker",
    ],
    "social": [
        "Rammeaftale på det specialiserede social- og specialundervisningsområde",
        "Styringsaftale for det specialiserede område",
        "Kapacitet på børne- og ungeområdet",
        "Socialtilsynets årsrapport",
    ],
    "vaekst-og-beskaeftigelse": [
        "Resultatkontrakt med erhvervshuset",
        "Status fra det regionale arbejdsmarkedsråd",
        "Rekruttering af arbejdskraft til velfærdsområderne",
        "Erhvervshusets årsberetning",
    ],
    "uddannelse": [
        "Dimensionering af praktikpladser på pædagoguddannelsen",
        "Fordeling af praktikpladser på social- og sundhedsuddannelserne",
        "Ungdomsuddannelser i yderområderne",
        "FGU – status på institutionerne",
    ],
    "trafik-og-infrastruktur": [
        "Trafikselskabets budget",
        "Fælles forslag til statslige infrastrukturinvesteringer",
        "Kollektiv trafik i landdistrikterne",
        "Regional trafikplan",
    ],
    "klima-og-miljoe": [
        "DK2020 – status på klimahandleplanerne",
        "Klimatilpasning og kystbeskyttelse",
        "Den grønne trepart – lokale omstillingsplaner",
        "Fælles energiplanlægning",
    ],
}
CONSTITUENT_AGENDA = [
    ("Valg af formand og næstformand", None),
    ("Udpegninger til regionale fora", "vaekst-og-beskaeftigelse"),
    ("Sundhedsaftalen og sundhedsklyngerne i den nye valgperiode", "sundhed"),
    ("Mødeplan og arbejdsform", None),
]

# Milestones per agreement kind: (kind, title, days from DEMO_ANCHOR, audience, every council).
# Those due before the anchor are completed.
MS, MEMBERS, SECRETARIAT = Milestone.Kind, Milestone.Audience.MEMBERS, Milestone.Audience.SECRETARIAT
MILESTONES = {
    "rammeaftale": [
        (MS.DRAFT, "Udkast til rammeaftale 2027-2028 klar", -62, SECRETARIAT, False),
        (MS.KKR_APPROVAL, "Rammeaftale 2027-2028 godkendt i KKR", -33, MEMBERS, False),
        (MS.COUNCIL_APPROVAL, "Rammeaftale 2027-2028 godkendt i alle kommunalbestyrelser", 24, MEMBERS, True),
        (MS.REGIONAL_APPROVAL, "Rammeaftale 2027-2028 godkendt i regionsrådet", 17, SECRETARIAT, False),
        (MS.SIGNING, "Rammeaftale 2027-2028 underskrevet", 52, MEMBERS, False),
    ],
    "resultatkontrakt": [
        (MS.DRAFT, "Udkast til resultatkontrakt 2027 klar", -18, SECRETARIAT, False),
        (MS.KKR_APPROVAL, "Resultatkontrakt 2027 godkendt i KKR", 16, MEMBERS, False),
        (MS.SIGNING, "Resultatkontrakt 2027 underskrevet", 45, MEMBERS, False),
    ],
    "praktikpladser": [
        (MS.DRAFT, "Forslag til dimensionering og fordeling af praktikpladser 2027", 31, SECRETARIAT, False),
        (MS.KKR_APPROVAL, "Fordeling af praktikpladser 2027 godkendt i KKR", 79, MEMBERS, False),
        (MS.OTHER, "Fordelingen meddelt uddannelsesinstitutionerne", 94, SECRETARIAT, False),
    ],
    "sundhedsaftale": [
        (MS.DRAFT, "Udkast til ny sundhedsaftale klar", 66, SECRETARIAT, False),
        (MS.KKR_APPROVAL, "Sundhedsaftalen godkendt i KKR", 101, MEMBERS, False),
        (MS.COUNCIL_APPROVAL, "Sundhedsaftalen godkendt i alle kommunalbestyrelser", 150, MEMBERS, True),
        (MS.REGIONAL_APPROVAL, "Sundhedsaftalen godkendt i regionsrådet", 143, SECRETARIAT, False),
        (MS.SIGNING, "Sundhedsaftalen underskrevet", 185, MEMBERS, False),
    ],
    "praksisplan": [
        (MS.DRAFT, "Udkast til plan for almen praksis klar", 88, SECRETARIAT, False),
        (MS.KKR_APPROVAL, "Plan for almen praksis godkendt i KKR", 129, MEMBERS, False),
        (MS.REGIONAL_APPROVAL, "Plan for almen praksis vedtaget i regionsrådet", 171, SECRETARIAT, False),
    ],
    "dk2020": [
        (MS.OTHER, "Årlig status på kommunernes klimahandleplaner", 73, MEMBERS, False),
    ],
}

# Staff permissions: add, change and view on what the secretariats maintain; view on the rest.
STAFF_MAINTAINS = {
    "members": [
        "person",
        "councilseat",
        "kkrmembership",
        "chairmanship",
        "meeting",
        "agendaitem",
        "secretariatcontact",
    ],
    "fora": ["forum", "seat", "appointment"],
    "agreements": ["agreement", "milestone", "municipalapproval"],
    "elections": ["electionresult", "supplementaryseats"],
}
STAFF_VIEWS = {
    "members": ["electionperiod", "council", "municipality", "party", "policyarea", "timelineentry"],
    "fora": ["forumkind"],
    "agreements": ["agreementkind"],
    "elections": ["partyvotes"],
    # The opt-outs are superuser-only (kkr_portal.scoping.SUPERUSER_ONLY).
    "reminders": ["reminderrule"],
}
# The KKR's own reminder outbox: seen, and failed rows retried (the admin offers no add/delete).
STAFF_RETRIES = {"reminders": ["delivery"]}
# Agenda items are parts of a meeting and are removed in its form; nothing else is ever deleted.
STAFF_DELETES = {"members": ["agendaitem"]}


# --- The builder ---------------------------------------------------------------------------


class DemoBuilder:
    def __init__(self, *, seed: int = DEFAULT_SEED, today: dt.date | None = None):
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - demo data needs a seeded PRNG, not a secure one.
        self.fake = Faker("da_DK")
        self.fake.seed_instance(seed)
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.period = ElectionPeriod.objects.get(name="2026-2029")
        self.previous = ElectionPeriod.objects.get(name="2022-2025")
        self.parties = {party.letter: party for party in Party.objects.filter(municipality__isnull=True)}
        self.areas = {area.slug: area for area in PolicyArea.objects.all()}
        self.forum_kinds = {kind.slug: kind for kind in ForumKind.objects.all()}
        self.agreement_kinds = {kind.slug: kind for kind in AgreementKind.objects.select_related("policy_area")}
        self.used_slugs = set(Person.objects.values_list("slug", flat=True))
        self.used_names = set(Person.objects.values_list("name", flat=True))
        # People whose roles the seeds state: the demo gives them no other role.
        self.seed_people = set(
            Person.objects.filter(
                Q(chairmanships__period=self.previous) | Q(council_seats__period=self.previous)
            ).values_list("pk", flat=True)
        )
        self.home: dict[int, Municipality] = {}  # person → municipality of their 2026 council seat
        self.seated_2022: set[int] = set()
        self.stats: dict[str, Counter] = {}
        self.demo_member: Person | None = None

    # People ----------------------------------------------------------------------------

    def weighted_party(self, weights: dict[str, int]) -> Party:
        letters = [letter for letter in weights if letter in self.parties]
        return self.parties[self.rng.choices(letters, weights=[weights[letter] for letter in letters])[0]]

    def new_person(self, municipality: Municipality, party: Party) -> Person:
        while True:
            female = self.rng.random() < 0.45
            first = self.fake.first_name_female() if female else self.fake.first_name_male()
            middle = self.fake.last_name() if self.rng.random() < 0.25 else ""
            last = self.fake.last_name()
            name = " ".join(part for part in (first, middle, last) if part)
            if name not in self.used_names:
                break
        self.used_names.add(name)
        slug = base = danish_slug(name)
        number = 1
        while slug in self.used_slugs:
            number += 1
            slug = f"{base}-{number}"
        self.used_slugs.add(slug)
        digits = [self.rng.randint(20, 99), *(self.rng.randint(0, 99) for _ in range(3))]
        bio = ""
        if self.rng.random() < 0.5:
            bio = f"Baggrund: {self.rng.choice(PROFESSIONS).lower()}. Bor i {municipality.name} Kommune."
        person = Person(
            name=name,
            sort_name=f"{last}, {first} {middle}".strip(),
            slug=slug,
            party=party,
            email=f"{slug}@{municipality.slug}.{PEOPLE_EMAIL_DOMAIN}",
            phone=" ".join(f"{d:02d}" for d in digits),
            bio=bio,
        )
        person.full_clean()
        person.save()
        return person

    def councillor(self, municipality: Municipality, *, role=CouncilSeat.Role.MEMBER, party=None) -> Person:
        """A new person with a seat in the municipal council for the whole current period."""
        person = self.new_person(municipality, party or self.weighted_party(VOTE_WEIGHTS))
        member_services.add_council_seat(
            person=person, municipality=municipality, period=self.period, started_on=self.period.starts_on, role=role
        )
        self.home[person.pk] = municipality
        return person

    def seat_in_2022(self, person: Person, municipality: Municipality) -> None:
        """Give a current councillor a seat in the previous period too (re-elected)."""
        if person.pk in self.seated_2022:
            return
        seat = member_services.add_council_seat(
            person=person, municipality=municipality, period=self.previous, started_on=self.previous.starts_on
        )
        member_services.end_council_seat(seat=seat, ended_on=self.previous.ends_on)
        self.seated_2022.add(person.pk)

    # The whole set -----------------------------------------------------------------------

    def build(self) -> dict[str, Counter]:
        for council in Council.objects.order_by("region_code"):
            CouncilBuilder(self, council).build()
        self.logins()
        return self.stats

    def logins(self) -> None:
        users = get_user_model().objects
        password = make_password(DEMO_PASSWORD)  # hashed once: the same demo password for every login
        group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
        group.permissions.set(self.staff_permissions())

        def user(email: str, **flags) -> object:
            account = users.create(username=email, email=email, password=password, **flags)
            self.verified_email(account)
            return account

        for council in Council.objects.order_by("region_code"):
            staff = user(staff_email(council.slug), is_staff=True, first_name="Sekretariatet", last_name=council.name)
            staff.groups.add(group)
            StaffAssignment.objects.create(user=staff, council=council)
        member = user(MEMBER_EMAIL)
        person = self.demo_member
        person.user = member
        person.email = MEMBER_EMAIL
        person.full_clean()
        person.save(update_fields=["user", "email"])
        member.first_name, _, member.last_name = person.name.rpartition(" ")
        member.save(update_fields=["first_name", "last_name"])
        user(SUPERUSER_EMAIL, is_staff=True, is_superuser=True, first_name="KL", last_name="Administrator")

    @staticmethod
    def verified_email(user) -> None:
        """allauth looks logins up by its own email table: the demo addresses are verified."""
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    @staticmethod
    def staff_permissions() -> list[Permission]:
        wanted = Q()
        for actions, models in (
            (("add", "change", "view"), STAFF_MAINTAINS),
            (("view",), STAFF_VIEWS),
            (("change", "view"), STAFF_RETRIES),
            (("delete",), STAFF_DELETES),
        ):
            for app_label, names in models.items():
                codenames = [f"{action}_{name}" for action in actions for name in names]
                wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
        return list(Permission.objects.filter(wanted))


class CouncilBuilder:
    """One KKR: its people, chairs, meetings, fora with seats and appointments, agreements."""

    def __init__(self, demo: DemoBuilder, council: Council) -> None:
        self.demo = demo
        self.council = council
        self.period = demo.period
        self.previous = demo.previous
        # The KKR's own choices (who, which seat, which day) come from its own seeded stream;
        # names and parties from the shared ones.
        self.rng = random.Random(f"{demo.seed}-{council.slug}")  # noqa: S311
        self.municipalities = list(council.municipalities.order_by("code"))
        self.mayors: dict[int, Person] = {}
        self.mayors_2022: dict[int, Person] = {}
        self.memberships: dict[int, KKRMembership] = {}
        self.pool: list[Person] = []  # current councillors who may be appointed
        self.load: Counter = Counter()
        self.taken_2022: dict[int, set[int]] = {}
        self.chair: Person | None = None
        self.vice_chair: Person | None = None
        self.meetings: list[Meeting] = []

    def build(self) -> None:
        self.previous_mayors()
        self.current_members()
        self.chairmanships()
        self.meeting_calendar()
        self.fora()
        self.agreements()
        self.demo.stats[self.council.name] = self.stats()
        if self.council.slug == "syddanmark":
            self.demo.demo_member = self.chair

    # Members ----------------------------------------------------------------------------

    def previous_mayors(self) -> None:
        """2022-2025 mayors for about half the municipalities (the seed facts' four are there already)."""
        seeded = {
            seat.municipality_id: seat.person
            for seat in CouncilSeat.objects.filter(
                period=self.previous, role=CouncilSeat.Role.MAYOR, municipality__council=self.council
            ).select_related("person")
        }
        for municipality in self.municipalities:
            if municipality.pk in seeded:
                continue
            if self.rng.random() >= 0.5 and len(self.mayors_2022) >= 2:
                continue
            person = self.demo.new_person(municipality, self.demo.weighted_party(MAYOR_WEIGHTS))
            seat = member_services.add_council_seat(
                person=person,
                municipality=municipality,
                period=self.previous,
                started_on=self.previous.starts_on,
                role=CouncilSeat.Role.MAYOR,
            )
            member_services.end_council_seat(seat=seat, ended_on=self.previous.ends_on)
            self.mayors_2022[municipality.pk] = person
            self.demo.seated_2022.add(person.pk)

    def current_members(self) -> None:
        start = self.period.starts_on
        for municipality in self.municipalities:
            former = self.mayors_2022.get(municipality.pk)
            if former is not None and self.rng.random() < 0.5:
                mayor = former  # re-elected
            else:
                mayor = self.demo.new_person(municipality, self.demo.weighted_party(MAYOR_WEIGHTS))
            seat = member_services.record_mayor(
                person=mayor, municipality=municipality, period=self.period, started_on=start
            )
            self.demo.home[mayor.pk] = municipality
            membership = KKRMembership.objects.get(mayoralty=seat)
            self.mayors[municipality.pk] = mayor
            self.memberships[mayor.pk] = membership
            # The deputy mayor stands in for the mayor: recording the deputy mayoralty creates the
            # ex officio substitute place.
            deputy = self.demo.councillor(municipality, role=CouncilSeat.Role.DEPUTY_MAYOR)
            self.pool += [mayor, deputy]
        # Supplementary members, so the KKR mirrors the vote: about 0.6 per municipality.
        for _ in range(round(0.62 * len(self.municipalities))):
            person = self.demo.councillor(self.rng.choice(self.municipalities))
            self.memberships[person.pk] = member_services.add_membership(
                person=person,
                council=self.council,
                period=self.period,
                basis=KKRMembership.Basis.SUPPLEMENTARY,
                started_on=start,
            )
            self.pool.append(person)
        # Members of KL's board or committees from this region: they attend without a vote.
        for _ in range(KL_BOARD[self.council.slug]):
            person = self.demo.councillor(
                self.rng.choice(self.municipalities), party=self.demo.weighted_party(MAYOR_WEIGHTS)
            )
            member_services.add_membership(
                person=person,
                council=self.council,
                period=self.period,
                basis=KKRMembership.Basis.KL_BOARD,
                started_on=start,
            )
            self.pool.append(person)

    def chairmanships(self) -> None:
        """2022-2025 (unless the seed facts name them), then a chair and vice-chair from two parties
        elected at the constituent meeting."""
        if not Chairmanship.objects.filter(council=self.council, period=self.previous).exists():
            chair, vice_chair = self.two_of(list(self.mayors_2022.values()))
            for role, person in ((Chairmanship.Role.CHAIR, chair), (Chairmanship.Role.VICE_CHAIR, vice_chair)):
                member_services.elect_chair(
                    council=self.council,
                    period=self.previous,
                    role=role,
                    person=person,
                    started_on=dt.date(2022, 1, 20),
                    ended_on=self.previous.ends_on,
                )
        constituent = self.constituent_day()
        self.chair, self.vice_chair = self.two_of(list(self.mayors.values()))
        for role, person in ((Chairmanship.Role.CHAIR, self.chair), (Chairmanship.Role.VICE_CHAIR, self.vice_chair)):
            member_services.elect_chair(
                council=self.council, period=self.period, role=role, person=person, started_on=constituent
            )

    def two_of(self, mayors: list[Person]) -> tuple[Person, Person]:
        """Chair from the biggest parties, vice-chair from another party where possible."""
        big = [person for person in mayors if person.party and person.party.letter in ("A", "V")] or mayors
        chair = self.rng.choice(big)
        others = [p for p in mayors if p.pk != chair.pk and p.party_id != chair.party_id] or [
            p for p in mayors if p.pk != chair.pk
        ]
        return chair, self.rng.choice(others)

    # Meetings ---------------------------------------------------------------------------

    def constituent_day(self) -> dt.date:
        return weekday_on_or_after(dt.date(2026, 1, 12 + 2 * (self.council.region_code - 1081)))

    def meeting_calendar(self) -> None:
        """About five meetings a year from the constituent meeting to a year past the real today."""
        offset = self.council.region_code - 1081
        days = [(self.constituent_day(), True)]
        last_year = min(self.period.ends_on.year, max(2027, self.demo.today.year + 1))
        for year in range(2026, last_year + 1):
            months = [3, 6, 9, 12] if year == 2026 else [2, 4, 6, 9, 12]
            days += [(weekday_on_or_after(dt.date(year, month, 8 + 3 * offset)), False) for month in months]
        places = self.municipalities[:]
        self.rng.shuffle(places)
        pool = [(title, slug) for slug, titles in AGENDA.items() for title in titles]
        for index, (day, constituent) in enumerate(days):
            starts_at = dt.datetime.combine(day, dt.time(10, 0), tzinfo=TZ)
            ends_at = starts_at + dt.timedelta(hours=3)
            meeting = Meeting(
                council=self.council,
                title=f"Konstituerende møde i {self.council.name}" if constituent else f"Møde i {self.council.name}",
                starts_at=starts_at,
                ends_at=ends_at,
                place=f"Rådhuset, {places[index % len(places)].name}",
                status=Meeting.Status.HELD if ends_at < self.demo.now else Meeting.Status.PLANNED,
                is_constituent=constituent,
            )
            meeting.save_checked()
            items = CONSTITUENT_AGENDA if constituent else self.rng.sample(pool, self.rng.randint(3, 6))
            AgendaItem.objects.bulk_create(
                AgendaItem(
                    meeting=meeting, number=number, title=title, policy_area=self.demo.areas.get(slug) if slug else None
                )
                for number, (title, slug) in enumerate(items, start=1)
            )
            self.meetings.append(meeting)

    def meeting_on_or_before(self, day: dt.date) -> Meeting:
        return [meeting for meeting in self.meetings if meeting.starts_at.date() <= day][-1]

    # Fora, seats and appointments --------------------------------------------------------------

    def forum(self, plan: ForumPlan) -> Forum:
        """The seed facts' forum where there is one (same KKR and name), else a new one."""
        forum = Forum.objects.filter(council=self.council, name=plan.name).first()
        if forum is None:
            forum = Forum(
                council=self.council,
                kind=self.demo.forum_kinds[plan.kind],
                name=plan.name,
                slug=f"{self.council.slug}-{danish_slug(plan.name)}",
                basis=plan.basis,
                description=self.forum_description(plan),
            )
            forum.save_checked()
            forum.policy_areas.set([self.demo.areas[slug] for slug in plan.areas])
        return forum

    def forum_description(self, plan: ForumPlan) -> str:
        kkr = self.council.name
        if plan.mode == Seat.Mode.NOMINATES:
            return f"{kkr} indstiller kommunale repræsentanter; {plan.appointing_body.lower()} udpeger."
        if plan.mode == Seat.Mode.RECOMMENDS:
            return f"{kkr} udpeger efter indstilling fra kommunerne i klyngen."
        return f"{kkr} udpeger kommunale repræsentanter."

    def seats(self, forum: Forum, plan: ForumPlan, period: ElectionPeriod, *, deputies: bool) -> list[Seat]:
        rows = []
        for number in range(1, plan.members + 1):
            suffix = f" {number}" if plan.members > 1 else ""
            member = Seat(
                forum=forum,
                period=period,
                label=f"Medlem{suffix}",
                kind=Seat.Kind.MEMBER,
                mode=plan.mode,
                appointing_body=plan.appointing_body,
                recommended_by=plan.recommended_by,
                position=2 * number - 1,
            )
            member.save_checked()
            rows.append(member)
            if deputies:
                deputy = Seat(
                    forum=forum,
                    period=period,
                    label=f"Suppleant{suffix}",
                    kind=Seat.Kind.DEPUTY,
                    deputy_for=member,
                    mode=plan.mode,
                    appointing_body=plan.appointing_body,
                    recommended_by=plan.recommended_by,
                    position=2 * number,
                )
                deputy.save_checked()
                rows.append(deputy)
        return rows

    def pick(self, taken: set[int]) -> Person:
        """An appointee: often a KKR member, as often a councillor from outside the KKR."""
        candidates = [p for p in self.pool if self.load[p.pk] < 2 and p.pk not in taken]
        if not candidates or self.rng.random() < 0.4:
            person = self.demo.councillor(self.rng.choice(self.municipalities))
            self.pool.append(person)
        else:
            person = self.rng.choice(candidates)
        self.load[person.pk] += 1
        taken.add(person.pk)
        return person

    def fora(self) -> None:
        plans = _fora_for(self.council)
        constituent = self.meetings[0]
        september = self.meeting_on_or_before(dt.date(2026, 9, 30))
        built = [(plan, self.forum(plan)) for plan in plans]

        # 2022-2025: the former holders of the member seats of some fora. Appointing their successors
        # below ends their terms; those without an appointed successor stay on as carry-overs. The
        # EU office's second member did not stand again in 2025 and has no successor yet.
        for plan, forum in built:
            if plan.history:
                for seat in self.seats(forum, plan, self.previous, deputies=False):
                    left = plan.kind == "eu-kontor" and seat.label == "Medlem 2"
                    self.previous_appointment(seat, left_council=left)

        current = [
            (plan, seat)
            for plan, forum in built
            for seat in self.seats(forum, plan, self.period, deputies=plan.deputies)
        ]
        # Seats that continue a 2022-2025 seat: its holder stays on there until a successor is appointed.
        previous = {
            (seat.forum_id, seat.label): seat
            for seat in Seat.objects.filter(forum__in=[forum for _plan, forum in built], period=self.previous)
        }
        for _plan, seat in current:
            if (seat.forum_id, seat.label) in previous:
                seat.previous_seat = previous[seat.forum_id, seat.label]
                seat.save_checked()
        forced = self.forced_seats(built)
        members = [(plan, seat) for plan, seat in current if seat.kind == Seat.Kind.MEMBER and seat.pk not in forced]
        deputies = [(plan, seat) for plan, seat in current if seat.kind == Seat.Kind.DEPUTY]
        nominating = [seat for plan, seat in members if plan.mode == Seat.Mode.NOMINATES]
        rar = next(seat for plan, seat in members if plan.kind == "rar")

        # What happens on each current seat; the rest are simply appointed at the constituent meeting.
        fate: dict[int, str] = {}
        fate[next(seat.pk for plan, seat in members if plan.kind == "eu-kontor" and seat.label == "Medlem 2")] = "open"
        for seat in [rar, *self.rng.sample([seat for seat in nominating if seat != rar], 2)]:
            fate[seat.pk] = "nominated"  # awaiting the appointing body (the RAR one is a carry-over)
        recommended = [seat for plan, seat in deputies if plan.mode == Seat.Mode.RECOMMENDS]
        fate[self.rng.choice(recommended).pk] = "proposed"
        for seat in self.rng.sample([seat for plan, seat in deputies if seat.pk not in fate], 3):
            fate[seat.pk] = "open"  # vacant: nobody proposed yet
        fate[self.rng.choice([seat for plan, seat in members if plan.kind == "trafikselskab"]).pk] = "resigned"

        taken: dict[int, set[int]] = {}
        for _plan, seat in current:
            what = fate.get(seat.pk, "appointed")
            if what == "open":
                continue
            on_forum = taken.setdefault(seat.forum_id, set())
            person = forced.get(seat.pk)
            if person is not None:
                self.load[person.pk] += 1
                on_forum.add(person.pk)
            else:
                person = self.pick(on_forum)
            if what == "nominated":
                appointment = fora_services.propose(
                    seat=seat, person=person, starts_on=dt.date(2027, 1, 1), decided_at=september
                )
                fora_services.nominate(appointment=appointment, nominated_on=september.starts_at.date())
            elif what == "proposed":
                fora_services.propose(
                    seat=seat,
                    person=person,
                    starts_on=dt.date(2027, 1, 1),
                    note="Indstilles til godkendelse på næste KKR-møde.",
                )
            else:
                appointment = self.appoint(seat, person, constituent)
                if what == "resigned":
                    fora_services.end(
                        appointment=appointment,
                        ended_on=dt.date(2026, 8, 31),
                        reason=Appointment.EndReason.RESIGNED,
                        note="Udtrådt efter eget ønske; en ny repræsentant skal udpeges.",
                    )

    def forced_seats(self, built: list[tuple[ForumPlan, Forum]]) -> dict[int, Person]:
        """The chair sits in Danmarks Erhvervsfremmebestyrelse and the first business hub, the
        vice-chair in the health coordination committee (as chairs usually do)."""
        seats = {}
        for index, (plan, forum) in enumerate(built):
            first = forum.seats.filter(period=self.period, kind=Seat.Kind.MEMBER).order_by("position").first()
            if plan.kind == "erhvervsfremmebestyrelse" or (plan.kind == "erhvervshus" and index == 0):
                seats[first.pk] = self.chair
            elif plan.name.startswith("Sundhedskoordinationsudvalget"):
                seats[first.pk] = self.vice_chair
        return seats

    def appoint(self, seat: Seat, person: Person, constituent: Meeting) -> Appointment:
        decided = constituent.starts_at.date()
        if seat.mode == Seat.Mode.NOMINATES:
            appointment = fora_services.propose(
                seat=seat, person=person, starts_on=dt.date(2026, 3, 1), decided_at=constituent
            )
            appointment = fora_services.nominate(appointment=appointment, nominated_on=decided)
            return fora_services.appoint(appointment=appointment, appointed_on=decided + dt.timedelta(days=29))
        starts_on = dt.date(2026, 3, 1) if seat.mode == Seat.Mode.RECOMMENDS else dt.date(2026, 2, 1)
        appointment = fora_services.propose(seat=seat, person=person, starts_on=starts_on, decided_at=constituent)
        return fora_services.appoint(appointment=appointment, appointed_on=decided)

    def previous_appointment(self, seat: Seat, *, left_council: bool) -> Appointment:
        """A 2022-2025 appointee: a former mayor, a councillor re-elected in 2025, or (left_council)
        one who sat only in 2022-2025."""
        taken = self.taken_2022.setdefault(seat.forum_id, set())
        former = [p for p in self.mayors_2022.values() if p.pk not in self.demo.seed_people and p.pk not in taken]
        if left_council:
            municipality = self.rng.choice(self.municipalities)
            person = self.demo.new_person(municipality, self.demo.weighted_party(VOTE_WEIGHTS))
            self.demo.seat_in_2022(person, municipality)
        elif former and self.rng.random() < 0.3:
            person = self.rng.choice(former)
        else:
            person = self.rng.choice([p for p in self.pool if p.pk not in self.demo.seed_people and p.pk not in taken])
            self.demo.seat_in_2022(person, self.demo.home[person.pk])
        taken.add(person.pk)
        appointment = fora_services.propose(seat=seat, person=person, starts_on=dt.date(2022, 3, 1))
        appointment.term_ends_on = self.previous.ends_on
        appointment.save_checked()
        return fora_services.appoint(appointment=appointment, appointed_on=dt.date(2022, 2, 1))

    # Agreements --------------------------------------------------------------------------

    def agreements(self) -> None:
        existing = list(Agreement.objects.filter(council=self.council).select_related("kind"))
        if not existing:
            existing = self.demo_agreements()
        for agreement in sorted(existing, key=lambda a: (a.kind.slug, a.counterpart)):
            jitter = self.rng.randint(-3, 3)
            for kind, title, days, audience, every in MILESTONES.get(agreement.kind.slug, []):
                due_on = DEMO_ANCHOR + dt.timedelta(days=days + jitter)
                milestone = Milestone(
                    agreement=agreement,
                    kind=kind,
                    title=title,
                    due_on=due_on,
                    audience=audience,
                    requires_every_council=every,
                    completed_on=due_on if due_on < DEMO_ANCHOR else None,
                )
                milestone.save_checked()
                if every and days < 60:
                    self.approvals(milestone)

    def approvals(self, milestone: Milestone) -> None:
        """Some, not all, municipal councils have approved already."""
        approving = self.rng.sample(self.municipalities, round(len(self.municipalities) * self.rng.uniform(0.45, 0.75)))
        for municipality in sorted(approving, key=lambda m: m.code):
            approval = MunicipalApproval(
                milestone=milestone,
                municipality=municipality,
                approved_on=DEMO_ANCHOR - dt.timedelta(days=self.rng.randint(1, 28)),
                approved_by="Byrådet" if self.rng.random() < 0.4 else "Kommunalbestyrelsen",
            )
            approval.save_checked()

    def demo_agreements(self) -> list[Agreement]:
        """The seed facts' agreements for the three KKRs the welcome folders do not cover."""
        region = self.council.region_name
        hubs = [plan.name for plan in _fora_for(self.council) if plan.kind == "erhvervshus"]
        rows = [
            ("sundhedsaftale", f"Sundhedsaftale med {region}", region),
            ("praksisplan", f"Plan for almen praksis i {region}", region),
            ("rammeaftale", "Rammeaftale på det specialiserede social- og specialundervisningsområde", region),
            *(("resultatkontrakt", f"Resultatkontrakt med {hub}", hub) for hub in hubs),
            (
                "praktikpladser",
                "Dimensionering og fordeling af praktikpladser (pædagog, PAU, social- og sundhed)",
                f"Kommunerne i {self.council.name}",
            ),
            ("dk2020", "DK2020 – klimaplaner for hele Danmark", f"Realdania og {region}"),
        ]
        agreements = []
        for slug, title, counterpart in rows:
            kind = self.demo.agreement_kinds[slug]
            agreement = Agreement(
                council=self.council,
                kind=kind,
                title=title,
                counterpart=counterpart,
                policy_area=kind.policy_area,
                valid_from=self.period.starts_on,
                recurrence_months=kind.recurrence_months,
            )
            agreement.save_checked()
            agreements.append(agreement)
        return agreements

    # Figures --------------------------------------------------------------------------------

    def stats(self) -> Counter:
        on = DEMO_ANCHOR if self.period.contains(DEMO_ANCHOR) else self.period.starts_on
        memberships = KKRMembership.objects.filter(council=self.council, period=self.period)
        appointments = Appointment.objects.filter(seat__forum__council=self.council, seat__period=self.period)
        seats = Seat.objects.filter(forum__council=self.council, period=self.period)
        meetings = Meeting.objects.filter(council=self.council)
        return Counter(
            kommuner=len(self.municipalities),
            medlemmer=memberships.members().count(),
            med_stemmeret=memberships.voting().count(),
            stedfortrædere=memberships.substitutes().count(),
            fora=Forum.objects.filter(council=self.council).count(),
            pladser=seats.count(),
            udpegninger=appointments.count(),
            udpeget=appointments.filter(status=Appointment.Status.APPOINTED).count(),
            indstillet=appointments.filter(status=Appointment.Status.NOMINATED).count(),
            ledige=seats.vacant_on(on).count(),
            overgang=Appointment.objects.for_council(self.council).carry_overs(on).count(),
            møder=meetings.count(),
            kommende_møder=meetings.filter(starts_at__gte=self.demo.now).count(),
            milepæle=Milestone.objects.filter(agreement__council=self.council).count(),
        )
