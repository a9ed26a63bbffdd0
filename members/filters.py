"""The Blå Bog's filters and the rows it shows: who held which role on a given day.

A person is listed when they held a matching role **on the day** (``dato``, default today): a
seat in a municipal council, a place in a KKR, a chair or vice-chair post, or an appointment to
a forum (carry-overs count: their term is over, no successor yet). A name search (``q``) also
finds everyone who ever held a matching role, listed after those who hold one on the day and
marked with their last such role and its period.

How the filters combine: ``rolle``, ``kkr`` and ``periode`` describe one role (the chair *of*
KKR Syddanmark *in* 2022-2025); ``kommune``, ``forum`` and ``fagomraade`` narrow the person
(a mayor *who also* sits on Erhvervshus Fyn), or the role itself where they can (a deputy *on*
Erhvervshus Fyn). ``parti`` is the person's party.

The page's rows come from one query, whatever the page size: the page of people with their roles
(subqueries the database works out for the page's rows only, see ``roles_of_kind``) and, when
they are sorted by a value worked out per person, their total (see ``DirectoryPeople``); sorted by
name, a ``COUNT(*)`` comes first. The filters' option lists are read only to check a value given
for one of them, to group by KKR, or to draw the form: a name search alone reads none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache, partial
from html import escape
from typing import NamedTuple

import django_filters
from django import forms
from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import LessThan
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fora.models import Appointment, Forum, Seat
from members.models import (
    Chairmanship,
    Council,
    CouncilSeat,
    ElectionPeriod,
    KKRMembership,
    Municipality,
    Party,
    Person,
    PolicyArea,
)
from members.querysets import PersonQuerySet, active_on_q, today
from members.search import MAX_QUERY_LENGTH, MIN_INDEXED_WORD, name_matches, search_words

PAGE_SIZE = 50

# The kinds of role a person can hold, each a model with its own dated rows.
SEAT, MEMBERSHIP, CHAIR, APPOINTMENT = "seat", "membership", "chair", "appointment"
KINDS = (SEAT, MEMBERSHIP, CHAIR, APPOINTMENT)
MODELS = {SEAT: CouncilSeat, MEMBERSHIP: KKRMembership, CHAIR: Chairmanship, APPOINTMENT: Appointment}
COUNCIL_FIELD = {
    SEAT: "municipality__council",
    MEMBERSHIP: "council",
    CHAIR: "council",
    APPOINTMENT: "seat__forum__council",
}
PERIOD_FIELD = {SEAT: "period", MEMBERSHIP: "period", CHAIR: "period", APPOINTMENT: "seat__period"}


class Rolle:
    """The ``rolle`` filter's values (URL names) and which rows each one means."""

    MAYOR = "mayor"
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"
    APPOINTEE = "appointee"
    DEPUTY = "deputy"
    KKR = "kkr"  # any role in a KKR or its fora: the Blå Bog proper, without the councils' other members

    CHOICES = [
        (MAYOR, gettext_lazy("Borgmester")),
        (CHAIR, gettext_lazy("Formand for KKR")),
        (VICE_CHAIR, gettext_lazy("Næstformand for KKR")),
        (MEMBER, gettext_lazy("Medlem af KKR")),
        (APPOINTEE, gettext_lazy("Udpeget til et forum")),
        (DEPUTY, gettext_lazy("Stedfortræder i KKR eller suppleant i et forum")),
        (KKR, gettext_lazy("Enhver rolle i KKR eller et forum")),
    ]

    # role → {kind: condition on that kind's rows}; no role: every kind, unconditionally.
    ROWS = {
        None: {SEAT: Q(), MEMBERSHIP: Q(), CHAIR: Q(), APPOINTMENT: Q()},
        MAYOR: {SEAT: Q(role=CouncilSeat.Role.MAYOR)},
        CHAIR: {CHAIR: Q(role=Chairmanship.Role.CHAIR)},
        VICE_CHAIR: {CHAIR: Q(role=Chairmanship.Role.VICE_CHAIR)},
        MEMBER: {MEMBERSHIP: Q(role=KKRMembership.Role.MEMBER)},
        APPOINTEE: {APPOINTMENT: Q(seat__kind=Seat.Kind.MEMBER)},
        DEPUTY: {MEMBERSHIP: Q(role=KKRMembership.Role.SUBSTITUTE), APPOINTMENT: Q(seat__kind=Seat.Kind.DEPUTY)},
        KKR: {MEMBERSHIP: Q(), CHAIR: Q(), APPOINTMENT: Q()},
    }


GROUP_BY_COUNCIL = "kkr"


# --- The rows a role consists of -------------------------------------------------------------


def held_q(kind: str) -> Q:
    """Rows that were ever held: an appointment counts once appointed, not while proposed or
    nominated, nor when a nomination was withdrawn (ended without ever being appointed)."""
    if kind == APPOINTMENT:
        return Q(status__in=[Appointment.Status.APPOINTED, Appointment.Status.ENDED], appointed_on__isnull=False)
    return Q()


