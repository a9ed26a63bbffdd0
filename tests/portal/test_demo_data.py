"""The demo data set: all five KKRs filled in around the seed facts, through the rules, deterministically.

The demo is loaded once for the module, inside a transaction that is rolled back at its end, so
the other test modules never see it. It is loaded twice with the same seed (the first load rolled
back) to show that the same seed gives the same people.
"""

from __future__ import annotations

import time
from io import StringIO
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from agreements.models import Agreement, Milestone, MunicipalApproval
from fora.models import Appointment, Forum, Seat
from kkr_portal import demo as demo_module
from members.models import (
    AgendaItem,
    Chairmanship,
    Council,
    CouncilSeat,
    ElectionPeriod,
    KKRMembership,
    Meeting,
    Municipality,
    Person,
    SecretariatContact,
)
from members.services import add_council_seat
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ON = demo_module.DEMO_ANCHOR  # 2026-11-23, inside the 2026-2029 period
SEED_SLUGS = {"johannes-lundsfryd-jensen", "soeren-steen-andersen", "mikael-smed", "pernille-beckmann"}


def _load_demo() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def _people() -> list[tuple[str, str]]:
    return list(Person.objects.exclude(slug__in=SEED_SLUGS).order_by("pk").values_list("slug", "name"))


def test_demo_logins_says_when_the_demo_is_not_loaded():
    # Defined before the module fixture is first used, so it runs without the demo.
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "Demodata er ikke indlæst" in out.getvalue()


def test_the_demo_is_not_mixed_into_a_database_with_its_own_data(odense, period):
    # Also before the module fixture: a real councillor exists, so the demo stays out.
    add_council_seat(person=PersonFactory(), municipality=odense, period=period, started_on=period.starts_on)

    output = _load_demo()

    assert "Databasen har allerede egne data" in output
    assert not get_user_model().objects.exists()
    assert Person.objects.count() == 1


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_seed_facts", stdout=StringIO())
        with transaction.atomic():
            _load_demo()
            first_people = _people()
            transaction.set_rollback(True)
        began = time.monotonic()
        output = _load_demo()
        yield SimpleNamespace(output=output, first_people=first_people, seconds=time.monotonic() - began)
        transaction.set_rollback(True)


@pytest.fixture
def current(demo) -> ElectionPeriod:
    return ElectionPeriod.objects.get(name="2026-2029")


def test_every_municipality_has_a_current_mayor_with_an_ex_officio_membership(current):
    mayors = CouncilSeat.objects.mayors().filter(period=current).active_on(ON)
    assert mayors.count() == 98
    assert mayors.values("municipality").distinct().count() == 98
    memberships = KKRMembership.objects.filter(mayoralty__in=mayors).active_on(ON)
    assert memberships.count() == 98
    assert all(m.basis == "ex_officio" and m.has_vote for m in memberships.select_related("mayoralty"))
    assert all(
        m.council_id == m.mayoralty.municipality.council_id
        for m in memberships.select_related("mayoralty__municipality")
    )


def test_each_deputy_mayor_stands_in_for_the_mayor(current):
    substitutes = KKRMembership.objects.filter(period=current).substitutes().select_related("substitute_for__mayoralty")
    assert substitutes.count() == 98
    for substitute in substitutes:
        mayoralty = substitute.substitute_for.mayoralty
        assert mayoralty is not None
        assert substitute.person.council_seats.get(period=current).role == CouncilSeat.Role.DEPUTY_MAYOR
        assert substitute.person.council_seats.get(period=current).municipality_id == mayoralty.municipality_id
        assert not substitute.has_vote


def test_each_kkr_has_one_and_a_half_to_two_members_per_municipality_and_kl_board_members_without_a_vote(current):
    for council in Council.objects.annotate(municipality_count=Count("municipalities")):
        memberships = KKRMembership.objects.filter(council=council, period=current).active_on(ON)
        members = memberships.members().count()
        assert 1.5 * council.municipality_count <= members <= 2 * council.municipality_count, council
        kl_board = memberships.filter(basis="kl_board")
        assert 1 <= kl_board.count() <= 3
        assert not any(membership.has_vote for membership in kl_board)


def test_each_kkr_has_a_chair_and_a_vice_chair_who_are_voting_members(current):
    for council in Council.objects.all():
        posts = {post.role: post.person for post in Chairmanship.objects.filter(council=council).active_on(ON)}
        assert set(posts) == {"chair", "vice_chair"}, council
        assert posts["chair"] != posts["vice_chair"]
        for person in posts.values():
            assert KKRMembership.objects.filter(person=person, council=council).active_on(ON).voting().exists()


