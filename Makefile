# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.northstar/prefect

.PHONY: venv demo test lint bench lock clean pg infra-check infra-tools chromium

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	# --compile-bytecode (what pip does by default): every command imports from .pyc files instead of compiling
	# ~1,000 modules each time when PYTHONDONTWRITEBYTECODE is set (BENCHMARKS.md, cli-fixed-cost); the
	# project's own modules are compiled the same way
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q cli northstar flows lineage validators >/dev/null
	touch $(STAMP)

# Start the local PostgreSQL cluster when it is down (the orders source and the tests need it).
pg:
	@bash scripts/ensure_postgres.sh

# Debian's chromium for the status page's browser test (tests/test_status_report.py); skipped when present.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

demo: venv pg
	mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m demo $(if $(YES),--yes)

test: venv pg chromium infra-check
	mkdir -p $(PREFECT_HOME)
	$(BIN)/python scripts/run_tests.py 4  # four pytest processes; infra-check ran tests/test_infra.py

# AWS infrastructure as code (infra/): the CDK CLI from infra/package-lock.json, cdk synth with no AWS account,
# cfn-lint and checkov on the template (their exceptions: infra/.cfnlintrc.yaml, infra/.checkov.yaml), then
# the template assertions of tests/test_infra.py. No network to AWS: version check, notices and telemetry off.
INFRA_VENV := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed-stamp
CDK := infra/node_modules/.bin/cdk
CDK_OUT := infra/cdk.out
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true

infra-tools: $(INFRA_STAMP) $(CDK)

$(INFRA_STAMP): infra/tools.lock $(STAMP)
	$(PYTHON) -m venv $(INFRA_VENV)
	$(BIN)/uv pip install --quiet --python $(INFRA_VENV)/bin/python -r infra/tools.lock
	touch $(INFRA_STAMP)

$(CDK): infra/package.json infra/package-lock.json
	npm ci --prefix infra --no-audit --no-fund --loglevel=error
	touch $(CDK)

infra-check: venv infra-tools
	rm -rf $(CDK_OUT)
	$(CDK) synth --app "$(BIN)/python -m infra.app" --output $(CDK_OUT) --quiet --no-notices --no-version-reporting
	$(INFRA_VENV)/bin/cfn-lint --config-file infra/.cfnlintrc.yaml -- $(CDK_OUT)/*.template.json
	$(INFRA_VENV)/bin/checkov --config-file infra/.checkov.yaml
	$(BIN)/python -m pytest -q tests/test_infra.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m infra.audit_lock requirements.lock infra/tools.lock  # fails on a known vulnerability only

# Each benchmark rewrites its own section of BENCHMARKS.md.
bench: venv pg
	$(BIN)/python -m benchmarks.orders_batch
	$(BIN)/python -m benchmarks.payments_batch
	$(BIN)/python -m benchmarks.fulfillment_batch
	$(BIN)/python -m benchmarks.stripe_receiver
	$(BIN)/python -m benchmarks.consistency_suite
	$(BIN)/python -m benchmarks.marts_publication
	$(BIN)/python -m benchmarks.audit_history
	$(BIN)/python -m benchmarks.investigate_day
	$(BIN)/python -m benchmarks.source_reconcile --orders 1000000 3000000
	$(BIN)/python -m benchmarks.cli_fixed_cost
	$(BIN)/python -m benchmarks.backfill --orders 24000 240000 --days 1 2 --window 1h --workers 2

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock: venv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra infra --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile infra/tools.in --python-version 3.11 -o infra/tools.lock

clean:
	rm -rf $(VENV) $(INFRA_VENV) .northstar .pytest_cache .mypy_cache .ruff_cache infra/node_modules $(CDK_OUT)
