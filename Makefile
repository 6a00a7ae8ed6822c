# Two commands on a fresh machine (python3, npm, make): `make synth` and `make test`.
# Each sets itself up; running again when nothing changed installs nothing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPLOYMENT ?= deployments/default.yaml

# Node 22 from the `node` npm package comes first on PATH (the machine's Node 20 makes jsii
# print an end-of-life banner on every import); `npx cdk` is the pinned CDK CLI.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup synth test lint plan bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

plan: setup
	$(PY) -m deepseek_cdk.cli plan $(DEPLOYMENT)

synth: plan

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy deepseek_cdk

test: lint
	$(PY) -m pytest

bench: setup
	$(PY) -m benchmarks.bench_plan

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache .hypothesis
