"""The deployment files: docker-compose.yml, the Dockerfile and .env.example name only modules,
commands and settings that exist, and the settings pass `check --deploy` with production values.

No Docker engine is needed: the files are parsed and what they name is looked up here.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import itertools
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from celery.app.utils import find_app
from celery.bin.celery import celery as celery_cli
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import get_commands
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import kkr_portal.celery

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILE = BASE_DIR / "kkr_portal" / "settings.py"
ENV_EXAMPLE = BASE_DIR / ".env.example"
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"
BUILD_CONSTRAINTS = "requirements/build-constraints.txt"

# env.bool("DEBUG", ...), env.db_url("DATABASE_URL", ...), env("NAME", ...)
ENV_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
# DEBUG=..., or # DEBUG=... when the line shows the default
ENV_EXAMPLE_LINE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
# ${NAME}, ${NAME:-default}, ${NAME:?message}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
PRODUCTION_HOST = "kkr.example.dk"


# --- The files, parsed ----------------------------------------------------------------------------


@functools.cache
def settings_variables() -> frozenset[str]:
    names = frozenset(ENV_READ.findall(SETTINGS_FILE.read_text()))
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= names, "the settings parser broke"
    return names


@functools.cache
def documented_variables() -> dict[str, str]:
    """``.env.example``'s variables, each with its value as the line shows it."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if match := ENV_EXAMPLE_LINE.match(line.strip()):
            found[match[1]] = match[2]
    return found


@functools.cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def app_services() -> list[str]:
    """The services that run the portal's own image."""
    return [name for name, service in services().items() if "build" in service]


def interpolate(value: str) -> str:
    """Compose's ${...} with the defaults it would use (required values become ``x``)."""

    def replace(match: re.Match) -> str:
        operator, word = match[2], match[3]
        if operator in {":-", "-"}:
            return word
        return "x" if operator in {":?", "?"} else ""

    return INTERPOLATION.sub(replace, str(value))


def service_environment(name: str) -> dict[str, str]:
    environment = services()[name].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    return {key: str(value) for key, value in environment.items()}


@functools.cache
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        keyword, _, arguments = (current + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    argv = json.loads(arguments)
    assert isinstance(argv, list), arguments
    assert all(isinstance(arg, str) for arg in argv), arguments
    return argv


def dockerfile_cmd() -> list[str]:
    commands = [arguments for keyword, arguments in final_stage() if keyword == "CMD"]
    assert commands, "the Dockerfile has no CMD"
    return exec_form(commands[-1])


# --- What a command names ---------------------------------------------------------------------------


def argvs(command: str | list[str]) -> list[list[str]]:
    """The programs a compose command or a CMD runs: ``sh -c "a && b"`` is two of them."""
    argv = shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]
    if len(argv) >= 3 and Path(argv[0]).name in {"sh", "bash"} and argv[1] == "-c":
        parts = re.split(r"&&|\|\||;", argv[2])
        return [shlex.split(part) for part in parts if part.strip()]
    return [argv]


def service_argvs(name: str) -> list[list[str]]:
    command = services()[name].get("command")
    return argvs(command) if command is not None else [dockerfile_cmd()]


