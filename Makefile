# Developer commands. Each sets up what it needs on first use (a virtualenv per tool).
#   make demo    - every sample event through the real handler on an emulated stack (no AWS, no Docker);
#                  MODE=fifo for the FIFO delivery mode (docs/delivery-modes.md)
#   make serve   - the handler over HTTP on 127.0.0.1:3000, AWS emulated by the moto server (MODE=fifo too)
#   make events  - re-stamp and re-sign events/*.json with the local secret (for sam local invoke)
#   make test    - the test suite (moto; no AWS account, no Docker), on every core (and one more worker);
#                  installs the SAM CLI's virtualenv first, whose guided deploy prompts a test drives
#   make test-fast - the unit tests only: pure modules and the template (the inner loop)
#   make rehearse - the deploy rehearsal, offline: every tested parameter set, or your stack's with
#                  ARGS="--stack-name X --region Y --parameter-overrides K=V ..."
#   make plan    - what sam deploy / sam delete will do to your deployed stack, offline: resources
#                  replaced or deleted, exports changed, refused steps; ARGS="--config-env prod DeliveryMode=fifo"
#   make reliability - inject a fault at every pipeline step and print what was lost or doubled
#                  (make test runs the same scenarios and prints the same report at its end)
#   make bench   - cold start, warm latency, AWS calls, memory, package size and cost, against the floor
#   make bench-replay - replay of 100,000 archived events: peak memory at 10k/50k/100k and events/s
#   make lint    - ruff; mypy --strict (the Lambda packages and the three libraries); checkov on the
#                  templates and on the CloudFormation they deploy; the docs site. cfn-lint (every rule)
#                  and the deploy rehearsal are tests (tests/template), so CI runs them once
#   make docs    - the manual (docs/) as a site in .site/ (mkdocs build --strict: a broken link fails)
#   make build   - sam build (arm64 / Python 3.13 package, no Docker needed)
PYTHON ?= python3
VENV ?= .venv
SAM_VENV ?= .venv-sam
CHECKOV_VENV ?= .venv-checkov
# One SAM CLI for `sam build`/`sam deploy` (its own virtualenv) and for the tests and lint, which use
# only its AWS::LanguageExtensions processing (standard library and PyYAML): installed there without
# its pinned dependencies, which would clash with the test suite's.
SAM_CLI := aws-sam-cli==1.170.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve events test test-fast docs rehearse plan reliability bench bench-replay lint format build check-package clean

$(STAMP): requirements-dev.txt src/requirements.txt pyproject.toml webhook-events/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(SAM_CLI)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --editable . --editable ./webhook-events
	touch $(STAMP)

MODE ?= standard

demo: $(STAMP)
	$(BIN)/python -m devkit demo --mode $(MODE)

serve: $(STAMP)
	$(BIN)/python -m devkit serve --mode $(MODE)

events: $(STAMP)
	$(BIN)/python -m devkit events

# One worker more than there are cores: the fault scenarios and the local servers spend much of their
# time waiting (a claim's lease, a socket), and work stealing keeps every worker busy to the end.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')

# Both need the SAM CLI's own virtualenv too: tests/template/test_guided_deploy.py runs its guided
# deploy prompts there (devkit/guided.py), and fails, never skips, without it.
test: $(STAMP) $(SAM_VENV)/.installed
	SAM_VENV=$(SAM_VENV) $(BIN)/python -m pytest -n $(WORKERS) --dist worksteal

# The unit tests live in tests/unit and tests/template (tests/conftest.py marks them): collecting only
# those folders spares importing the emulated suites.
test-fast: $(STAMP) $(SAM_VENV)/.installed
	SAM_VENV=$(SAM_VENV) $(BIN)/python -m pytest -m unit -q tests/unit tests/template

# The deploy rehearsal of one stack: make rehearse ARGS="--stack-name X --region Y --parameter-overrides K=V ..."
rehearse: $(STAMP)
	$(BIN)/python -m devkit rehearse $(ARGS)

# The change plan of a deployed stack: make plan ARGS="--config-env prod DeliveryMode=fifo" (or --delete, --first)
plan: $(STAMP)
	$(BIN)/python -m devkit plan $(ARGS)

reliability: $(STAMP)
	$(BIN)/python -m devkit reliability

bench: $(STAMP)
	$(BIN)/python -m bench.benchmark

bench-replay: $(STAMP)
	$(BIN)/python -m bench.replay

lint: $(STAMP) $(CHECKOV_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict src/handler src/archive_format src/drift src/topic_archive webhook-events/webhook_events archive_replay webhooks_ops
	$(BIN)/python -m devkit deployed .aws-sam/deployed-template.json
	$(CHECKOV_VENV)/bin/checkov --framework cloudformation --skip-download --compact --quiet \
		-f template.yaml -f .aws-sam/deployed-template.json -f examples/post-subscriber/template.yaml
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(SAM_CLI)
	touch $@

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==3.3.30
	touch $@

build: $(SAM_VENV)/.installed
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build
	cd examples/post-subscriber && SAM_CLI_TELEMETRY=0 ../../$(SAM_VENV)/bin/sam validate --lint

check-package: $(STAMP)
	$(BIN)/python -m devkit.package_check .aws-sam/build/WebhookFunction

clean:
	rm -rf .aws-sam $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache
