"""People in and out of a spreadsheet (the admin's import and export, kkr_portal.admin_io).

A row is a person: new when »Kort navn« is empty, else the person with that short name among the
people the user may see (another KKR's person answers like a missing one). A municipality code
records a seat in that municipal council through the service, so the person belongs to the KKR;
staff can only name municipalities of their own KKRs.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from kkr_portal import scoping
from kkr_portal.admin_io import RowErrors, ServiceResource

from . import services
from .models import CouncilSeat, ElectionPeriod, Municipality, Party, Person
from .querysets import today

SLUG = gettext_lazy("Kort navn")
NAME = gettext_lazy("Navn")
SORT_NAME = gettext_lazy("Sorteringsnavn")
EMAIL = gettext_lazy("E-mail")
PHONE = gettext_lazy("Telefon")
PARTY = gettext_lazy("Parti")
MUNICIPALITY = gettext_lazy("Kommunekode")
SEAT_FROM = gettext_lazy("Mandat fra")


def sort_name_of(name: str) -> str:
    """»Anne Marie Jensen« → »Jensen, Anne Marie«."""
    *first, last = name.split()
    return f"{last}, {' '.join(first)}" if first else name


class PersonResource(ServiceResource):
    slug = Field(column_name=SLUG)
    name = Field(column_name=NAME)
    sort_name = Field(column_name=SORT_NAME)
    email = Field(column_name=EMAIL)
    phone = Field(column_name=PHONE)
    party = Field(column_name=PARTY)
    municipality = Field(column_name=MUNICIPALITY)
    seat_from = Field(column_name=SEAT_FROM)

    field_columns = {
        "slug": SLUG,
        "name": NAME,
        "sort_name": SORT_NAME,
        "email": EMAIL,
        "phone": PHONE,
        "party": PARTY,
        "person": MUNICIPALITY,
        "municipality": MUNICIPALITY,
        "period": SEAT_FROM,
        "started_on": SEAT_FROM,
        "role": MUNICIPALITY,
    }
    column_help = (
        (NAME, gettext_lazy("Skal udfyldes.")),
        (SLUG, gettext_lazy("Tom: en ny person. Ellers den person, der skal opdateres.")),
        (SORT_NAME, gettext_lazy("Efternavn først; tom: dannes af navnet.")),
        (EMAIL, gettext_lazy("Arbejdsmail.")),
        (PHONE, ""),
        (PARTY, gettext_lazy("Partibogstav, fx V; en lokalliste i den kommune, kommunekoden angiver.")),
        (MUNICIPALITY, gettext_lazy("Kommunekode (3 cifre) for et mandat i kommunalbestyrelsen, i jeres KKR.")),
        (SEAT_FROM, gettext_lazy("Mandatets første dag (dd-mm-åååå); tom: valgperiodens første dag.")),
    )

    class Meta:
        model = Person
        fields = ["slug", "name", "sort_name", "email", "phone", "party", "municipality", "seat_from"]
        export_order = fields
        use_transactions = True

    @property
    def required(self) -> tuple[str, ...]:
        return (str(NAME),)

    # export

    def filter_export(self, queryset, **kwargs):
        open_seats = CouncilSeat.objects.filter(ended_on__isnull=True).select_related("municipality")
        if self.user is not None:
            # A person shared with another KKR: only the seats in the user's KKRs are written.
            open_seats = open_seats.filter(municipality__council__in=scoping.councils_of(self.user))
        return queryset.select_related("party").prefetch_related(
            Prefetch("council_seats", queryset=open_seats.order_by("-started_on"), to_attr="open_seats")
        )

    def dehydrate_slug(self, person):
        return person.slug

    def dehydrate_name(self, person):
        return person.name

    def dehydrate_sort_name(self, person):
        return person.sort_name

    def dehydrate_email(self, person):
        return person.email

    def dehydrate_phone(self, person):
        return person.phone

    def dehydrate_party(self, person):
        return (person.party.letter or person.party.short_name) if person.party_id else ""

    def _open_seat(self, person):
        seats = getattr(person, "open_seats", None)
        return seats[0] if seats else None

    def dehydrate_municipality(self, person):
        seat = self._open_seat(person)
        return str(seat.municipality.code) if seat else ""

    def dehydrate_seat_from(self, person):
        seat = self._open_seat(person)
        return seat.started_on if seat else None

    # import

    def find_or_init(self, row):
        slug = self.text(row, SLUG)
        if not slug:
            return Person(), True
        person = scoping.scope(Person.objects.all(), self.user).filter(slug=slug).first()
        if person is None:
            errors = RowErrors()
            errors.add(SLUG, _("Der er ingen person med det korte navn »%(slug)s«.") % {"slug": slug})
            errors.raise_any()
        return person, False

    def read_row(self, person, row, errors: RowErrors) -> None:
        name = self.text(row, NAME)
        new = person.pk is None
        if name or new:
            if not name:
                errors.add(NAME, _("Navnet skal udfyldes."))
            person.name = name
        for column, attribute in ((SORT_NAME, "sort_name"), (EMAIL, "email"), (PHONE, "phone")):
            value = self.text(row, column)
            if value or new:
                setattr(person, attribute, value)
        if not person.sort_name and person.name:
            person.sort_name = sort_name_of(person.name)
        self.municipality = self._municipality(row, errors)
        self.seat_from = self.date(row, SEAT_FROM, errors)
        letter = self.text(row, PARTY)
        if letter:
            person.party = self._party(letter, errors)
        if new and person.name:
            person.slug = self._free_slug(person.name)

    def _municipality(self, row, errors: RowErrors) -> Municipality | None:
        text = self.text(row, MUNICIPALITY)
        if not text:
            return None
        code = self.number(row, MUNICIPALITY)
        # A municipality of another KKR is unknown to the user, exactly like a code that does not exist.
        municipality = (
            scoping.scope(Municipality.objects.all(), self.user).filter(code=code).first() if code is not None else None
        )
        if municipality is None:
            errors.add(MUNICIPALITY, _("Ukendt kommunekode »%(code)s«.") % {"code": text})
        return municipality

    def _party(self, letter: str, errors: RowErrors) -> Party | None:
        national = Q(municipality__isnull=True)
        local = Q(municipality=self.municipality) if self.municipality else Q(pk__in=[])
        parties = list(Party.objects.filter(national | local, letter__iexact=letter))
        # A local list's letter counts in its own municipality before a national party's.
        parties.sort(key=lambda party: party.municipality_id is None)
        if not parties:
            errors.add(PARTY, _("Ukendt partibogstav »%(letter)s«.") % {"letter": letter})
            return None
        return parties[0]

    def _free_slug(self, name: str) -> str:
        base = slugify(name)[:150] or "person"
        taken = set(Person.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        return slug

    def save_row(self, person, row, *, file_name: str):
        person._change_reason = self.change_reason(file_name)
        person.save()
        if self.municipality is not None:
            self._record_seat(person)
        return person

    def _record_seat(self, person) -> None:
        on = self.seat_from or today()
        period = ElectionPeriod.objects.filter(starts_on__lte=on, ends_on__gte=on).first()
        if period is None:
            errors = RowErrors()
            errors.add(SEAT_FROM, _("Ingen valgperiode omfatter datoen."))
            errors.raise_any()
        already = CouncilSeat.objects.filter(
            person=person, municipality=self.municipality, period=period, ended_on__isnull=True
        ).exists()
        if not already:
            services.add_council_seat(
                person=person,
                municipality=self.municipality,
                period=period,
                started_on=self.seat_from or period.starts_on,
            )