def option_value(argv: list[str], *names: str) -> str | None:
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                return argv[index + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def check_wsgi_application(spec: str) -> None:
    module_name, _, attribute = spec.partition(":")
    target = importlib.import_module(module_name)
    for part in (attribute or "application").split("."):
        target = getattr(target, part)
    assert callable(target), f"{spec} is not callable"
    inspect.signature(target).bind({}, lambda status, headers: None)  # (environ, start_response)
    assert isinstance(target, WSGIHandler), f"{spec} is not Django's WSGI handler"


def check_command(argv: list[str]) -> tuple[str, str]:
    """Look up what one program invocation names; returns (program, what it runs)."""
    assert argv, "an empty command"
    if argv[0] == "exec":
        argv = argv[1:]
    program = Path(argv[0]).name
    if program in {"python", "python3", "python3.11"}:
        assert argv[1:2] == ["manage.py"], f"python runs something other than manage.py: {argv}"
        assert len(argv) > 2, f"manage.py without a command: {argv}"
        command = argv[2]
        assert command in get_commands(), f"manage.py has no command {command!r}"
        return "manage.py", command
    if program == "gunicorn":
        specs = [
            arg
            for previous, arg in itertools.pairwise(argv)
            if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*", arg) and previous not in {"-b", "--bind"}
        ]
        assert len(specs) == 1, f"gunicorn names no single WSGI application: {argv}"
        check_wsgi_application(specs[0])
        return "gunicorn", specs[0]
    if program == "celery":
        app_name = option_value(argv, "-A", "--app")
        assert app_name, f"celery without -A: {argv}"
        assert find_app(app_name) is kkr_portal.celery.app, f"-A {app_name} is not kkr_portal.celery.app"
        subcommands = [arg for arg in argv[1:] if arg in celery_cli.commands]
        assert subcommands, f"celery runs no known subcommand: {argv}"
        return "celery", subcommands[0]
    pytest.fail(f"unexpected program {program!r} in {argv}")


def check_healthcheck(test: list[str] | str) -> None:
    """A healthcheck's Python compiles and its celery/manage.py command names real things."""
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    kind, *argv = test
    assert kind in {"CMD", "CMD-SHELL"}, test
    if kind == "CMD-SHELL":
        argv = shlex.split(argv[0])
    program = Path(argv[0]).name
    if program.startswith("python") and argv[1] == "-c":
        compile(argv[2], "<healthcheck>", "exec")
    elif program in {"celery", "gunicorn"} or argv[1:2] == ["manage.py"]:
        check_command(argv)


# --- docker-compose.yml -------------------------------------------------------------------------------


def mail_catcher() -> str:
    catchers = [name for name, service in services().items() if re.search(r"mailpit|mailhog", service.get("image", ""))]
    assert catchers, "no mail catcher service"
    return catchers[0]


def test_the_stack_has_its_services_each_with_a_healthcheck():
    names = ["db", "redis", "web", "worker", "beat", mail_catcher()]
    for name in names:
        assert name in services(), f"no {name} service"
        healthcheck = services()[name].get("healthcheck") or {}
        assert healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name}'s healthcheck is disabled"
    assert services()["db"]["image"].startswith("postgres:16")
    assert services()["redis"]["image"].startswith("redis:7")
    assert any(str(port).endswith(":8025") for port in services()[mail_catcher()].get("ports", [])), "no mail UI"


def test_the_database_keeps_its_data_in_a_named_volume():
    mounts = [str(volume).split(":") for volume in services()["db"].get("volumes", [])]
    data = [source for source, target, *_ in mounts if target == "/var/lib/postgresql/data"]
    assert data, "PostgreSQL's data directory is not a volume"
    assert data[0] in (compose().get("volumes") or {}), f"{data[0]} is not a named volume"


def test_long_running_services_restart():
    for name, service in services().items():
        one_shot = any(
            dependency.get("condition") == "service_completed_successfully"
            for other in services().values()
            for dependency_name, dependency in (other.get("depends_on") or {}).items()
            if dependency_name == name and isinstance(dependency, dict)
        )
        if not one_shot:
            assert service.get("restart") in {"always", "unless-stopped", "on-failure"}, f"{name} does not restart"


