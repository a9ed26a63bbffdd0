"""Appointments in and out of a spreadsheet (the admin's import and export, kkr_portal.admin_io).

Each row is a new appointment, written through the process in ``fora.services``: proposed, then
nominated and/or appointed as the status column says, with the dates the process needs. The seat
and the person are looked up among the user's KKRs only: another KKR's seat answers exactly like a
seat that does not exist. The rules (eligibility, one holder per seat, dates inside the period)
are the services' and the model's own.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field
from simple_history.utils import update_change_reason

from kkr_portal import scoping
from kkr_portal.admin_io import RowErrors, ServiceResource
from members.models import ElectionPeriod, Person

from . import services
from .models import Appointment, Seat

FORUM = gettext_lazy("Forum")
SEAT = gettext_lazy("Plads")
PERIOD = gettext_lazy("Valgperiode")
PERSON = gettext_lazy("Person")
STATUS = gettext_lazy("Status")
STARTS_ON = gettext_lazy("Fra")
TERM_ENDS_ON = gettext_lazy("Periodens udløb")
NOMINATED_ON = gettext_lazy("Indstillet den")
APPOINTED_ON = gettext_lazy("Udpeget den")
NOTE = gettext_lazy("Bemærkning")
ENDED_ON = gettext_lazy("Ophørt")
END_REASON = gettext_lazy("Ophørsårsag")

IMPORTABLE = (Appointment.Status.PROPOSED, Appointment.Status.NOMINATED, Appointment.Status.APPOINTED)


class AppointmentResource(ServiceResource):
    forum = Field(column_name=FORUM)
    seat = Field(column_name=SEAT)
    period = Field(column_name=PERIOD)
    person = Field(column_name=PERSON)
    status = Field(column_name=STATUS)
    starts_on = Field(column_name=STARTS_ON)
    term_ends_on = Field(column_name=TERM_ENDS_ON)
    nominated_on = Field(column_name=NOMINATED_ON)
    appointed_on = Field(column_name=APPOINTED_ON)
    note = Field(column_name=NOTE)
    ended_on = Field(column_name=ENDED_ON)
    end_reason = Field(column_name=END_REASON)

    field_columns = {
        "seat": SEAT,
        "person": PERSON,
        "status": STATUS,
        "starts_on": STARTS_ON,
        "term_ends_on": TERM_ENDS_ON,
        "nominated_on": NOMINATED_ON,
        "appointed_on": APPOINTED_ON,
        "decided_at": NOTE,
        "note": NOTE,
    }
    column_help = (
        (FORUM, gettext_lazy("Forummets navn. Skal udfyldes.")),
        (SEAT, gettext_lazy("Pladsens betegnelse i forummet. Skal udfyldes.")),
        (PERIOD, gettext_lazy("Fx 2026-2029; tom: den valgperiode, »Fra« ligger i.")),
        (PERSON, gettext_lazy("Personens e-mail eller korte navn. Skal udfyldes.")),
        (STATUS, gettext_lazy("foreslået, indstillet eller udpeget; tom: foreslået.")),
        (STARTS_ON, gettext_lazy("Første dag (dd-mm-åååå). Skal udfyldes.")),
        (TERM_ENDS_ON, gettext_lazy("Tom: valgperiodens slutning.")),
        (NOMINATED_ON, gettext_lazy("Skal udfyldes, når status er indstillet.")),
        (APPOINTED_ON, gettext_lazy("Det udpegende organs beslutning; skal udfyldes, når status er udpeget.")),
        (NOTE, ""),
        (ENDED_ON, gettext_lazy("Kun i eksporten; ignoreres ved import.")),
        (END_REASON, gettext_lazy("Kun i eksporten; ignoreres ved import.")),
    )

    class Meta:
        model = Appointment
        fields = [
            "forum",
            "seat",
            "period",
            "person",
            "status",
            "starts_on",
            "term_ends_on",
            "nominated_on",
            "appointed_on",
            "note",
            "ended_on",
            "end_reason",
        ]
        export_order = fields
        use_transactions = True

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(str(column) for column in (FORUM, SEAT, PERSON, STARTS_ON))

    # export

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("seat__forum", "seat__period", "person")

    def dehydrate_forum(self, appointment):
        return appointment.seat.forum.name if appointment.seat_id else ""

    def dehydrate_seat(self, appointment):
        return appointment.seat.label if appointment.seat_id else ""

    def dehydrate_period(self, appointment):
        return appointment.seat.period.name if appointment.seat_id else ""

    def dehydrate_person(self, appointment):
        return appointment.person.slug if appointment.person_id else ""

    def dehydrate_status(self, appointment):
        return appointment.get_status_display()

    def dehydrate_starts_on(self, appointment):
        return appointment.starts_on

    def dehydrate_term_ends_on(self, appointment):
        return appointment.term_ends_on

    def dehydrate_nominated_on(self, appointment):
        return appointment.nominated_on

    def dehydrate_appointed_on(self, appointment):
        return appointment.appointed_on

    def dehydrate_note(self, appointment):
        return appointment.note

    def dehydrate_ended_on(self, appointment):
        return appointment.ended_on

    def dehydrate_end_reason(self, appointment):
        return appointment.get_end_reason_display()

    # import

    def read_row(self, appointment, row, errors: RowErrors) -> None:
        appointment.starts_on = self.date(row, STARTS_ON, errors)
        if appointment.starts_on is None and str(STARTS_ON) not in errors.errors:
            errors.add(STARTS_ON, _("Datoen skal udfyldes."))
        appointment.term_ends_on = self.date(row, TERM_ENDS_ON, errors)
        self.nominated_on = self.date(row, NOMINATED_ON, errors)
        self.appointed_on = self.date(row, APPOINTED_ON, errors)
        appointment.note = self.text(row, NOTE)
        self.status = self._status(row, errors)
        period = self._period(row, appointment.starts_on, errors)
        seat = self._seat(row, period, errors)
        if seat is not None:
            appointment.seat = seat
        person = self._person(row, errors)
        if person is not None:
            appointment.person = person
        if self.status == Appointment.Status.NOMINATED and self.nominated_on is None:
            errors.add(NOMINATED_ON, _("Datoen for indstillingen skal udfyldes, når status er indstillet."))
        if self.status == Appointment.Status.APPOINTED and self.appointed_on is None:
            errors.add(APPOINTED_ON, _("Datoen for udpegningen skal udfyldes, når status er udpeget."))
        if seat is not None and person is not None and appointment.starts_on is not None:
            duplicate = Appointment.objects.filter(seat=seat, person=person, starts_on=appointment.starts_on)
            if duplicate.exists():
                errors.add(PERSON, _("Personen har allerede denne udpegning på pladsen fra samme dag."))

    def _status(self, row, errors: RowErrors) -> str:
        text = self.text(row, STATUS).casefold()
        if not text:
            return Appointment.Status.PROPOSED
        for status in IMPORTABLE:
            if text in (status.value, str(status.label).casefold()):
                return status
        errors.add(
            STATUS,
            _("Ukendt status »%(status)s«. Brug foreslået, indstillet eller udpeget.")
            % {"status": self.text(row, STATUS)},
        )
        return Appointment.Status.PROPOSED

    def _period(self, row, starts_on, errors: RowErrors) -> ElectionPeriod | None:
        name = self.text(row, PERIOD)
        if name:
            period = ElectionPeriod.objects.filter(name=name).first()
            if period is None:
                errors.add(PERIOD, _("Ukendt valgperiode »%(period)s«.") % {"period": name})
            return period
        if starts_on is None:
            return None
        period = ElectionPeriod.objects.filter(starts_on__lte=starts_on, ends_on__gte=starts_on).first()
        if period is None:
            errors.add(STARTS_ON, _("Ingen valgperiode omfatter datoen."))
        return period

    def _seat(self, row, period, errors: RowErrors) -> Seat | None:
        forum, label = self.text(row, FORUM), self.text(row, SEAT)
        if not forum:
            errors.add(FORUM, _("Forummet skal udfyldes."))
        if not label:
            errors.add(SEAT, _("Pladsen skal udfyldes."))
        if not (forum and label and period):
            return None
        # Only the user's KKRs: another KKR's forum or seat is unknown, exactly like one that does not exist.
        fora_seats = scoping.scope(Seat.objects.all(), self.user).filter(forum__name__iexact=forum)
        if not fora_seats.exists():
            errors.add(FORUM, _("Ukendt forum »%(forum)s«.") % {"forum": forum})
            return None
        seats = list(fora_seats.filter(label__iexact=label, period=period).select_related("forum__council", "period"))
        if not seats:
            errors.add(
                SEAT,
                _("Forummet »%(forum)s« har ingen plads »%(seat)s« i valgperioden %(period)s.")
                % {"forum": forum, "seat": label, "period": period},
            )
            return None
        if len(seats) > 1:
            errors.add(FORUM, _("Flere fora hedder »%(forum)s«; udpegningen må oprettes i admin.") % {"forum": forum})
            return None
        return seats[0]

    def _person(self, row, errors: RowErrors) -> Person | None:
        key = self.text(row, PERSON)
        if not key:
            errors.add(PERSON, _("Personen skal udfyldes."))
            return None
        people = list(scoping.scope(Person.objects.all(), self.user).filter(Q(slug=key) | Q(email__iexact=key))[:2])
        if not people:
            errors.add(PERSON, _("Der er ingen person med e-mail eller kort navn »%(person)s«.") % {"person": key})
            return None
        if len(people) > 1:
            errors.add(PERSON, _("Flere personer har e-mailen »%(person)s«; brug det korte navn.") % {"person": key})
            return None
        return people[0]

    def save_row(self, appointment, row, *, file_name: str):
        reason = self.change_reason(file_name)
        saved = services.propose(
            seat=appointment.seat,
            person=appointment.person,
            starts_on=appointment.starts_on,
            term_ends_on=appointment.term_ends_on,
            note=appointment.note,
        )
        # The service writes the history record; it says where the row came from.
        update_change_reason(saved, reason)
        if self.nominated_on is not None and self.status != Appointment.Status.PROPOSED:
            saved = services.nominate(appointment=saved, nominated_on=self.nominated_on)
        if self.status == Appointment.Status.APPOINTED:
            saved = services.appoint(appointment=saved, appointed_on=self.appointed_on)
        return saved
