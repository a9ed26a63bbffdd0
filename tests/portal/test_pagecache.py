"""The cached Blå Bog pages are never stale and never show one audience's page to another.

kkr_portal.pagecache keys each cached part on the data version that database triggers
(kkr_portal.versioning) bump on every write to the directory's tables; these tests try every
way of writing, and every way a cached page could be shown to the wrong reader.
"""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
import time_machine
from django.db import connection, transaction
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kkr_portal.models import DirectoryVersion
from kkr_portal.pagecache import directory_version
from kkr_portal.versioning import directory_tables, installed_triggers
from members.models import AgendaItem, Person, PolicyArea
from reminders.models import ReminderRule
from tests import factories, rules_helpers
from tests.pages import main_part
from tests.rules_helpers import councillor
from tests.test_admin_concurrency import open_form, save
from tests.test_admin_concurrency import signed_in as admin_client

pytestmark = pytest.mark.django_db
frozen_today = rules_helpers.frozen_today


def local(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=timezone.get_default_timezone())


def page(client, name: str, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


# --- the version -------------------------------------------------------------------------------


def test_every_table_a_blaa_bog_page_reads_has_the_trigger():
    tables = directory_tables()

    assert {"members_person", "members_kkrmembership", "fora_appointment", "fora_forum_policy_areas"} <= set(tables)
    assert "agreements_milestone" in tables
    assert "elections_partyvotes" in tables  # the balance page shows the imported votes
    assert not [table for table in tables if "historical" in table]
    assert installed_triggers() == set(tables)


def test_writing_outside_the_directory_leaves_the_version_alone(member):
    before = directory_version()

    ReminderRule.objects.update(is_active=False)
    factories.UserFactory(email="ny@example.dk")

    assert directory_version() == before


def _orm_save(person):
    person.name = "Ny Navnesen"
    person.save()


def _queryset_update(person):
    Person.objects.filter(pk=person.pk).update(phone="99 99 99 99")


def _raw_sql(person):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_person SET bio = %s WHERE id = %s", ["Skrevet uden om ORM'en", person.pk])


def _delete(person):
    factories.PersonFactory(name="Slettes Snart").delete()


def _bulk_create(person):
    Person.objects.bulk_create([Person(name=f"Bulk {number}", slug=f"bulk-{number}") for number in range(3)])


def _many_to_many(person):
    forum = factories.ForumFactory()
    forum.policy_areas.add(PolicyArea.objects.first())


@pytest.mark.parametrize("write", [_orm_save, _queryset_update, _raw_sql, _delete, _bulk_create, _many_to_many])
def test_every_way_of_writing_moves_the_version(member, write):
    before = directory_version()

    write(member)

    assert directory_version() != before


def test_a_write_that_is_rolled_back_leaves_the_version_as_it_was(member):
    before = directory_version()

    def save_then_fail():
        with transaction.atomic():
            _orm_save(member)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        save_then_fail()

    assert directory_version() == before


def test_without_the_version_row_nothing_is_cached(signed_in, member):
    DirectoryVersion.objects.all().delete()
    first = page(signed_in, "person_detail", member.slug)
    DirectoryVersion.objects.all().delete()  # the trigger wrote it again
    Person.objects.filter(pk=member.pk).update(name="Skiftet Navn")
    DirectoryVersion.objects.all().delete()

    assert "Skiftet Navn" not in first
    assert "Skiftet Navn" in page(signed_in, "person_detail", member.slug)


# --- a change is on the next request ----------------------------------------------------------


@pytest.mark.parametrize("write", [_orm_save, _queryset_update, _raw_sql])
def test_a_changed_person_is_on_the_next_request_of_every_cached_page(signed_in, odense, period, write):
    person = councillor(odense, period, name="Gammel Navnesen")
    before = page(signed_in, "person_detail", person.slug)
    assert "Gammel Navnesen" in before

    write(person)
    person.refresh_from_db()
    after = page(signed_in, "person_detail", person.slug)

    assert after != before
    assert person.name in after
    if write is _queryset_update:
        assert "99 99 99 99" in after
    if write is _raw_sql:
        assert "Skrevet uden om ORM" in after


def test_a_change_saved_in_the_admin_is_on_the_next_request(
    signed_in, superuser, syddanmark, odense, period, frozen_today
):
    from members import services

    person = councillor(odense, period, name="Karen Lund", phone="11 11 11 11")
    services.add_membership(  # on the print page, which lists the KKRs' own people
        person=person, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
    )
    assert "Karen Lund" in page(signed_in, "blaa_bog_print")
    assert "11 11 11 11" in page(signed_in, "person_detail", person.slug)
    assert "Karen Lund" in page(signed_in, "blaa_bog")

    staff = admin_client(superuser)
    assert (
        save(
            staff, Person, person, open_form(staff, Person, person), name="Karen Lund-Hansen", phone="22 22 22 22"
        ).status_code
        == 302
    )

    assert "22 22 22 22" in page(signed_in, "person_detail", person.slug)
    assert "Karen Lund-Hansen" in page(signed_in, "blaa_bog")
    assert "Karen Lund-Hansen" in page(signed_in, "blaa_bog_print")


def test_a_new_kkr_member_is_on_the_cached_council_page_at_once(signed_in, syddanmark, odense, period, frozen_today):
    from members import services

    assert "Nyvalgt Medlem" not in page(signed_in, "council_detail", "syddanmark")
    person = councillor(odense, period, name="Nyvalgt Medlem")
    services.add_membership(
        person=person, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
    )

    assert "Nyvalgt Medlem" in page(signed_in, "council_detail", "syddanmark")


# --- time ------------------------------------------------------------------------------------


def test_a_meeting_leaves_the_council_page_when_it_is_over_the_same_day(signed_in, syddanmark):
    noon = local(2026, 11, 23, 12)
    factories.MeetingFactory(
        council=syddanmark,
        title="Formiddagsmødet",
        starts_at=noon - dt.timedelta(hours=2),
        ends_at=noon + dt.timedelta(hours=1),
    )
    with time_machine.travel(noon, tick=False):
        assert "Formiddagsmødet" in page(signed_in, "council_detail", "syddanmark")
    with time_machine.travel(noon + dt.timedelta(hours=1, minutes=1), tick=False):
        assert "Formiddagsmødet" not in page(signed_in, "council_detail", "syddanmark")


def test_a_role_that_ended_yesterday_is_history_the_next_morning(signed_in, odense, period):
    person = councillor(odense, period, name="Sidste Dag")
    seat = person.council_seats.get()
    seat.ended_on = dt.date(2026, 11, 23)
    seat.save()
    with time_machine.travel(local(2026, 11, 23, 23, 59), tick=False):
        that_day = page(signed_in, "person_detail", person.slug)
    with time_machine.travel(local(2026, 11, 24, 0, 1), tick=False):
        next_day = page(signed_in, "person_detail", person.slug)

    current, earlier = that_day.split('id="earlier-roles"')
    assert "<strong>Medlem af kommunalbestyrelsen</strong> i Odense" in current
    assert "Ingen tidligere roller registreret." in earlier
    current, earlier = next_day.split('id="earlier-roles"')
    assert "Ingen nuværende roller." in current
    assert "<strong>Medlem af kommunalbestyrelsen</strong> i Odense" in earlier


def test_a_meeting_a_year_over_leaves_the_cached_feed(signed_in, syddanmark):
    ended = local(2025, 11, 1, 12)
    factories.MeetingFactory(
        council=syddanmark, title="Gammelt møde", starts_at=ended - dt.timedelta(hours=2), ends_at=ended
    )
    with time_machine.travel(ended + dt.timedelta(days=365), tick=False):
        assert "Gammelt møde" in page(signed_in, "council_feed", "syddanmark")
    with time_machine.travel(ended + dt.timedelta(days=367), tick=False):
        assert "Gammelt møde" not in page(signed_in, "council_feed", "syddanmark")


# --- audiences --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["person_detail", "blaa_bog", "blaa_bog_print"])
def test_a_visitor_never_gets_the_page_cached_for_a_member_nor_the_reverse(
    client, settings, syddanmark, odense, period, name
):
    from members import services

    settings.BLAA_BOG_PUBLIC = True
    person = councillor(odense, period, name="Kontakt Personsen", phone="12 34 56 78")
    services.add_membership(  # on the print page, which lists the KKRs' own people
        person=person, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
    )
    Person.objects.filter(pk=person.pk).update(email="kontakt@odense.example")
    args = [person.slug] if name == "person_detail" else []
    member = factories.PersonFactory(user=factories.UserFactory(email="m@example.dk"))
    signed_in = Client()
    signed_in.force_login(member.user)

    as_member = page(signed_in, name, *args)
    as_visitor = page(client, name, *args)
    as_member_again = page(signed_in, name, *args)

    assert "kontakt@odense.example" in as_member
    assert "12 34 56 78" in as_member
    assert "kontakt@odense.example" not in as_visitor
    assert "12 34 56 78" not in as_visitor
    assert "kontakt@odense.example" in as_member_again


def test_a_cached_page_carries_no_csrf_token_or_user_of_the_member_who_filled_it(odense, period):
    person = councillor(odense, period, name="Delt Side")
    first = factories.PersonFactory(name="Første Bruger", user=factories.UserFactory(email="foerste@example.dk"))
    second = factories.PersonFactory(name="Anden Bruger", user=factories.UserFactory(email="anden@example.dk"))
    one, two = Client(), Client()
    one.force_login(first.user)
    two.force_login(second.user)

    page(one, "person_detail", person.slug)
    response = two.get(reverse("person_detail", args=[person.slug]))

    assert "foerste@example.dk" not in response.content.decode()
    assert "Første Bruger" not in response.content.decode()
    assert "csrfmiddlewaretoken" not in main_part(response)


def test_the_language_is_part_of_the_key(signed_in, odense, period):
    person = councillor(odense, period, name="To Sprog")

    danish = signed_in.get(reverse("person_detail", args=[person.slug]), headers={"accept-language": "da"})
    english = signed_in.get(reverse("person_detail", args=[person.slug]), headers={"accept-language": "en"})

    assert "Kontakt" in danish.content.decode()
    assert "Contact" in english.content.decode()


def test_an_unknown_person_is_a_404_every_time_and_nothing_is_cached(signed_in):
    assert signed_in.get(reverse("person_detail", args=["findes-ikke"])).status_code == 404
    person = factories.PersonFactory(name="Findes Nu", slug="findes-ikke")

    assert "Findes Nu" in page(signed_in, "person_detail", person.slug)


# --- the printable Blå Bog -----------------------------------------------------------------------


def test_the_print_page_holds_every_kkr_on_its_own_section_with_everyone_of_all_pages(
    signed_in, syddanmark, sjaelland, odense, roskilde, period, frozen_today
):
    from members import services

    for number in range(60):
        municipality, council = (odense, syddanmark) if number % 2 else (roskilde, sjaelland)
        person = councillor(municipality, period, name=f"Medlem {number:02d}")
        services.add_membership(
            person=person, council=council, period=period, basis="supplementary", started_on=period.starts_on
        )

    html = page(signed_in, "blaa_bog_print")

    assert html.count('class="directory-person') >= 60
    assert "KKR Syddanmark" in html
    assert "KKR Sjælland" in html
    assert html.index("KKR Sjælland") < html.index("Medlem 00") < html.index("KKR Syddanmark") < html.index("Medlem 01")


@pytest.mark.parametrize("people", [3, 40])
def test_the_print_page_query_count_does_not_grow_with_people(
    signed_in, syddanmark, odense, period, people, django_assert_num_queries, frozen_today
):
    from members import services

    for number in range(people):
        person = councillor(odense, period, name=f"Person {number}")
        services.add_membership(
            person=person, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
        )

    # the session with the versions (the data version among them), the user, the option lists (6),
    # the people with their roles (members.filters); once cached whole, the session with the versions
    with django_assert_num_queries(9):
        signed_in.get(reverse("blaa_bog_print"))
    with django_assert_num_queries(1):
        signed_in.get(reverse("blaa_bog_print"))


def test_the_print_page_needs_a_login_unless_the_blaa_bog_is_public(client):
    response = client.get(reverse("blaa_bog_print"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_print_page_follows_the_directorys_filters(signed_in, syddanmark, sjaelland, odense, roskilde, period):
    from members import services

    for name, municipality, council in (("Fynbo", odense, syddanmark), ("Sjællænder", roskilde, sjaelland)):
        person = councillor(municipality, period, name=name)
        services.add_membership(
            person=person, council=council, period=period, basis="supplementary", started_on=period.starts_on
        )

    html = signed_in.get(reverse("blaa_bog_print"), {"kkr": "syddanmark"}).content.decode()

    assert "Fynbo" in html
    assert "Sjællænder" not in html


def test_the_print_page_lists_the_kkrs_own_people_unless_another_role_is_chosen(
    signed_in, syddanmark, odense, period, frozen_today
):
    """Paper is for the KKRs' people: a councillor with no role in a KKR or forum is left out
    (and the page says so), unless a role is chosen; the link back keeps the directory as it was."""
    from members import services

    member = councillor(odense, period, name="Kkr Medlem")
    services.add_membership(
        person=member, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
    )
    councillor(odense, period, name="Kun Byråd")
    mayor = factories.PersonFactory(name="Borg Mester")
    services.record_mayor(person=mayor, municipality=odense, period=period, started_on=period.starts_on)

    default = signed_in.get(reverse("blaa_bog_print")).content.decode()
    mayors = signed_in.get(reverse("blaa_bog_print"), {"rolle": "mayor"}).content.decode()

    assert "Kkr Medlem" in default
    assert "Borg Mester" in default  # an ex officio member
    assert "Kun Byråd" not in default
    assert "Kommunalbestyrelsesmedlemmer uden en sådan rolle er udeladt" in default
    assert f'href="{reverse("blaa_bog")}"' in default
    assert "Borg Mester" in mayors
    assert "Kkr Medlem" not in mayors
    assert "udeladt" not in mayors


# --- the print page, cached whole --------------------------------------------------------------


def _csrf_in(html: str) -> str:
    import re

    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 1, tokens  # the log-out and the language forms carry the same one
    return tokens.pop()


def test_each_visitor_of_the_whole_page_gets_their_own_working_csrf_token(odense, period, syddanmark):
    from kkr_portal.pagecache import CSRF_SLOT, PATH_SLOT

    one, two = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for client, email in ((one, "en@example.dk"), (two, "to@example.dk")):
        client.force_login(factories.PersonFactory(user=factories.UserFactory(email=email)).user)

    first = page(one, "blaa_bog_print")
    second = page(two, "blaa_bog_print")  # served from the page the first one filled

    assert CSRF_SLOT.decode() not in first + second
    assert PATH_SLOT.decode() not in first + second
    token_one, token_two = _csrf_in(first), _csrf_in(second)
    assert _unmask_cipher_token(token_one) == one.cookies["csrftoken"].value
    assert _unmask_cipher_token(token_two) == two.cookies["csrftoken"].value
    assert _unmask_cipher_token(token_one) != _unmask_cipher_token(token_two)
    # Each token works for its own visitor: the log-out form posts.
    response = two.post(reverse("account_logout"), {"csrfmiddlewaretoken": token_two})
    assert response.status_code == 302
    assert "_auth_user_id" not in two.session


def test_the_language_switch_of_the_whole_page_returns_to_the_requests_own_address(signed_in):
    signed_in.get(reverse("blaa_bog_print"), {"kkr": "syddanmark"})

    html = signed_in.get(reverse("blaa_bog_print"), {"rolle": "mayor", "kkr": "syddanmark"}).content.decode()

    path = reverse("blaa_bog_print")
    assert f'name="next" value="{path}?rolle=mayor&amp;kkr=syddanmark"' in html


def test_the_whole_page_shows_the_administration_link_to_staff_only(signed_in, staff_syddanmark):
    staff = Client()
    staff.force_login(staff_syddanmark)

    as_member = page(signed_in, "blaa_bog_print")
    as_staff = page(staff, "blaa_bog_print")
    as_member_again = page(signed_in, "blaa_bog_print")

    administration = f'href="{reverse("admin:index")}"'
    assert administration not in as_member
    assert administration in as_staff
    assert administration not in as_member_again


def test_a_message_waiting_for_the_visitor_is_shown_on_the_whole_page(signed_in, member):
    page(signed_in, "blaa_bog_print")  # the page is cached whole
    signed_in.post(reverse("my_page"), {"rotate_feed": "1"})  # leaves a message for the next page

    with_message = page(signed_in, "blaa_bog_print")
    after = page(signed_in, "blaa_bog_print")

    assert "Dit kalenderlink er nyt" in with_message
    assert "Dit kalenderlink er nyt" not in after  # shown once, as every message


def test_the_agenda_of_a_cached_feed_follows_a_new_agenda_item(signed_in, syddanmark):
    meeting = factories.MeetingFactory(council=syddanmark, title="Decembermødet")
    assert "Nyt punkt" not in page(signed_in, "council_feed", "syddanmark")

    AgendaItem.objects.create(meeting=meeting, number=1, title="Nyt punkt")

    assert "Nyt punkt" in page(signed_in, "council_feed", "syddanmark")


def test_a_cached_page_split_at_its_slots_counts_its_whole_size_against_the_memory_bound():
    from kkr_portal.pagecache import LocalParts

    parts = LocalParts(max_size=100)
    parts.set("small", (b"a" * 40, b"slot", b"b" * 40), expires=timezone.now().timestamp() + 60)
    parts.set("large", (b"a" * 60, b"slot", b"b" * 60), expires=timezone.now().timestamp() + 60)

    assert parts.get("small") is not None
    assert parts.get("large") is None  # larger than the bound: never kept
    assert parts.size == 84


def test_the_whole_page_fills_every_slot_where_it_stands(odense, period, syddanmark):
    """The cached page is kept in pieces between its slots; filled, it is the page rendered afresh."""
    client = Client()
    client.force_login(factories.PersonFactory(user=factories.UserFactory(email="en@example.dk")).user)
    url = reverse("blaa_bog_print") + "?a=%3Cb%3E"

    client.get(url)  # fills the cache
    cached = client.get(url).content.decode()

    token = _csrf_in(cached)
    assert cached.count(token) == 2
    assert '<input type="hidden" name="next" value="' + reverse("blaa_bog_print") + '?a=%3Cb%3E">' in cached


def test_a_browser_that_accepts_gzip_gets_the_whole_page_compressed_with_its_own_token(odense, period, syddanmark):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.PersonFactory(user=factories.UserFactory(email="en@example.dk")).user)
    url = reverse("blaa_bog_print")
    plain = client.get(url)  # fills the cache

    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br, zstd")
    refused = client.get(url, HTTP_ACCEPT_ENCODING="gzip;q=0, br")

    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert "Accept-Encoding" in plain.headers["Vary"]  # a shared cache must not mix the two
    assert "Content-Encoding" not in plain.headers
    assert "Content-Encoding" not in refused.headers
    html = gzip.decompress(compressed.content).decode()
    assert len(compressed.content) < len(html) * 0.6
    token = _csrf_in(html)
    assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value
    # The same page as served uncompressed, but for each response's own token.
    assert html.replace(token, "") == plain.content.decode().replace(_csrf_in(plain.content.decode()), "")
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_change_is_on_the_next_compressed_whole_page(signed_in, syddanmark, odense, period, frozen_today):
    from members import services

    person = councillor(odense, period, name="Gammelt Navn")
    services.add_membership(
        person=person, council=syddanmark, period=period, basis="supplementary", started_on=period.starts_on
    )
    url = reverse("blaa_bog_print")
    assert "Gammelt Navn" in gzip.decompress(signed_in.get(url, HTTP_ACCEPT_ENCODING="gzip").content).decode()

    Person.objects.filter(pk=person.pk).update(name="Nyt Navn")

    html = gzip.decompress(signed_in.get(url, HTTP_ACCEPT_ENCODING="gzip").content).decode()
    assert "Nyt Navn" in html
    assert "Gammelt Navn" not in html


def test_the_whole_page_with_a_message_is_rendered_uncompressed_and_still_says_it_varies(signed_in, member):
    page(signed_in, "blaa_bog_print")  # the page is cached whole
    signed_in.post(reverse("my_page"), {"rotate_feed": "1"})  # leaves a message for the next page

    response = signed_in.get(reverse("blaa_bog_print"), HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in response.headers
    assert "Dit kalenderlink er nyt" in response.content.decode()
    assert "Accept-Encoding" in response.headers["Vary"]


def test_a_whole_page_asked_for_with_a_query_is_never_compressed(signed_in, odense, period):
    """The query's words may be on the page (the filters, the link back): compressed with the
    contact details, the length would answer an attacker's guesses about them (BREACH)."""
    url = reverse("blaa_bog_print") + "?q=medlem%40example"
    signed_in.get(url, HTTP_ACCEPT_ENCODING="gzip")  # fills the cache

    response = signed_in.get(url, HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in response.headers
    assert "q=medlem%40example" in response.content.decode()  # the link back to the Blå Bog
    assert "Accept-Encoding" in response.headers["Vary"]


def test_a_head_request_for_the_compressed_whole_page_gives_its_length_and_no_body(signed_in):
    url = reverse("blaa_bog_print")
    body = signed_in.get(url, HTTP_ACCEPT_ENCODING="gzip").content

    response = signed_in.head(url, HTTP_ACCEPT_ENCODING="gzip")

    assert response.headers["Content-Encoding"] == "gzip"
    assert int(response.headers["Content-Length"]) == len(body)
    assert response.content == b""