def test_the_portal_waits_for_healthy_backing_services_and_migrations():
    for name in ["web", "worker", "beat"]:
        depends_on = services()[name].get("depends_on") or {}
        assert isinstance(depends_on, dict), f"{name}'s depends_on has no conditions"
        for backing in ["db", "redis"]:
            assert depends_on.get(backing, {}).get("condition") == "service_healthy", f"{name} -> {backing}"
        migrated_by = [
            dependency
            for dependency, spec in depends_on.items()
            if spec.get("condition") == "service_completed_successfully"
        ]
        runs = [check_command(argv) for service in [name, *migrated_by] for argv in service_argvs(service)]
        assert ("manage.py", "migrate") in runs, f"{name} can start before the migrations ran"
    for name in app_services():
        if any(check_command(argv) == ("manage.py", "migrate") for argv in service_argvs(name)):
            assert services()[name]["depends_on"]["db"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", app_services())
def test_service_commands_name_real_modules_and_commands(name):
    for argv in service_argvs(name):
        check_command(argv)
    healthcheck = services()[name].get("healthcheck") or {}
    if not healthcheck.get("disable"):
        check_healthcheck(healthcheck["test"])


def test_each_role_runs_what_it_should():
    def runs(name):
        return [check_command(argv) for argv in service_argvs(name)]

    assert ("gunicorn", "kkr_portal.wsgi:application") in runs("web")
    assert ("celery", "worker") in runs("worker")
    assert ("celery", "beat") in runs("beat")
    everything = [run for name in app_services() for run in runs(name)]
    assert ("manage.py", "load_reference_data") in everything


def test_the_web_healthcheck_asks_the_port_gunicorn_binds():
    (gunicorn,) = [argv for argv in service_argvs("web") if Path(argv[0]).name == "gunicorn"]
    port = option_value(gunicorn, "--bind", "-b").rsplit(":", 1)[1]
    assert f"127.0.0.1:{port}/" in " ".join(services()["web"]["healthcheck"]["test"])
    assert any(str(mapping).endswith(f":{port}") for mapping in services()["web"].get("ports", []))


@pytest.mark.parametrize("name", app_services())
def test_compose_sets_only_variables_the_settings_read(name):
    environment = service_environment(name)
    assert environment, f"{name} has no environment"
    unread = set(environment) - settings_variables()
    assert not unread, f"settings.py never reads {unread}"
    undocumented = set(environment) - set(documented_variables())
    assert not undocumented, f"not in .env.example: {undocumented}"


def test_compose_requires_a_secret_key_and_uses_its_own_services():
    for name in app_services():
        environment = service_environment(name)
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", environment["SECRET_KEY"]), "SECRET_KEY must be required"
        addresses = {
            "DATABASE_URL": ("postgres", "db"),
            "CELERY_BROKER_URL": ("redis", "redis"),
            "EMAIL_URL": ("smtp", mail_catcher()),
        }
        for variable, (scheme, service) in addresses.items():
            url = urlsplit(interpolate(environment[variable]))
            assert (url.scheme, url.hostname) == (scheme, service), f"{name}: {variable}"
            assert service in services()


def test_compose_interpolations_are_documented():
    names = set(INTERPOLATION.findall(COMPOSE_FILE.read_text()))
    undocumented = {name for name, *_ in names} - set(documented_variables())
    assert not undocumented, f"docker-compose.yml reads {undocumented}; document them in .env.example"


# --- .env.example ---------------------------------------------------------------------------------------


def test_env_example_documents_every_variable_the_settings_read():
    missing = settings_variables() - set(documented_variables())
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_env_example_comments_each_variable_and_sets_nothing():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if match := ENV_EXAMPLE_LINE.match(line.strip()):
            assert line.startswith("#"), f"{match[1]} is set, not shown commented out"
            comment = lines[index - 1].strip() if index else ""
            assert comment.startswith("#"), f"{match[1]} has no comment"
            assert not ENV_EXAMPLE_LINE.match(comment), f"{match[1]} has no comment of its own"
            assert len(comment) > 10, f"{match[1]}'s comment says nothing"
    assert documented_variables()["SECRET_KEY"] == "", ".env.example must not carry a secret key"


# --- Dockerfile -------------------------------------------------------------------------------------------


def test_the_image_is_python_311_slim_and_runs_as_an_unprivileged_user():
    images = [arguments.split()[0] for keyword, arguments in dockerfile_instructions() if keyword == "FROM"]
    assert images, "no FROM"
    assert all(image == "python:3.11-slim" for image in images), images
    requires_python = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires_python).contains("3.11.0")
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_the_image_installs_the_runtime_dependencies_with_the_build_constraints():
    runs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]
    installs = [command for command in runs if "pip install" in command]
    upgrade = next((i for i, command in enumerate(installs) if '"pip>=25.3"' in command), None)
    assert upgrade is not None, "pip is not upgraded to 25.3 (--build-constraint) first"
    project = [
        i
        for i, command in enumerate(installs)
        if f"--build-constraint {BUILD_CONSTRAINTS}" in command and re.search(r"\s\.(\s|$)", command)
    ]
    assert project, f"the project is not installed with --build-constraint {BUILD_CONSTRAINTS}"
    assert upgrade < project[0]
    assert not any("[dev]" in command or "-e " in command for command in installs), "dev extras in the image"
    copies = " ".join(arguments for keyword, arguments in dockerfile_instructions() if keyword in {"COPY", "ADD"})
    assert BUILD_CONSTRAINTS in copies or re.search(r"(^|\s)\.\s", copies)
    assert (BASE_DIR / BUILD_CONSTRAINTS).is_file()


def test_the_runtime_dependencies_carry_what_the_image_runs():
    pyproject = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    runtime = {Requirement(spec).name.lower() for spec in pyproject["project"]["dependencies"]}
    assert {"django", "gunicorn", "celery", "redis", "psycopg", "whitenoise", "django-environ"} <= runtime


def test_the_image_collects_static_files_with_a_throwaway_key():
    runs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]
    collect = [command for command in runs if "manage.py collectstatic" in command]
    assert collect, "static files are not collected at build time"
    assert "SECRET_KEY=" in collect[0], "collectstatic runs without a throwaway SECRET_KEY"
    assert "--no-input" in collect[0]
    for keyword, arguments in final_stage():
        assert not (keyword == "ENV" and "SECRET_KEY" in arguments), "the image carries a SECRET_KEY"


def test_the_image_cmd_starts_gunicorn_on_the_wsgi_application():
    assert check_command(dockerfile_cmd()) == ("gunicorn", "kkr_portal.wsgi:application")
    healthchecks = [arguments for keyword, arguments in final_stage() if keyword == "HEALTHCHECK"]
    assert healthchecks, "the image has no HEALTHCHECK"
    check_healthcheck(["CMD", *exec_form(healthchecks[-1].split(" CMD ", 1)[1])])


