# KKR Portal. `make run` starts the portal with demo data; `make test` lints and runs the suite.
# Needs only Python 3.11 and make: everything else is installed into .venv.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install dirs run setup test lint messages clean bench

$(STAMP): pyproject.toml requirements/build-constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.3"
	$(PY) -m pip install --quiet --build-constraint requirements/build-constraints.txt -e ".[dev]"
	touch $(STAMP)

# The English catalogue, compiled by Babel (pure Python: no GNU gettext needed to run).
locale/en/LC_MESSAGES/django.mo: locale/en/LC_MESSAGES/django.po $(STAMP)
	$(BIN)/pybabel compile --domain django --directory locale --locale en

messages: $(STAMP)
	$(MANAGE) makemessages --locale en --ignore ".venv/*" --ignore "var/*" --ignore "tests/*"

install: $(STAMP) locale/en/LC_MESSAGES/django.mo

dirs:
	mkdir -p var/mail var/celery/queue var/celery/processed var/celery/control var/media

# Migrate and load the reference data, the welcome folders' facts and the demo data set;
# every step is idempotent, so a second `make run` reuses what is there.
setup: install dirs
	$(MANAGE) migrate --no-input
	$(MANAGE) load_reference_data
	$(MANAGE) load_seed_facts
	$(MANAGE) load_demo_data
	$(MANAGE) collectstatic --no-input --verbosity 0

# The web server, a Celery worker and beat, stopped together by Ctrl-C.
run: setup
	@bin/run-all "$(BIN)" "$(HOST)" "$(PORT)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

test: lint
	$(BIN)/pytest

# The benchmark (issue 6): synthetic data at Denmark's scale and 40x on PostgreSQL (throwaway
# kkr_bench_* databases at BENCH_POSTGRES), gunicorn on 127.0.0.1; writes docs/performance.md.
bench: install dirs
	$(PY) -m bench

clean:
	rm -rf var .pytest_cache