def test_the_previous_period_has_former_chairs_and_mayors_in_every_kkr():
    previous = ElectionPeriod.objects.get(name="2022-2025")
    for council in Council.objects.all():
        posts = Chairmanship.objects.filter(council=council, period=previous)
        assert sorted(posts.values_list("role", flat=True)) == ["chair", "vice_chair"]
        assert all(post.ended_on == previous.ends_on for post in posts)
        former = CouncilSeat.objects.mayors().filter(period=previous, municipality__council=council)
        assert former.count() >= 2
        assert all(seat.ended_on == previous.ends_on for seat in former)


def test_each_kkr_appoints_50_to_70_people_in_2026_2029_deputies_included(current):
    for council in Council.objects.all():
        appointments = Appointment.objects.filter(seat__forum__council=council, seat__period=current)
        assert 50 <= appointments.count() <= 70, council
        assert 50 <= appointments.filter(status="appointed").count() <= 70, council
        assert appointments.filter(seat__kind=Seat.Kind.DEPUTY, status="appointed").count() >= 15


def test_there_are_vacancies_nominations_proposals_resignations_and_carry_overs(current):
    for council in Council.objects.all():
        seats = Seat.objects.filter(forum__council=council, period=current)
        assert seats.vacant_on(ON).count() >= 5
        assert seats.filter(appointments__isnull=True).exists()
        appointments = Appointment.objects.filter(seat__in=seats)
        nominated = appointments.filter(status="nominated")
        assert nominated.exists()
        assert all(a.seat.mode == Seat.Mode.NOMINATES and a.seat.appointing_body for a in nominated)
        assert appointments.filter(status="proposed").exists()
        assert appointments.filter(status="ended", end_reason="resigned").exists()
        carry_overs = Appointment.objects.for_council(council).carry_overs(ON)
        assert carry_overs.count() >= 2
        assert all(a.is_carry_over(ON) and a.seat.period.name == "2022-2025" for a in carry_overs)
    replaced = Appointment.objects.filter(status="ended", end_reason="term_expired")
    assert replaced.count() >= 20


def test_deputy_seats_belong_to_member_seats_and_every_mode_is_used(current):
    deputies = Seat.objects.filter(period=current, kind=Seat.Kind.DEPUTY).select_related("deputy_for")
    assert deputies.exists()
    assert all(seat.deputy_for.forum_id == seat.forum_id for seat in deputies)
    assert set(Seat.objects.values_list("mode", flat=True)) == {"appoints", "nominates", "recommends"}
    assert not Seat.objects.filter(mode="nominates", appointing_body="").exists()


def test_every_appointee_sits_in_a_municipal_council_of_the_kkr_when_appointed():
    for appointment in Appointment.objects.select_related("seat__forum", "person"):
        assert (
            CouncilSeat.objects.filter(
                person=appointment.person,
                municipality__council=appointment.seat.forum.council_id,
                started_on__lte=appointment.starts_on,
            )
            .exclude(ended_on__lt=appointment.starts_on)
            .exists()
        ), appointment


def test_the_seed_fora_are_reused_and_every_kkr_has_its_fora(demo):
    assert Forum.objects.filter(name="Erhvervshus Fyn").get().slug == "erhvervshus-fyn"
    assert Forum.objects.filter(council__slug="syddanmark", name="Danmarks Erhvervsfremmebestyrelse").count() == 1
    for council in Council.objects.all():
        kinds = set(Forum.objects.filter(council=council).values_list("kind__slug", flat=True))
        assert kinds == {
            "erhvervshus",
            "erhvervsfremmebestyrelse",
            "rar",
            "professionshoejskole",
            "eu-kontor",
            "sundhedssamarbejde",
            "sundhedsklynge",
            "trafikselskab",
        }


def test_meetings_lie_ahead_with_agendas_naming_policy_areas_after_a_constituent_meeting_in_january(demo):
    for council in Council.objects.all():
        meetings = Meeting.objects.filter(council=council)
        upcoming = meetings.upcoming()
        assert upcoming.count() >= 3
        assert all(meeting.status == "planned" for meeting in upcoming)
        constituent = meetings.get(is_constituent=True)
        assert (constituent.starts_at.year, constituent.starts_at.month) == (2026, 1)
        in_2026 = meetings.filter(starts_at__year=2026).count()
        assert 4 <= in_2026 <= 6
        for meeting in meetings.filter(is_constituent=False):
            items = meeting.agenda_items.all()
            assert 3 <= len(items) <= 6
            assert all(item.policy_area_id for item in items)
    assert AgendaItem.objects.values("policy_area").distinct().count() >= 6


