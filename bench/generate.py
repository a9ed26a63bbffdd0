"""Synthetic data for the benchmark, written in bulk (PostgreSQL COPY), not row by row.

The shape follows the demo data (``kkr_portal/demo.py``) and Denmark's reference data (five KKRs,
98 municipalities, the parties): every period has council seats in every municipality, a mayor
and a deputy mayor per municipality, the mayors' ex officio places in the KKR with the deputies
as substitutes, supplementary members, a chair and vice-chair per KKR, fora with member and
deputy seats each held by an appointment, and about five meetings a year with agendas.

Rows get their ids here (one COPY per table, no round trip per row); the sequences are moved
past them afterwards. ``Person.search_name`` is filled with ``members.search.fold`` because COPY
bypasses ``Person.save()``; the people are written after their roles (see ``copy_people``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.utils.text import slugify

from fora.models import Appointment, Forum, ForumKind, Seat
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
)
from members.search import fold

TZ = ZoneInfo("Europe/Copenhagen")
SEED = 20261123


@dataclass(frozen=True)
class Scale:
    """How much data: people in all, election periods of history, appointments in all."""

    name: str
    people: int
    periods: int
    appointments: int

    @property
    def label(self) -> str:
        return {"denmark": "Denmark", "40x": "40×"}.get(self.name, self.name)


SCALES = {
    "denmark": Scale("denmark", people=2_500, periods=2, appointments=650),
    "40x": Scale("40x", people=100_000, periods=10, appointments=26_000),
    # For the test of the harness itself.
    "tiny": Scale("tiny", people=300, periods=2, appointments=40),
}

# Names as Denmark's registers have them most often, so searches for common names find many.
FIRST_NAMES = [
    "Anne",
    "Mette",
    "Kirsten",
    "Hanne",
    "Anna",
    "Helle",
    "Susanne",
    "Lene",
    "Maria",
    "Marianne",
    "Lone",
    "Camilla",
    "Pia",
    "Louise",
    "Charlotte",
    "Inge",
    "Bente",
    "Tina",
    "Gitte",
    "Karen",
    "Søren",
    "Peter",
    "Jens",
    "Michael",
    "Lars",
    "Henrik",
    "Thomas",
    "Jørgen",
    "Hans",
    "Niels",
    "Morten",
    "Anders",
    "Jan",
    "Christian",
    "Martin",
    "Rasmus",
    "Ole",
    "Per",
    "Erik",
    "Mads",
    "Jesper",
    "Bjørn",
    "Åse",
    "Ørsted",
    "Ægidius",
    "Frederik",
    "Ida",
    "Emma",
]
LAST_NAMES = [
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Christiansen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
    "Jakobsen",
    "Mikkelsen",
    "Olesen",
    "Frederiksen",
    "Laursen",
    "Henriksen",
    "Lund",
    "Schmidt",
    "Eriksen",
    "Holm",
    "Kristiansen",
    "Clausen",
    "Simonsen",
    "Svendsen",
    "Andreasen",
    "Iversen",
    "Jeppesen",
    "Vestergaard",
    "Mogensen",
    "Nissen",
    "Lauridsen",
    "Kjær",
    "Jepsen",
    "Dahl",
    "Bach",
    "Ærenlund",
    "Østergaard",
    "Århus-Holm",
    "Bæk",
    "Skovgaard",
    "Brøndum",
    "Krogh",
    "Vinther",
    "Damgaard",
    "Højgaard",
]
MIDDLE_NAMES = [
    "Bruun",
    "Friis",
    "Kjeldsen",
    "Lykke",
    "Munk",
    "Holst",
    "Juul",
    "Bang",
    "Dyrberg",
    "Winther",
    "Stær",
    "Grønbæk",
]
FORUM_TITLES = (
    "Erhvervshusets bestyrelse",
    "Regionalt Arbejdsmarkedsråd",
    "Professionshøjskolens bestyrelse",
    "Sundhedsklynge",
    "Trafikselskabets bestyrelse",
    "Samarbejdsudvalg",
    "Regionalt EU-kontor",
    "Vækstforum",
)
AGENDA_TITLES = (
    "Godkendelse af dagsorden",
    "Sundhedsaftale: status",
    "Rammeaftale for det specialiserede socialområde",
    "Praktikpladser og uddannelse",
    "Kollektiv trafik: budget",
    "Klimaplan: fælles indsats",
    "Meddelelser",
)


def person_name(rng: random.Random) -> tuple[str, str]:
    """``(name, sort_name)``: a first name, sometimes a middle name, a last name."""
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    middle = rng.choice(MIDDLE_NAMES) if rng.random() < 0.3 else ""
    name = " ".join(part for part in (first, middle, last) if part)
    return name, f"{last}, {first} {middle}".strip()


def danish_slug(text: str) -> str:
    return slugify(text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa"))


# --- writing in bulk -----------------------------------------------------------------------------


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY ``rows`` (tuples in ``columns`` order) into the model's table; returns how many."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def copy_objects(model: type[models.Model], objects: Sequence[models.Model]) -> int:
    """COPY unsaved model instances (with their ``pk`` set) as they would be saved."""
    fields = list(model._meta.concrete_fields)
    columns = [field.column for field in fields]

    def rows():
        for obj in objects:
            yield tuple(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields)

    return copy_rows(model, columns, rows())


def reset_sequences(*models_: type[models.Model]) -> None:
    """Move each table's id sequence past the ids written here."""
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM "
                + connection.ops.quote_name(table)
                + "), 1))",
                [table],
            )


