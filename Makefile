# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test install install-dev lock lint translations extract-messages migrate demo serve bench bench-load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from the lock files: every package pinned, the same on every machine.
$(VENV)/.runtime: $(BIN)/python requirements.lock
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

## Pin again what pyproject.toml's dependencies pull in (after changing a dependency there).
lock: install-dev
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra mysql --extra redis \
		-o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra mysql --extra redis \
		--extra dev -o requirements-dev.lock pyproject.toml

## ruff, as CI runs it.
lint: install-dev
	$(BIN)/ruff check .

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## Compile the Russian and Ukrainian catalogues (.po -> .mo).
translations: install
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations -f >/dev/null

## Re-extract UI strings and merge them into the catalogues (then translate the new ones).
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output --project Portal \
		-o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo

## Create .venv, install, migrate, load demo data when the database is empty, serve.
run: translations demo
	@echo "Portal on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## The whole test suite. TEST_DATABASE_URL=postgresql://... runs it on a fresh PostgreSQL database.
## Tests run in parallel (pytest-xdist; each worker has its own database): one worker per CPU, at
## least 3 (the browser and PostgreSQL keep a worker waiting). TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -lt 3 ] && n=3; echo $$n)
test: install-dev translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15

## Benchmarks (they print their figures; see bench/README.md). Slow: minutes each.
bench: install-dev
	$(BIN)/python bench/ledger_balance.py
	$(BIN)/python bench/sales_throughput.py

## The till over HTTP: gunicorn (4 workers) on PostgreSQL, 16 and 64 tills, 60 s each (bench/README.md).
bench-load: install-dev
	$(BIN)/python bench/till_load.py

clean:
	rm -rf $(VENV) .pytest_cache
