# Set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint clean scenarios

install: $(STAMP)
	@command -v sipp >/dev/null || (apt-get update && apt-get install -y sip-tester)  # sipp, the SIP caller of the tests
	@command -v espeak-ng >/dev/null || (apt-get update && apt-get install -y espeak-ng)  # speaks the voice-menu prompts over SIP
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)  # the web phone's browser tests (never `playwright install`)

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

scenarios: install  # every scripted handset session, each on a fresh gateway (also part of `make test`)
	$(BIN)/gateway scenario run scenarios/*.yaml

lint: install
	$(BIN)/ruff check .
	$(BIN)/gateway menus lint menus.yaml

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
