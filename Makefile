# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.northstar/prefect

.PHONY: venv demo test lint bench lock clean pg

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# Start the local PostgreSQL cluster when it is down (the orders source and the tests need it).
pg:
	@bash scripts/ensure_postgres.sh

demo: venv pg
	$(BIN)/python -m demo

test: venv pg
	mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Each benchmark rewrites its own section of BENCHMARKS.md.
bench: venv pg
	$(BIN)/python -m benchmarks.orders_batch
	$(BIN)/python -m benchmarks.payments_batch
	$(BIN)/python -m benchmarks.fulfillment_batch
	$(BIN)/python -m benchmarks.stripe_receiver
	$(BIN)/python -m benchmarks.consistency_suite
	$(BIN)/python -m benchmarks.source_reconcile --orders 1000000 3000000

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock: venv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .northstar .pytest_cache .mypy_cache .ruff_cache
