# Propos4l: the verbs people expect. Everything installs itself: Python 3.11 is the only prerequisite.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --frozen
SOURCES := shared/src services/gateway/src services/generator/src services/renderer/src services/backup/src
PYTEST_ARGS ?=

.PHONY: help install run test lint fmt migrate bench docs clean

help: ## list the verbs
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages --python 3.11
	@touch $@

install: .venv/.synced ## install the services and the dev tools from the lock file

run: install ## run the whole system locally (embedded Redis and PostgreSQL unless REDIS_URL / DATABASE_URL are set)
	$(RUN) propos4l run

test: install ## run every test (starts its own throwaway Redis and PostgreSQL)
	$(RUN) pytest $(PYTEST_ARGS)

lint: install ## ruff and mypy, as CI runs them
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy $(SOURCES)

fmt: install ## format and fix what ruff can
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

migrate: install ## apply the database migrations to DATABASE_URL
	$(RUN) propos4l migrate

bench: install ## run the benchmarks in bench/
	@ls bench/*.py >/dev/null 2>&1 && for script in bench/*.py; do $(RUN) python $$script; done || echo "no benchmarks yet"

docs: install ## write the example PDFs in docs/examples/
	$(RUN) python -m propos4l.renderer.sample docs/examples

clean: ## remove the local environments (not the data in .propos4l/)
	rm -rf .venv $(TOOLS)
