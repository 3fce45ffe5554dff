# Two commands a newcomer needs: `make demo` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint golden docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m bridge.demo $(if $(ONCE),--once,)

# The suite runs only on code that passes the linter, the formatter and the type checker.
test: lint
	$(BIN)/python -m pytest -q

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
	rm -rf $(VENV) .bridge outbox/* build *.egg-info
	touch outbox/.gitkeep