def on_day_q(kind: str, on: dt.date) -> Q:
    """Rows held on ``on``: inside their period and not ended (appointments: carry-overs too)."""
    if kind == APPOINTMENT:
        return held_q(kind) & Q(starts_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gte=on))
    return active_on_q(on) & Q(period__starts_on__lte=on, period__ends_on__gte=on)


# --- The criteria the form gives ------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What the visitor asked for, resolved to rows and ids."""

    on: dt.date
    words: tuple[str, ...] = ()
    council_id: int | None = None
    council_municipality_ids: tuple[int, ...] = ()  # the KKR's municipalities, for council seats
    municipality_id: int | None = None
    party_id: int | None = None
    forum_id: int | None = None
    area_id: int | None = None
    role: str | None = None
    period: ElectionPeriod | None = None
    by_council: bool = False
    # For ``by_council``: each KKR's name by its id, and by the id of each of its municipalities.
    council_names: tuple[tuple[int, str], ...] = ()
    municipality_council_names: tuple[tuple[int, str], ...] = ()

    @property
    def searching(self) -> bool:
        return bool(self.words)

    @property
    def plain(self) -> bool:
        """Whether any role of anyone counts (no filter on the role, its KKR, period, forum or
        municipality): then ``members_person.role_days`` says who held one when (``RoleDays``)."""
        return (self.role, self.council_id, self.period, self.forum_id, self.area_id, self.municipality_id) == (
            None,
        ) * 6

    @property
    def selective(self) -> bool:
        """Whether the name search finds few enough people to probe each for their roles: a word
        the trigram index serves (three letters or more). »jensen« finds 1,700 people at the
        benchmark's 40x scale, a name's first three letters a few thousand, for whom probing is
        faster than hashing every role once; a fragment common to most names, such as »sen« (69,000
        people), is slower probed (0.3 s under load, as before): a price for the usual prefixes."""
        return any(len(word) >= MIN_INDEXED_WORD for word in self.words)

    def _base(self, kind: str) -> Q:
        condition = Q()
        if self.council_id is not None and kind == SEAT:
            # A list of ids, not a join with the municipalities for every person probed.
            condition &= Q(municipality_id__in=self.council_municipality_ids)
        elif self.council_id is not None:
            condition &= Q(**{f"{COUNCIL_FIELD[kind]}_id": self.council_id})
        if self.period is not None:
            condition &= Q(**{f"{PERIOD_FIELD[kind]}_id": self.period.pk})
        return condition

    def plan(self) -> tuple[dict[str, Q], list[tuple[str, Q]]]:
        """``(kinds, also)``: a person matches with a row of any of ``kinds`` (kind → condition on
        its rows) and, for each of ``also``, a row of that kind meeting that condition too."""
        kinds = {kind: self._base(kind) & rows for kind, rows in Rolle.ROWS[self.role].items()}
        also: list[tuple[str, Q]] = []
        if self.forum_id is not None or self.area_id is not None:
            in_forum = Q()
            if self.forum_id is not None:
                in_forum &= Q(seat__forum_id=self.forum_id)
            if self.area_id is not None:
                in_forum &= Q(seat__forum__policy_areas=self.area_id)
            if APPOINTMENT in kinds:  # the appointment itself is on that forum
                kinds = {APPOINTMENT: kinds[APPOINTMENT] & in_forum}
            else:  # a mayor, chair or member who also sits on that forum
                also.append((APPOINTMENT, self._base(APPOINTMENT) & in_forum))
        if self.municipality_id is not None:
            in_municipality = Q(municipality_id=self.municipality_id)
            # Without another narrowing, a seat in the municipality is the role itself.
            alone = self.role is None and self.forum_id is None and self.area_id is None
            if alone or set(kinds) == {SEAT}:
                kinds = {SEAT: kinds[SEAT] & in_municipality}
            else:
                also.append((SEAT, self._base(SEAT) & in_municipality))
        return kinds, also

    def _rows(self, kind: str, condition: Q, on: dt.date | None) -> QuerySet:
        rows = condition & held_q(kind) if on is None else condition & on_day_q(kind, on)
        return MODELS[kind].objects.filter(rows, person=OuterRef("pk")).order_by()

    def person_q(self, *, on: dt.date | None) -> Q:
        """People with a matching role on ``on`` (``None``: at any time), for many people.

        ``EXISTS (…) OR EXISTS (…)``: PostgreSQL hashes each kind's (filtered) rows once and
        checks every person against them: right for many people, or for few rows.
        """
        kinds, also = self.plan()
        result = Q()
        for kind, condition in kinds.items():
            result |= Q(Exists(self._rows(kind, condition, on)))
        for kind, condition in also:
            result &= Q(Exists(self._rows(kind, condition, on)))
        return result

    def probe_q(self, *, on: dt.date | None, prefix: str) -> tuple[dict[str, Subquery], Q]:
        """People with a matching role on ``on`` (``None``: at any time), for the few people a
        name search has found: ``(aliases, condition)``, the aliases (named ``prefix…``) to
        ``alias()`` a queryset of people with before it uses the condition.

        Council seats and appointments (many rows: every seat in a KKR over ten periods) are
        probed per person: a scalar subquery goes through the index on ``person_id``, where
        PostgreSQL may turn ``EXISTS`` into a hash of every matching row (17,000 seats held today
        at the benchmark's 40x scale) to test a handful of people. KKR places and chair posts are
        few, and ``EXISTS`` lets them be hashed once.
        """
        kinds, also = self.plan()
        aliases: dict[str, Subquery] = {}

        def held(kind: str, condition: Q) -> Q:
            rows = self._rows(kind, condition, on)
            if kind in (MEMBERSHIP, CHAIR):
                return Q(Exists(rows))
            name = f"{prefix}{kind}_{len(aliases)}"
            aliases[name] = Subquery(rows.values("person_id")[:1])  # from the index alone, once vacuumed
            return Q(**{f"{name}__isnull": False})

        result = Q()
        for kind, condition in kinds.items():  # council seats first: most people have held one
            result |= held(kind, condition)
        for kind, condition in also:
            result &= held(kind, condition)
        return aliases, result

    def group_expression(self):
        """The KKR a person's roles on the day belong to (for ``visning=kkr``): that of their KKR
        place, else their chair post, council seat or appointment.

        It is a sort key, so it is worked out for everyone listed (17,000 people at the
        benchmark's 40x scale). Whether someone has a KKR place or chair post that day is looked
        up in a hash of those few rows; then one subquery per person reads the id of the KKR, or
        of the municipality, of the role found, and :class:`Named` turns it into the KKR's name.
        With a join to the KKRs in the subquery, PostgreSQL hashes the municipalities anew for
        every person (the table is small enough to look cheap): several times slower.
        """
        council_names = dict(self.council_names)

        def rows(kind: str) -> QuerySet:
            condition = on_day_q(kind, self.on) & self._base(kind)
            return MODELS[kind].objects.filter(condition, person=OuterRef("pk")).order_by()

        def council(kind: str) -> Named:
            return Named(Subquery(rows(kind).values(f"{COUNCIL_FIELD[kind]}_id")[:1]), council_names)

        seat_council = Named(Subquery(rows(SEAT).values("municipality_id")[:1]), dict(self.municipality_council_names))
        return Case(
            When(Exists(rows(MEMBERSHIP)), then=council(MEMBERSHIP)),
            When(Exists(rows(CHAIR)), then=council(CHAIR)),
            default=Coalesce(seat_council, council(APPOINTMENT)),
        )


