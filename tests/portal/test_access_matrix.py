"""The access matrix of docs/privacy.md, tried from the outside.

The public (with ``BLAA_BOG_PUBLIC`` on) walks every URL of the members', fora and agreements
pages and exports and never meets a seeded phone number or e-mail address; the staff of one
KKR walk every change list, search, change form, history page, autocomplete and export of the
admin and never meet the contact data of another KKR's people or secretariat. Each walk has its
control: a signed-in member, and the KKR's own staff, do meet the same values, so a search that
could not find them would fail here first.

The URLs are taken from the URL configuration: a page added later without a place in the walk
makes ``test_every_page_of_the_members_fora_and_agreements_is_walked`` fail.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zoneinfo
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape

from agreements import urls as agreement_urls
from agreements.models import Agreement, AgreementKind, Milestone
from fora import services as fora_services
from fora import urls as fora_urls
from fora.models import Appointment
from kkr_portal.admin_io import ExportAdminMixin
from members import calendar, services
from members import urls as member_urls
from members.models import AgendaItem, Council, CouncilSeat, Party, Person, PolicyArea, SecretariatContact
from tests import factories
from tests.rules_helpers import councillor

pytestmark = pytest.mark.django_db

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=CPH)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


# --- The world: people of every kind, with contact details -----------------------------------


@dataclass
class World:
    syddanmark: Council
    sjaelland: Council
    mayor: Person  # Odense's mayor: ex officio member of KKR Syddanmark and its chair
    deputy: Person  # the deputy mayor: the mayor's substitute in the KKR
    appointee: Person  # a councillor on a forum seat
    carry_over: Person  # appointed in 2022-2025, no council seat now, on until a successor comes
    external: Person  # on a forum seat without ever having had a council seat
    former: Person  # a council seat in 2022-2025 only
    unplaced: Person  # no role at all (yet)
    sj_mayor: Person  # Roskilde's mayor: KKR Sjælland
    syd_contact: SecretariatContact
    sj_contact: SecretariatContact
    forum_slug: str
    meeting_pk: int
    agreement_pk: int
    feed_path: str

    @property
    def syd_people(self) -> list[Person]:
        """KKR Syddanmark's people: a role there and none in KKR Sjælland."""
        return [self.mayor, self.deputy, self.appointee, self.carry_over, self.external, self.former]

    @property
    def people(self) -> list[Person]:
        return [*self.syd_people, self.unplaced, self.sj_mayor]

    @property
    def contacts(self) -> list[SecretariatContact]:
        return [self.syd_contact, self.sj_contact]


def local_list(municipality, name: str) -> Party:
    """A party no other test uses, so that its name on a page is this person's party."""
    return Party.objects.create(kind=Party.Kind.LOCAL, municipality=municipality, name=name, short_name=name)


def with_contact(person: Person, number: int) -> Person:
    """Contact details nobody else has; read back as stored (the model may normalise them)."""
    person.email = f"privat.{person.slug}@borger.example"
    person.phone = f"+45 71 9{number} 82 6{number}"
    person.bio = f"Biografi for {person.name}."
    person.save()
    person.refresh_from_db()
    return person


