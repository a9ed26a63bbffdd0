"""The staff dashboard per KKR: each line's count, and its link lists exactly the rows it counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Agreement, AgreementKind, Milestone, MunicipalApproval
from fora import services as fora_services
from fora.models import Appointment, Seat
from members import services as member_services
from members.models import CouncilSeat, Municipality, Person
from tests import factories, rules_helpers
from tests.rules_helpers import councillor

frozen_today = rules_helpers.frozen_today

LINES = {
    "vacant": "Ledige pladser",
    "no_seat": "Udpegede uden mandat i en kommunalbestyrelse",
    "ending": "Udpegninger, der udløber inden for 60 dage",
    "carry_over": "Bliver siddende (overgang), til en efterfølger er udpeget",
    "no_email": "Personer uden e-mailadresse",
}


def appointed(seat, person, starts_on, **fields):
    appointment = fora_services.propose(seat=seat, person=person, starts_on=starts_on, **fields)
    return fora_services.appoint(appointment=appointment, appointed_on=starts_on)


class KKRRows:
    """One of each thing the dashboard counts in a KKR (``size`` of each), and the rows it must
    not count: a held seat with a long term, a completed milestone and one due later."""

    def __init__(self, council, municipality, period, previous, size: int, tag: str):
        self.expected: dict[str, set[int]] = {key: set() for key in LINES}
        self.milestones: list[Milestone] = []
        forum = factories.ForumFactory(council=council, name=f"Forum {tag}", slug=f"forum-{tag}")
        kind = AgreementKind.objects.get(slug="sundhedsaftale")
        agreement = Agreement.objects.create(
            council=council, kind=kind, title=f"Aftale {tag}", counterpart=f"Region {tag}", valid_from=period.starts_on
        )
        started = dt.date(2026, 3, 1)
        for index in range(size):

            def person(email=f"{tag}{index}@example.dk"):
                return councillor(municipality, period, email=email)

            held = factories.SeatFactory(forum=forum, period=period, label=f"Holdt {index}")
            appointed(held, person(), started)
            vacant = factories.SeatFactory(forum=forum, period=period, label=f"Ledig {index}")
            self.expected["vacant"].add(vacant.pk)
            ending = factories.SeatFactory(forum=forum, period=period, label=f"Udløber {index}")
            self.expected["ending"].add(appointed(ending, person(), started, term_ends_on=dt.date(2026, 12, 31)).pk)
            # Left the municipal council in the summer; still on the seat.
            gone = person()
            seat = CouncilSeat.objects.get(person=gone, period=period)
            member_services.end_council_seat(seat=seat, ended_on=dt.date(2026, 6, 30))
            left = factories.SeatFactory(forum=forum, period=period, label=f"Udtrådt {index}")
            self.expected["no_seat"].add(appointed(left, gone, started).pk)
            # Carried over from 2022-2025: not vacant, a carry-over (and re-elected, so still seated).
            old_seat = factories.SeatFactory(forum=forum, period=previous, label=f"Fortsat {index}")
            veteran = person()
            member_services.add_council_seat(
                person=veteran, municipality=municipality, period=previous, started_on=previous.starts_on
            )
            carried = appointed(old_seat, veteran, dt.date(2022, 3, 1))
            factories.SeatFactory(forum=forum, period=period, label=f"Fortsat {index}", previous_seat=old_seat)
            self.expected["carry_over"].add(carried.pk)
            # An appointee without an email address.
            nameless = councillor(municipality, period)
            appointed(
                factories.SeatFactory(forum=forum, period=period, label=f"Uden e-mail {index}"), nameless, started
            )
            self.expected["no_email"].add(nameless.pk)
            # Milestones: due in ten days (counted), completed or due in 40 days (not counted).
            due = Milestone.objects.create(
                agreement=agreement,
                kind=Milestone.Kind.COUNCIL_APPROVAL,
                title=f"Godkendelse {index}",
                due_on=dt.date(2026, 12, 3) + dt.timedelta(days=index),
                requires_every_council=True,
            )
            MunicipalApproval.objects.create(milestone=due, municipality=municipality, approved_on=dt.date(2026, 11, 1))
            self.milestones.append(due)
            Milestone.objects.create(
                agreement=agreement,
                kind=Milestone.Kind.SIGNING,
                title=f"Senere {index}",
                due_on=dt.date(2027, 1, 2) + dt.timedelta(days=index),
            )
            Milestone.objects.create(
                agreement=agreement,
                kind=Milestone.Kind.DRAFT,
                title=f"Færdig {index}",
                due_on=dt.date(2026, 11, 30) + dt.timedelta(days=index),
                completed_on=dt.date(2026, 11, 20),
            )


@pytest.fixture
def secretary(client, staff_syddanmark):
    """Syddanmark's staff with every permission: only the scoping keeps them in their KKR."""
    staff_syddanmark.user_permissions.set(Permission.objects.all())
    client.force_login(staff_syddanmark)
    return client


@pytest.fixture
def build(frozen_today, syddanmark, sjaelland, odense, roskilde, period, period_2022):
    def build(size: int, tag: str = "a") -> tuple[KKRRows, KKRRows]:
        ours = KKRRows(syddanmark, odense, period, period_2022, size, f"syd-{tag}")
        theirs = KKRRows(sjaelland, roskilde, period, period_2022, size, f"sj-{tag}")
        return ours, theirs

    return build


