# Two commands: `make run` starts the product, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEMO_LEADS ?= 2000

.PHONY: run test venv migrate seed lint bench clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

migrate: venv
	$(BIN)/alembic upgrade head

seed: migrate
	$(BIN)/python -m crm.demo --if-empty --leads $(DEMO_LEADS)

run: seed
	$(BIN)/python -m crm.run

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python bench/seed_demo.py --leads 100000

clean:
	rm -rf $(VENV) data