def test_agreements_have_milestones_with_partial_municipal_approvals(demo):
    for council in Council.objects.all():
        agreements = Agreement.objects.filter(council=council)
        assert agreements.filter(kind__slug="rammeaftale").exists()
        milestones = Milestone.objects.filter(agreement__council=council)
        assert milestones.filter(due_on__gt=ON, completed_on__isnull=True).count() >= 5
        every = milestones.filter(requires_every_council=True, approvals__isnull=False).distinct().get()
        approved = every.approvals.count()
        assert 0 < approved < council.municipalities.count()
        assert Milestone.objects.filter(pk=every.pk).missing_approvals().exists()
    assert MunicipalApproval.objects.exists()
    # Seed agreements got milestones but are otherwise as the folders say.
    assert Agreement.objects.filter(council__slug="syddanmark").count() == 7


def test_the_seed_facts_are_not_contradicted(demo):
    previous = ElectionPeriod.objects.get(name="2022-2025")
    for name, municipality in [
        ("Johannes Lundsfryd Jensen", "Middelfart"),
        ("Søren Steen Andersen", "Assens"),
        ("Mikael Smed", "Vordingborg"),
        ("Pernille Beckmann", "Greve"),
    ]:
        mayors = CouncilSeat.objects.mayors().filter(period=previous, municipality__name=municipality)
        assert [seat.person.name for seat in mayors] == [name]
    chairs = Chairmanship.objects.filter(period=previous, council__slug__in=["syddanmark", "sjaelland"])
    assert sorted(chairs.values_list("person__slug", flat=True)) == sorted(SEED_SLUGS)
    # The real people keep exactly the roles the folders give them.
    for person in Person.objects.filter(slug__in=SEED_SLUGS):
        assert person.council_seats.count() == 1
        assert person.memberships.count() == 1
        assert not person.appointments.exists()
        assert person.user is None
    assert SecretariatContact.objects.count() == 12
    out = StringIO()
    call_command("load_seed_facts", stdout=out)
    assert "0 oprettet, 0 opdateret" in out.getvalue()


def test_the_demo_logins_exist_with_the_demo_password_and_sensible_rights(demo):
    users = get_user_model().objects
    admin = users.get(username=demo_module.SUPERUSER_EMAIL)
    assert admin.is_superuser
    assert admin.check_password(demo_module.DEMO_PASSWORD)
    for council in Council.objects.all():
        staff = users.get(email=f"sekretariat.{council.slug}@kkr-portal.dk")
        assert staff.is_staff
        assert not staff.is_superuser
        assert staff.has_perm("fora.change_appointment")
        assert staff.has_perm("members.add_person")
        assert staff.has_perm("members.view_council")
        assert not staff.has_perm("members.change_council")
        assert not staff.has_perm("members.delete_person")
        # Each secretariat serves its own KKR only (kkr_portal.scoping).
        assert list(staff.staff_assignments.values_list("council", flat=True)) == [council.pk]
    member = users.get(email="medlem@kkr-portal.dk")
    assert not member.is_staff
    assert member.check_password("kkr-demo-2026")
    assert member.person.email == "medlem@kkr-portal.dk"
    assert KKRMembership.objects.filter(person=member.person).active_on(ON).voting().exists()
    assert member.person.appointments.filter(status="appointed").count() >= 2
    assert EmailAddress.objects.filter(email="medlem@kkr-portal.dk", verified=True, primary=True).exists()

    out = StringIO()
    call_command("demo_logins", stdout=out)
    printed = out.getvalue()
    assert "admin@kkr-portal.dk" in printed
    assert "sekretariat.sjaelland@kkr-portal.dk" in printed
    assert "medlem@kkr-portal.dk" in printed
    assert "kkr-demo-2026" in printed
    assert "mail" in printed


def test_the_fictional_people_have_unreachable_work_emails(demo):
    fictional = Person.objects.exclude(slug__in=SEED_SLUGS).exclude(email="medlem@kkr-portal.dk")
    assert fictional.count() > 300
    assert all(email.endswith(".kommune.example") for email in fictional.values_list("email", flat=True))


def test_running_it_again_changes_nothing(demo):
    models = [Person, CouncilSeat, KKRMembership, Chairmanship, Forum, Seat, Appointment, Meeting, AgendaItem]
    models += [Agreement, Milestone, MunicipalApproval, Municipality, get_user_model()]
    before = {model.__name__: model.objects.count() for model in models}

    output = _load_demo()

    assert output == "Demodata er allerede indlæst; intet ændret.\n"
    assert {model.__name__: model.objects.count() for model in models} == before


def test_the_same_seed_gives_the_same_people(demo):
    assert demo.first_people == _people()
    assert len({name for _, name in demo.first_people}) == len(demo.first_people)


def test_the_summary_names_every_kkr(demo):
    for council in Council.objects.all():
        assert f"{council.name}: {council.municipalities.count()} kommuner" in demo.output
    assert "Demodata indlæst (seed 2026)" in demo.output
    print(f"load_demo_data took {demo.seconds:.1f} s")
