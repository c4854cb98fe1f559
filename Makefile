# leadloop — build, lint and test.
#
#   make setup      .venv (Python 3.13, the project + dev tools), .venv-sam (SAM CLI + cfn-lint),
#                   .venv-checkov (checkov) and node_modules (asl-validator); idempotent and fast
#   make demo       the whole loop on a fresh local stack (`leadloop dev demo`)
#   make test       setup, build, then every test under tests/   <- the README's test command
#   make lint       ruff, ruff format --check, mypy, then `make validate` and checkov on the template
#   make validate   template-only checks: sam validate --lint, cfn-lint, asl-validator
#   make build      sam build (arm64, no container) into .aws-sam/build
#   make deploy     leadloop preflight, build, then sam deploy with samconfig.toml   [STAGE=dev|prod] [GUIDED=1]
#   make bench      every bench/*.py script
#
# Every target works from a fresh clone: the ones that need a tool set it up first.
# Python 3.13 is found as described at FIND_PY313 below; set PYTHON313=/path/to/python3.13 to choose.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

TEMPLATE      := infra/template.yaml
BUILD_DIR     := .aws-sam/build
VENV          := .venv
SAM_VENV      := .venv-sam
CHECKOV_VENV  := .venv-checkov
STAGE         ?= dev
# samconfig.toml's section for the stage: dev is the `default` section.
SAM_CONFIG_ENV = $(if $(filter dev,$(STAGE)),default,$(STAGE))
PYTEST_ARGS   ?=
# Test processes: most tests wait on the local stack (I/O), so more processes than cores pay off;
# tests/conftest.py groups tests by module (one local stack per module and process).
PYTEST_WORKERS ?= 4

# pip: quiet, no version nag. Some machines' pip.conf lists local wheel folders that may be absent;
# drop pip's "Location ... is ignored" warnings about them (pip's exit status still counts).
PIP_FLAGS := --disable-pip-version-check --no-input -q
PIP_FILTER := 2>&1 | { grep -v "^WARNING: Location '.*' is ignored" || true; }

# --------------------------------------------------------------------------- Python 3.13
# First interpreter that really is 3.13 (a pyenv shim that answers "command not found" is skipped):
# $PYTHON313, python3.13 on PATH, pyenv's 3.13 (newest), uv's managed 3.13, the one .ci/run builds
# from Debian's source package ($LEADLOOP_PYTHON_PREFIX), python3.
define FIND_PY313
for c in "$${PYTHON313:-}" python3.13 \
    $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV) \
    $$( (command -v uv || ls "$$HOME/.local/bin/uv" || ls "$$HOME/.cargo/bin/uv") 2>/dev/null | head -1 | \
        while read -r uv; do "$$uv" python find 3.13 2>/dev/null; done) \
    $$(ls -d "$${UV_PYTHON_INSTALL_DIR:-$$HOME/.local/share/uv/python}"/cpython-3.13*/bin/python3.13 2>/dev/null | sort -rV) \
    "$${LEADLOOP_PYTHON_PREFIX:-$$HOME/.local/share/leadloop/python3.13}/bin/python3.13" \
    python3; do \
  [ -n "$$c" ] || continue; \
  "$$c" -c 'import sys; assert sys.version_info[:2] == (3, 13); print(getattr(sys, "_base_executable", "") or sys.executable)' \
    2>/dev/null && break; \
done; true
endef
PY313 := $(shell $(FIND_PY313))
PY313_BIN := $(patsubst %/,%,$(dir $(PY313)))
# Sub-makes (lint, setup) take the answer instead of searching again.
export PYTHON313 := $(PY313)

define NO_PY313_MSG
error: Python 3.13 not found. leadloop's Lambdas run on python3.13 and the tests and `sam build` need it.
  Install it with one of:   pyenv install 3.13   |   uv python install 3.13   |   your OS's python3.13 package
  or point at one:          make PYTHON313=/path/to/python3.13 ...
  (looked for: $$PYTHON313, python3.13 on PATH, $${PYENV_ROOT:-~/.pyenv}/versions/3.13*, uv's 3.13,
   $${LEADLOOP_PYTHON_PREFIX:-~/.local/share/leadloop/python3.13}, python3; .ci/run can build one)
endef
export NO_PY313_MSG
need-py313 = @if [ -z "$(PY313)" ]; then echo "$$NO_PY313_MSG" >&2; exit 1; fi

# --------------------------------------------------------------------------- environment
# Local targets never talk to AWS: pin a region and fake credentials so nothing can reach a real
# account (moto, sam validate/build). `deploy` does not get these.
LOCAL_ENV := env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN \
  AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  SAM_CLI_TELEMETRY=0
