# Two commands for a newcomer: `make demo` and `make test`. Both build the same virtualenv in
# .venv/ so that `.venv/bin/python manage.py …` works after either.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test screenshots serve worker lint messages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Astana CMS needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	trap 'kill 0' EXIT INT TERM; \
	$(BIN)/python manage.py db_worker --no-reload & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests (tests/e2e/, Chromium from `apt-get install chromium`), writing their
# screenshots to docs/screenshots/e2e/ for the README's tour; `make test` keeps them elsewhere.
screenshots: install
	E2E_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

# Production mode under gunicorn, static files by WhiteNoise. Needs DJANGO_SECRET_KEY and
# DJANGO_ALLOWED_HOSTS (and DATABASE_URL for PostgreSQL); see README, "Running in production".
WORKERS ?= 3
serve: install
	DJANGO_DEBUG=false $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=false $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=false $(BIN)/python manage.py createcachetable
	@# The task worker (big exports and imports) beside the app server; both stop together.
	trap 'kill 0' EXIT INT TERM; \
	DJANGO_DEBUG=false $(BIN)/python manage.py db_worker & \
	DJANGO_DEBUG=false $(BIN)/gunicorn astana_cms.wsgi -c astana_cms/gunicorn.conf.py \
		--bind $(HOST):$(PORT) \
		--workers $(WORKERS) --access-logfile - --error-logfile -

# Every benchmark, then docs/performance.md with the machine, the date and each figure beside
# its floor or ceiling: 200,000 excerpts by default, BENCH_EXCERPTS=5000 for a quick run. Needs
# PostgreSQL, Redis and wrk; a scratch database is dropped and created (bench/run.py says which).
.PHONY: bench
bench: install
	$(BIN)/python bench/run.py

# The task worker alone, for a machine that runs only background work (or beside `make demo`).
worker: install
	$(BIN)/python manage.py db_worker

lint: install
	$(BIN)/ruff check .

# For translators: collect new strings into locale/ar/…/django.po, then compile it (needs GNU
# gettext). The compiled .mo is committed, so a fresh machine needs no gettext.
messages: install
	$(BIN)/python manage.py makemessages -l ar --ignore=.venv --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages -l ar

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
