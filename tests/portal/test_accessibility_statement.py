"""The accessibility statement: a footer link on every page, /was and the portal's own statement."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from members.models import SecretariatContact

pytestmark = pytest.mark.django_db

WAS_TOOL = "https://www.was.digst.dk/kkr-portal-dk"
FOOTER = re.compile(r"<footer\b.*?</footer>", re.DOTALL)


def footer_links(response) -> dict[str, str]:
    """The footer's links, text → href."""
    footer = FOOTER.search(response.content.decode())
    assert footer, "the page has no footer"
    return {text.strip(): href for href, text in re.findall(r'<a href="([^"]*)">([^<]*)</a>', footer.group(0))}


@pytest.mark.parametrize("url_name", ["home", "account_login", "about", "accessibility_statement"])
def test_every_page_has_a_footer_link_to_the_statement(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert footer_links(response)["Tilgængelighedserklæring"] == "/tilgaengelighed/"


def test_the_error_pages_have_the_footer_link_too(client, settings):
    settings.ACCESSIBILITY_STATEMENT_URL = WAS_TOOL

    response = client.get("/findes-ikke/")

    assert response.status_code == 404
    assert footer_links(response)["Tilgængelighedserklæring"] == WAS_TOOL


def test_the_footer_links_to_the_configured_statement(client, settings):
    settings.ACCESSIBILITY_STATEMENT_URL = WAS_TOOL

    response = client.get(reverse("home"))

    assert footer_links(response)["Tilgængelighedserklæring"] == WAS_TOOL


def test_was_redirects_to_the_portals_own_statement_by_default(client):
    response = client.get("/was")

    assert response.status_code == 302
    assert response["Location"] == "/tilgaengelighed/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("address", ["/was", "/was/"])
def test_was_redirects_to_the_configured_address(client, settings, address):
    """As Digitaliseringsstyrelsen writes it, and with a slash as people type it."""
    settings.ACCESSIBILITY_STATEMENT_URL = WAS_TOOL

    response = client.get(address)

    assert response.status_code == 302
    assert response["Location"] == WAS_TOOL


def test_was_only_reads(client):
    assert client.post("/was").status_code == 405


def setting_from_environment(name: str, value: str | None) -> str:
    """A setting as settings.py reads it with ``name`` set to ``value`` (or unset), without .env."""
    env = {key: val for key, val in os.environ.items() if key != name}
    if value is not None:
        env[name] = value
    code = (
        "import environ; environ.Env.read_env = staticmethod(lambda *args, **kwargs: None)\n"
        f"from kkr_portal import settings; print(settings.{name})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_address_is_read_from_the_environment():
    assert setting_from_environment("ACCESSIBILITY_STATEMENT_URL", WAS_TOOL) == WAS_TOOL
    assert setting_from_environment("ACCESSIBILITY_STATEMENT_URL", None) == "/tilgaengelighed/"
    assert setting_from_environment("ACCESSIBILITY_STATEMENT_URL", "") == "/tilgaengelighed/"


def test_the_feedback_contact_is_read_from_the_environment():
    assert setting_from_environment("ACCESSIBILITY_CONTACT_EMAIL", "web@kl.example") == "web@kl.example"
    assert setting_from_environment("ACCESSIBILITY_CONTACT_PHONE", "+45 1234 5678") == "+45 1234 5678"


def test_the_statement_is_public_even_when_the_blaa_bog_is_not(client, settings):
    settings.BLAA_BOG_PUBLIC = False

    response = client.get(reverse("accessibility_statement"))

    assert response.status_code == 200
    assert '<html lang="da">' in response.content.decode()


def test_the_statement_has_the_sections_digitaliseringsstyrelsen_asks_for(client, settings):
    settings.SITE_URL = "https://kkr.example.dk"

    response = client.get(reverse("accessibility_statement"))

    content = response.content.decode()
    headings = re.findall(r"<h([12])[^>]*>([^<]+)</h\1>", content)
    assert headings == [
        ("1", "Tilgængelighedserklæring"),
        ("2", "Hvad erklæringen gælder for"),
        ("2", "Overholdelsesstatus"),
        ("2", "Indhold, der ikke er tilgængeligt"),
        ("2", "Udarbejdelse af erklæringen"),
        ("2", "Feedback og kontaktoplysninger"),
        ("2", "Håndhævelsesprocedure"),
    ]
    # Scope: the address it covers. Status: against which standard. Date: written and reviewed.
    assert "KKR Portal på https://kkr.example.dk" in content
    assert "EN 301 549" in content
    assert "WCAG 2.1 niveau AA" in content
    assert "Erklæringen blev udarbejdet den 23. november 2026 og senest gennemgået den 23. november 2026." in content
    # Enforcement: where to turn when the answer does not come.
    assert "Digitaliseringsstyrelsen" in content
    assert 'href="https://digst.dk/digital-inklusion/webtilgaengelighed/oplever-du-ikke-tilgaengeligt-indhold/"' in (
        content
    )


def feedback_section(response) -> str:
    content = response.content.decode()
    return content[content.index('id="kontakt"') : content.index('id="haandhaevelse"')]


def test_anyone_gets_a_written_and_a_telephone_contact(client, settings):
    """The law asks for both; they are the configured functional ones, not a person's own."""
    settings.ACCESSIBILITY_CONTACT_EMAIL = "tilgaengelighed@kl.example"
    settings.ACCESSIBILITY_CONTACT_PHONE = "+45 3370 3370"

    feedback = feedback_section(client.get(reverse("accessibility_statement")))

    assert '<a href="mailto:tilgaengelighed@kl.example">tilgaengelighed@kl.example</a>' in feedback
    assert '<a href="tel:+4533703370">+45 3370 3370</a>' in feedback


@pytest.fixture
def secretariats(db):
    call_command("load_seed_facts", verbosity=0)
    contacts = list(SecretariatContact.objects.filter(kind=SecretariatContact.Kind.KKR_SECRETARIAT))
    assert any(contact.email for contact in contacts)
    assert any(contact.phone for contact in contacts)
    return contacts


def test_the_statement_names_every_kkr_secretariat(client, secretariats):
    feedback = feedback_section(client.get(reverse("accessibility_statement")))

    for council in {contact.council for contact in secretariats}:
        assert f"KKR-sekretariatet for {council.name}" in feedback
    for contact in secretariats:
        assert contact.name in feedback
    joint = SecretariatContact.objects.filter(kind=SecretariatContact.Kind.JOINT_SECRETARIAT).first()
    assert joint is None or joint.unit not in feedback, "the joint secretariats do not answer for the portal"


def test_the_secretariat_staffs_phone_and_email_are_for_signed_in_users_only(client, member, secretariats):
    """As on the KKR pages (docs/privacy.md): the statement is public, their own addresses are not."""
    anonymous = feedback_section(client.get(reverse("accessibility_statement")))
    client.force_login(member.user)
    signed_in = feedback_section(client.get(reverse("accessibility_statement")))

    for contact in secretariats:
        if contact.email:
            assert contact.email not in anonymous
            assert f'href="mailto:{contact.email}"' in signed_in
        if contact.phone:
            assert contact.phone not in anonymous
            assert f'href="tel:+45{contact.phone.replace(" ", "")}"' in signed_in


def test_the_statement_says_so_when_no_contacts_are_loaded(client):
    SecretariatContact.objects.all().delete()

    response = client.get(reverse("accessibility_statement"))

    assert "Sekretariaternes kontaktoplysninger er ikke indlæst endnu." in response.content.decode()


def test_the_statement_reads_the_contacts_in_one_query(client, secretariats, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(reverse("accessibility_statement"))
