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

.PHONY: setup synth test test-lowest lint docs plan readme check-templates cfn-lint-templates checkov-templates bench clean diff deploy destroy lock integ

setup: $(VENV)/.installed node_modules/.installed

# The venvs install the exact versions in the lock files, so a new release upstream cannot
# turn a fresh clone red; the package itself keeps the ranges in requirements.txt.
$(VENV)/.installed: requirements-lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-lock.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(TOOLS)/.installed: requirements-tools-lock.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r requirements-tools-lock.txt
	touch $@

# After changing a range in requirements*.txt: resolve the ranges again into the locks.
LOCK := $(TOOLS)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(TOOLS)/.installed
	$(LOCK) --output-file=requirements-lock.txt requirements-dev.txt
	$(LOCK) --output-file=requirements-tools-lock.txt requirements-tools.txt

# package.json allows the `node` package's install script (it fetches the Node 22 binary);
# should npm ever skip it, the check below fails instead of falling back to the machine's Node.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	node_modules/.bin/node --version | grep -q '^v22\.' || { echo "Node 22 did not install (node package's install script)" >&2; exit 1; }
	touch $@

plan: setup
	$(PY) -m deepseek_cdk.cli plan $(DEPLOYMENT)

# Writes the CLI's real output into the sample blocks of the docs pages (the tests hold them equal).
readme: setup
	$(PY) scripts/update-readme-samples

# Prints the plan, then synthesizes it (with the four cdk-nag packs) into cdk.out.
synth: plan
	rm -rf cdk.out
	npx cdk synth --quiet -c deployment=$(DEPLOYMENT)

# With AWS credentials: what a deploy would change, the deploy itself, and removing the
# inference stack (the stateful stack is termination-protected on purpose; see the README, "Quick start").
diff: setup
	npx cdk diff -c deployment=$(DEPLOYMENT)

deploy: synth
	npx cdk deploy --all -c deployment=$(DEPLOYMENT)

destroy: setup
	npx cdk destroy "$$($(PY) -c 'import sys; from deepseek_cdk.spec import load_deployment; print(load_deployment(sys.argv[1]).name)' $(DEPLOYMENT))-inference" -c deployment=$(DEPLOYMENT)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy deepseek_cdk app.py

# Every shipped deployment synthesized by app.py (cdk-nag packs included) into
# cdk.out/<file>/, in one process, then cfn-lint (errors and warnings fail) and checkov
# (offline) on all. tests/test_app.py runs the app through the CDK CLI itself.
DEPLOYMENTS := $(wildcard deployments/*.yaml deployments/examples/*.yaml)
check-templates: setup $(TOOLS)/.installed
	rm -rf cdk.out
	$(PY) scripts/synth-templates cdk.out $(DEPLOYMENTS)
	$(MAKE) --no-print-directory -j2 cfn-lint-templates checkov-templates
# The two scanners of check-templates, side by side (each is single-threaded).
cfn-lint-templates:
	$(VENV)/bin/cfn-lint --non-zero-exit-code warning cdk.out/*/*.template.json
checkov-templates:
	$(TOOLS)/bin/checkov -d cdk.out --framework cloudformation --compact --quiet --skip-download

# The documentation site (mkdocs.yml): docs/ into site/; --strict fails on any warning, such as
# a link between pages or an anchor that does not resolve.
docs: setup
	$(VENV)/bin/mkdocs build --strict

# pytest-xdist runs the tests on every core (-n auto); each worker synthesizes its own
# module-scoped fixtures, and the tests write only under their tmp_path.
test: lint docs
	$(PY) -m pytest -n auto
	$(MAKE) --no-print-directory check-templates

# The package's lower bounds: the lock, then requirements-lowest.txt over it, in a venv of
# its own (pip then says cfn-lint wants a newer PyYAML: cfn-lint runs only in check-templates).
# Snapshots (the stacks' and the integ apps') are left out: they hold the templates of the locked versions.
LOWEST := .venv-lowest
test-lowest: node_modules/.installed
	test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet --upgrade pip
	$(LOWEST)/bin/python -m pip install --quiet -r requirements-lock.txt
	$(LOWEST)/bin/python -m pip install --quiet -r requirements-lowest.txt
	$(LOWEST)/bin/python -m pip install --quiet --no-deps -e .
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(LOWEST)/bin:$$PATH" $(LOWEST)/bin/python -m pytest -n auto -p no:cacheprovider --ignore=tests/stacks/test_snapshots.py \
	  --deselect tests/integ/test_integ_apps.py::test_integ_app_snapshot

# With AWS credentials, in an account: each integ/integ_*.py case (its deployment and the
# integ-tests-alpha assertion stack, whose custom resources call the deployed system) is
# deployed, asserted and destroyed. It first prints the most the run can cost (the plan's
# hourly prices x max instances x INTEG_HOURS) and stops above $5 unless YES=1. The CDK CLI
# deploys it: integ-runner 2.197.10 cannot read this aws-cdk-lib's cloud assembly (schema 55).
# The stacks are destroyed even when an assertion fails; the stateful stacks' bucket, key and
# model registry are retained, as in every deployment. Offline, tests/integ checks the apps.
INTEG_HOURS ?= 2
INTEG_CASES ?= $(patsubst integ/integ_%.py,%,$(wildcard integ/integ_*.py))
integ: setup
	$(PY) -m integ.cases --hours $(INTEG_HOURS)
	status=0; for c in $(INTEG_CASES); do \
	  app="$(PY) integ/integ_$$c.py"; \
	  npx cdk deploy --all --app "$$app" -o cdk.out/integ-$$c --require-approval never || status=1; \
	  npx cdk destroy --all --app "$$app" -o cdk.out/integ-$$c --force || status=1; \
	done; exit $$status

bench: setup
	$(PY) -m benchmarks.bench_plan
	$(PY) -m benchmarks.bench_synth
	$(PY) -m benchmarks.bench_simulate

clean:
	rm -rf cdk.out site .pytest_cache .mypy_cache .ruff_cache .hypothesis
