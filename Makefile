# One entry point for a fresh clone: `make demo` and `make test` set up everything they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
LOCAL := $(CURDIR)/.local
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

# Ports of the local services (override on the command line or in the environment).
export FINOPS_PG_PORT ?= 54329
export FINOPS_KMS_PORT ?= 54330
export FINOPS_SIMULATOR_PORT ?= 54331
export FINOPS_AIRFLOW_PORT ?= 54380
export FINOPS_LOCAL_DIR := $(LOCAL)
export FINOPS_PROJECT_DIR := $(CURDIR)

# The local Airflow: configured entirely through the environment.
export AIRFLOW_HOME := $(LOCAL)/airflow
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN ?= postgresql+psycopg2://finops:finops@127.0.0.1:$(FINOPS_PG_PORT)/airflow
export AIRFLOW__CORE__EXECUTOR ?= LocalExecutor
export AIRFLOW__CORE__PARALLELISM ?= 4
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__AUTH_MANAGER ?= airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS ?= admin:admin,viewer:viewer
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE ?= $(LOCAL)/passwords.json
export AIRFLOW__API__HOST ?= 127.0.0.1
export AIRFLOW__API__PORT ?= $(FINOPS_AIRFLOW_PORT)
export AIRFLOW__API__BASE_URL ?= http://127.0.0.1:$(FINOPS_AIRFLOW_PORT)
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL ?= http://127.0.0.1:$(FINOPS_AIRFLOW_PORT)/execution/
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION ?= True
export AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL ?= 30
export AIRFLOW__API__EXPOSE_CONFIG ?= False
export AIRFLOW__METRICS__STATSD_ON ?= False
export AIRFLOW__WEBSERVER__WARN_DEPLOYMENT_EXPOSURE := False
export NO_PROXY := 127.0.0.1,localhost
export no_proxy := 127.0.0.1,localhost

.PHONY: help venv install pg-start pg-stop pg-status airflow-db settings setup up down status demo test lint bench chaos clean env

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip --version >/dev/null
	@test -x $(BIN)/uv || $(BIN)/pip install -q uv==0.13.9
	$(BIN)/uv pip install -q --compile-bytecode --python $(PY) -r requirements.txt -r requirements-dev.txt
	$(BIN)/uv pip install -q --python $(PY) --no-deps -e .
	@$(PY) -m compileall -q finops dags plugins >/dev/null
	@touch $@

venv: $(VENV)/.installed ## Create the virtual environment (once; again when the pins change)

env: venv ## Write .local/env.sh: `source .local/env.sh` to use finops and airflow by hand
	@mkdir -p $(LOCAL)
	@env | grep -E '^(AIRFLOW_|AIRFLOW__|FINOPS_|NO_PROXY|no_proxy)' | sed -e 's/^/export /' -e "s/=\(.*\)/='\1'/" > $(LOCAL)/env.sh
	@echo 'export PATH="$(BIN):$$PATH"' >> $(LOCAL)/env.sh
	@echo "wrote $(LOCAL)/env.sh"

pg-start: venv ## Start the embedded PostgreSQL (databases airflow and finops)
	@$(PY) -m finops.devenv pg start

pg-stop: venv ## Stop the embedded PostgreSQL
	@$(PY) -m finops.devenv pg stop

pg-status: venv ## Show whether the embedded PostgreSQL runs
	@$(PY) -m finops.devenv pg status

setup: venv env ## Embedded PostgreSQL, Airflow metadata, warehouse schema, settings
	@$(PY) -m finops.devenv setup

up: setup ## Start Airflow (scheduler, dag-processor, triggerer, API server) on 127.0.0.1
	@$(PY) -m finops.devenv airflow up

down: venv ## Stop Airflow and every local service
	@$(PY) -m finops.devenv down

status: venv ## Show the local services
	@$(PY) -m finops.devenv status

demo: venv env ## Set everything up and run the pipeline on the simulator; prints what it loaded
	@$(PY) -m finops.devenv demo

test: venv ## Run every test (starts what the tests need, stops it afterwards)
	@$(BIN)/ruff check .
	@$(PY) -m finops.devenv run-tests -- $(PYTEST_ARGS)

lint: venv ## ruff
	$(BIN)/ruff check .

bench: venv ## Benchmarks (run by hand; prints figures)
	@$(PY) -m finops.devenv run-bench -- $(BENCH_ARGS)

chaos: venv ## The fault matrix: the collection under injected faults, one row per fault (docs/reliability.md)
	@$(PY) -m finops.chaos $(CHAOS_ARGS)

clean: down ## Remove local state (.local) — the embedded database included
	rm -rf $(LOCAL)