def copy_people(people: Sequence[Person]) -> int:
    """COPY the people after their roles: the database works out each one's ``role_days`` from
    them as the row goes in (migration members.0008). Replica mode skips triggers, so that one
    is switched on for the COPY (``ENABLE ALWAYS``) and back to normal afterwards."""
    trigger = "members_person_role_days"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE members_person ENABLE ALWAYS TRIGGER {trigger}")
    count = copy_objects(Person, people)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE members_person ENABLE TRIGGER {trigger}")
    return count


class Ids:
    """Hands out ids above those already in a table."""

    def __init__(self, model: type[models.Model]):
        self.next = (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1

    def __call__(self) -> int:
        value, self.next = self.next, self.next + 1
        return value


# --- the data set --------------------------------------------------------------------------------


def ensure_periods(count: int) -> list[ElectionPeriod]:
    """The reference data's periods and enough earlier four-year ones: ``count`` periods up to the current one."""
    existing = list(ElectionPeriod.objects.order_by("starts_on"))
    current = next(period for period in existing if period.name == "2026-2029")
    wanted_years = [current.starts_on.year - 4 * back for back in range(count)]
    have = {period.starts_on.year for period in existing}
    ElectionPeriod.objects.bulk_create(
        ElectionPeriod(
            name=f"{year}-{year + 3}",
            starts_on=dt.date(year, 1, 1),
            ends_on=dt.date(year + 3, 12, 31),
            election_day=dt.date(year - 1, 11, 16),
        )
        for year in wanted_years
        if year not in have
    )
    return list(ElectionPeriod.objects.filter(starts_on__year__in=wanted_years).order_by("starts_on"))


def make_people(count: int, rng: random.Random, parties: list[Party]) -> list[Person]:
    ids = Ids(Person)
    people = []
    for index in range(count):
        name, sort_name = person_name(rng)
        slug = f"{danish_slug(name)}-{index + 1}"
        people.append(
            Person(
                pk=ids(),
                name=name,
                sort_name=sort_name,
                slug=slug,
                party=rng.choice(parties),
                email=f"{slug}@bench.example" if rng.random() < 0.95 else "",
                phone=f"{rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                bio="Kommunalpolitiker." if rng.random() < 0.5 else "",
                search_name=fold(name),
            )
        )
    return people


def _ended(period: ElectionPeriod, today: dt.date) -> dt.date | None:
    return period.ends_on if period.ends_on < today else None


@transaction.atomic
def generate(scale: Scale, *, today: dt.date, seed: int = SEED) -> dict[str, int]:
    """Fill an empty portal database (migrated, reference data loaded) at ``scale``; returns row counts."""
    rng = random.Random(f"{seed}-{scale.name}")
    with connection.cursor() as cursor:
        # The generated foreign keys are consistent by construction: skip the per-row foreign key
        # triggers for this transaction (checks, unique and exclusion constraints still apply).
        cursor.execute("SET LOCAL session_replication_role = replica")
    periods = ensure_periods(scale.periods)
    councils = list(Council.objects.order_by("region_code"))
    municipalities = list(Municipality.objects.order_by("code"))
    parties = list(Party.objects.filter(municipality__isnull=True)) or [None]
    kinds = list(ForumKind.objects.order_by("position", "pk"))

    people = make_people(scale.people, rng, parties)

    # Council seats: each person has a home municipality and serves one to three periods in a row.
    home = {person.pk: rng.choice(municipalities) for person in people}
    seat_ids = Ids(CouncilSeat)
    seats: list[CouncilSeat] = []
    seated: dict[tuple[int, int], list[CouncilSeat]] = defaultdict(list)  # (municipality, period) → seats
    for person in people:
        first = rng.randrange(len(periods))
        for period in periods[first : first + rng.choice((1, 1, 2, 3))]:
            seat = CouncilSeat(
                pk=seat_ids(),
                person_id=person.pk,
                municipality_id=home[person.pk].pk,
                period_id=period.pk,
                role=CouncilSeat.Role.MEMBER,
                started_on=period.starts_on,
                ended_on=_ended(period, today),
            )
            seats.append(seat)
            seated[home[person.pk].pk, period.pk].append(seat)

    # A mayor and a deputy mayor per municipality and period, ex officio in the KKR.
    membership_ids = Ids(KKRMembership)
    memberships: list[KKRMembership] = []
    chairs: list[Chairmanship] = []
    chair_ids = Ids(Chairmanship)
    density = max(1, round(scale.people / scale.periods / 1_250))  # 1 at Denmark's scale, 4 at 40x
    for period in periods:
        ended = _ended(period, today)
        for council in councils:
            council_munis = [m for m in municipalities if m.council_id == council.pk]
            mayors = []
            in_kkr: set[int] = set()
            for municipality in council_munis:
                local = seated[municipality.pk, period.pk]
                if len(local) < 2:
                    continue
                mayor_seat, deputy_seat = rng.sample(local, 2)
                mayor_seat.role = CouncilSeat.Role.MAYOR
                deputy_seat.role = CouncilSeat.Role.DEPUTY_MAYOR
                mayor = KKRMembership(
                    pk=membership_ids(),
                    person_id=mayor_seat.person_id,
                    council_id=council.pk,
                    period_id=period.pk,
                    basis=KKRMembership.Basis.EX_OFFICIO,
                    role=KKRMembership.Role.MEMBER,
                    mayoralty_id=mayor_seat.pk,
                    started_on=period.starts_on,
                    ended_on=ended,
                )
                deputy = KKRMembership(
                    pk=membership_ids(),
                    person_id=deputy_seat.person_id,
                    council_id=council.pk,
                    period_id=period.pk,
                    basis=KKRMembership.Basis.EX_OFFICIO,
                    role=KKRMembership.Role.SUBSTITUTE,
                    substitute_for_id=mayor.pk,
                    mayoralty_id=deputy_seat.pk,
                    started_on=period.starts_on,
                    ended_on=ended,
                )
                memberships += [mayor, deputy]
                mayors.append(mayor_seat.person_id)
                in_kkr |= {mayor_seat.person_id, deputy_seat.person_id}
            candidates = [
                seat.person_id
                for municipality in council_munis
                for seat in seated[municipality.pk, period.pk]
                if seat.person_id not in in_kkr
            ]
            for person_id in rng.sample(candidates, min(len(candidates), round(0.62 * len(council_munis) * density))):
                memberships.append(
                    KKRMembership(
                        pk=membership_ids(),
                        person_id=person_id,
                        council_id=council.pk,
                        period_id=period.pk,
                        basis=KKRMembership.Basis.SUPPLEMENTARY,
                        role=KKRMembership.Role.MEMBER,
                        started_on=period.starts_on,
                        ended_on=ended,
                    )
                )
            if len(mayors) >= 2:
                chair, vice = rng.sample(mayors, 2)
                for role, person_id in ((Chairmanship.Role.CHAIR, chair), (Chairmanship.Role.VICE_CHAIR, vice)):
                    chairs.append(
                        Chairmanship(
                            pk=chair_ids(),
                            council_id=council.pk,
                            period_id=period.pk,
                            role=role,
                            person_id=person_id,
                            started_on=period.starts_on + dt.timedelta(days=20),
                            ended_on=ended,
                        )
                    )
    copy_objects(CouncilSeat, seats)
    copy_objects(KKRMembership, memberships)
    copy_objects(Chairmanship, chairs)

    # Fora with member and deputy seats, every seat held by one appointment per period.
    per_council_period = max(1, scale.appointments // (len(councils) * len(periods)))
    seats_per_forum = 4  # two member seats, each with a deputy
    fora_per_council = max(1, per_council_period // seats_per_forum)
    forum_ids, fseat_ids, appointment_ids = Ids(Forum), Ids(Seat), Ids(Appointment)
    fora: list[Forum] = []
    fseats: list[Seat] = []
    appointments: list[Appointment] = []
    for council in councils:
        council_munis = {m.pk for m in municipalities if m.council_id == council.pk}
        for number in range(fora_per_council):
            title = FORUM_TITLES[number % len(FORUM_TITLES)]
            name = f"{title} {council.name} {number + 1}"
            forum = Forum(
                pk=forum_ids(),
                council_id=council.pk,
                kind_id=kinds[number % len(kinds)].pk,
                name=name,
                slug=danish_slug(name),
                founded_on=periods[0].starts_on,
            )
            fora.append(forum)
            for period in periods:
                pool = [seat.person_id for m in council_munis for seat in seated[m, period.pk]]
                if not pool:
                    continue
                ended = _ended(period, today)
                for position in range(seats_per_forum // 2):
                    member_seat = Seat(
                        pk=fseat_ids(),
                        forum_id=forum.pk,
                        period_id=period.pk,
                        label=f"Medlem {position + 1}",
                        kind=Seat.Kind.MEMBER,
                        position=2 * position,
                    )
                    deputy_seat = Seat(
                        pk=fseat_ids(),
                        forum_id=forum.pk,
                        period_id=period.pk,
                        label=f"Suppleant {position + 1}",
                        kind=Seat.Kind.DEPUTY,
                        deputy_for_id=member_seat.pk,
                        position=2 * position + 1,
                    )
                    fseats += [member_seat, deputy_seat]
                    for seat in (member_seat, deputy_seat):
                        starts = period.starts_on + dt.timedelta(days=45)
                        appointments.append(
                            Appointment(
                                pk=appointment_ids(),
                                seat_id=seat.pk,
                                person_id=rng.choice(pool),
                                status=Appointment.Status.ENDED if ended else Appointment.Status.APPOINTED,
                                starts_on=starts,
                                ended_on=ended,
                                end_reason=Appointment.EndReason.TERM_EXPIRED if ended else "",
                                nominated_on=starts - dt.timedelta(days=10),
                                appointed_on=starts,
                            )
                        )
    copy_objects(Forum, fora)
    copy_objects(Seat, fseats)
    copy_objects(Appointment, appointments)
    copy_people(people)

    # About five meetings a year per KKR, each with a short agenda.
    meeting_ids, item_ids = Ids(Meeting), Ids(AgendaItem)
    meetings: list[Meeting] = []
    items: list[AgendaItem] = []
    now = dt.datetime.combine(today, dt.time(12), tzinfo=TZ)
    for council in councils:
        for period in periods:
            for year in range(period.starts_on.year, period.ends_on.year + 1):
                for month in (2, 4, 6, 9, 12):
                    starts_at = dt.datetime(year, month, 10 + council.region_code % 10, 10, tzinfo=TZ)
                    meeting = Meeting(
                        pk=meeting_ids(),
                        council_id=council.pk,
                        title=f"Møde i {council.name}",
                        starts_at=starts_at,
                        ends_at=starts_at + dt.timedelta(hours=3),
                        place="Rådhuset",
                        status=Meeting.Status.HELD if starts_at < now else Meeting.Status.PLANNED,
                    )
                    meetings.append(meeting)
                    items += [
                        AgendaItem(pk=item_ids(), meeting_id=meeting.pk, number=number, title=title)
                        for number, title in enumerate(rng.sample(AGENDA_TITLES, 4), start=1)
                    ]
    copy_objects(Meeting, meetings)
    copy_objects(AgendaItem, items)

    models_written = (Person, CouncilSeat, KKRMembership, Chairmanship, Forum, Seat, Appointment, Meeting, AgendaItem)
    reset_sequences(*models_written)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {model._meta.model_name: model.objects.count() for model in models_written}


def copy_names(count: int, *, seed: int = SEED) -> int:
    """``count`` bare people (names only) for the name search at a million, the trigram index
    dropped during the COPY and built once afterwards (faster than maintaining it row by row)."""
    rng = random.Random(f"{seed}-names")
    start = Ids(Person).next
    index = "members_person_search_name_trgm"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {index}")

    def rows():
        for number in range(start, start + count):
            name, sort_name = person_name(rng)
            yield (number, name, sort_name, f"p-{number}", "", "", "", "", fold(name))

    columns = ("id", "name", "sort_name", "slug", "email", "phone", "bio", "photo", "search_name")
    with transaction.atomic():
        written = copy_rows(Person, columns, rows())
        reset_sequences(Person)
    # After the commit: the deferred foreign key checks must have run before an index is built.
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX {index} ON members_person USING gin (search_name gin_trgm_ops)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_person")
    return written
