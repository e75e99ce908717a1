# Keel — two set-up commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test install install-dev lint format bench faults clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Run Keel with the embedded default (SQLite, filesystem broker, worker + beat, demo data).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compile_translations
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py run_keel --port $(PORT)

## Run the whole test suite (PostgreSQL + Redis tier when available, else the SQLite tier).
test: install-dev
	$(PY) manage.py compile_translations
	$(PY) tests/run_tiers.py $(ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	$(PY) bench/run.py

## Fault suite (issue 11): PostgreSQL + Redis + 2 workers + 2 beats + gunicorn, then the embedded
## default, with kill -9, Redis stopped 30 s and restarts; prints what fired, late, lost, twice.
faults: install-dev
	$(PY) bench/faults.py

clean:
	rm -rf $(VENV) data
