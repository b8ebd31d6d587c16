# Stagewise: the quick start is `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help install setup run test lint format clean bench-sink

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the app with its development tools

setup: install  ## Migrate the database and seed the catalog and the demo clinic
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_catalog
	$(MANAGE) seed_demo

run: setup  ## Serve on http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops all)
	$(BIN)/honcho --procfile config/Procfile.dev --app-root . start

test: install  ## Run the whole test suite (SQLite unless DATABASE_URL is set)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install  ## Ruff, mypy, djLint and Django's own checks, as CI runs them
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/mypy --strict prescriptions/rules.py prescriptions/_rules_*.py
	$(BIN)/djlint templates --lint
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

format: install  ## Apply ruff's formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

SMTP_SINK := var/smtp-sink/usr/sbin/smtp-sink

bench-sink: $(SMTP_SINK)  ## Fetch Postfix's smtp-sink for bench/reminders_bench.py (Debian; no daemon installed)

$(SMTP_SINK):
	mkdir -p var/smtp-sink
	cd var/smtp-sink && apt-get download postfix && dpkg -x postfix_*.deb . && rm postfix_*.deb

clean:  ## Remove the virtualenv and everything under var/ (the SQLite database, mail, broker)
	rm -rf $(VENV) var
