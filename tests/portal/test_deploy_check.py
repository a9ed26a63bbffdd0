"""`manage.py check --deploy --fail-level WARNING` passes with production values, and what it
cannot see is checked here: every silenced check has a reason, and the production values give
the cookies, HSTS and Content-Security-Policy issue 7 asks for.

The settings run in a subprocess with a production environment (and without .env), because
settings.py derives its security values from SITE_URL and DEBUG when it is imported.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as test_settings

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILE = BASE_DIR / "kkr_portal" / "settings.py"
PRODUCTION_HOST = "kkr.example.dk"
# settings.py also reads .env; the subprocess skips it, so a developer's file cannot change the result.
WITHOUT_DOTENV = "import environ; environ.Env.read_env = staticmethod(lambda *args, **kwargs: None)\n"
CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]

# The settings the headers and cookies come from; tests/portal/test_security_headers.py applies
# their production values to the test settings.
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    "CSRF_FAILURE_VIEW",
    "CONTENT_SECURITY_POLICY",
]

PRINT_SETTINGS = f"""
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({{name: getattr(settings, name) for name in {[*SECURITY_SETTINGS, "SILENCED_SYSTEM_CHECKS"]!r}}}))
"""


def production_env(database_url: str) -> dict[str, str]:
    """The process environment without any variable settings.py reads, plus production values."""
    read = set(re.findall(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""", SETTINGS_FILE.read_text()))
    assert {"DEBUG", "SECRET_KEY", "SITE_URL", "SECURE_HSTS_SECONDS"} <= read, "the settings parser broke"
    env = {name: value for name, value in os.environ.items() if name not in read | {"DJANGO_SETTINGS_MODULE"}}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "kkr_portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": PRODUCTION_HOST,
        "SITE_URL": f"https://{PRODUCTION_HOST}",
        "DATABASE_URL": database_url,
        # Shared by every web process (rate limits, sessions); the check does not connect to it.
        "CACHE_URL": "redis://redis:6379/1",
    }


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DOTENV + code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_manage(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python(f"import runpy, sys\nsys.argv = {argv!r}\nrunpy.run_path('manage.py', run_name='__main__')", env)


def production_settings(database_url: str) -> dict:
    result = run_python(PRINT_SETTINGS, production_env(database_url))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    return production_settings(f"sqlite:///{tmp_path_factory.mktemp('deploy') / 'kkr.sqlite3'}")


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return production_env(f"sqlite:///{tmp_path / 'kkr.sqlite3'}")


def test_check_deploy_passes_with_production_values(env):
    result = run_manage(CHECK_DEPLOY, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"SECRET_KEY": "short"}, "security.W009"),
        ({"DEBUG": "true"}, "security.W018"),
        ({"SITE_URL": f"http://{PRODUCTION_HOST}"}, "security.W012"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"ALLOWED_HOSTS": ""}, "security.W020"),
    ],
    ids=["short-secret-key", "debug", "plain-http", "no-hsts", "no-allowed-hosts"],
)
def test_check_deploy_fails_on_an_insecure_value(env, change, warning):
    """The check is not silenced wholesale: each of these production mistakes fails it."""
    result = run_manage(CHECK_DEPLOY, {**env, **change})
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_every_silenced_check_has_a_written_reason(production):
    reasons = test_settings.SILENCED_SYSTEM_CHECK_REASONS
    assert production["SILENCED_SYSTEM_CHECKS"] == list(reasons)
    for check, reason in reasons.items():
        assert re.fullmatch(r"[a-z_]+\.[A-Z]\d{3}", check), check
        assert len(reason.split()) >= 5, f"{check}: say why it is silenced"
    # Only what the application cannot decide is silenced; nothing about cookies, HSTS or frames.
    assert set(reasons) <= {"security.W021"}


def test_production_values_make_https_strict(production):
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert production["SECURE_REFERRER_POLICY"] == "same-origin"
    assert production["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.parametrize("cookie", ["SESSION", "CSRF", "LANGUAGE"])
def test_production_cookies_are_secure_httponly_and_lax(production, cookie):
    assert production[f"{cookie}_COOKIE_SECURE"] is True
    # No script of the portal or the admin reads the CSRF cookie (forms carry the token).
    assert production[f"{cookie}_COOKIE_HTTPONLY"] is True
    assert production[f"{cookie}_COOKIE_SAMESITE"] == "Lax"


def test_production_has_the_content_security_policy(production):
    directives = production["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    every_source = [source for sources in directives.values() for source in sources]
    assert "'unsafe-eval'" not in every_source
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "*" not in every_source
    assert not [source for source in every_source if source.startswith(("http:", "https:"))], "a foreign origin"
