"""CSRF tokens in Django's own format, masked with one call to the OS for randomness instead of 32.

Every page of the portal carries a CSRF token (the header's log-out and language forms), and
Django masks the secret afresh for every response, its defence against BREACH. Django draws the
mask with ``get_random_string``: 32 ``secrets.choice`` calls, each a system call, some 50 µs of a
page that is served in 0.5-1 ms. ``get_token`` here draws the mask from one ``os.urandom`` call,
mapped onto the 62 token characters without bias (bytes beyond the largest multiple of 62 are
dropped, not folded), and ciphers the secret with it as Django does (``_mask_cipher_secret``):
the token is ``mask + cipher``, which Django's ``CsrfViewMiddleware`` checks unchanged, with the
same per-response randomness. ``tests/portal/test_csrf_mask.py`` holds it to that format and to an
even spread of mask characters.

Everything else stays Django's: the secret, its cookie and its renewal, the checks on POST.
"""

from __future__ import annotations

import os
from functools import partial

from django.middleware import csrf
from django.utils.functional import SimpleLazyObject

_CHARS = csrf.CSRF_ALLOWED_CHARS
_LENGTH = csrf.CSRF_SECRET_LENGTH
# Bytes below 248 (4 x 62) fall evenly on the 62 characters; the others are dropped.
_ACCEPTED = 256 - 256 % len(_CHARS)
_TO_CHARACTER = bytes.maketrans(
    bytes(range(_ACCEPTED)), bytes(ord(_CHARS[byte % len(_CHARS)]) for byte in range(_ACCEPTED))
)
_DROPPED = bytes(range(_ACCEPTED, 256))
# The cipher character for each (secret character, mask character): their indices added mod 62.
_CIPHER = {
    (secret, mask): _CHARS[(i + j) % len(_CHARS)] for i, secret in enumerate(_CHARS) for j, mask in enumerate(_CHARS)
}


def mask_secret(secret: str) -> str:
    """A fresh token for ``secret``: what Django's ``_mask_cipher_secret`` returns, as fast."""
    mask = b""
    while len(mask) < _LENGTH:
        # 48 bytes keep 32 characters but for a chance of about 1 in 10^13; then it draws again.
        mask += os.urandom(_LENGTH + 16).translate(_TO_CHARACTER, _DROPPED)
    mask = mask[:_LENGTH].decode("ascii")
    return mask + "".join(map(_CIPHER.__getitem__, zip(secret, mask, strict=True)))


def get_token(request) -> str:
    """Django's ``get_token``: the request's CSRF token, its cookie sent again to renew it."""
    if "CSRF_COOKIE" not in request.META:
        # No valid cookie yet: Django makes the secret and marks the cookie to be set.
        return csrf.get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return mask_secret(request.META["CSRF_COOKIE"])


def context_processor(request) -> dict:
    """``{{ csrf_token }}`` for templates, in place of Django's built-in processor (which runs
    first; this one's value wins). Lazy, as Django's: a page without a form makes no token."""
    return {"csrf_token": SimpleLazyObject(partial(get_token, request))}