def test_the_build_context_leaves_out_secrets_and_local_state():
    ignored = {line.strip() for line in (BASE_DIR / ".dockerignore").read_text().splitlines()}
    assert {".env", ".venv", "var", ".git"} <= ignored


# --- The settings with production values -----------------------------------------------------------------

# settings.py also reads .env; the subprocesses skip it so that a developer's file cannot change the result.
WITHOUT_DOTENV = "import environ; environ.Env.read_env = staticmethod(lambda *args, **kwargs: None)\n"
CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


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
    """``python manage.py ...``, through runpy so that .env stays out."""
    return run_python(f"import runpy, sys\nsys.argv = {argv!r}\nrunpy.run_path('manage.py', run_name='__main__')", env)


@pytest.fixture
def production_env(tmp_path, monkeypatch) -> dict[str, str]:
    """The process environment without any settings variable, plus production values."""
    for name in [*settings_variables(), "DJANGO_SETTINGS_MODULE"]:
        monkeypatch.delenv(name, raising=False)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kkr_portal.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": PRODUCTION_HOST,
        "SITE_URL": f"https://{PRODUCTION_HOST}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kkr.sqlite3'}",
        # Production shares its cache (rate limits, sessions, pages) between processes.
        "CACHE_URL": "redis://127.0.0.1:6379/15",
    }


def test_check_deploy_passes_with_production_values(production_env):
    assert len(production_env["SECRET_KEY"]) == 60
    result = run_manage(CHECK_DEPLOY, production_env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "warnings"),
    [
        ({"SECRET_KEY": None}, ["security.W009"]),
        ({"DEBUG": "1"}, ["security.W018"]),
        (
            {"SITE_URL": f"http://{PRODUCTION_HOST}"},
            ["security.W004", "security.W008", "security.W012", "security.W016"],
        ),
    ],
    ids=["default-secret-key", "debug", "plain-http-site-url"],
)
def test_check_deploy_fails_with_insecure_values(production_env, change, warnings):
    env = {**production_env, **{key: value for key, value in change.items() if value is not None}}
    for key in [key for key, value in change.items() if value is None]:
        del env[key]
    result = run_manage(CHECK_DEPLOY, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for warning in warnings:
        assert warning in output, output


PRINT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
from kkr_portal.celery import app
names = [
    "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "STORAGES", "DATABASES",
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_TIMEOUT",
]
conf = [
    "broker_url", "broker_transport_options", "task_acks_late", "task_reject_on_worker_lost",
    "worker_prefetch_multiplier", "accept_content", "task_serializer", "result_serializer", "timezone",
    "enable_utc", "task_soft_time_limit", "task_time_limit", "task_always_eager",
]
print(json.dumps({
    "settings": {name: getattr(settings, name, None) for name in names},
    "celery": {name: app.conf[name] for name in conf},
}, default=str))
"""


def test_the_compose_environment_reads_as_production(production_env):
    """The settings with docker-compose.yml's environment and an https:// SITE_URL."""
    compose_env = {key: interpolate(value) for key, value in service_environment("web").items()}
    env = {**production_env, **compose_env}
    env.update(
        SECRET_KEY=production_env["SECRET_KEY"], ALLOWED_HOSTS=PRODUCTION_HOST, SITE_URL=f"https://{PRODUCTION_HOST}"
    )
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stdout + result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    settings, celery = values["settings"], values["celery"]

    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == [PRODUCTION_HOST]
    assert settings["CSRF_TRUSTED_ORIGINS"] == [f"https://{PRODUCTION_HOST}"]
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert settings["X_FRAME_OPTIONS"] == "DENY"
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"

    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"]) == ("db", "kkr")
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True

    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == (mail_catcher(), 1025)

    assert celery["broker_url"] == "redis://redis:6379/0"
    assert celery["task_acks_late"] is True
    assert celery["task_reject_on_worker_lost"] is True
    assert celery["worker_prefetch_multiplier"] == 1
    assert celery["accept_content"] == ["json"]
    assert celery["task_serializer"] == celery["result_serializer"] == "json"
    assert celery["timezone"] == "UTC"
    assert celery["enable_utc"] is True
    assert celery["task_always_eager"] is False
    # Redis hands an unacknowledged task to another worker after the visibility timeout: a task
    # that may still be running then would run twice.
    soft, hard = celery["task_soft_time_limit"], celery["task_time_limit"]
    assert 0 < soft < hard < celery["broker_transport_options"]["visibility_timeout"]
    # A hung SMTP server gives up before the task's soft time limit.
    assert 0 < settings["EMAIL_TIMEOUT"] < soft
