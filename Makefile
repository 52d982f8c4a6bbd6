# Hamkar: the two commands a newcomer needs (see README.md), and the pieces they are made of.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export HAMKAR_TEST_PG_ADMIN_URL ?= postgresql+psycopg://postgres:postgres@127.0.0.1:5432/test

.PHONY: run test deps venv lint typecheck imports pytest screenshots messages clean

## make run: install everything, start the mail stack, migrate, create the demo, serve on :8000
run: deps venv
	$(BIN)/hamkar mailstack start
	$(BIN)/hamkar migrate
	$(BIN)/hamkar demo
	@echo "Hamkar is starting on http://127.0.0.1:8000 (Ctrl-C stops it; the mail stack keeps running: 'make stop')"
	$(BIN)/hamkar serve

## make test: the same set-up, then the whole suite (ruff, mypy, import contracts, pytest)
test: deps venv
	scripts/ensure-postgres.sh
	$(MAKE) lint typecheck imports pytest

deps:
	scripts/install-system-deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

lint:
	$(BIN)/ruff check app tests bench migrations scripts
	$(BIN)/ruff format --check app tests bench migrations scripts

typecheck:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest -q -p no:cacheprovider

stop:
	$(BIN)/hamkar mailstack stop

## make screenshots: refresh the README's screenshots (Playwright + Debian's Chromium)
screenshots: deps venv
	$(BIN)/hamkar mailstack start
	$(BIN)/hamkar migrate
	$(BIN)/hamkar demo
	$(BIN)/python scripts/screenshots.py

## make messages: extract translatable text and update the catalogs (then translate the .po)
messages: venv
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output \
	  -k _ -k N_ -k gettext -k ngettext:1,2 -k Invalid -k Unauthorized -k Forbidden -k NotFound \
	  -k Conflict -k TooLarge -k Throttled -k Unavailable -k DomainError \
	  -o app/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i app/translations/messages.pot -d app/translations

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
