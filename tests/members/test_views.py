"""The members' pages: a KKR, a person, the meetings, Min side and About KKR."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from agreements.models import Agreement, AgreementKind, Milestone, MunicipalApproval
from fora import services as fora_services
from fora.models import Seat
from members import profile, services
from members.models import (
    AgendaItem,
    Chairmanship,
    CouncilSeat,
    KKRMembership,
    Meeting,
    Municipality,
    Person,
    PolicyArea,
    SecretariatContact,
    TimelineEntry,
)
from tests import factories
from tests.pages import main_part
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db
CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=CPH)
TODAY = NOW.date()

# Queries per page, signed in: the session with the versions (one query, kkr_portal.sessions; the
# data version of the page cache among them) and, on the first request since the login, the user
# row (kkr_portal.auth). The same at every data size: the pages fetch each kind of row once.
SIGNED_IN = 2
# Cached pages (kkr_portal.pagecache), once cached: the session with the versions, that is all.
CACHED_PAGE_QUERIES = 1
COUNCIL_PAGE_QUERIES = SIGNED_IN + 14
PERSON_PAGE_QUERIES = SIGNED_IN + 5
MEETING_LIST_QUERIES = SIGNED_IN + 4
MY_PAGE_QUERIES = SIGNED_IN + 8  # + the reminder preferences (reminders.services.wanted_kinds)
ABOUT_QUERIES = 3


@pytest.fixture(autouse=True)
def _frozen_time():
    """Monday 23 November 2026, 12:00 in Copenhagen, in the 2026-2029 period."""
    with time_machine.travel(NOW, tick=False):
        yield


# --- data ----------------------------------------------------------------------------------


def mayor(municipality: Municipality, period, **fields) -> Person:
    person = factories.PersonFactory(**fields)
    services.record_mayor(person=person, municipality=municipality, period=period, started_on=period.starts_on)
    return person


def deputy_mayor(municipality: Municipality, period, **fields) -> Person:
    return councillor(municipality, period, role=CouncilSeat.Role.DEPUTY_MAYOR, **fields)


def appoint(seat: Seat, person: Person, starts_on: dt.date):
    appointment = fora_services.propose(seat=seat, person=person, starts_on=starts_on)
    return fora_services.appoint(appointment=appointment, appointed_on=starts_on)


def carried_over_seat(forum, municipality, period_2022, period, *, label: str = "Medlem") -> tuple[Person, Seat]:
    """A 2022-2025 appointee whose successor is not appointed yet: they sit on, the new seat is not vacant."""
    person = councillor(municipality, period_2022, name="Karen Overgaard")
    old = factories.SeatFactory(forum=forum, period=period_2022, label=label)
    appoint(old, person, dt.date(2022, 3, 1))
    return person, factories.SeatFactory(forum=forum, period=period, label=label, previous_seat=old)


def populate(council, period, period_2022, *, members: int, fora: int, chairs: bool = True) -> dict:
    """A KKR with ``members`` mayors (each with a deputy mayor as substitute), a supplementary
    and a KL board member, chair and vice-chair, ``fora`` fora (each with a member seat held
    and a vacant deputy seat, the first also with a carried-over seat), meetings with agenda
    items, agreements with milestones and approvals, and the secretariat."""
    municipalities = list(Municipality.objects.filter(council=council).order_by("code")[:members])
    mayors = [mayor(municipality, period) for municipality in municipalities]
    for municipality in municipalities:
        deputy_mayor(municipality, period)
    supplementary = councillor(municipalities[0], period)
    services.add_membership(
        person=supplementary, council=council, period=period, basis="supplementary", started_on=period.starts_on
    )
    kl_board = councillor(municipalities[-1], period)
    services.add_membership(
        person=kl_board, council=council, period=period, basis="kl_board", started_on=period.starts_on
    )
    chair, vice = mayors[0], mayors[-1]
    for role, person in ((Chairmanship.Role.CHAIR, chair), (Chairmanship.Role.VICE_CHAIR, vice)):
        if chairs:
            services.elect_chair(council=council, period=period, role=role, person=person, started_on=period.starts_on)

    health = PolicyArea.objects.get(slug="sundhed")
    forums = []
    for number in range(fora):
        forum = factories.ForumFactory(council=council, name=f"{council.name} forum {number + 1}")
        forum.policy_areas.set([health])
        seat = factories.SeatFactory(forum=forum, label="Medlem 1", position=1)
        factories.SeatFactory(forum=forum, label="Suppleant 1", kind=Seat.Kind.DEPUTY, deputy_for=seat, position=2)
        appoint(seat, mayors[number % len(mayors)], dt.date(2026, 2, 1))
        forums.append(forum)
    carried, _seat = carried_over_seat(forums[0], municipalities[0], period_2022, period, label="Medlem 2")

    for number in range(max(1, fora)):
        meeting = factories.MeetingFactory(
            council=council, title=f"KKR-møde {number + 1}", starts_at=NOW + dt.timedelta(days=14 + 30 * number)
        )
        AgendaItem.objects.create(meeting=meeting, number=1, title="Sundhedsaftalen", policy_area=health)
        AgendaItem.objects.create(meeting=meeting, number=2, title="Eventuelt")

    kind = AgreementKind.objects.get(slug="rammeaftale")
    for number in range(max(1, fora)):
        agreement = Agreement.objects.create(
            council=council,
            kind=kind,
            title=f"Rammeaftale {number + 1}",
            counterpart=f"Region {number + 1}",
            policy_area=kind.policy_area,
            valid_from=period.starts_on,
        )
        milestone = Milestone.objects.create(
            agreement=agreement,
            kind=Milestone.Kind.COUNCIL_APPROVAL,
            title=f"Rammeaftale {number + 1} godkendt i alle kommunalbestyrelser",
            due_on=TODAY + dt.timedelta(days=20),
            audience=Milestone.Audience.MEMBERS,
            requires_every_council=True,
        )
        MunicipalApproval.objects.create(milestone=milestone, municipality=municipalities[0], approved_on=TODAY)

    SecretariatContact.objects.create(
        council=council,
        kind=SecretariatContact.Kind.KKR_SECRETARIAT,
        unit=f"KKR-sekretariat {council.region_name}",
        name="Birgitte Lambrechtsen",
        title="chefkonsulent",
        phone="2383 2028",
        email="BEL@kl.dk",
    )
    SecretariatContact.objects.create(
        council=council,
        kind=SecretariatContact.Kind.JOINT_SECRETARIAT,
        unit="Fælleskommunalt fagsekretariat på sundhedsområdet",
        policy_area=health,
    )
    return {
        "municipalities": municipalities,
        "mayors": mayors,
        "chair": chair,
        "vice": vice,
        "supplementary": supplementary,
        "kl_board": kl_board,
        "fora": forums,
        "carried": carried,
    }


def text(response) -> str:
    return response.content.decode()


# --- /kkr/<slug>/ ----------------------------------------------------------------------------


def test_the_council_page_shows_chair_vice_chair_and_members_by_municipality_with_party_and_vote(
    signed_in, syddanmark, period, period_2022, venstre
):
    data = populate(syddanmark, period, period_2022, members=2, fora=1)
    data["chair"].party = venstre
    data["chair"].save()

    response = signed_in.get(reverse("council_detail", args=["syddanmark"]))

    assert response.status_code == 200
    assert response.context["chair"].person == data["chair"]
    assert response.context["vice_chair"].person == data["vice"]
    content = text(response)
    assert "<h1" in content
    assert content.count("<h1") == 1
    assert f"{data['chair'].name}</a> <span" in content
    assert '<abbr title="Venstre, Danmarks Liberale Parti">V</abbr>' in content
    members = response.context["members"]
    # Two mayors, the supplementary and the KL board member; the deputy mayors are substitutes, not members.
    assert len(members) == 4
    assert [m.municipality_name for m in members] == sorted(m.municipality_name for m in members)
    for municipality in data["municipalities"]:
        assert f">{municipality.name}</h3>" in content
    assert "selvskreven som borgmester, med stemmeret" in content
    assert "supplerende medlem, med stemmeret" in content
    assert "<strong>uden stemmeret</strong>" in content


def test_substitutes_are_listed_under_their_member_and_never_as_members(signed_in, syddanmark, period, period_2022):
    populate(syddanmark, period, period_2022, members=2, fora=1)

    response = signed_in.get(reverse("council_detail", args=["syddanmark"]))

    members = response.context["members"]
    assert all(membership.role == KKRMembership.Role.MEMBER for membership in members)
    mayors = [m for m in members if m.basis == KKRMembership.Basis.EX_OFFICIO]
    for membership in mayors:
        (substitute,) = membership.current_substitutes
        assert substitute.person.council_seats.get().role == CouncilSeat.Role.DEPUTY_MAYOR
        assert f'Stedfortræder: <a href="/personer/{substitute.person.slug}/">' in text(response)


def test_the_council_page_shows_fora_with_appointees_vacancies_and_carry_overs(
    signed_in, syddanmark, period, period_2022
):
    data = populate(syddanmark, period, period_2022, members=2, fora=1)

    response = signed_in.get(reverse("council_detail", args=["syddanmark"]))

    ((forum, seats),) = response.context["fora"]
    states = {state.seat.label: state for state in seats}
    assert states["Medlem 1"].holder.person == data["mayors"][0]
    assert states["Medlem 1"].status == "appointed"
    assert states["Suppleant 1"].vacant
    # The seat continued from 2022-2025 is held by the carry-over, so it is not vacant.
    assert states["Medlem 2"].holder.person == data["carried"]
    assert states["Medlem 2"].status == "carry_over"
    assert not states["Medlem 2"].vacant
    content = text(response)
    assert forum.name in content
    assert "fortsætter, til en efterfølger er udpeget" in content
    assert "ledig" in content


def test_the_council_page_shows_meetings_agreements_with_deadlines_secretariat_and_policy_areas(
    signed_in, syddanmark, period, period_2022
):
    populate(syddanmark, period, period_2022, members=2, fora=1)
    factories.MeetingFactory(council=syddanmark, title="Holdt møde", starts_at=NOW - dt.timedelta(days=30))

    response = signed_in.get(reverse("council_detail", args=["syddanmark"]))

    content = text(response)
    assert "KKR-møde 1" in content
    assert "7. december 2026 12:00" in content  # 14 days ahead, in Copenhagen time
    assert "Holdt møde" not in content
    assert "Rammeaftale 1" in content
    assert "Næste frist 13. december 2026: Rammeaftale 1 godkendt i alle kommunalbestyrelser" in content
    assert "Birgitte Lambrechtsen" in content
    assert 'href="tel:+4523832028"' in content
    assert "mailto:bel@kl.dk" in content
    assert "Fælleskommunalt fagsekretariat på sundhedsområdet" in content
    areas = {area.slug: area for area in response.context["policy_areas"]}
    assert len(areas) == 6
    assert areas["sundhed"].forum_count == 1
    assert areas["social"].agreement_count == 1
    assert "?kkr=syddanmark&amp;fagomraade=sundhed" in content


def test_a_council_without_data_shows_its_page_with_empty_sections(signed_in):
    response = signed_in.get(reverse("council_detail", args=["nordjylland"]))

    assert response.status_code == 200
    content = text(response)
    assert "KKR Nordjylland" in content
    assert "Ingen medlemmer registreret" in content
    assert "Ingen planlagte møder." in content


def test_an_unknown_council_gets_the_portals_404(signed_in):
    response = signed_in.get("/kkr/findes-ikke/")

    assert response.status_code == 404
    assert "Siden findes ikke" in text(response)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("council_detail", args=["syddanmark"]))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/kkr/syddanmark/"


def test_anyone_may_see_the_council_page_when_the_blaa_bog_is_public(client, settings):
    settings.BLAA_BOG_PUBLIC = True

    response = client.get(reverse("council_detail", args=["syddanmark"]))

    assert response.status_code == 200
    assert "KKR Syddanmark" in text(response)


@pytest.mark.parametrize(("members", "fora"), [(2, 1), (20, 8)])
def test_the_council_page_query_count_does_not_grow_with_members_and_fora(
    signed_in, syddanmark, period, period_2022, members, fora, django_assert_num_queries
):
    populate(syddanmark, period, period_2022, members=members, fora=fora)

    with django_assert_num_queries(COUNCIL_PAGE_QUERIES):
        response = signed_in.get(reverse("council_detail", args=["syddanmark"]))
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        again = signed_in.get(reverse("council_detail", args=["syddanmark"]))

    assert len(response.context["members"]) == members + 2
    assert len(response.context["fora"]) == fora
    assert main_part(again) == main_part(response)


# --- /personer/<slug>/ ------------------------------------------------------------------------


def person_with_history(odense, period, period_2022, syddanmark) -> Person:
    """Mayor of Odense in 2022-2025 and again now, chair now, appointed to a forum now."""
    person = factories.PersonFactory(name="Anne Madsen", bio="Skolelærer. Bor i Odense.", phone="12 34 56 78")
    person.email = "anne@odense.example"
    person.save()
    old = services.record_mayor(
        person=person, municipality=odense, period=period_2022, started_on=period_2022.starts_on
    )
    services.end_council_seat(seat=old, ended_on=period_2022.ends_on)
    services.record_mayor(person=person, municipality=odense, period=period, started_on=period.starts_on)
    services.elect_chair(
        council=syddanmark, period=period, role=Chairmanship.Role.CHAIR, person=person, started_on=dt.date(2026, 1, 15)
    )
    forum = factories.ForumFactory(council=syddanmark, name="Erhvervshus Fyn")
    appoint(factories.SeatFactory(forum=forum, label="Medlem 1"), person, dt.date(2026, 2, 1))
    return person


def test_the_person_page_shows_current_roles_first_then_history_by_period(
    signed_in, odense, period, period_2022, syddanmark
):
    person = person_with_history(odense, period, period_2022, syddanmark)

    response = signed_in.get(reverse("person_detail", args=[person.slug]))

    assert response.status_code == 200
    current = [role.kind for role in response.context["current_roles"]]
    assert current == ["seat", "membership", "chair", "appointment"]
    (earlier,) = response.context["history"]
    assert earlier.period == period_2022
    assert [role.kind for role in earlier.roles] == ["seat", "membership"]
    content = text(response)
    assert content.index("Nuværende roller") < content.index("Borgmester</strong> i Odense Kommune")
    assert content.index("Tidligere roller") < content.index("Valgperioden 2022-2025")
    assert "Formand</strong> for" in content
    assert "Medlem 1</strong> i" in content
    assert "Erhvervshus Fyn" in content
    assert "1. januar 2022 – 31. december 2025" in content
    assert "Skolelærer. Bor i Odense." in content


def test_contact_details_are_shown_to_signed_in_users(signed_in, odense, period, period_2022, syddanmark):
    person = person_with_history(odense, period, period_2022, syddanmark)

    content = text(signed_in.get(reverse("person_detail", args=[person.slug])))

    assert "anne@odense.example" in content
    assert "12 34 56 78" in content


def test_contact_details_are_hidden_from_anonymous_visitors_even_in_a_public_blaa_bog(
    client, settings, odense, period, period_2022, syddanmark
):
    settings.BLAA_BOG_PUBLIC = True
    person = person_with_history(odense, period, period_2022, syddanmark)

    response = client.get(reverse("person_detail", args=[person.slug]))

    assert response.status_code == 200
    content = text(response)
    assert "Anne Madsen" in content
    assert "anne@odense.example" not in content
    assert "12 34 56 78" not in content
    assert "Kontaktoplysninger vises kun for medlemmer, der er logget ind." in content


def test_the_person_page_sends_anonymous_visitors_to_login(client, odense, period, period_2022, syddanmark):
    person = person_with_history(odense, period, period_2022, syddanmark)

    response = client.get(reverse("person_detail", args=[person.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_unknown_person_gets_the_portals_404(signed_in):
    response = signed_in.get("/personer/ingen-her/")

    assert response.status_code == 404
    assert "Siden findes ikke" in text(response)


def test_a_carry_over_is_a_current_role_marked_as_such(signed_in, odense, period, period_2022, syddanmark):
    forum = factories.ForumFactory(council=syddanmark)
    person, _seat = carried_over_seat(forum, odense, period_2022, period)

    response = signed_in.get(reverse("person_detail", args=[person.slug]))

    (role,) = [role for role in response.context["current_roles"] if role.kind == "appointment"]
    assert role.is_carry_over
    assert "fortsætter, til en efterfølger er udpeget" in text(response)


@pytest.mark.parametrize("many", [False, True])
def test_the_person_page_query_count_does_not_grow_with_roles(
    signed_in, odense, period, period_2022, syddanmark, many, django_assert_num_queries
):
    if many:
        person = person_with_history(odense, period, period_2022, syddanmark)
        for number in range(5):
            forum = factories.ForumFactory(council=syddanmark)
            appoint(factories.SeatFactory(forum=forum, label=f"Medlem {number}"), person, dt.date(2026, 3, 1))
    else:
        person = councillor(odense, period)

    with django_assert_num_queries(PERSON_PAGE_QUERIES):
        response = signed_in.get(reverse("person_detail", args=[person.slug]))
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        again = signed_in.get(reverse("person_detail", args=[person.slug]))

    assert len(response.context["current_roles"]) == (9 if many else 1)
    assert main_part(again) == main_part(response)


# --- /moeder/ ------------------------------------------------------------------------------


def test_the_meeting_list_shows_upcoming_meetings_with_time_place_agenda_and_cancellations(
    signed_in, syddanmark, sjaelland
):
    health = PolicyArea.objects.get(slug="sundhed")
    meeting = factories.MeetingFactory(
        council=syddanmark,
        title="Møde i KKR Syddanmark",
        starts_at=dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC),
        place="Rådhuset, Billund",
    )
    AgendaItem.objects.create(meeting=meeting, number=1, title="Status på sundhedsaftalen", policy_area=health)
    factories.MeetingFactory(
        council=sjaelland, title="Aflyst møde", starts_at=NOW + dt.timedelta(days=3), status=Meeting.Status.CANCELLED
    )
    factories.MeetingFactory(council=syddanmark, title="Sidste måneds møde", starts_at=NOW - dt.timedelta(days=30))

    response = signed_in.get(reverse("meeting_list"))

    assert response.status_code == 200
    content = text(response)
    assert "Kommende møder" in content
    # 09:00 UTC is 10:00 in Copenhagen in December.
    assert "7. december 2026 10:00" in content
    assert "13:00" in content
    assert "Rådhuset, Billund" in content
    assert "Status på sundhedsaftalen" in content
    assert ">Sundhed</span>" in content
    assert "Aflyst møde" in content
    assert "Mødet er aflyst." in content
    assert "Sidste måneds møde" not in content


def test_the_meeting_list_filters_by_council(signed_in, syddanmark, sjaelland):
    factories.MeetingFactory(council=syddanmark, title="Syddansk møde")
    factories.MeetingFactory(council=sjaelland, title="Sjællandsk møde")

    content = text(signed_in.get(reverse("meeting_list"), {"kkr": "sjaelland"}))

    assert "Sjællandsk møde" in content
    assert "Syddansk møde" not in content
    assert '<option value="sjaelland" selected>' in content


def test_past_meetings_are_shown_on_vis_tidligere(signed_in, syddanmark):
    factories.MeetingFactory(
        council=syddanmark,
        title="Sidste måneds møde",
        starts_at=NOW - dt.timedelta(days=30),
        status=Meeting.Status.HELD,
    )
    factories.MeetingFactory(council=syddanmark, title="Næste måneds møde")

    content = text(signed_in.get(reverse("meeting_list"), {"vis": "tidligere"}))

    assert "Tidligere møder" in content
    assert "Sidste måneds møde" in content
    assert "afholdt" in content
    assert "Næste måneds møde" not in content


@pytest.mark.parametrize(
    "query",
    [
        {"kkr": "findes-ikke"},
        {"kkr": "syd\x00danmark"},
        {"kkr": "x" * 10_000},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "99999999999999999999"},
        {"vis": "\x00"},
    ],
)
def test_bad_query_parameters_give_the_normal_meeting_list(signed_in, syddanmark, query):
    factories.MeetingFactory(council=syddanmark)

    response = signed_in.get(reverse("meeting_list"), query)

    assert response.status_code == 200
    assert "<h1" in text(response)


def test_an_unknown_council_gives_a_friendly_empty_meeting_list(signed_in, syddanmark):
    factories.MeetingFactory(council=syddanmark, title="Syddansk møde")

    content = text(signed_in.get(reverse("meeting_list"), {"kkr": "atlantis"}))

    assert "Vi kender ikke det valgte KKR." in content
    assert "Syddansk møde" not in content


def test_the_meeting_list_sends_anonymous_visitors_to_login(client):
    response = client.get(reverse("meeting_list"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anyone_may_see_the_meetings_when_the_blaa_bog_is_public(client, settings, syddanmark):
    settings.BLAA_BOG_PUBLIC = True
    factories.MeetingFactory(council=syddanmark, title="Decembermødet")

    response = client.get(reverse("meeting_list"))

    assert response.status_code == 200
    assert "Decembermødet" in text(response)


@pytest.mark.parametrize("meetings", [1, 15])
def test_the_meeting_list_query_count_does_not_grow_with_meetings(
    signed_in, syddanmark, sjaelland, meetings, django_assert_num_queries
):
    health = PolicyArea.objects.get(slug="sundhed")
    for number in range(meetings):
        meeting = factories.MeetingFactory(
            council=sjaelland if number % 2 else syddanmark, starts_at=NOW + dt.timedelta(days=number + 1)
        )
        for item in range(1, 4):
            AgendaItem.objects.create(meeting=meeting, number=item, title=f"Punkt {item}", policy_area=health)

    with django_assert_num_queries(MEETING_LIST_QUERIES):
        response = signed_in.get(reverse("meeting_list"))

    assert len(response.context["meetings"]) == meetings


# --- /min-side/ ------------------------------------------------------------------------------


def test_my_page_needs_a_login(client):
    response = client.get(reverse("my_page"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/min-side/"


def test_my_page_says_when_the_secretariat_has_not_linked_the_login_to_a_person(client):
    user = factories.UserFactory(email="ny@example.dk")
    client.force_login(user)

    response = client.get(reverse("my_page"))

    assert response.status_code == 200
    assert "sekretariatet har endnu ikke koblet dit login til en person" in text(response)


def test_my_page_shows_the_members_roles_and_a_form_with_their_details(client, odense, period, syddanmark):
    person = mayor(odense, period, phone="11 22 33 44", bio="Kort om mig.")
    person.user = factories.UserFactory(email="borgmester@odense.example")
    person.email = "borgmester@odense.example"
    person.save()
    client.force_login(person.user)

    response = client.get(reverse("my_page"))

    assert response.status_code == 200
    content = text(response)
    assert "Borgmester</strong> i Odense Kommune" in content
    assert "Medlem</strong> af" in content
    assert 'value="11 22 33 44"' in content
    assert 'value="borgmester@odense.example"' in content
    assert "Kort om mig." in content
    assert 'name="csrfmiddlewaretoken"' in content


def test_a_member_updates_their_own_contact_details_and_the_history_names_them(signed_in, member):
    response = signed_in.post(
        reverse("my_page"), {"phone": "+45 20 30 40 50", "email": "ny@kommune.dk", "bio": "Landmand på Fyn."}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("my_page")
    member.refresh_from_db()
    assert (member.phone, member.email, member.bio) == ("20 30 40 50", "ny@kommune.dk", "Landmand på Fyn.")
    latest = member.history.latest()
    assert latest.history_user == member.user
    assert latest.history_change_reason == profile.CHANGE_REASON
    assert "Dine kontaktoplysninger er gemt." in text(signed_in.get(reverse("my_page")))


def test_an_invalid_email_is_refused_with_a_danish_message_and_nothing_is_saved(signed_in, member):
    before = member.history.count()

    response = signed_in.post(reverse("my_page"), {"phone": "11 22 33 44", "email": "ikke-en-adresse", "bio": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Skriv en gyldig e-mailadresse, fx navn@kommune.dk."]
    assert "Skriv en gyldig e-mailadresse" in text(response)
    member.refresh_from_db()
    assert member.email == "medlem@example.dk"
    assert member.phone == ""
    assert member.history.count() == before


def test_a_bio_of_ten_thousand_characters_is_refused_and_nothing_is_saved(signed_in, member):
    before = member.history.count()

    response = signed_in.post(reverse("my_page"), {"phone": "", "email": "medlem@example.dk", "bio": "x" * 10_000})

    assert response.status_code == 200
    assert response.context["form"].errors["bio"] == ["Biografien må højst have 1000 tegn (den har 10000)."]
    member.refresh_from_db()
    assert member.bio == ""
    assert member.history.count() == before


@pytest.mark.parametrize("phone", ["ring til mig", "12\x0034", "1" * 31])
def test_a_bad_phone_number_is_refused(signed_in, member, phone):
    response = signed_in.post(reverse("my_page"), {"phone": phone, "email": "medlem@example.dk", "bio": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    member.refresh_from_db()
    assert member.phone == ""


def test_saving_unchanged_details_records_no_history(signed_in, member):
    before = member.history.count()

    response = signed_in.post(reverse("my_page"), {"phone": "", "email": "medlem@example.dk", "bio": ""})

    assert response.status_code == 302
    assert member.history.count() == before


def test_the_service_updates_only_the_persons_own_details(member):
    other = factories.UserFactory(email="anden@example.dk")

    with pytest.raises(PermissionDenied):
        profile.update_own_contact_details(person=member, phone="", email="", bio="", changed_by=other)

    person = profile.update_own_contact_details(
        person=member, phone=" 12 34 56 78 ", email="medlem@example.dk", bio="", changed_by=member.user
    )
    assert person.phone == "12 34 56 78"
    assert person.history.latest().history_user == member.user


def test_the_service_refuses_what_the_form_refuses(member):
    with pytest.raises(ValidationError) as error:
        profile.update_own_contact_details(
            person=member, phone="", email="ikke-en-adresse", bio="", changed_by=member.user
        )
    assert "email" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        profile.update_own_contact_details(person=member, phone="", email="", bio="x" * 10_000, changed_by=member.user)
    assert "bio" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        profile.update_own_contact_details(person=member, phone="ring", email="", bio="", changed_by=member.user)
    assert "phone" in error.value.message_dict
    member.refresh_from_db()
    assert (member.phone, member.email, member.bio) == ("", "medlem@example.dk", "")


@pytest.mark.parametrize("many", [False, True])
def test_my_page_query_count_does_not_grow_with_roles_meetings_and_deadlines(
    client, odense, syddanmark, period, period_2022, many, django_assert_num_queries
):
    person = person_with_history(odense, period, period_2022, syddanmark)
    person.user = factories.UserFactory(email="anne@odense.example")
    person.save()
    if many:
        # Five mayors from Middelfart to Nyborg: Odense's mayor is the person signed in.
        populate(syddanmark, period, period_2022, members=5, fora=5, chairs=False)
    else:
        factories.MeetingFactory(council=syddanmark)
    client.force_login(person.user)

    with django_assert_num_queries(MY_PAGE_QUERIES):
        response = client.get(reverse("my_page"))

    assert response.context["next_meetings"]


# --- /om-kkr/ ------------------------------------------------------------------------------


def timeline() -> None:
    rows = [
        ("2006-2007", 2006, 2007, "Socialområdet"),
        ("2006-2007", 2006, 2007, "Kollektiv trafik (Trafikselskaber)"),
        ("2022-2026", 2022, 2026, "Sundhedsklynger"),
    ]
    for position, (label, start, end, title) in enumerate(rows):
        TimelineEntry.objects.create(
            period_label=label, starts_year=start, ends_year=end, title=title, position=position
        )


def test_the_about_page_is_public_and_shows_policy_areas_structure_kl_and_the_timeline(client):
    timeline()

    response = client.get(reverse("about"))

    assert response.status_code == 200
    content = text(response)
    for area in PolicyArea.objects.all():
        assert area.name in content
        assert area.description[:40] in content
    for word in (
        "Formandskabet",
        "Regionale fora",
        "KKR-sekretariatet",
        "Regionale kommunaldirektørnetværk",
        "Fælleskommunale sekretariater",
        "Samspillet med KL",
    ):
        assert word in content
    assert content.count(">2006-2007</h3>") == 1
    assert content.index("Socialområdet") < content.index("Sundhedsklynger")
    assert "KKR Syddanmark" in content


@pytest.mark.parametrize("entries", [0, 1])
def test_the_about_page_query_count_is_fixed(client, entries, django_assert_num_queries):
    if entries:
        timeline()

    with django_assert_num_queries(ABOUT_QUERIES):
        client.get(reverse("about"))
