# The one entry point: make demo, make test, make lint, make bench.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export PLAYWRIGHT_BROWSERS_PATH := 0

.PHONY: demo serve test test-fast lint bench catalogs messages chromium coturn janus clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

catalogs: $(STAMP)
	$(BIN)/python -m i18n.catalog_tool compile

messages: $(STAMP)  ## re-extract strings into the .pot/.po files (then translate the new ones)
	$(BIN)/python -m i18n.catalog_tool extract

demo: $(STAMP) catalogs
	$(BIN)/expo demo
	$(BIN)/expo serve

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core fonts-noto-cjk >/dev/null; \
	fi

coturn:  ## Debian's coturn: the meeting-room tests start a real TURN server
	@if [ ! -x /usr/bin/turnserver ]; then \
	  echo "installing Debian's coturn for the TURN tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn >/dev/null; \
	fi

janus:  ## Debian's janus (Streaming plugin): the SFU tests start a real one (docs/operations.md)
	@if [ ! -x /usr/bin/janus ]; then \
	  echo "installing Debian's janus for the SFU tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq janus >/dev/null; \
	fi

test: $(STAMP) catalogs chromium coturn janus
	$(BIN)/python -m pytest

test-fast: $(STAMP) catalogs
	$(BIN)/python -m pytest -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy expo/matchmaking i18n expo/accounts expo/bus.py expo/settings.py expo/db.py expo/web expo/agenda

bench: $(STAMP) catalogs
	$(BIN)/python bench/http.py
	$(BIN)/python bench/schedule.py --quick

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
