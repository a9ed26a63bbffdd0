# syntax=docker/dockerfile:1
# The KKR Portal image: one image for web (gunicorn, the default command), the Celery worker and
# Celery beat; docker-compose.yml runs all three. Runtime dependencies only (no dev extras), static
# files collected at build time and served by whitenoise, running as an unprivileged user.

# --- build: install the dependencies into /opt/venv, compile translations, collect static files
FROM python:3.11-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# pip 25.3 brought --build-constraint, which XStatic-Bootstrap's sdist needs (setuptools<81).
RUN python -m venv /opt/venv \
    && pip install --upgrade "pip>=25.3"

WORKDIR /app

# The dependencies first, so that a code change does not reinstall them: [project] dependencies
# in pyproject.toml are the runtime ones; the dev extra (pytest, ruff, playwright, ...) stays out.
COPY pyproject.toml README.md ./
COPY requirements/build-constraints.txt requirements/build-constraints.txt
RUN pip install --build-constraint requirements/build-constraints.txt .

COPY . .

# The throwaway key only lets settings load for these build steps; it is not kept in the image.
# Babel compiles the English catalogue (as `make install` does), so no GNU gettext is needed.
RUN if [ -f locale/en/LC_MESSAGES/django.po ]; then \
        pybabel compile --domain django --directory locale --locale en; \
    fi \
    && SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --no-input --verbosity 0

# --- runtime --------------------------------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN groupadd --gid 1000 kkr \
    && useradd --uid 1000 --gid kkr --home-dir /app --no-create-home --shell /usr/sbin/nologin kkr

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The code and var/static stay root-owned (read-only for the app); only var/media (uploads, a
# volume in docker-compose.yml), var/mail and var/celery are writable.
COPY --from=build /app /app
RUN mkdir -p var/media var/mail var/celery \
    && chown -R kkr:kkr var/media var/mail var/celery

USER kkr
EXPOSE 8000

# GET / must answer 2xx. The Host header is the first of ALLOWED_HOSTS (DisallowedHost otherwise)
# and X-Forwarded-Proto says https, as the TLS proxy would (no redirect when SITE_URL is https).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.'); h = h if h not in ('', '*') else 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=8)"]

CMD ["gunicorn", "kkr_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