def build_world(syddanmark, sjaelland, odense, roskilde, period, period_2022) -> World:
    start = period.starts_on
    mayor = factories.PersonFactory(name="Mette Majorsen", slug="mette-majorsen", party=local_list(odense, "Majlisten"))
    services.record_mayor(person=mayor, municipality=odense, period=period, started_on=start)
    services.elect_chair(council=syddanmark, period=period, role="chair", person=mayor, started_on=start)
    deputy = councillor(
        odense,
        period,
        role=CouncilSeat.Role.DEPUTY_MAYOR,
        name="Dan Deputsen",
        slug="dan-deputsen",
        party=local_list(odense, "Danlisten"),
    )
    appointee = councillor(
        odense, period, name="Aase Udpegsen", slug="aase-udpegsen", party=local_list(odense, "Aaselisten")
    )
    forum = factories.ForumFactory(council=syddanmark, name="Erhvervshus Fyn", slug="erhvervshus-fyn")
    seat = factories.SeatFactory(forum=forum, period=period, label="Medlem 1", position=1)
    fora_services.appoint(
        appointment=fora_services.propose(seat=seat, person=appointee, starts_on=dt.date(2026, 2, 1)),
        appointed_on=dt.date(2026, 2, 1),
    )
    carry_over = councillor(
        odense, period_2022, name="Karen Overgaard", slug="karen-overgaard", party=local_list(odense, "Karenlisten")
    )
    old_seat = factories.SeatFactory(forum=forum, period=period_2022, label="Medlem 2", position=2)
    fora_services.appoint(
        appointment=fora_services.propose(seat=old_seat, person=carry_over, starts_on=dt.date(2022, 3, 1)),
        appointed_on=dt.date(2022, 3, 1),
    )
    factories.SeatFactory(forum=forum, period=period, label="Medlem 2", position=2, previous_seat=old_seat)
    # Recorded without a council seat (before the eligibility rule, or by an import): the
    # database holds such rows, and the pages must treat them right.
    external = factories.PersonFactory(
        name="Erik Eksternsen", slug="erik-eksternsen", party=local_list(odense, "Eriklisten")
    )
    external_seat = factories.SeatFactory(forum=forum, period=period, label="Medlem 3", position=3)
    Appointment.objects.create(
        seat=external_seat,
        person=external,
        status=Appointment.Status.APPOINTED,
        starts_on=dt.date(2026, 3, 1),
        appointed_on=dt.date(2026, 3, 1),
    )
    former = councillor(odense, period_2022, name="Frida Tidligere", slug="frida-tidligere")
    unplaced = factories.PersonFactory(name="Ulla Uplaceret", slug="ulla-uplaceret")
    sj_mayor = factories.PersonFactory(name="Sjurd Roskildesen", slug="sjurd-roskildesen")
    services.record_mayor(person=sj_mayor, municipality=roskilde, period=period, started_on=start)
    for number, person in enumerate([mayor, deputy, appointee, carry_over, external, former, unplaced, sj_mayor]):
        with_contact(person, number)

    def contact(council, name, number):
        row = SecretariatContact.objects.create(
            council=council,
            kind=SecretariatContact.Kind.KKR_SECRETARIAT,
            unit=f"KKR-sekretariat {council.region_name}",
            name=name,
            title="chefkonsulent",
            phone=f"+45 33 7{number} 55 0{number}",
            email=f"{name.split()[0].lower()}.konsulent@kl.example",
        )
        row.refresh_from_db()
        return row

    meeting = factories.MeetingFactory(council=syddanmark, title="KKR-møde december")
    AgendaItem.objects.create(meeting=meeting, number=1, title="Sundhedsaftalen")
    agreement = Agreement.objects.create(
        council=syddanmark,
        kind=AgreementKind.objects.get(slug="rammeaftale"),
        title="Rammeaftale 2027-2028",
        counterpart="Region Syddanmark",
        valid_from=start,
    )
    Milestone.objects.create(
        agreement=agreement, kind=Milestone.Kind.KKR_APPROVAL, title="KKR godkender", due_on=dt.date(2027, 3, 1)
    )
    # The mayor signs in (a feed works while its person can), with the address they have here.
    mayor.user = factories.UserFactory(email=mayor.email)
    mayor.save()
    feed = services.ensure_calendar_feed(person=mayor)
    return World(
        syddanmark=syddanmark,
        sjaelland=sjaelland,
        mayor=mayor,
        deputy=deputy,
        appointee=appointee,
        carry_over=carry_over,
        external=external,
        former=former,
        unplaced=unplaced,
        sj_mayor=sj_mayor,
        syd_contact=contact(syddanmark, "Birte Syd", 1),
        sj_contact=contact(sjaelland, "Sofie Sj", 2),
        forum_slug=forum.slug,
        meeting_pk=meeting.pk,
        agreement_pk=agreement.pk,
        feed_path=reverse("personal_feed", args=[calendar.feed_token(feed)]),
    )