class RoleDays(Expression):
    """Whether the person held any role on ``on`` (``None``: ever), from the days the database
    keeps per person on PostgreSQL (``members_person.role_days``, migration members.0008): a
    test on the person's own row, where ``Criteria.person_q``/``probe_q`` ask four tables.
    Django does not know the column; it is read from the query's own table of people."""

    output_field = BooleanField()

    def __init__(self, on: dt.date | None):
        super().__init__()
        self.on = on

    def as_sql(self, compiler, connection):
        column = f"{compiler.quote_name_unless_alias(compiler.query.get_initial_alias())}.role_days"
        if self.on is None:
            return f"{column} IS NOT NULL", []
        return f"{column} @> %s::date", [self.on]


class CompiledOnce(Subquery):
    """A subquery that keeps the SQL it compiles to, for the next query that uses it.

    The Blå Bog's people come from a query kept per criteria (``_listed``), copied and given the
    name for each search; its subqueries (the roles of the page's people: a dozen joins) are the
    same every time, and compiling them was most of Django's part of a search (5 ms at 40x). A
    subquery's SQL depends on nothing but itself once resolved (its aliases and the outer column
    it refers to are fixed then); a copy (``relabeled_clone`` when the outer query is renamed,
    inside another query) compiles anew.
    """

    _compiled: tuple[str, tuple] | None = None

    def as_sql(self, compiler, connection, template=None, **extra_context):
        if template is not None or extra_context:
            return super().as_sql(compiler, connection, template, **extra_context)
        compiled = self._compiled
        if compiled is None or compiled[0] != connection.alias:
            sql, params = super().as_sql(compiler, connection)
            compiled = self._compiled = (connection.alias, (sql, tuple(params)))
        return compiled[1]

    def copy(self):
        clone = super().copy()
        clone._compiled = None
        return clone


class Named(Func):
    """``CASE id WHEN … THEN name … END``: the name of the row an id expression gives, from a
    small table known in Python (the KKRs and their municipalities). Django's ``Case`` would
    repeat the id's expression, a subquery here, in every ``WHEN``."""

    output_field = CharField()

    def __init__(self, expression, names: dict[int, str]):
        super().__init__(expression)
        self.names = names

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        if not self.names:
            return "NULL", []
        whens = " ".join("WHEN %s THEN %s" for _ in self.names)
        return f"CASE {sql} {whens} END", [*params, *(value for item in self.names.items() for value in item)]


