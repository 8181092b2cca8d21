# The two commands: `make run` (the app with demo data on SQLite) and `make test`
# (the whole suite on PostgreSQL and Redis). Both set up what they need.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQS_HASH)

# Embedded default: SQLite in the project folder, mail to the console, demo mode.
RUN_ENV := DEBUG=1 DEMO=1 EMAIL_URL=consolemail://
# The suite runs on the production stack (local servers unless told otherwise).
TEST_ENV := DEBUG=0 SECURE_SSL_REDIRECT=0 \
	SECRET_KEY=test-only-secret-key-not-for-production-0123456789abcdef \
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/asean_ai_safe} \
	CACHE_URL=$${TEST_CACHE_URL:-redis://127.0.0.1:6379/14} \
	CELERY_BROKER_URL=$${TEST_BROKER_URL:-redis://127.0.0.1:6379/15} \
	EMAIL_URL=consolemail:// DJANGO_ALLOW_ASYNC_UNSAFE=true
# What `check --deploy` sees: production settings as a deployment would set them.
DEPLOY_ENV := env -u DJANGO_ALLOW_ASYNC_UNSAFE -u CACHE_URL SECURE_SSL_REDIRECT=1 DEBUG=0 SECRET_KEY=deploy-check-3f9a7c1e5b2d8f4a6c0e9b7d5f3a1c8e6b4d2f0a9c7e5 \
	ALLOWED_HOSTS=secretariat.asean-ai-safe.example DATABASE_URL=sqlite:///:memory:
STACK_ENV := DEBUG=0 SECURE_SSL_REDIRECT=0 DEMO=1 \
	SECRET_KEY=$${SECRET_KEY:-stack-local-secret-key-change-me-0123456789abcdef} \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/asean_ai_safe} \
	CACHE_URL=$${CACHE_URL:-redis://127.0.0.1:6379/1} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}

.PHONY: run test stack lint format install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py createcachetable
	$(RUN_ENV) $(PY) manage.py seed_demo
	@echo "Serving http://127.0.0.1:8000/ with the reminder loop beside it; Ctrl-C stops both."
	@trap 'kill 0' INT TERM EXIT; \
	$(RUN_ENV) $(PY) manage.py send_due_reminders --loop & \
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000 --noreload

test: $(STAMP)
	@$(TEST_ENV) $(PY) tests/preflight.py
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(PY) -m pytest --create-db $(PYTEST_ARGS)

stack: $(STAMP)
	$(STACK_ENV) $(PY) tests/preflight.py
	$(STACK_ENV) $(PY) manage.py migrate --noinput
	$(STACK_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(STACK_ENV) $(PY) manage.py seed_demo
	@echo "Serving http://127.0.0.1:8000/ (gunicorn), one Celery worker, one beat; Ctrl-C stops all."
	@trap 'kill 0' INT TERM EXIT; \
	$(STACK_ENV) $(VENV)/bin/celery -A secretariat worker --loglevel INFO --concurrency 2 & \
	$(STACK_ENV) $(VENV)/bin/celery -A secretariat beat --loglevel INFO --schedule var/celerybeat-schedule & \
	$(STACK_ENV) $(VENV)/bin/gunicorn secretariat.wsgi --bind 127.0.0.1:8000 --workers 3 --access-logfile -

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm var
