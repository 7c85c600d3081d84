# Quick start: `make demo` serves the portal on http://127.0.0.1:5000 and
# `make test` runs every test. Both install what is missing first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CKAN := $(BIN)/ckan
PIP := $(BIN)/pip
CONSTRAINTS := requirements/constraints.txt
DEMO_INI := demo/ckan.ini
HOST ?= 127.0.0.1
PORT ?= 5000
PLUGINS_WITH_TABLES := tjportal_search tjportal_developer tjportal_downloads tjportal_feedback

.PHONY: help install services test-db demo-config demo-db demo demo-data serve test conformance bench-search bench-api i18n constraints wheel-check clean-venv

help:
	@echo "make demo   - install, set up and serve the demo portal on http://$(HOST):$(PORT)"
	@echo "make test   - install, set up the test databases and run every test"
	@echo "make i18n   - extract messages and compile the translation catalogues"

# --- installation -----------------------------------------------------------

$(BIN)/activate:
	bash scripts/services.sh install
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel

$(VENV)/.installed: $(BIN)/activate setup.py requirements/base.txt requirements/dev.txt $(CONSTRAINTS)
	$(PIP) install -q -c $(CONSTRAINTS) -r requirements/dev.txt
	$(PIP) install -q -c $(CONSTRAINTS) --no-deps -e .
	touch $@

install: $(VENV)/.installed

services:
	bash scripts/services.sh start

# --- test -------------------------------------------------------------------

test-db: install services
	bash scripts/services.sh databases test --fresh
	$(CKAN) -c test.ini db init >/dev/null
	$(CKAN) -c test.ini datastore set-permissions | bash scripts/services.sh sql datastore_test
	for plugin in $(PLUGINS_WITH_TABLES); do $(CKAN) -c test.ini db upgrade -p $$plugin >/dev/null; done

test: test-db
	$(BIN)/pytest
	$(MAKE) --no-print-directory conformance

# CKAN 2.12.0's own search tests against tjportal_search (conformance/README.md).
conformance: install services
	bash scripts/services.sh databases conformance --fresh
	$(CKAN) -c conformance/test-core.ini db init >/dev/null
	$(CKAN) -c conformance/test-core.ini db upgrade -p tjportal_search >/dev/null
	cd conformance && ../$(BIN)/pytest --ckan-ini=test-core.ini

# --- demo -------------------------------------------------------------------

demo-config: install
	bash scripts/demo-config.sh $(DEMO_INI) $(HOST) $(PORT)

demo-db: install services demo-config
	bash scripts/services.sh databases demo
	$(CKAN) -c $(DEMO_INI) db init >/dev/null
	$(CKAN) -c $(DEMO_INI) datastore set-permissions | bash scripts/services.sh sql datastore_demo
	for plugin in $(PLUGINS_WITH_TABLES); do $(CKAN) -c $(DEMO_INI) db upgrade -p $$plugin >/dev/null; done

demo-data: demo-db
	bash scripts/demo-admin.sh $(DEMO_INI)
	bash scripts/demo-worker.sh $(DEMO_INI) token
	$(CKAN) -c $(DEMO_INI) tjportal load-demo demo/tj-catalog

serve:
	bash scripts/demo-serve.sh $(DEMO_INI) $(HOST) $(PORT)

demo: demo-data serve

# --- benchmarks -------------------------------------------------------------

N ?= 10000
WORKERS ?= 1
bench-search: install services
	bash scripts/services.sh databases bench --fresh
	$(CKAN) -c bench/bench.ini db init >/dev/null
	$(BIN)/python bench/search.py --ini bench/bench.ini -n $(N) --workers $(WORKERS)

ROWS ?= 200000
bench-api: install services
	bash scripts/services.sh databases bench_api --fresh
	$(CKAN) -c bench/api.ini db init >/dev/null
	$(CKAN) -c bench/api.ini datastore set-permissions | bash scripts/services.sh sql datastore_bench_api
	for plugin in $(PLUGINS_WITH_TABLES); do $(CKAN) -c bench/api.ini db upgrade -p $$plugin >/dev/null; done
	$(BIN)/python bench/api.py --ini bench/api.ini --rows $(ROWS)

# --- maintenance ------------------------------------------------------------

i18n: install
	$(BIN)/python setup.py -q extract_messages
	$(BIN)/python setup.py -q update_catalog -l zh_Hans_CN
	$(BIN)/python setup.py -q update_catalog -l en
	$(BIN)/python setup.py -q compile_catalog

constraints: install
	( echo "# Every package version the portal is tested with, made by 'make constraints'."; \
	  $(PIP) freeze --exclude-editable | grep -v -i '^ckanext-tjportal' ) > $(CONSTRAINTS)

wheel-check: install
	bash scripts/wheel-check.sh

clean-venv:
	rm -rf $(VENV)