@pytest.fixture
def world(syddanmark, sjaelland, odense, roskilde, period, period_2022) -> World:
    return build_world(syddanmark, sjaelland, odense, roskilde, period, period_2022)


# --- Finding contact details in a response ----------------------------------------------------


def variants(email: str = "", phone: str = "") -> set[str]:
    """The forms a value takes on a page, in a link, in a CSV or in an Excel file."""
    found = set()
    if email:
        found |= {email, email.lower(), quote(email), quote(email.lower())}
    if phone:
        digits = re.sub(r"\D", "", phone)
        found |= {phone, phone.replace(" ", ""), digits[-8:], f"{digits[-8:-4]} {digits[-4:]}"}
    return found - {""}


def secrets_of(*rows) -> dict[str, set[str]]:
    """Each row's contact details (a person or a secretariat contact), by the row's name."""
    return {row.name: variants(row.email, row.phone) for row in rows}


def body(response) -> str:
    """The response as text; an Excel file's sheets and strings; a streamed file read out."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # .xlsx: a zip of XML parts
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml"))
    return content.decode("utf-8", errors="replace") + "\n" + response.headers.get("Location", "")


def leaks(text: str, secrets: dict[str, set[str]]) -> dict[str, set[str]]:
    return {name: found for name, values in secrets.items() if (found := {v for v in values if v in text})}


# --- The public's walk ------------------------------------------------------------------------


def _names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _names(
                pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


PAGE_NAMES = (
    _names(member_urls.urlpatterns) | _names(fora_urls.urlpatterns) | _names(agreement_urls.urlpatterns) | {"home"}
)


def public_urls(world: World) -> dict[str, list[str]]:
    """Every page and export, with each row it can show and the query strings that change what
    it lists; by URL name."""
    councils = [council.slug for council in Council.objects.all()]
    q = {"q": world.former.name.split()[0]}
    directory_queries = ["", "?q=" + quote(q["q"]), "?visning=kkr", "?dato=2024-03-01", "?rolle=appointee"]
    return {
        "home": [reverse("home")],
        "about": [reverse("about")],
        "council_detail": [reverse("council_detail", args=[slug]) for slug in councils],
        "blaa_bog": [reverse("blaa_bog") + query for query in directory_queries],
        "blaa_bog_export": [
            reverse("blaa_bog_export", args=[fmt]) + query for fmt in ("csv", "xlsx") for query in directory_queries
        ],
        "blaa_bog_print": [reverse("blaa_bog_print") + query for query in directory_queries],
        "person_detail": [reverse("person_detail", args=[person.slug]) for person in world.people],
        "meeting_list": [reverse("meeting_list"), reverse("meeting_list") + "?vis=tidligere"],
        "meeting_detail": [reverse("meeting_detail", args=[world.meeting_pk])],
        "council_feed": [reverse("council_feed", args=[slug]) for slug in councils],
        # The mayor's own feed (its secret is the URL): it names their meetings, never an address.
        "personal_feed": [world.feed_path],
        "my_page": [reverse("my_page")],
        "forum_list": [reverse("forum_list")],
        "forum_detail": [reverse("forum_detail", args=[world.forum_slug])],
        "agreement_list": [reverse("agreement_list")],
        "agreement_detail": [reverse("agreement_detail", args=[world.agreement_pk])],
        "policy_area_list": [reverse("policy_area_list")],
        "policy_area_detail": [
            reverse("policy_area_detail", args=[area.slug]) + query
            for area in PolicyArea.objects.all()
            for query in ("", "?kkr=syddanmark")
        ],
        "council_balance": [reverse("council_balance", args=[slug]) for slug in councils],
        "council_balance_chart": [reverse("council_balance_chart", args=[slug]) for slug in councils],
        "changes": [reverse("changes"), reverse("changes") + "?siden=2006-01-01"],
        "changes_feed": [reverse("changes_feed") + "?siden=2006-01-01"],
        "changes_rss": [reverse("changes_rss") + "?siden=2006-01-01"],
    }


def test_every_page_of_the_members_fora_and_agreements_is_walked(world):
    assert set(public_urls(world)) == PAGE_NAMES


def _walk(client, world) -> dict[str, str]:
    pages = {}
    for urls in public_urls(world).values():
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302), (url, response.status_code)
            pages[url] = body(response)
    return pages


def test_the_public_never_sees_a_phone_number_or_an_email(client, world, settings):
    settings.BLAA_BOG_PUBLIC = True
    secrets = secrets_of(*world.people, *world.contacts)

    pages = _walk(client, world)

    found = {url: leak for url, text in pages.items() if (leak := leaks(text, secrets))}
    assert not found
    # The walk saw the people it looked for: their names, not their addresses.
    person_page = pages[reverse("person_detail", args=[world.mayor.slug])]
    assert world.mayor.name in person_page
    assert world.syd_contact.name in pages[reverse("council_detail", args=["syddanmark"])]


def test_a_signed_in_member_sees_what_the_public_does_not(signed_in, world):
    """The control: the same walk signed in finds every person's and contact's details."""
    pages = _walk(signed_in, world)

    for person in world.people:
        page = pages[reverse("person_detail", args=[person.slug])]
        assert person.email in page
        assert person.phone in page
    assert world.syd_contact.email in pages[reverse("council_detail", args=["syddanmark"])]
    assert world.syd_contact.phone in pages[reverse("council_detail", args=["syddanmark"])]
    csv = pages[reverse("blaa_bog_export", args=["csv"])]
    assert world.mayor.email in csv
    xlsx = pages[reverse("blaa_bog_export", args=["xlsx"])]
    assert world.mayor.email in xlsx


def test_without_a_public_blaa_bog_the_pages_send_visitors_to_the_login_without_personal_data(client, world, settings):
    settings.BLAA_BOG_PUBLIC = False
    secrets = secrets_of(*world.people, *world.contacts)
    open_to_all = {"home", "about", "personal_feed"}

    for name, urls in public_urls(world).items():
        for url in urls:
            response = client.get(url)
            if name in open_to_all:
                assert response.status_code == 200, url
            else:
                assert response.status_code == 302, url
                assert response["Location"].startswith(reverse("account_login")), url
            assert not leaks(body(response), secrets), url


def test_the_one_api_is_the_open_data_api_whose_tests_walk_the_matrix():
    """docs/privacy.md: the only API is /api/v1/ (public part only; tests/api/test_api.py tries
    every endpoint for contact data and hidden parties). Another one must take its place there."""
    routes = [str(pattern.pattern) for pattern in get_resolver().url_patterns]
    assert [route for route in routes if "api" in route.lower()] == ["api/v1/"]


# --- The staff's walk -------------------------------------------------------------------------


@pytest.fixture
def staff_sjaelland_client(client, staff_sjaelland):
    """KKR Sjælland's staff with every permission: only the scoping keeps them in their KKR."""
    staff_sjaelland.user_permissions.set(Permission.objects.all())
    client.force_login(staff_sjaelland)
    return client


