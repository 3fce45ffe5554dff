# Two commands a newcomer needs: `make demo` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint golden docs clean browser postgres messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m bridge.demo $(if $(ONCE),--once,)

# The suite runs only on code that passes the linter, the formatter and the type checker.
test: lint browser postgres
	$(BIN)/python -m pytest -q

# Browser tests drive Debian's chromium through chromium-driver; installed here when we may
# (root with apt-get), otherwise those tests skip and say what to install.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "browser tests will skip: apt-get install chromium chromium-driver"; fi

# The PostgreSQL ledger's tests start a real server (initdb, pg_ctl) from Debian's package;
# installed here when we may, otherwise those tests skip and say what to install.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "PostgreSQL tests will skip: apt-get install postgresql"; fi

# Rewrite every golden file (extractions, SIE facts, planned calls) from the current code;
# review the diff before committing it.
golden: $(STAMP)
	$(BIN)/python -m pytest -q -m golden --update-golden

# docs/configuration.md is generated from the options in bridge/config.py.
docs: $(STAMP)
	$(BIN)/python -m bridge.config > docs/configuration.md

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check bridge mockfortnox tests bench
	$(BIN)/ruff format --check bridge mockfortnox tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .bridge outbox/* build *.egg-info packaging/mockfortnox/build
	touch outbox/.gitkeep

# Add newly marked messages to the Swedish catalogs (bridge/locale/sv/LC_MESSAGES/*.po) and list
# those still awaiting a translation; a test fails while any does.
messages: $(STAMP)
	$(BIN)/python -m bridge.util.i18n
