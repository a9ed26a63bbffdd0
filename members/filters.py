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

The page's rows come from a fixed number of queries, whatever the page size: the page of
people, then one query per kind of role for all of them (``Prefetch`` filtered to the day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

import django_filters
from django import forms
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
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
from members.querysets import active_on_q, today
from members.search import MAX_QUERY_LENGTH, name_matches, search_words

PAGE_SIZE = 50
# pg_trgm finds a word in its index from three letters on.
MIN_INDEXED_WORD = 3

# The kinds of role a person can hold, each a model with its own dated rows.
SEAT, MEMBERSHIP, CHAIR, APPOINTMENT = "seat", "membership", "chair", "appointment"
KINDS = (SEAT, MEMBERSHIP, CHAIR, APPOINTMENT)
MODELS = {SEAT: CouncilSeat, MEMBERSHIP: KKRMembership, CHAIR: Chairmanship, APPOINTMENT: Appointment}
RELATED_NAMES = {SEAT: "council_seats", MEMBERSHIP: "memberships", CHAIR: "chairmanships", APPOINTMENT: "appointments"}
COUNCIL_FIELD = {
    SEAT: "municipality__council",
    MEMBERSHIP: "council",
    CHAIR: "council",
    APPOINTMENT: "seat__forum__council",
}
PERIOD_FIELD = {SEAT: "period", MEMBERSHIP: "period", CHAIR: "period", APPOINTMENT: "seat__period"}
SELECT_RELATED = {
    SEAT: ("municipality__council", "period"),
    MEMBERSHIP: ("council", "period"),
    CHAIR: ("council", "period"),
    APPOINTMENT: ("seat__forum__council", "seat__period"),
}


class Rolle:
    """The ``rolle`` filter's values (URL names) and which rows each one means."""

    MAYOR = "mayor"
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"
    APPOINTEE = "appointee"
    DEPUTY = "deputy"

    CHOICES = [
        (MAYOR, gettext_lazy("Borgmester")),
        (CHAIR, gettext_lazy("Formand for KKR")),
        (VICE_CHAIR, gettext_lazy("Næstformand for KKR")),
        (MEMBER, gettext_lazy("Medlem af KKR")),
        (APPOINTEE, gettext_lazy("Udpeget til et forum")),
        (DEPUTY, gettext_lazy("Stedfortræder i KKR eller suppleant i et forum")),
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
    municipality_id: int | None = None
    party_id: int | None = None
    forum_id: int | None = None
    area_id: int | None = None
    role: str | None = None
    period: ElectionPeriod | None = None
    by_council: bool = False

    @property
    def searching(self) -> bool:
        return bool(self.words)

    @property
    def selective(self) -> bool:
        """Whether the name search narrows people down through the trigram index (3+ letters)."""
        return any(len(word) >= MIN_INDEXED_WORD for word in self.words)

    def _base(self, kind: str) -> Q:
        condition = Q()
        if self.council_id is not None:
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

    @property
    def narrows_roles(self) -> bool:
        """Whether a filter other than the name and the party narrows the rows of roles."""
        return any(
            value is not None
            for value in (self.council_id, self.municipality_id, self.forum_id, self.area_id, self.role, self.period)
        )

    def person_q(self, *, on: dt.date | None) -> Q:
        """People with a matching role on ``on`` (``None``: at any time).

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

    def probe_any_role(self) -> Coalesce:
        """The id of one role the person ever held (``NULL``: none), for the few people a name
        search has found when no other filter narrows the roles.

        Scalar subqueries are evaluated per person through the index on ``person_id``, where
        PostgreSQL would turn ``EXISTS`` into a hash of every seat ever held to test a handful.
        """
        return Coalesce(
            *(Subquery(self._rows(kind, Q(), None).values("pk")[:1]) for kind in (SEAT, MEMBERSHIP, CHAIR, APPOINTMENT))
        )

    def group_expression(self):
        """The KKR a person's roles on the day belong to (for ``visning=kkr``)."""
        subqueries = []
        for kind in (MEMBERSHIP, CHAIR, SEAT, APPOINTMENT):
            rows = MODELS[kind].objects.filter(on_day_q(kind, self.on) & self._base(kind), person=OuterRef("pk"))
            subqueries.append(Subquery(rows.order_by().values(f"{COUNCIL_FIELD[kind]}__name")[:1]))
        return Coalesce(*subqueries)


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
        return str(self.person.party) if self.person.party_id else ""


def _role_label(kind: str, row, on: dt.date) -> tuple[int, str]:
    """(sort position, Danish label) of one role row."""
    if kind == CHAIR:
        if row.role == Chairmanship.Role.CHAIR:
            return 0, _("Formand, %(council)s") % {"council": row.council.name}
        return 1, _("Næstformand, %(council)s") % {"council": row.council.name}
    if kind == SEAT:
        place = {"municipality": row.municipality.name}
        if row.role == CouncilSeat.Role.MAYOR:
            return 2, _("Borgmester, %(municipality)s") % place
        if row.role == CouncilSeat.Role.DEPUTY_MAYOR:
            return 3, _("Viceborgmester, %(municipality)s") % place
        return 9, _("Medlem af kommunalbestyrelsen, %(municipality)s") % place
    if kind == MEMBERSHIP:
        council = {"council": row.council.name}
        if row.role == KKRMembership.Role.SUBSTITUTE:
            return 5, _("Stedfortræder, %(council)s") % council
        if row.basis == KKRMembership.Basis.KL_BOARD:
            return 4, _("Medlem uden stemmeret, %(council)s") % council
        return 4, _("Medlem, %(council)s") % council
    seat = row.seat
    values = {"forum": seat.forum.name, "seat": seat.get_kind_display()}
    if on is not None and row.status == Appointment.Status.APPOINTED and row.is_carry_over(on):
        return 6, _("Udpeget: %(forum)s (%(seat)s, fortsætter til en efterfølger er udpeget)") % values
    return 6, _("Udpeget: %(forum)s (%(seat)s)") % values


def _council_of(kind: str, row) -> Council:
    if kind == SEAT:
        return row.municipality.council
    if kind == APPOINTMENT:
        return row.seat.forum.council
    return row.council


def _period_of(kind: str, row) -> ElectionPeriod:
    return row.seat.period if kind == APPOINTMENT else row.period


def _started(kind: str, row) -> dt.date:
    return row.starts_on if kind == APPOINTMENT else row.started_on


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def build_entries(people: list[Person], criteria: Criteria) -> list[Entry]:
    """The page's people with their roles on the day, or (former holders) their last matching
    role: one query per kind of role, whatever the number of people."""
    if not people:
        return []
    current = [person.pk for person in people if person.is_current]
    former = [person.pk for person in people if not person.is_current]
    kinds, _also = criteria.plan()
    lookups = []
    for kind in KINDS:
        rows = Q(person_id__in=current) & on_day_q(kind, criteria.on)
        if former and kind in kinds:
            rows |= Q(person_id__in=former) & held_q(kind) & kinds[kind]
        queryset = MODELS[kind].objects.filter(rows).select_related(*SELECT_RELATED[kind]).order_by()
        lookups.append(Prefetch(RELATED_NAMES[kind], queryset=queryset, to_attr=f"directory_{kind}"))
    prefetch_related_objects(people, *lookups)

    entries = []
    for person in people:
        entry = Entry(person=person, current=person.is_current, group=getattr(person, "group_name", None))
        held = [(kind, row) for kind in KINDS for row in getattr(person, f"directory_{kind}", [])]
        if entry.current:
            labels = sorted(_role_label(kind, row, criteria.on) for kind, row in held)
            entry.roles = _unique(label for _position, label in labels)
            entry.municipalities = _unique(row.municipality.name for kind, row in held if kind == SEAT)
            entry.councils = _unique(_council_of(kind, row).name for kind, row in held)
        elif held:
            kind, row = max(held, key=lambda pair: (_started(*pair), -_role_label(pair[0], pair[1], None)[0]))
            entry.last_role = _("%(role)s (%(period)s)") % {
                "role": _role_label(kind, row, None)[1],
                "period": _period_of(kind, row).name,
            }
            entry.municipalities = [row.municipality.name] if kind == SEAT else []
            entry.councils = [_council_of(kind, row).name]
        entries.append(entry)
    return entries


# --- The form ---------------------------------------------------------------------------------


class PlainSelect(forms.Widget):
    """A ``<select>`` written out directly from ``options`` (``(value, label)`` pairs, or
    ``(group label, pairs)``). Django's ``Select`` renders every option through a template and
    copies its choices for every form: milliseconds for the Blå Bog's few hundred options."""

    options: list = []

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        found = False

        def option(option_value: str, label: str) -> str:
            nonlocal found
            selected = not found and option_value == chosen
            found = found or selected
            return f'<option value="{escape(option_value)}"{" selected" if selected else ""}>{escape(label)}</option>'

        parts = [f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']
        for option_value, label in self.options:
            if isinstance(label, list):
                parts.append(f'<optgroup label="{escape(option_value)}">')
                parts.extend(option(inner_value, inner_label) for inner_value, inner_label in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value and label is escaped above


class OptionField(forms.Field):
    """One of a list of options, or nothing. Unlike ``ChoiceField`` it shares its (read-only)
    options between forms instead of deep-copying them for each one."""

    widget = PlainSelect
    default_error_messages = {"invalid_choice": gettext_lazy("Vælg en af mulighederne.")}

    def __init__(self, *, choices=(), empty_label="", **kwargs):
        super().__init__(**kwargs)
        options = [
            (str(group), [(str(value), str(label)) for value, label in label_or_options])
            if isinstance(label_or_options, list | tuple)
            else (str(group), str(label_or_options))
            for group, label_or_options in choices
        ]
        values = set()
        for value, label in options:
            if isinstance(label, list):
                values.update(inner_value for inner_value, _inner_label in label)
            else:
                values.add(value)
        self.valid_values = frozenset(values)
        self.widget.options = [("", str(empty_label)), *options]

    def to_python(self, value) -> str:
        return "" if value in self.empty_values else str(value)

    def validate(self, value) -> None:
        super().validate(value)
        if value and value not in self.valid_values:
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
        self._load_options()
        super().__init__(self._normalised(data), *args, queryset=Person.objects.all(), **kwargs)
        for name, choices in self._choices.items():
            self.filters[name].extra["choices"] = choices
        for name in ("kkr", "kommune", "parti", "rolle", "forum", "fagomraade", "periode", "visning"):
            self.filters[name].extra.setdefault("widget", PlainSelect(attrs={"class": "form-select"}))
        self.filters["q"].field.widget.attrs["class"] = "form-control"
        self.filters["dato"].field.widget.attrs["class"] = "form-control"

    # Options: one query per list, and the rows the values name.

    def _load_options(self) -> None:
        """One query per list, as plain tuples (there are a few hundred options)."""
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
        # The value in the URL → the row's id (a period: the row itself).
        self.options = {
            "kkr": {slug: pk for pk, slug, _name in councils},
            "kommune": {slug: pk for pk, slug, _name, _council in municipalities},
            "parti": {**{str(pk): pk for pk, *_rest in parties}, **{letter: pk for pk, letter, _name in national}},
            "forum": {slug: pk for pk, slug, *_rest in fora},
            "fagomraade": {slug: pk for pk, slug, _name in areas},
            "periode": {period.name: period for period in periods},
        }
        self._national_letters = {str(pk): letter for pk, letter, _name in national}

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
        self._choices = {
            "kkr": [(slug, name) for _pk, slug, name in councils],
            "kommune": by_council(municipalities, lambda row: row[2]),
            "parti": [(letter, f"{letter} – {name}") for _pk, letter, name in national]
            + ([(_("Lokallister og partier uden bogstav"), local_lists)] if local_lists else []),
            "forum": by_council(fora, forum_label),
            "fagomraade": [(slug, name) for _pk, slug, name in areas],
            "periode": [(period.name, period.name) for period in periods],
        }

    def _normalised(self, data):
        """A party given by id or a lower-case letter is the same party given by its letter."""
        if data is None:
            return None
        value = data.get("parti") or ""
        letter = self._national_letters.get(value) or value.upper()
        if letter != value and letter in self._national_letters.values():
            data = data.copy() if isinstance(data, QueryDict) else dict(data)
            data["parti"] = letter
        return data

    # What the visitor asked for.

    def cleaned(self, name: str):
        self.errors  # noqa: B018 - validates the form
        return self.form.cleaned_data.get(name) or None

    def criteria(self) -> Criteria:
        if not hasattr(self, "_criteria"):
            period = self.options["periode"].get(self.cleaned("periode") or "")
            on = self.cleaned("dato") or _clamp(today(), period)
            self._criteria = Criteria(
                on=on,
                words=tuple(search_words(self.cleaned("q") or "")),
                council_id=self.options["kkr"].get(self.cleaned("kkr") or ""),
                municipality_id=self.options["kommune"].get(self.cleaned("kommune") or ""),
                party_id=self.options["parti"].get(self.cleaned("parti") or ""),
                forum_id=self.options["forum"].get(self.cleaned("forum") or ""),
                area_id=self.options["fagomraade"].get(self.cleaned("fagomraade") or ""),
                role=self.cleaned("rolle"),
                period=period,
                by_council=self.cleaned("visning") == GROUP_BY_COUNCIL,
            )
        return self._criteria

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """People with a matching role on the day; with a name search, former holders after them."""
        criteria = self.criteria()
        if criteria.party_id is not None:
            queryset = queryset.filter(party_id=criteria.party_id)
        ordering = ["sort_name", "name", "pk"]
        if criteria.by_council:
            queryset = queryset.annotate(group_name=criteria.group_expression())
            ordering = [F("group_name").asc(nulls_last=True), *ordering]
        if criteria.searching:
            queryset = queryset.filter(name_matches(list(criteria.words)))
            if criteria.narrows_roles or not criteria.selective:
                queryset = queryset.filter(criteria.person_q(on=None))
            else:  # a handful of people, any role: probe each of them
                queryset = queryset.alias(role_ever_held=criteria.probe_any_role()).filter(role_ever_held__isnull=False)
            queryset = queryset.annotate(
                is_current=ExpressionWrapper(criteria.person_q(on=criteria.on), output_field=BooleanField())
            )
            ordering = [F("is_current").desc(), *ordering]
        else:
            queryset = queryset.filter(criteria.person_q(on=criteria.on)).annotate(
                is_current=Value(True, output_field=BooleanField())
            )
        return queryset.select_related("party").defer("bio", "photo").order_by(*ordering)

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


def _printable(text: str) -> str:
    """Text to show back to the visitor: control characters (NUL bytes and the like) left out."""
    return "".join(char for char in text if char.isprintable() or char == " ")


def _clamp(day: dt.date, period: ElectionPeriod | None) -> dt.date:
    """Without a date, a chosen period is shown as of today if it contains today, else its
    nearest day (the last day of a past period, the first of a coming one)."""
    if period is None:
        return day
    return min(max(day, period.starts_on), period.ends_on)