@pytest.fixture
def staff_syddanmark_client(client, staff_syddanmark):
    staff_syddanmark.user_permissions.set(Permission.objects.all())
    client.force_login(staff_syddanmark)
    return client


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_urls(world: World, *, searches: list[str]) -> list[tuple[str, str]]:
    """Every change list (plain and searched), its CSV and Excel export, the change and history
    pages of the Syddanmark rows, every autocomplete, and the staff's dashboards: ``(url, the
    search term in it or "")``."""
    urls = [(reverse("admin:index"), "")]
    for model, model_admin in admin.site._registry.items():
        changelist = _admin_url(model, "changelist")
        formats = ("csv", "xlsx") if isinstance(model_admin, ExportAdminMixin) else ()
        exports = [_admin_url(model, "export", fmt) for fmt in formats]
        # A search where the change list has one (elsewhere ``q`` changes nothing).
        terms = ["", *searches] if model_admin.search_fields else [""]
        for term in terms:
            query = f"?q={quote(term)}" if term else ""
            urls += [(changelist + query, term), *((export + query, term) for export in exports)]
        for field_name in getattr(model_admin, "autocomplete_fields", ()):
            for term in searches:
                autocomplete = (
                    f"?app_label={model._meta.app_label}&model_name={model._meta.model_name}"
                    f"&field_name={field_name}&term={quote(term)}"
                )
                urls.append((reverse("admin:autocomplete") + autocomplete, term))
    for person in world.syd_people:
        urls += [(_admin_url(Person, "change", person.pk), ""), (_admin_url(Person, "history", person.pk), "")]
    urls += [(_admin_url(SecretariatContact, "change", world.syd_contact.pk), "")]
    for council in (world.syddanmark, world.sjaelland):
        urls += [(reverse("kkr_admin:dashboard", args=[council.slug]), "")]
    return urls


