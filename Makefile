# Set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint clean scenarios faults

install: $(STAMP)
	@# Debian packages the tests drive: sipp (the SIP caller), espeak-ng (spoken prompts),
	@# chromium (the web phone's browser tests; never `playwright install`), redis-server
	@# (the multi-node tests start their own), postgresql (the fault suite starts a private server).
	@missing=""; \
	command -v sipp >/dev/null || missing="$$missing sip-tester"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then apt-get update && apt-get install -y $$missing; fi

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

faults: install  # kill -9 under load, a PostgreSQL restart, a Redis restart under two nodes, stuck peers: counts per fault (also part of `make test`)
	$(BIN)/pytest -q tests/faults

scenarios: install  # every scripted handset session, each on a fresh gateway (also part of `make test`)
	$(BIN)/gateway scenario run scenarios/*.yaml

lint: install
	$(BIN)/ruff check .
	$(BIN)/gateway menus lint menus.yaml

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
