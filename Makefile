# Set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint clean

install: $(STAMP)
	@command -v sipp >/dev/null || (apt-get update && apt-get install -y sip-tester)  # sipp, the SIP caller of the tests

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/gateway run

test: install
	$(BIN)/ruff check .
	$(BIN)/gateway menus lint menus.yaml
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/gateway menus lint menus.yaml

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