export SAM_CLI_TELEMETRY = 0
# $(call local,CMD): echo CMD, then run it with LOCAL_ENV.
local = @echo '+ $(strip $(1))'; $(LOCAL_ENV) $(1)
# sam build's Python builder runs the runtime's interpreter (python3.13) from PATH.
SAM_PATH := PATH="$(PY313_BIN):$$PATH"

# --------------------------------------------------------------------------- stamps
VENV_STAMP    := $(VENV)/.leadloop-setup
SAM_STAMP     := $(SAM_VENV)/.leadloop-setup
CHECKOV_STAMP := $(CHECKOV_VENV)/.leadloop-setup
NODE_STAMP    := node_modules/.leadloop-setup

# ELF e_machine 183 = AArch64; any other native library would crash on the arm64 Lambda runtime.
define CHECK_ARM64
import pathlib, sys
bad = []
for p in pathlib.Path(sys.argv[1]).rglob("*.so*"):
    head = p.read_bytes()[:20] if p.is_file() else b""
    if head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") != 183:
        bad.append(str(p))
if bad:
    sys.exit("error: native libraries not built for arm64:\n  " + "\n  ".join(bad))
print(f"+ arm64 check: every native library under {sys.argv[1]} is AArch64")
endef
export CHECK_ARM64

