# Keel — two set-up commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT
# The lock tool (only `make lock` needs it). uv resolves for every platform and Python >= 3.11
# at once (--universal) and writes pip-compatible lock files with hashes.
UV_VERSION := 0.13.8
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet

.PHONY: run test install install-dev lock lint format bench bench-reach faults clean

# Exact versions and hashes come from the lock files; the project itself adds no dependencies
# (--no-deps), so what runs is what was locked. pyproject.toml is where dependencies are
# declared: after changing them, `make lock`.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Regenerate requirements.lock and requirements-dev.lock from pyproject.toml. Pins already in
## the lock files are kept unless pyproject.toml asks otherwise; LOCK_ARGS=--upgrade takes the
## newest versions allowed. The dev lock is constrained by the runtime lock (same versions).
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) $(LOCK_ARGS) -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_FLAGS) \
		$(LOCK_ARGS) -o requirements-dev.lock

## Run Keel with the embedded default (SQLite, filesystem broker, worker + beat, demo data).
run: install
	$(PY) manage.py init_data_dir
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compile_translations
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py reach_sandbox_channels
	$(PY) manage.py run_keel --port $(PORT)

## Run the whole test suite (PostgreSQL + Redis tier when available, else the SQLite tier).
test: install-dev
	$(PY) manage.py compile_translations
	$(PY) tests/run_tiers.py $(ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	$(PY) bench/run.py

## Issue 13: a roll call to 1,000 people through the sandbox providers (ARGS="--people 50").
bench-reach: install-dev
	$(PY) bench/reach.py $(ARGS)

## Fault suite (issue 11): PostgreSQL + Redis + 2 workers + 2 beats + gunicorn, then the embedded
## default, with kill -9, Redis stopped 30 s and restarts; prints what fired, late, lost, twice.
faults: install-dev
	$(PY) bench/faults.py

clean:
	rm -rf $(VENV) data
