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

test: python $(STAMP)  ## the whole suite; DATABASE_URL=postgres://... runs it on PostgreSQL
	$(BIN)/python -m pytest

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