# --- Rows for the page and the export ----------------------------------------------------------


@dataclass
class Entry:
    """One person as the Blå Bog shows them."""

    person: Person
    current: bool
    roles: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    councils: list[str] = field(default_factory=list)
    group: str | None = None
    last_role: str = ""

    @property
    def party(self) -> str:
        """The party as ``Party.__str__`` words it, from the fields the queryset annotates."""
        person = self.person
        if person.party_id is None:
            return ""
        return str(Party(short_name=person.party_short_name, letter=person.party_letter))


class Held(NamedTuple):
    """One role row, as much of it as the Blå Bog shows."""

    kind: str
    role: str  # a seat's, KKR place's or chair post's role; an appointment's status
    basis: str  # a KKR place's basis; an appointment's kind of seat (member or deputy)
    carry_over: bool  # an appointment on the day: its term is over, no successor yet
    started_on: dt.date
    place: str  # a council seat's municipality; an appointment's forum
    council: str  # the KKR's name
    period: str  # the election period's name


class JSONRow(Func):
    """The values as a JSON array (PostgreSQL's JSONB_BUILD_ARRAY, SQLite's JSON_ARRAY). Django's
    ``JSONArray`` casts every value for PostgreSQL; only a literal needs it (a column has its
    type), and the casts are a sixth of the time Django takes to compile the Blå Bog's query."""

    function = "JSON_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        typed = self.copy()
        values = self.get_source_expressions()
        typed.set_source_expressions(
            [Cast(value, value.output_field) if isinstance(value, Value) else value for value in values]
        )
        return typed.as_sql(compiler, connection, function="JSONB_BUILD_ARRAY", **extra_context)


class JSONRows(Aggregate):
    """The rows' values as one JSON array (PostgreSQL's JSONB_AGG, SQLite's JSON_GROUP_ARRAY)."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def _held_columns(kind: str, on: dt.date) -> list:
    """The expressions of :class:`Held`'s fields after ``kind``, for one kind of role."""
    nothing = Value("", output_field=CharField())
    if kind == APPOINTMENT:
        # As AppointmentQuerySet.carry_overs(): the term ends with the period unless it says otherwise.
        term_end = Coalesce("term_ends_on", "seat__period__ends_on")
        carry_over = Q(status=Appointment.Status.APPOINTED) & LessThan(term_end, on)
        columns = [F("status"), F("seat__kind"), ExpressionWrapper(carry_over, output_field=BooleanField())]
        columns += [F("starts_on"), F("seat__forum__name")]
    else:
        columns = [F("role"), F("basis") if kind == MEMBERSHIP else nothing, Value(False)]
        columns += [F("started_on"), F("municipality__name") if kind == SEAT else nothing]
    return [*columns, F(f"{COUNCIL_FIELD[kind]}__name"), F(f"{PERIOD_FIELD[kind]}__name")]


def roles_of_kind(criteria: Criteria, kind: str, *, former: bool) -> Subquery:
    """A person's roles of one kind, for their entry: a JSON array of ``[held on the day,
    matches the filters, role, basis, …]`` (see :class:`Held`), of every row held on the day
    and, with ``former`` (a name search), every row ever held that matches the filters.

    Annotated on the people, not read afterwards for the page's people: PostgreSQL works out a
    subquery in the list of columns after the sort, for the page's rows only.
    """
    kinds, _also = criteria.plan()
    on_day = on_day_q(kind, criteria.on)
    rows = on_day
    matching = Value(False)
    if former and kind in kinds:
        condition = held_q(kind) & kinds[kind]
        if condition:
            rows = on_day | condition
            matching = ExpressionWrapper(condition, output_field=BooleanField())
        else:  # every row ever held matches
            rows = Q()
            matching = Value(True)
    values = JSONRow(
        ExpressionWrapper(on_day, output_field=BooleanField()), matching, *_held_columns(kind, criteria.on)
    )
    people_rows = MODELS[kind].objects.filter(rows, person=OuterRef("pk")).order_by().values("person")
    return CompiledOnce(people_rows.annotate(rows=JSONRows(values)).values("rows"))


