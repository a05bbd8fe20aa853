# One command each for the jobs in the README. Every target builds .venv itself when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@# compiled sources even where PYTHONDONTWRITEBYTECODE is set: the first paint must not compile
	@$(BIN)/python -m compileall -q src
	@test -f "$$($(BIN)/opsdesk db path)" || $(BIN)/opsdesk demo
	$(BIN)/opsdesk

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -s -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build src/*.egg-info
