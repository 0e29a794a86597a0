# 12345 Hotline Assistant: `make run` starts everything, `make test` runs every test (after `make lint`).
SHELL := /bin/bash
VENV := .venv
ENGINE_VENV := .venv-engine
GW_PY := $(VENV)/bin/python
HOTLINE := $(VENV)/bin/hotline
# uv installs the pinned requirements (in parallel, linked from its cache: seconds on a warm cache).
UV := $(VENV)/bin/uv
UV_INSTALL := $(UV) pip install --quiet
DASHBOARD_JS := channels/dashboard/static/vendor/echarts/echarts.min.js

.PHONY: run test lint setup train bench bench-tickets bench-hot-issues test-unit clean

run: setup
	$(HOTLINE) up

# Lint first: a lint, format or type error fails the run before the long setup and training.
test: lint setup .system-test.stamp
	$(HOTLINE) train
	$(GW_PY) -m pytest

# ruff (lint + format check) over the tree, mypy over the packages in pyproject.toml's [tool.mypy].
lint: $(VENV)/.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-unit: $(VENV)/.stamp $(DASHBOARD_JS) .system-test.stamp
	$(GW_PY) -m pytest -m "not e2e"

bench: setup
	$(GW_PY) bench/chat_latency.py
	$(GW_PY) bench/classify_eval.py
	$(GW_PY) bench/request_type_eval.py
	$(GW_PY) bench/emergency_eval.py
	$(GW_PY) bench/agent_desk.py
	$(GW_PY) bench/everyday_eval.py
	$(GW_PY) bench/kb_eval.py
	$(GW_PY) bench/kb_latency.py

# Needs PostgreSQL (DATABASE_URL or the local test database); drops and recreates the tables.
bench-tickets: setup
	$(GW_PY) bench/tickets_load.py $(if $(DATABASE_URL),--url $(DATABASE_URL))
	$(GW_PY) bench/loop_load.py $(if $(DATABASE_URL),--url $(DATABASE_URL))

# Hot-issue mining (每月一题): time and memory on 4,326 real and 100,000 generated messages, and the
# top 10 issues of the shared contest file (needs ../shared/data; skips without it).
bench-hot-issues: setup
	$(GW_PY) bench/hot_issues.py

setup: $(VENV)/.stamp $(ENGINE_VENV)/.stamp .system-runtime.stamp $(DASHBOARD_JS)

train: setup
	$(HOTLINE) train

# Gateway environment (Python >= 3.11), rebuilt when its requirements change.
$(VENV)/.stamp: requirements/gateway.txt requirements/test.txt pyproject.toml $(UV)
	$(UV_INSTALL) --python $(GW_PY) -r requirements/test.txt
	$(UV_INSTALL) --python $(GW_PY) --no-deps -e .
	touch $@

# The installer itself, with pip, into the gateway environment (pinned in requirements/uv.txt).
$(UV): requirements/uv.txt
	test -x $(GW_PY) || python3 -m venv $(VENV)
	$(GW_PY) -m pip install -q --disable-pip-version-check -r requirements/uv.txt
	touch $@

# Engine environment (Python 3.10, Rasa 3.6), rebuilt when its requirements change.
$(ENGINE_VENV)/.stamp: requirements/engine.txt $(UV)
	test -x $(ENGINE_VENV)/bin/python || "$$(scripts/find-python310.sh)" -m venv $(ENGINE_VENV)
	$(UV_INSTALL) --python $(ENGINE_VENV)/bin/python -r requirements/engine.txt
	touch $@

# The dashboard's charting library (Apache ECharts from npm), served by the gateway itself.
$(DASHBOARD_JS): channels/dashboard/assets/package-lock.json scripts/build-dashboard-assets.sh | .system-runtime.stamp
	scripts/build-dashboard-assets.sh

# Debian packages: espeak-ng and sox at run time; Chromium and a CJK font for the browser tests.
.system-runtime.stamp: scripts/install-system-packages.sh
	scripts/install-system-packages.sh runtime
	touch $@

.system-test.stamp: scripts/install-system-packages.sh
	scripts/install-system-packages.sh test
	touch $@

clean:
	rm -rf $(VENV) $(ENGINE_VENV) models var .system-runtime.stamp .system-test.stamp \
		channels/dashboard/static/vendor channels/dashboard/assets/node_modules
