# Two commands for a fresh machine with python3 and make: `make run`, `make test`.
PYTHON ?= python3
HOST   ?= 127.0.0.1
PORT   ?= 8000
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test migrate schema messages bench race clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

.env:
	cp .env.example .env

run: $(STAMP) .env  ## serve http://$(HOST):$(PORT)/graphql (GraphiQL in the browser); make run PORT=8080
	$(BIN)/casebook migrate
	$(BIN)/casebook serve --host $(HOST) --port $(PORT)

test: $(STAMP)  ## the whole suite; DATABASE_URL=postgres://... runs it on PostgreSQL
	$(BIN)/python -m pytest

migrate: $(STAMP)
	$(BIN)/casebook migrate

schema: $(STAMP)  ## re-export schema.graphql after a deliberate schema change
	$(BIN)/python -m schema.export > schema.graphql

messages: $(STAMP)  ## re-extract the texts people read (L1) and merge them into the Dutch and German catalogs
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k plural:1,2 --no-location --sort-output \
		--project Casebook --copyright-holder Casebook -o domain/locales/casebook.pot .
	$(BIN)/pybabel update -i domain/locales/casebook.pot -d domain/locales -D casebook \
		--no-fuzzy-matching --ignore-obsolete

bench: $(STAMP)  ## load figures on PostgreSQL (see README)
	$(BIN)/python -m bench.run

race: $(STAMP)  ## concurrent limit-hitting requests against 4 workers on PostgreSQL
	$(BIN)/python -m bench.race

clean:
	rm -rf $(VENV) casebook.sqlite3 mail
