# Evaluation reports for municipal IT promotion plans. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_VENV := .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed
WORK_DIR := work

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

test: compile system-deps $(LAB_STAMP) ## Lint, check the import layers and run the whole test suite, browser tests included (set-up included)
	$(BIN)/ruff check src tests notebooks scripts
	$(BIN)/ruff format --check src tests notebooks scripts
	$(BIN)/lint-imports
	$(BIN)/pytest

# JupyterLab for analysts, apart from the lean build environment (.venv): its dependencies add
# about a second of imports to every process. `helpers.lab install` writes its settings
# (Japanese, offline charts in every kernel, root allowed, jupytext pairing); see src/helpers/lab.py.
$(LAB_STAMP): pyproject.toml constraints.txt src/helpers/lab.py
	@test -x $(LAB_VENV)/bin/python || $(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install --quiet -c constraints.txt -e ".[lab]"
	$(LAB_VENV)/bin/python -m helpers.lab install >/dev/null
	@$(LAB_VENV)/bin/python -m compileall -q src
	@touch $@

lab-venv: $(LAB_STAMP) ## Create .venv-lab (JupyterLab in Japanese, the project installed) without starting it

lab: $(LAB_STAMP) ## Open JupyterLab on work/ (your working copies of the notebooks; charts offline)
	@$(LAB_VENV)/bin/python -m helpers.lab prepare --root .
	$(LAB_VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/$(WORK_DIR)

bench: compile ## Profile the build per phase; time it against the stock papermill + nbconvert CLIs (writes build/bench.md)
	$(BIN)/python scripts/bench.py

screenshot: $(STAMP) ## Redraw the README's picture of the plan 2 report (docs/report-plan-2.png) from reports/
	$(BIN)/python scripts/readme_screenshot.py

format: $(STAMP) ## Format the code and sync the paired notebooks
	$(BIN)/ruff format src tests notebooks scripts
	$(BIN)/ruff check --fix src tests notebooks scripts

clean: ## Remove build output and caches (keeps the virtual environments)
	rm -rf reports/* build .pytest_cache .ruff_cache .hypothesis tests/artifacts
	find . -name __pycache__ -not -path "./.venv*" -prune -exec rm -rf {} +

distclean: clean ## Also remove the virtual environments
	rm -rf $(VENV) $(LAB_VENV)

.PHONY: help venv compile report validate system-deps test lab lab-venv bench screenshot format clean distclean
