# The two commands: `make run` (the site as visitors see it, on http://127.0.0.1:8000/) and
# `make test` (whole suite, on SQLite and on a throwaway PostgreSQL server).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run run-debug serve serve-local test test-fast test-sqlite test-postgres system-deps install lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/pip install --quiet -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import django, rest_framework, django_filters, pytest_django"
	test -d node_modules/axe-core -a -d node_modules/lighthouse || npm ci --no-audit --no-fund
	touch $(STAMP)

install: $(STAMP)

# `make run`: the site as visitors see it, on http://127.0.0.1:8000/ (RUN_ADDR): DEBUG off, so
# the site's own error pages and problem+json from the API; static files collected and served by
# WhiteNoise as in production; plain HTTP on this machine only (DJANGO_LOCAL_HTTP=1); a secret
# key of its own, made once into SECRET_KEY_FILE. `make run-debug`: the same content with
# Django's debug pages (tracebacks, URL lists) and static files read from static/ as edited.
RUN_ADDR ?= 127.0.0.1:8000
SECRET_KEY_FILE ?= .secret-key
RUN_ENV = env -u DJANGO_DEBUG DJANGO_LOCAL_HTTP=1 "DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost,[::1]" \
	DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))"
DEBUG_ENV = env DJANGO_DEBUG=1

$(SECRET_KEY_FILE):
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# What run and run-debug share (the name of the environment variable list as argument): the
# database migrated, the content loaded into an empty database, an admin login offered, then
# Django's development server.
define serve_dev
	$($(1)) $(BIN)/python manage.py migrate --no-input
	$($(1)) $(BIN)/python manage.py seed
	@$($(1)) $(BIN)/python manage.py ensure_admin --address $(RUN_ADDR)
	$($(1)) $(BIN)/python manage.py runserver $(RUN_ADDR)
endef

run: $(STAMP) $(SECRET_KEY_FILE)
	@echo "run: DEBUG off: the site's own error pages. Django's debug pages: make run-debug"
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --no-input -v0
	$(call serve_dev,RUN_ENV)

run-debug: $(STAMP)
	@echo "run-debug: DEBUG on: Django's debug pages, for developers only"
	$(call serve_dev,DEBUG_ENV)

# Production-style: DEBUG off, gunicorn, WhiteNoise. Needs DJANGO_SECRET_KEY and
# DJANGO_ALLOWED_HOSTS (see README).
serve: $(STAMP)
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed
	$(BIN)/gunicorn immunosite.wsgi -c gunicorn.conf.py

# The same over plain HTTP on this machine only (README: Running in production): DJANGO_LOCAL_HTTP=1.
serve-local:
	@echo "serve-local: DJANGO_LOCAL_HTTP=1: plain HTTP on this machine only (loopback hosts), no HTTPS"
	@echo "serve-local: redirect, cookies without Secure; check --deploy skips security.W008, W012 and"
	@echo "serve-local: W016 for that, and nothing else. Never in production: use make serve there."
	DJANGO_LOCAL_HTTP=1 $(MAKE) --no-print-directory serve

# Both halves at once (scripts/test-both.sh): the PostgreSQL half's output follows the SQLite one's.
test: system-deps $(STAMP)
	bash scripts/test-both.sh

# The edit-test loop (a couple of minutes, SQLite): every test but those marked browser, servers,
# fuzz, bench or slow (pyproject.toml). `make test` runs them all.
FAST_MARKERS := not (browser or servers or fuzz or bench or slow)
test-fast: $(STAMP)
	$(BIN)/pytest -q $(PARALLEL) -m "$(FAST_MARKERS)"

# The 25 slowest tests of each run, in the output (CI's log shows where the time goes).
PYTEST_REPORT := --durations=25

# The suite on TEST_WORKERS processes (pytest-xdist), each taking a whole test file at a time so
# that a module's servers start once. The schemathesis tests (marker `fuzz`) run after, in one
# process: the tests it generates for each API operation share one test id, and xdist would
# run only one of them.
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist loadfile

# Servers and the browser the tests drive: PostgreSQL, Redis, Chromium (Debian packages).
system-deps:
	bash scripts/system-deps.sh

test-sqlite: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --settings=tests.settings --file /dev/null
	$(BIN)/pytest $(PYTEST_REPORT) $(PARALLEL) -m "not fuzz and not (once and bench)"
	$(BIN)/pytest $(PYTEST_REPORT) -m fuzz

# The same suite on PostgreSQL, but for the tests marked `once` (their outcome does not depend on
# the test database: the Nu HTML Checker, page layout, Lighthouse, `make run` and `make serve`
# on SQLite databases of their own, servers tests on databases of their own), run once above;
# but the benchmark's smoke run (`once` and `bench`, about 3 minutes, on clusters and files of
# its own) runs here, so that the two halves of `make test` take about as long.
test-postgres: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/pytest $(PYTEST_REPORT) $(PARALLEL) -m "(not once or bench) and not fuzz"
	bash scripts/with-postgres.sh $(BIN)/pytest $(PYTEST_REPORT) -m "fuzz and not once"

# The benchmark (bench/run.py; how to read it: docs/performance.md): PostgreSQL and SQLite at
# 1,000, 10,000 and 100,000 therapies, served by gunicorn, loaded by wrk; results printed and
# written to bench/results/. Fewer sizes or shorter runs: make bench BENCH_ARGS="--sizes 1000".
.PHONY: bench
bench: $(STAMP) system-deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

# The README's screenshots (docs/screenshots/): the seeded site under gunicorn with DEBUG off,
# in Chromium at 1280 and 390 px (scripts/screenshots.py; --full-page for whole pages).
.PHONY: screenshots
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py $(SCREENSHOTS_ARGS)
