# Two commands for a fresh machine with python3 and make: `make run`, `make test`.
PYTHON ?= python3
HOST   ?= 127.0.0.1
PORT   ?= 8000
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test migrate schema messages bench race clean python

# Casebook needs Python 3.11 or later (pyproject.toml `requires-python`). A .venv made by
# an older python3 is removed, so the next step makes it again with $(PYTHON).
NEW_ENOUGH := import sys; sys.exit(sys.version_info < (3, 11))
python:
	@$(PYTHON) -c '$(NEW_ENOUGH)' 2>/dev/null || { echo "Casebook needs Python 3.11 or later; $(PYTHON) is $$($(PYTHON) --version 2>&1). Install one and run e.g. make PYTHON=python3.11 run" >&2; exit 1; }
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c '$(NEW_ENOUGH)' 2>/dev/null; then echo "$(VENV) was made with an older Python: making it again with $(PYTHON)"; rm -rf $(VENV); fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

.env:
	cp .env.example .env

run: python $(STAMP) .env  ## serve http://$(HOST):$(PORT)/graphql (GraphiQL in the browser); make run PORT=8080
	$(BIN)/casebook migrate
	$(BIN)/casebook serve --host $(HOST) --port $(PORT)

# The suite runs in two passes. First everything else, spread over one pytest-xdist worker
# per logical core (TEST_WORKERS=4 or =0 to choose): the suite waits on subprocesses and
# sockets often enough that a worker per core keeps the cores busy. Then, alone, the tests
# marked `serial`: they measure wall-clock time (response floors, deadlines, a SIGTERM
# drain) or race processes of their own, and a neighbour on the same cores would make
# them flaky. Both passes run even when the first fails, so one run shows every failure.
TEST_WORKERS ?= logical
# Where PYTHONDONTWRITEBYTECODE is set, every pytest process (each worker, each pass)
# would compile and assertion-rewrite every module again, seconds each; the caches land
# in __pycache__, which git ignores.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

test: python $(STAMP)  ## the whole suite; DATABASE_URL=postgres://... runs it on PostgreSQL
	@failed=0; \
	$(PYTEST) -n $(TEST_WORKERS) -m "not serial" || failed=1; \
	echo "== the tests that run alone (marked serial)"; \
	$(PYTEST) -m serial $$(grep -rl --include="test_*.py" "mark\.serial" tests) || failed=1; \
	exit $$failed

migrate: python $(STAMP)
	$(BIN)/casebook migrate

schema: python $(STAMP)  ## re-export schema.graphql after a deliberate schema change
	$(BIN)/python -m schema.export > schema.graphql

messages: python $(STAMP)  ## re-extract the texts people read (L1) and merge them into the Dutch and German catalogs
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k plural:1,2 --no-location --sort-output \
		--project Casebook --copyright-holder Casebook -o domain/locales/casebook.pot .
	$(BIN)/pybabel update -i domain/locales/casebook.pot -d domain/locales -D casebook \
		--no-fuzzy-matching --ignore-obsolete

bench: python $(STAMP)  ## load figures on PostgreSQL (see README)
	$(BIN)/python -m bench.run

race: python $(STAMP)  ## concurrent limit-hitting requests against 4 workers on PostgreSQL
	$(BIN)/python -m bench.race

clean:
	rm -rf $(VENV) casebook.sqlite3 mail
