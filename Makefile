# civicgrid — every target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint types imports pytest migrate bench i18n system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

## demo: build the generated demo city on SQLite and serve it at http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/civicgrid demo

## test: the whole suite (lint, types, layer contracts, tests on SQLite and PostgreSQL)
test: $(STAMP) system-deps lint types imports pytest

system-deps:
	./scripts/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations

types: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

migrate: $(STAMP)
	$(BIN)/civicgrid db upgrade

bench: $(STAMP)
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --sort-output --no-wrap -o src/civicgrid/locale/messages.pot src
	$(BIN)/pybabel update --no-wrap -i src/civicgrid/locale/messages.pot -d src/civicgrid/locale
	$(BIN)/pybabel compile -d src/civicgrid/locale

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
