"""CSRF tokens masked with one system call (kkr_portal.csrf): Django's format, accepted by Django's
own checks, with a fresh mask for every response whose characters are evenly spread."""

from __future__ import annotations

import collections
import re
from unittest import mock

import pytest
from django.middleware import csrf as django_csrf
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _get_new_csrf_string, _unmask_cipher_token
from django.test import Client, RequestFactory
from django.urls import reverse

from kkr_portal import csrf

pytestmark = pytest.mark.django_db


def request_with_cookie(secret: str):
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret  # as CsrfViewMiddleware leaves a valid cookie
    return request


def token_in(html: str) -> str:
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def test_a_token_is_in_djangos_format_unmasks_to_the_secret_and_is_new_every_time():
    secret = _get_new_csrf_string()
    request = request_with_cookie(secret)

    tokens = {csrf.get_token(request) for _ in range(200)}

    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == django_csrf.CSRF_TOKEN_LENGTH
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the cookie is renewed, as Django does


def test_the_mask_characters_are_evenly_spread():
    """Folding bytes onto the 62 characters (byte % 62) would make the first eight 25 % likelier:
    chi-square over 3,000 masks is then about 630; for an even spread it averages 61 (61 degrees
    of freedom) and exceeds 140 with a chance below one in ten million."""
    secret = _get_new_csrf_string()
    masks = "".join(csrf.mask_secret(secret)[: django_csrf.CSRF_SECRET_LENGTH] for _ in range(3000))

    counts = collections.Counter(masks)
    expected = len(masks) / len(CSRF_ALLOWED_CHARS)
    chi_square = sum((counts[char] - expected) ** 2 / expected for char in CSRF_ALLOWED_CHARS)

    assert chi_square < 140


def test_bytes_beyond_the_even_range_are_dropped_and_more_are_drawn():
    secret = _get_new_csrf_string()
    draws = iter([bytes([248, 255] * 24), bytes(range(60, 108))])

    with mock.patch.object(csrf.os, "urandom", side_effect=lambda size: next(draws)) as urandom:
        token = csrf.mask_secret(secret)

    assert urandom.call_count == 2
    # Bytes 60..91 are the characters 60, 61, 0, 1, ..., 29: byte % 62, below 248.
    assert token[:32] == "".join(CSRF_ALLOWED_CHARS[byte % 62] for byte in range(60, 92))
    assert _unmask_cipher_token(token) == secret


def test_a_first_visit_gets_a_new_secret_from_django_and_its_cookie():
    request = RequestFactory().get("/")

    token = csrf.get_token(request)

    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_pages_take_their_token_from_here_and_it_passes_djangos_check(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get(reverse("home"))  # the CSRF cookie

    with (
        mock.patch.object(csrf, "mask_secret", wraps=csrf.mask_secret) as ours,
        mock.patch.object(django_csrf, "get_random_string", wraps=django_csrf.get_random_string) as djangos,
    ):
        html = client.get(reverse("my_page")).content.decode()

    assert ours.call_count == 1  # one token per page, however many forms carry it
    assert djangos.call_count == 0
    token = token_in(html)
    assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_tampered_token_is_refused_by_djangos_check(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get(reverse("home"))
    token = token_in(client.get(reverse("my_page")).content.decode())
    tampered = token[:40] + ("a" if token[40] != "a" else "b") + token[41:]

    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": tampered})

    assert response.status_code == 403
    assert "_auth_user_id" in client.session


def test_the_context_processor_makes_no_token_for_a_page_without_a_form():
    request = RequestFactory().get("/")

    context = csrf.context_processor(request)

    assert "CSRF_COOKIE" not in request.META  # lazy: nothing drawn, no cookie to set
    assert _unmask_cipher_token(str(context["csrf_token"])) == request.META["CSRF_COOKIE"]