def without_echo(text: str, term: str) -> str:
    """The page without the search term it repeats (in the search box, the links that keep it)."""
    if not term:
        return text
    for form in sorted({term, quote(term), quote_plus(term), escape(term), quote(term, safe="")}, key=len)[::-1]:
        text = text.replace(form, "")
    return text


def _search_terms(person: Person, contact: SecretariatContact) -> list[str]:
    """What a curious user would type: a name, an address, a phone number."""
    return [person.name.split()[-1], person.email, person.phone, contact.email]


def test_staff_of_one_kkr_never_see_another_kkrs_contact_data_in_the_admin(staff_sjaelland_client, world):
    theirs = [*world.syd_people, world.syd_contact]
    secrets = secrets_of(*theirs)

    found = {}
    for url, term in admin_urls(world, searches=_search_terms(world.mayor, world.syd_contact)):
        response = staff_sjaelland_client.get(url)
        # 403: a superuser-only model (users, logins); 404: another KKR's row.
        assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
        if leak := leaks(without_echo(body(response), term), secrets):
            found[url] = leak

    assert not found


def test_staff_see_their_own_kkrs_contact_data_in_the_admin(staff_syddanmark_client, world):
    """The control: each kind of page of the walk shows the KKR's own people to its staff."""
    mayor, contact = world.mayor, world.syd_contact
    person_pages = [
        _admin_url(Person, "changelist"),
        _admin_url(Person, "changelist") + f"?q={quote(mayor.email)}",
        _admin_url(Person, "export", "csv"),
        _admin_url(Person, "export", "xlsx"),
        _admin_url(Person, "change", mayor.pk),
    ]
    contact_pages = [
        _admin_url(SecretariatContact, "changelist"),
        _admin_url(SecretariatContact, "export", "csv"),
        _admin_url(SecretariatContact, "change", contact.pk),
    ]
    autocomplete = reverse("admin:autocomplete") + (
        f"?app_label=fora&model_name=appointment&field_name=person&term={quote(mayor.name.split()[-1])}"
    )

    for url in person_pages:
        page = without_echo(body(staff_syddanmark_client.get(url)), mayor.email)
        assert leaks(page, secrets_of(mayor)), url
    for url in contact_pages:
        assert leaks(body(staff_syddanmark_client.get(url)), secrets_of(contact)), url
    # The autocomplete names people (no contact details): the mayor is among them.
    assert mayor.name in staff_syddanmark_client.get(autocomplete).json()["results"][0]["text"]
    assert world.sj_mayor.email not in body(staff_syddanmark_client.get(_admin_url(Person, "export", "csv")))
