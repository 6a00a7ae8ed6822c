# Two commands on a fresh machine (python3, npm, make): `make synth` and `make test`.
# Each sets itself up; running again when nothing changed installs nothing.

PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
PY := $(VENV)/bin/python
DEPLOYMENT ?= deployments/default.yaml

# Node 22 from the `node` npm package comes first on PATH (the machine's Node 20 makes jsii
# print an end-of-life banner on every import); `npx cdk` is the pinned CDK CLI, and the
# venv's python3 is the one cdk.json's "python3 app.py" runs.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup synth test lint plan check-templates bench clean diff deploy destroy

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -e .
	touch $@

$(TOOLS)/.installed: requirements-tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r requirements-tools.txt
	touch $@

# package.json allows the `node` package's install script (it fetches the Node 22 binary);
# should npm ever skip it, the check below fails instead of falling back to the machine's Node.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	node_modules/.bin/node --version | grep -q '^v22\.' || { echo "Node 22 did not install (node package's install script)" >&2; exit 1; }
	touch $@

plan: setup
	$(PY) -m deepseek_cdk.cli plan $(DEPLOYMENT)

# Prints the plan, then synthesizes it (with the four cdk-nag packs) into cdk.out.
synth: plan
	rm -rf cdk.out
	npx cdk synth --quiet -c deployment=$(DEPLOYMENT)

# With AWS credentials: what a deploy would change, the deploy itself, and removing the
# inference stack (the stateful stack is termination-protected on purpose; see the README).
diff: setup
	npx cdk diff --all -c deployment=$(DEPLOYMENT)

deploy: synth
	npx cdk deploy --all -c deployment=$(DEPLOYMENT)

destroy: setup
	npx cdk destroy "$$($(PY) -c 'import sys; from deepseek_cdk.spec import load_deployment; print(load_deployment(sys.argv[1]).name)' $(DEPLOYMENT))-inference" -c deployment=$(DEPLOYMENT)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy deepseek_cdk app.py

# The real CLI synth (cdk-nag packs included) of every shipped deployment into
# cdk.out/<file>/, then cfn-lint (errors and warnings fail) and checkov (offline) on all.
DEPLOYMENTS := $(wildcard deployments/*.yaml deployments/examples/*.yaml)
check-templates: setup $(TOOLS)/.installed
	rm -rf cdk.out
	for f in $(DEPLOYMENTS); do \
	  npx cdk synth --quiet -c deployment=$$f -o cdk.out/$$(basename $$f .yaml) || exit 1; \
	done
	$(VENV)/bin/cfn-lint --non-zero-exit-code warning cdk.out/*/*.template.json
	$(TOOLS)/bin/checkov -d cdk.out --framework cloudformation --compact --quiet --skip-download

test: lint
	$(PY) -m pytest
	$(MAKE) --no-print-directory check-templates

bench: setup
	$(PY) -m benchmarks.bench_plan
	$(PY) -m benchmarks.bench_synth

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache .hypothesis
