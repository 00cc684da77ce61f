# The two set-up commands: `make run` serves the product, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEV := DJANGO_DEBUG=1
# The port `make run` and `make serve` listen on: `make run PORT=8080` or `PORT=8080 make run`.
PORT ?= 8000

.PHONY: install run serve setup test test-browser test-libreoffice test-pdf test-saml test-multiserver lint messages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev,bench,redis,s3]"
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

## Serve the product on http://127.0.0.1:$(PORT) (SQLite in var/, demo data, demo login printed),
## with the background worker (`db_worker`: the reminders' mails) and the reminders' scheduler
## beside it; both stop when the server stops. Mail is not sent: each one is written as a file in
## var/mail/ (Django's file-based backend), to be read there.
DEV_MAIL := EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend
run: setup
	@echo "Serving on http://127.0.0.1:$(PORT)/ and the admin on http://127.0.0.1:$(PORT)/admin/  (demo login printed above)"
	@echo "The worker and the reminders' scheduler run beside it; mails are written to var/mail/"
	$(DEV) $(DEV_MAIL) sh -c '$(PY) manage.py db_worker --no-reload & worker=$$!; \
		$(PY) manage.py run_scheduler & scheduler=$$!; \
		trap "kill $$worker $$scheduler 2>/dev/null; wait" EXIT; trap "exit 130" INT TERM; \
		$(PY) manage.py runserver 127.0.0.1:$(PORT)'

## Serve the product as in production: gunicorn, DEBUG off, every setting from the environment
## (README, "Production"). Static files are compiled into STATIC_ROOT and the database migrated
## first. GUNICORN_BIND (default 127.0.0.1:$PORT, PORT 8000), GUNICORN_WORKERS (2 per core, and one) and
## GUNICORN_TIMEOUT (120 s: a large import's preview) tune the server.
PROD := env DJANGO_DEBUG=0
serve: $(STAMP) $(NODE_STAMP)
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve: DJANGO_SECRET_KEY is not set; production needs its own secret key (50 or more random characters)." >&2; exit 1; }
	@test -n "$$DJANGO_ALLOWED_HOSTS" || { echo "make serve: DJANGO_ALLOWED_HOSTS is not set; name the host(s) the site is served as, comma-separated." >&2; exit 1; }
	$(PROD) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(PROD) $(PY) manage.py migrate --noinput
	exec $(PROD) $(VENV)/bin/gunicorn config.wsgi \
		--bind "$${GUNICORN_BIND:-127.0.0.1:$(PORT)}" \
		--workers "$${GUNICORN_WORKERS:-$$(( 2 * $$(nproc) + 1 ))}" \
		--timeout "$${GUNICORN_TIMEOUT:-120}" \
		--access-logfile - --error-logfile -

## Run the tests (SQLite unless DATABASE_URL names another database).
test: $(STAMP) $(NODE_STAMP)
	$(DEV) $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2

## The browser tests: Playwright drives Debian's Chromium (apt-get install chromium fonts-noto-cjk).
test-browser: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest -m browser

## Files the product writes, read back by Debian's LibreOffice (apt-get install libreoffice-calc-nogui).
test-libreoffice: $(STAMP)
	$(PY) -m pytest -m libreoffice

## The annual report's PDF read back by Debian's poppler-utils, its Japanese in Debian's Noto CJK
## fonts (apt-get install poppler-utils fonts-noto-cjk).
test-pdf: $(STAMP)
	$(PY) -m pytest -m pdf

## Signing in through a real SAML identity provider started on 127.0.0.1, its XML signatures
## checked by Debian's xmlsec1 (apt-get install xmlsec1).
test-saml: $(STAMP)
	$(PY) -m pytest -m saml

## Two app servers sharing PostgreSQL, Redis and one file folder (docs/DEPLOY.md): needs
## DATABASE_URL naming PostgreSQL and REDIS_URL naming a Redis server, and fails without them.
test-multiserver: $(STAMP)
	$(PY) -m pytest -m multiserver --create-db

## The Japanese catalogue: collect every string marked for translation in the Python code and the
## templates into locale/ja/LC_MESSAGES/django.po (msgmerge keeps the translations it holds; needs
## GNU gettext, `apt-get install gettext`), then compile django.mo beside it in pure Python. Commit
## both: the product reads the .mo and compiles nothing where it runs. charts.js shows no text of
## its own (its labels are the tables' headers), so there is no djangojs catalogue.
MESSAGES_IGNORE := $(foreach dir,.venv node_modules staticfiles var tests bench docs,--ignore=$(dir))
messages: $(STAMP)
	$(DEV) $(PY) manage.py makemessages --locale=ja --no-obsolete --add-location=file $(MESSAGES_IGNORE)
	$(DEV) $(PY) manage.py compile_catalogues

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var staticfiles .pytest_cache