def _role_label(row: Held, on: dt.date | None) -> tuple[int, str]:
    """(sort position, Danish label) of one role row."""
    if row.kind == CHAIR:
        if row.role == Chairmanship.Role.CHAIR:
            return 0, _("Formand, %(council)s") % {"council": row.council}
        return 1, _("Næstformand, %(council)s") % {"council": row.council}
    if row.kind == SEAT:
        place = {"municipality": row.place}
        if row.role == CouncilSeat.Role.MAYOR:
            return 2, _("Borgmester, %(municipality)s") % place
        if row.role == CouncilSeat.Role.DEPUTY_MAYOR:
            return 3, _("Viceborgmester, %(municipality)s") % place
        return 9, _("Medlem af kommunalbestyrelsen, %(municipality)s") % place
    if row.kind == MEMBERSHIP:
        council = {"council": row.council}
        if row.role == KKRMembership.Role.SUBSTITUTE:
            return 5, _("Stedfortræder, %(council)s") % council
        if row.basis == KKRMembership.Basis.KL_BOARD:
            return 4, _("Medlem uden stemmeret, %(council)s") % council
        return 4, _("Medlem, %(council)s") % council
    values = {"forum": row.place, "seat": Seat.Kind(row.basis).label}
    if on is not None and row.carry_over:
        return 6, _("Udpeget: %(forum)s (%(seat)s, fortsætter til en efterfølger er udpeget)") % values
    return 6, _("Udpeget: %(forum)s (%(seat)s)") % values


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def _roles(person: Person) -> list[Held]:
    """A person's roles from the queryset's ``roles_…`` annotations: held on the day when they
    hold a matching role on the day, else their matching roles ever held; in the order of KINDS."""
    roles = []
    for kind in KINDS:
        for on_day, matching, role, basis, carry_over, started_on, *names in getattr(person, f"roles_{kind}") or ():
            if on_day if person.is_current else matching:  # JSON: true/false, or 1/0 on SQLite
                started = dt.date.fromisoformat(started_on)  # JSON has no dates: an ISO string
                roles.append(Held(kind, role, basis, bool(carry_over), started, *names))
    return roles


def build_entries(people: list[Person], criteria: Criteria) -> list[Entry]:
    """The page's people (from ``DirectoryFilterSet.qs``, which annotates their roles) with their
    roles on the day, or (former holders) their last matching role. No query of its own."""
    entries = []
    for person in people:
        entry = Entry(person=person, current=person.is_current, group=getattr(person, "group_name", None))
        roles = _roles(person)
        if entry.current:
            labels = sorted(_role_label(row, criteria.on) for row in roles)
            entry.roles = _unique(label for _position, label in labels)
            entry.municipalities = _unique(row.place for row in roles if row.kind == SEAT)
            entry.councils = _unique(row.council for row in roles)
        elif roles:
            row = max(roles, key=lambda row: (row.started_on, -_role_label(row, None)[0]))
            entry.last_role = _("%(role)s (%(period)s)") % {"role": _role_label(row, None)[1], "period": row.period}
            entry.municipalities = [row.place] if row.kind == SEAT else []
            entry.councils = [row.council]
        entries.append(entry)
    return entries


# --- The people, counted with their first page ------------------------------------------------


class DirectoryPeople(PersonQuerySet):
    """The Blå Bog's people: when sorted by a value worked out per person, ``count()`` reads the
    first page too, in the same query.

    A paginator asks for ``count()`` and then for the slice of its page. Django would run
    ``COUNT(*)`` and then the page. When the order starts with a value worked out per person
    (``is_current`` in a name search, the KKR when grouped), the page's query works it out for
    everyone the filters match before it can sort them, and a separate ``COUNT(*)`` is a second
    pass over the same people (a name search probes each person found for their roles: 1,700
    people for »jensen« at the benchmark's 40x scale). Then ``count()`` reads the first page with
    the total beside each row (``COUNT(*) OVER ()``) and keeps it for a slice within it, which then
    needs no query; any other slice is a query of its own, as usual.

    Sorted by a column (the name), the page's query reads the first page in index order and stops,
    where a total beside it would make it read on to the end: then counting is ``COUNT(*)``.
    """

    _first_page: list | None = None

    def count(self) -> int:
        if self._result_cache is not None or self.query.is_sliced or not self._sorted_by_annotation():
            return super().count()
        self._first_page = list(self.annotate(directory_total=Window(Count("*")))[:PAGE_SIZE])
        return self._first_page[0].directory_total if self._first_page else 0

    def __getitem__(self, k):
        first = self._first_page
        if first is not None and isinstance(k, slice) and k.step is None:
            start, stop = k.start or 0, k.stop
            complete = len(first) < PAGE_SIZE  # then it holds every row
            if start >= 0 and (complete or (stop is not None and 0 <= stop <= len(first))):
                return first[k]
        return super().__getitem__(k)

    def _sorted_by_annotation(self) -> bool:
        first = self.query.order_by[0] if self.query.order_by else None
        return isinstance(first, OrderBy) and getattr(first.expression, "name", None) in self.query.annotations


# --- The form ---------------------------------------------------------------------------------


