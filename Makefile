# The two set-up commands: `make run` serves the product, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEV := DJANGO_DEBUG=1

.PHONY: install run setup test test-browser lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	rm -rf build *.egg-info
	touch $(STAMP)

## Chart.js and other front-end packages, from the npm registry (served by the product, no CDN).
NODE_STAMP := node_modules/.installed-stamp
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

## Migrate, load the sources' goals and the labelled demo set, create the demo login.
setup: $(STAMP) $(NODE_STAMP)
	$(DEV) $(PY) manage.py migrate --noinput
	$(DEV) $(PY) manage.py load_sources
	$(DEV) $(PY) manage.py load_demo

## Serve the product on http://127.0.0.1:8000 (SQLite in var/, demo data, demo login printed).
run: setup
	@echo "Serving on http://127.0.0.1:8000/admin/  (demo login printed above)"
	$(DEV) $(PY) manage.py runserver 127.0.0.1:8000

## Run the tests (SQLite unless DATABASE_URL names another database).
test: $(STAMP) $(NODE_STAMP)
	$(DEV) $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2

## The browser tests: Playwright drives Debian's Chromium (apt-get install chromium).
test-browser: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest -m browser

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var staticfiles .pytest_cache
