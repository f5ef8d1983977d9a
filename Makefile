# Evaluation reports for municipal IT promotion plans. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_VENV := .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	@touch $@

# The machines set PYTHONDONTWRITEBYTECODE=1: compile the package once, or every report kernel
# pays the compile cost again (compileall only rewrites what changed).
compile: $(STAMP)
	@$(BIN)/python -m compileall -q src

venv: $(STAMP) ## Create .venv and install the project with its pinned dependencies

report: compile system-deps ## Build every report into reports/ (set-up included)
	$(BIN)/plan-report build

validate: $(STAMP) ## Check the bundled data and report every problem
	$(BIN)/plan-report validate

system-deps: ## Install Debian's chromium and Japanese fonts for browser tests and PDFs (when missing)
	@scripts/system-deps.sh

test: compile system-deps ## Lint, check the import layers and run the whole test suite, browser tests included (set-up included)
	$(BIN)/ruff check src tests notebooks scripts
	$(BIN)/ruff format --check src tests notebooks scripts
	$(BIN)/lint-imports
	$(BIN)/pytest

$(LAB_STAMP): pyproject.toml constraints.txt
	@test -x $(LAB_VENV)/bin/python || $(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install --quiet -c constraints.txt -e ".[lab]"
	@# open the jupytext notebooks (notebooks/*.py) as notebooks by default
	@mkdir -p $(LAB_VENV)/share/jupyter/lab/settings
	@printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}' \
		> $(LAB_VENV)/share/jupyter/lab/settings/overrides.json
	@touch $@

lab: $(LAB_STAMP) ## Open JupyterLab on notebooks/ (its Python 3 kernel has the project installed)
	cd notebooks && ../$(LAB_VENV)/bin/jupyter lab

bench: compile ## Time the build against the stock papermill + nbconvert CLIs
	$(BIN)/python scripts/bench.py

format: $(STAMP) ## Format the code and sync the paired notebooks
	$(BIN)/ruff format src tests notebooks scripts
	$(BIN)/ruff check --fix src tests notebooks scripts

clean: ## Remove build output and caches (keeps the virtual environments)
	rm -rf reports/* build .pytest_cache .ruff_cache .hypothesis tests/artifacts
	find . -name __pycache__ -not -path "./.venv*" -prune -exec rm -rf {} +

distclean: clean ## Also remove the virtual environments
	rm -rf $(VENV) $(LAB_VENV)

.PHONY: help venv compile report validate system-deps test lab bench format clean distclean