def _dashboard(client, council):
    response = client.get(reverse("kkr_admin:dashboard", args=[council.slug]))
    assert response.status_code == 200
    return response


def test_each_line_counts_the_kkrs_rows_and_links_to_exactly_them(build, secretary, syddanmark):
    ours, _theirs = build(2)

    response = _dashboard(secretary, syddanmark)

    lines = {line.label: line for line in response.context["lines"]}
    for key, label in LINES.items():
        line = lines[label]
        assert line.count == len(ours.expected[key]) == 2, label
        listed = secretary.get(line.url)
        assert listed.status_code == 200, line.url
        assert {row.pk for row in listed.context["cl"].result_list} == ours.expected[key], label
        assert f'href="{line.url.replace("&", "&amp;")}"' in response.content.decode()


def test_the_milestones_due_within_30_days_name_the_municipalities_that_have_not_approved(
    build, secretary, syddanmark, odense
):
    ours, _theirs = build(1)

    response = _dashboard(secretary, syddanmark)

    (row,) = response.context["milestones"]
    assert row.milestone == ours.milestones[0]
    everyone_else = set(Municipality.objects.filter(council=syddanmark).exclude(pk=odense.pk))
    assert set(row.missing) == everyone_else
    assert "Middelfart" in response.content.decode()
    listed = secretary.get(row.missing_url)
    assert set(listed.context["cl"].result_list) == everyone_else
    all_due = secretary.get(response.context["milestones_link"])
    assert [m.pk for m in all_due.context["cl"].result_list] == [ours.milestones[0].pk]


def test_another_kkrs_rows_are_never_counted_nor_its_dashboard_shown(build, secretary, syddanmark, sjaelland):
    _ours, theirs = build(1)
    assert theirs.expected["vacant"], "the other KKR has rows of every kind"

    lines = _dashboard(secretary, syddanmark).context["lines"]

    assert [line.count for line in lines] == [1, 1, 1, 1, 1]
    assert secretary.get(reverse("kkr_admin:dashboard", args=[sjaelland.slug])).status_code == 404
    # The link's filter cannot be pointed at the other KKR either.
    other = secretary.get(reverse("admin:members_person_changelist"), {"aktiv_i_kkr": sjaelland.pk, "uden_email": "1"})
    assert list(other.context["cl"].result_list) == []


def test_the_admin_index_links_to_the_users_kkrs_only(secretary, syddanmark, sjaelland):
    page = secretary.get(reverse("admin:index")).content.decode()
    assert reverse("kkr_admin:dashboard", args=[syddanmark.slug]) in page
    assert reverse("kkr_admin:changeover", args=[syddanmark.slug]) in page
    assert reverse("kkr_admin:dashboard", args=[sjaelland.slug]) not in page


def test_the_dashboard_reads_a_fixed_number_of_queries_whatever_the_rows(
    build, secretary, syddanmark, django_assert_num_queries
):
    build(1, "a")
    _dashboard(secretary, syddanmark)  # the session's first request writes it: not the page's reads
    with CaptureQueriesContext(connection) as small:
        lines = _dashboard(secretary, syddanmark).context["lines"]
    assert [line.count for line in lines] == [1, 1, 1, 1, 1]

    build(4, "b")
    with django_assert_num_queries(len(small.captured_queries)):
        lines = _dashboard(secretary, syddanmark).context["lines"]
    assert [line.count for line in lines] == [5, 5, 5, 5, 5]


def test_people_are_counted_once_however_many_roles_they_have(build, secretary, syddanmark, odense, period):
    ours, _theirs = build(1)
    (nameless,) = (Person.objects.get(pk=pk) for pk in ours.expected["no_email"])
    second = Seat.objects.filter(forum__council=syddanmark, pk__in=ours.expected["vacant"]).get()
    appointed(second, nameless, dt.date(2026, 4, 1))
    assert Appointment.objects.filter(person=nameless).count() == 2

    lines = {line.label: line for line in _dashboard(secretary, syddanmark).context["lines"]}

    assert lines[LINES["no_email"]].count == 1
    assert lines[LINES["vacant"]].count == 0


def test_the_seats_of_a_dissolved_or_not_yet_founded_forum_are_not_vacancies(build, secretary, syddanmark, period):
    ours, _theirs = build(1)
    dissolved = factories.ForumFactory(
        council=syddanmark, founded_on=period.starts_on, dissolved_on=dt.date(2026, 6, 30)
    )
    factories.SeatFactory(forum=dissolved, period=period, label="Nedlagt plads")
    future = factories.ForumFactory(council=syddanmark, founded_on=dt.date(2027, 1, 1))
    factories.SeatFactory(forum=future, period=period, label="Kommende plads")
    on_the_last_day = factories.ForumFactory(council=syddanmark, dissolved_on=dt.date(2026, 11, 23))
    last_day_seat = factories.SeatFactory(forum=on_the_last_day, period=period, label="Sidste dag")

    response = _dashboard(secretary, syddanmark)

    line = {line.label: line for line in response.context["lines"]}[LINES["vacant"]]
    expected = {*ours.expected["vacant"], last_day_seat.pk}
    assert line.count == len(expected) == 2
    assert {seat.pk for seat in secretary.get(line.url).context["cl"].result_list} == expected