class PlainSelect(forms.Widget):
    """A ``<select>`` written out directly from ``options`` (``(value, label)`` pairs, or
    ``(group label, pairs)``, or a function that returns them). Django's ``Select`` renders
    every option through a template and copies its choices for every form: milliseconds for the
    Blå Bog's few hundred options."""

    options: list | Callable[[], list] = []

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        found = False

        def option(option_value: str, label: str) -> str:
            nonlocal found
            selected = not found and option_value == chosen
            found = found or selected
            return f'<option value="{escape(option_value)}"{" selected" if selected else ""}>{escape(label)}</option>'

        parts = [f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']
        for option_value, label in self.options() if callable(self.options) else self.options:
            if isinstance(label, list):
                parts.append(f'<optgroup label="{escape(option_value)}">')
                parts.extend(option(inner_value, inner_label) for inner_value, inner_label in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value and label is escaped above


class LazyOptions:
    """A field's options, worked out on first use and shared by the form's copies of the field.
    ``choices`` may be a function that returns them (the Blå Bog's lists come from the database)."""

    def __init__(self, choices, empty_label):
        self.choices = choices
        self.empty_label = empty_label

    def __call__(self) -> list:
        return self.options

    @cached_property
    def options(self) -> list:
        choices = self.choices() if callable(self.choices) else self.choices
        options = [
            (str(group), [(str(value), str(label)) for value, label in label_or_options])
            if isinstance(label_or_options, list | tuple)
            else (str(group), str(label_or_options))
            for group, label_or_options in choices
        ]
        return [("", str(self.empty_label)), *options]

    @cached_property
    def values(self) -> frozenset[str]:
        values = set()
        for value, label in self.options[1:]:
            if isinstance(label, list):
                values.update(inner_value for inner_value, _inner_label in label)
            else:
                values.add(value)
        return frozenset(values)


class OptionField(forms.Field):
    """One of a list of options, or nothing. Unlike ``ChoiceField`` it shares its (read-only)
    options between forms instead of deep-copying them for each one, and reads them only to
    check a value or to draw the field: a search that uses no list reads none."""

    widget = PlainSelect
    default_error_messages = {"invalid_choice": gettext_lazy("Vælg en af mulighederne.")}

    def __init__(self, *, choices=(), empty_label="", **kwargs):
        super().__init__(**kwargs)
        self.options = LazyOptions(choices, empty_label)
        self.widget.options = self.options

    def to_python(self, value) -> str:
        return "" if value in self.empty_values else str(value)

    def validate(self, value) -> None:
        super().validate(value)
        if value and value not in self.options.values:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class OptionFilter(django_filters.Filter):
    field_class = OptionField


class SearchField(forms.CharField):
    """A name search box that takes anything: NUL bytes are dropped and long input is cut."""

    widget = forms.SearchInput

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\x00", "").strip()[:MAX_QUERY_LENGTH]


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


@dataclass(frozen=True)
class OptionLists:
    """The filters' lists: the value in the URL → the row's id (a period: the row itself), and
    the choices to draw. One query per list, as plain tuples (there are a few hundred options)."""

    NAMES = ("kkr", "kommune", "parti", "forum", "fagomraade", "periode")

    rows: dict[str, dict]
    choices: dict[str, list]
    national_letters: dict[str, str]  # a national party's id → its letter
    council_municipalities: dict[int, tuple[int, ...]]  # a KKR's id → its municipalities' ids
    council_names: tuple[tuple[int, str], ...]  # (a KKR's id, its name)
    municipality_council_names: tuple[tuple[int, str], ...]  # (a municipality's id, its KKR's name)

    @classmethod
    def load(cls) -> OptionLists:
        councils = list(Council.objects.order_by("name").values_list("pk", "slug", "name"))
        municipalities = list(Municipality.objects.order_by("name").values_list("pk", "slug", "name", "council_id"))
        parties = list(
            Party.objects.order_by("letter", "name").values_list("pk", "letter", "name", "municipality__name")
        )
        fora = list(Forum.objects.order_by("name").values_list("pk", "slug", "name", "council_id", "dissolved_on"))
        areas = list(PolicyArea.objects.order_by("position", "name").values_list("pk", "slug", "name"))
        periods = list(ElectionPeriod.objects.order_by("-starts_on"))

        national = [(pk, letter, name) for pk, letter, name, municipality in parties if letter and not municipality]
        national_pks = {pk for pk, _letter, _name in national}
        local = [(pk, name, municipality) for pk, _letter, name, municipality in parties if pk not in national_pks]

        def by_council(rows, label):
            return [
                (council_name, [(row[1], label(row)) for row in rows if row[3] == council_pk])
                for council_pk, _slug, council_name in councils
            ]

        def forum_label(row) -> str:
            return _("%(forum)s (nedlagt)") % {"forum": row[2]} if row[4] else row[2]

        local_lists = [
            (str(pk), f"{name} ({municipality})" if municipality else name) for pk, name, municipality in local
        ]
        return cls(
            rows={
                "kkr": {slug: pk for pk, slug, _name in councils},
                "kommune": {slug: pk for pk, slug, _name, _council in municipalities},
                "parti": {**{str(pk): pk for pk, *_rest in parties}, **{letter: pk for pk, letter, _name in national}},
                "forum": {slug: pk for pk, slug, *_rest in fora},
                "fagomraade": {slug: pk for pk, slug, _name in areas},
                "periode": {period.name: period for period in periods},
            },
            choices={
                "kkr": [(slug, name) for _pk, slug, name in councils],
                "kommune": by_council(municipalities, lambda row: row[2]),
                "parti": [(letter, f"{letter} – {name}") for _pk, letter, name in national]
                + ([(_("Lokallister og partier uden bogstav"), local_lists)] if local_lists else []),
                "forum": by_council(fora, forum_label),
                "fagomraade": [(slug, name) for _pk, slug, name in areas],
                "periode": [(period.name, period.name) for period in periods],
            },
            national_letters={str(pk): letter for pk, letter, _name in national},
            council_municipalities={
                council_pk: tuple(pk for pk, _slug, _name, council in municipalities if council == council_pk)
                for council_pk, _slug, _name in councils
            },
            council_names=tuple((pk, name) for pk, _slug, name in councils),
            municipality_council_names=tuple(
                (pk, council_name)
                for pk, _slug, _name, council in municipalities
                for council_pk, _council_slug, council_name in councils
                if council == council_pk
            ),
        )


class DirectoryFilterSet(django_filters.FilterSet):
    """The Blå Bog's filters. Unknown values are left out and reported by :meth:`notices`."""

    q = SearchFilter(
        label=gettext_lazy("Navn"),
        widget=forms.SearchInput(attrs={"maxlength": MAX_QUERY_LENGTH, "autocomplete": "off", "spellcheck": "false"}),
    )
    dato = django_filters.DateFilter(
        label=gettext_lazy("Dato"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Tom: i dag."),
    )
    kkr = OptionFilter(label=gettext_lazy("KKR"), empty_label=gettext_lazy("Alle KKR'er"))
    kommune = OptionFilter(label=gettext_lazy("Kommune"), empty_label=gettext_lazy("Alle kommuner"))
    parti = OptionFilter(label=gettext_lazy("Parti"), empty_label=gettext_lazy("Alle partier"))
    rolle = OptionFilter(label=gettext_lazy("Rolle"), choices=Rolle.CHOICES, empty_label=gettext_lazy("Alle roller"))
    forum = OptionFilter(label=gettext_lazy("Forum"), empty_label=gettext_lazy("Alle fora"))
    fagomraade = OptionFilter(label=gettext_lazy("Fagområde"), empty_label=gettext_lazy("Alle fagområder"))
    periode = OptionFilter(label=gettext_lazy("Valgperiode"), empty_label=gettext_lazy("Alle valgperioder"))
    visning = OptionFilter(
        label=gettext_lazy("Visning"),
        choices=[(GROUP_BY_COUNCIL, gettext_lazy("Grupperet efter KKR"))],
        empty_label=gettext_lazy("Alfabetisk"),
    )

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(self._normalised(data), *args, queryset=DirectoryPeople(Person), **kwargs)
        for name in OptionLists.NAMES:
            self.filters[name].extra["choices"] = partial(self._choices, name)
        for name in ("kkr", "kommune", "parti", "rolle", "forum", "fagomraade", "periode", "visning"):
            self.filters[name].extra.setdefault("widget", PlainSelect(attrs={"class": "form-select"}))
        self.filters["q"].field.widget.attrs["class"] = "form-control"
        self.filters["dato"].field.widget.attrs["class"] = "form-control"

    # The lists, read when a filter that uses one has a value or the form is drawn: a name search
    # alone (what the page asks for as the visitor types) reads none of them.

    @cached_property
    def _lists(self) -> OptionLists:
        return OptionLists.load()

    def _choices(self, name: str) -> list:
        return self._lists.choices[name]

    def _row(self, name: str):
        """The id of the row a list filter's value names (a period: the row itself), or ``None``."""
        value = self.cleaned(name)
        return self._lists.rows[name].get(value) if value else None

    def _normalised(self, data):
        """A party given by id or a lower-case letter is the same party given by its letter."""
        if data is None or not data.get("parti"):
            return data
        value = data["parti"]
        national_letters = self._lists.national_letters
        letter = national_letters.get(value) or value.upper()
        if letter != value and letter in national_letters.values():
            data = data.copy() if isinstance(data, QueryDict) else dict(data)
            data["parti"] = letter
        return data

    # What the visitor asked for.

    def cleaned(self, name: str):
        self.errors  # noqa: B018 - validates the form
        return self.form.cleaned_data.get(name) or None

    def criteria(self) -> Criteria:
        if not hasattr(self, "_criteria"):
            period = self._row("periode")
            council_id = self._row("kkr")
            by_council = self.cleaned("visning") == GROUP_BY_COUNCIL
            on = self.cleaned("dato") or _clamp(today(), period)
            self._criteria = Criteria(
                on=on,
                words=tuple(search_words(self.cleaned("q") or "")),
                council_id=council_id,
                council_municipality_ids=self._lists.council_municipalities[council_id] if council_id else (),
                municipality_id=self._row("kommune"),
                party_id=self._row("parti"),
                forum_id=self._row("forum"),
                area_id=self._row("fagomraade"),
                role=self.cleaned("rolle"),
                period=period,
                by_council=by_council,
                council_names=self._lists.council_names if by_council else (),
                municipality_council_names=self._lists.municipality_council_names if by_council else (),
            )
        return self._criteria

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """People with a matching role on the day; with a name search, former holders after them.

        ``queryset`` is everyone: the list is built from the criteria (and kept, see ``_listed``).
        """
        criteria = self.criteria()
        if not criteria.searching:
            return _listed(criteria, search=None).all()
        search = "few" if criteria.selective else "many"
        people = _listed(replace(criteria, words=()), search=search)
        return people.filter(name_matches(list(criteria.words)))

    def notices(self) -> list[str]:
        """Friendly Danish words about what was not understood (the page shows them)."""
        self.errors  # noqa: B018 - validates the form
        notices = []
        for name in self.form.errors:
            value = Truncator(_printable(str(self.data.get(name, "")))).chars(40)
            label = self.filters[name].label
            if name == "dato":
                notices.append(
                    _("»%(value)s« er ikke en dato, vi kan læse (skriv fx 2024-03-01). Blå Bog vises pr. %(day)s.")
                    % {"value": value, "day": date_format(self.criteria().on, "DATE_FORMAT")}
                )
            else:
                notices.append(
                    _("%(filter)s: vi kender ikke »%(value)s«, så det filter er ikke brugt.")
                    % {"value": value, "filter": label}
                )
        raw_query = str(self.data.get("q", ""))
        if len(raw_query.replace("\x00", "").strip()) > MAX_QUERY_LENGTH:
            notices.append(
                _("Søgningen var meget lang; vi har søgt på de første %(count)s tegn.") % {"count": MAX_QUERY_LENGTH}
            )
        criteria = self.criteria()
        if criteria.period is not None and not criteria.period.contains(criteria.on):
            notices.append(
                _("%(day)s ligger uden for valgperioden %(period)s.")
                % {"day": date_format(criteria.on, "DATE_FORMAT"), "period": criteria.period.name}
            )
        return notices

    def active_filters(self) -> dict[str, str]:
        """The URL parameters in use (for links that keep them: pages, export)."""
        self.errors  # noqa: B018 - validates the form
        params = {}
        for name, value in self.form.cleaned_data.items():
            if value not in (None, ""):
                params[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return params


@lru_cache(maxsize=128)
def _listed(criteria: Criteria, *, search: str | None) -> DirectoryPeople:
    """Everyone the criteria ask for but a name, sorted: ``search`` is ``None`` without a name
    search, ``"few"`` when its words find few people (``Criteria.selective``), ``"many"`` else.

    Only the query is kept, never its rows: building its dozen subqueries takes Django 3 ms, a
    fifth of the whole search, and every search of the day asks for the same query but for the
    name, which the caller adds to a copy (``filter()`` copies the queryset).
    """
    people = DirectoryPeople(Person)
    if criteria.party_id is not None:
        people = people.filter(party_id=criteria.party_id)
    ordering = ["sort_name", "name", "pk"]
    if criteria.by_council:
        people = people.annotate(group_name=criteria.group_expression())
        ordering = [F("group_name").asc(nulls_last=True), *ordering]
    if search is not None and criteria.plain and connection.vendor == "postgresql":
        people = people.filter(RoleDays(None))  # every role counts: the days kept per person
        current = RoleDays(criteria.on)
    elif search == "few":  # a handful of people: probe each of them
        aliases, held = criteria.probe_q(on=None, prefix="ever_")
        current_aliases, current = criteria.probe_q(on=criteria.on, prefix="on_day_")
        people = people.alias(**aliases, **current_aliases).filter(held)
    elif search == "many":  # a letter or two finds most people: hash the roles
        people = people.filter(criteria.person_q(on=None))
        current = criteria.person_q(on=criteria.on)
    if search is None:
        people = people.filter(criteria.person_q(on=criteria.on)).annotate(
            is_current=Value(True, output_field=BooleanField())
        )
    else:
        people = people.annotate(is_current=ExpressionWrapper(current, output_field=BooleanField()))
        ordering = [F("is_current").desc(), *ordering]
    # The party and the roles by subqueries, not joins: PostgreSQL reads them for the page's rows
    # only (after the sort), where a join would pair every person found with them first.
    party = Party.objects.filter(pk=OuterRef("party_id")).order_by()
    return (
        people.annotate(
            party_short_name=CompiledOnce(party.values("short_name")),
            party_letter=CompiledOnce(party.values("letter")),
            **{f"roles_{kind}": roles_of_kind(criteria, kind, former=search is not None) for kind in KINDS},
        )
        .defer("bio", "photo")
        .order_by(*ordering)
    )


def _printable(text: str) -> str:
    """Text to show back to the visitor: control characters (NUL bytes and the like) left out."""
    return "".join(char for char in text if char.isprintable() or char == " ")


def _clamp(day: dt.date, period: ElectionPeriod | None) -> dt.date:
    """Without a date, a chosen period is shown as of today if it contains today, else its
    nearest day (the last day of a past period, the first of a coming one)."""
    if period is None:
        return day
    return min(max(day, period.starts_on), period.ends_on)