ASL_FILES   := $(wildcard infra/statemachines/*.asl.json infra/statemachines/*.asl.yaml)
BENCH_FILES := $(wildcard bench/*.py)

.PHONY: help setup setup-envs distclean demo test lint validate build deploy bench clean python \
        lint-ruff lint-format lint-mypy checkov sam-validate cfn-lint asl-validate

help:
	@sed -n '3,13p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

python: ## print the Python 3.13 the Makefile uses (fails when there is none)
	$(need-py313)
	@echo "$(PY313)"

# --------------------------------------------------------------------------- setup
SETUP_STAMPS := $(VENV_STAMP) $(SAM_STAMP) $(CHECKOV_STAMP) $(NODE_STAMP)

# The four environments are independent: make them side by side (each one's output kept together).
setup:
	@$(MAKE) --no-print-directory -q setup-envs 2>/dev/null || $(MAKE) --no-print-directory -j4 --output-sync=target setup-envs

setup-envs: $(SETUP_STAMPS)

# Recreate a venv that is missing or not on 3.13; otherwise just (re)install into it.
define MAKE_VENV
	if ! $(1)/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then \
	  echo "--> creating $(1) with $(PY313)"; rm -rf $(1); "$(PY313)" -m venv $(1); fi
endef

$(VENV_STAMP): pyproject.toml layers/common/requirements.txt
	$(need-py313)
	@$(call MAKE_VENV,$(VENV))
	@echo "--> $(VENV): pip install -e '.[dev]'"
	@$(VENV)/bin/pip install $(PIP_FLAGS) -e '.[dev]' $(PIP_FILTER)
	@touch $@

$(SAM_STAMP): requirements-sam.txt
	$(need-py313)
	@$(call MAKE_VENV,$(SAM_VENV))
	@echo "--> $(SAM_VENV): pip install -r requirements-sam.txt"
	@$(SAM_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-sam.txt $(PIP_FILTER)
	@touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	$(need-py313)
	@$(call MAKE_VENV,$(CHECKOV_VENV))
	@echo "--> $(CHECKOV_VENV): pip install -r requirements-checkov.txt"
	@$(CHECKOV_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-checkov.txt $(PIP_FILTER)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 20+ (it brings npm) for asl-validator" >&2; exit 1; }
	@echo "--> node_modules: npm ci"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# --------------------------------------------------------------------------- run
demo: setup
	$(call local,$(VENV)/bin/leadloop dev demo)

test: setup build
	$(call local,$(VENV)/bin/pytest tests -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS))

bench: setup
	@if [ -z "$(BENCH_FILES)" ]; then echo "bench: no bench/*.py scripts yet"; exit 0; fi; \
	rc=0; for f in $(BENCH_FILES); do \
	  echo "==> $$f"; $(LOCAL_ENV) $(VENV)/bin/python "$$f" || { echo "FAILED: $$f" >&2; rc=1; }; \
	done; exit $$rc

# --------------------------------------------------------------------------- lint
# Every check runs (make -k) so one report shows all problems; the target fails if any failed.
lint:
	@$(MAKE) --no-print-directory -k lint-ruff lint-format lint-mypy sam-validate cfn-lint asl-validate checkov \
	  || { echo "lint: FAILED (see the errors above)" >&2; exit 1; }
	@echo "lint: all checks passed"

validate:
	@$(MAKE) --no-print-directory -k sam-validate cfn-lint asl-validate \
	  || { echo "validate: FAILED (see the errors above)" >&2; exit 1; }
	@echo "validate: all template checks passed"

lint-ruff: $(VENV_STAMP)
	$(VENV)/bin/ruff check .

lint-format: $(VENV_STAMP)
	$(VENV)/bin/ruff format --check .

lint-mypy: $(VENV_STAMP)
	@dirs=$$(for d in layers/common functions cli tests; do \
	  [ -n "$$(find $$d -name '*.py' -print -quit 2>/dev/null)" ] && echo $$d; done); \
	echo "+ $(VENV)/bin/mypy" $$dirs; $(VENV)/bin/mypy $$dirs

sam-validate: $(SAM_STAMP)
	$(call local,$(SAM_VENV)/bin/sam validate --lint -t $(TEMPLATE))

cfn-lint: $(SAM_STAMP)
	$(call local,$(SAM_VENV)/bin/cfn-lint $(TEMPLATE))

asl-validate: $(NODE_STAMP)
	@if [ -z "$(ASL_FILES)" ]; then echo "asl-validator: no infra/statemachines/*.asl.json yet"; exit 0; fi; \
	rc=0; for f in $(ASL_FILES); do \
	  case "$$f" in *.yaml) opt=--yaml-path;; *) opt=--json-path;; esac; \
	  node_modules/.bin/asl-validator $$opt "$$f" || rc=1; \
	done; exit $$rc

# --skip-download: no Prisma Cloud calls (guidelines, severities); the scan itself is offline.
checkov: $(CHECKOV_STAMP)
	$(call local,$(CHECKOV_VENV)/bin/checkov --file $(TEMPLATE) --framework cloudformation --skip-download --compact --quiet)

# --------------------------------------------------------------------------- build and deploy
# Data the layer never reads (geocoder/carrier tables, translations): see infra/layer-trim.txt.
define trim-layer
@grep -v '^#' infra/layer-trim.txt | while read -r path; do \
  [ -n "$$path" ] && rm -rf "$(BUILD_DIR)/CommonLayer/python/$$path"; done; true
@echo "+ CommonLayer trimmed to $$(du -sh $(BUILD_DIR)/CommonLayer | cut -f1)"
endef

build: $(SAM_STAMP)
	$(need-py313)
	$(call local,$(SAM_PATH) $(SAM_VENV)/bin/sam build -t $(TEMPLATE) --build-dir $(BUILD_DIR) --cached --parallel)
	$(trim-layer)
	@# The functions run on arm64: fail if any native library in the build is for another machine.
	@$(SAM_VENV)/bin/python -c "$$CHECK_ARM64" $(BUILD_DIR)

# Real AWS, with your own credentials/profile/region and samconfig.toml's section for STAGE
# (dev: stack leadloop-dev; prod: leadloop-prod, changeset confirmed by hand). GUIDED=1 asks first.
# `leadloop preflight` (read-only) runs first and stops the deploy on a blocker. A CloudFormation
# update or rollback that touches RoutingParameter's properties rewrites its value, so the live
# routing is saved before `sam deploy` and put back after it (also after a failed deploy) if it changed.
ROUTING_BACKUP = .aws-sam/routing-backup-$(STAGE).json
# --stack-name/--region/--profile from samconfig.toml's section, as `sam deploy --config-env` uses them.
DEPLOY_TARGET = $(shell $(VENV)/bin/python -m leadloop_cli.preflight.samtarget $(SAM_CONFIG_ENV))

deploy: $(SAM_STAMP) $(VENV_STAMP)
	$(need-py313)
	@case "$(STAGE)" in dev|prod) ;; *) echo "error: STAGE must be dev or prod" >&2; exit 1;; esac
	$(VENV)/bin/leadloop preflight --config-env $(SAM_CONFIG_ENV)
	$(SAM_PATH) $(SAM_VENV)/bin/sam build --config-env $(SAM_CONFIG_ENV)
	$(trim-layer)
	@$(SAM_VENV)/bin/python -c "$$CHECK_ARM64" $(BUILD_DIR)
	$(VENV)/bin/leadloop routing backup $(ROUTING_BACKUP) $(DEPLOY_TARGET)
	@rc=0; \
	echo "+ $(SAM_VENV)/bin/sam deploy --config-env $(SAM_CONFIG_ENV) $(if $(GUIDED),--guided)"; \
	$(SAM_VENV)/bin/sam deploy --config-env $(SAM_CONFIG_ENV) $(if $(GUIDED),--guided) || rc=$$?; \
	echo "+ $(VENV)/bin/leadloop routing restore $(ROUTING_BACKUP) $(DEPLOY_TARGET)"; \
	$(VENV)/bin/leadloop routing restore $(ROUTING_BACKUP) $(DEPLOY_TARGET) || { rc=1; \
	  echo "error: put the routing back with: $(VENV)/bin/leadloop routing restore $(ROUTING_BACKUP) $(DEPLOY_TARGET)" >&2; }; \
	exit $$rc

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis

distclean: clean
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) node_modules
