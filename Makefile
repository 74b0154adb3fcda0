# The README's promises: `make run` serves the app with demo data, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.12 >/dev/null 2>&1 && echo python3.12 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt install install-dev migrate demo messages lock lock-check audit bench-import bench-api bench-export bench-orders bench-slow-clients bench-hostile bench-scale clean

# Installs come from the lock files, every package pinned with its hashes (pip refuses anything else).
# requirements.txt and requirements-dev.txt are what people edit (direct dependencies, pinned);
# `make lock` turns them into requirements.lock and requirements-dev.lock (universal: every platform
# and Python >= 3.12), keeping the versions already locked unless an edit needs others.
LOCK_PYTHON := 3.12
UV := $(VENV)/bin/uv
UV_COMPILE := $(UV) pip compile --universal --python-version $(LOCK_PYTHON) --generate-hashes --quiet \
	--custom-compile-command "make lock"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock $(VENV)/bin/activate
	$(PIP) install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements.lock requirements-dev.lock $(VENV)/.installed
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The compiled catalogs are committed; recompile when GNU gettext is available.
messages: $(VENV)/.installed
	@if command -v msgfmt >/dev/null 2>&1; then $(PY) manage.py compilemessages --ignore=.venv -v 0; fi

migrate: install messages
	$(PY) manage.py migrate --noinput -v 0

demo: migrate
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py load_demo

run: demo
	$(PY) manage.py devserver $(HOST):$(PORT)

test: install-dev messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v 1

# uv is pinned in requirements-dev.txt; bootstrapped from there, so `make lock` works before any install.
$(UV): requirements-dev.txt $(VENV)/bin/activate
	$(PIP) install --quiet "$$(grep -E '^uv==' requirements-dev.txt)"
	touch $@

lock: $(UV)
	$(UV_COMPILE) requirements.txt -o requirements.lock
	$(UV_COMPILE) requirements-dev.txt -c requirements.lock -o requirements-dev.lock

# Fails when an edit of requirements*.txt has not been locked yet (CI runs it).
lock-check: $(UV)
	@tmp=$$(mktemp -d); cp requirements.lock requirements-dev.lock $$tmp/; \
	$(UV_COMPILE) requirements.txt -o $$tmp/requirements.lock && \
	$(UV_COMPILE) requirements-dev.txt -c requirements.lock -o $$tmp/requirements-dev.lock && \
	if diff -q requirements.lock $$tmp/requirements.lock >/dev/null && diff -q requirements-dev.lock $$tmp/requirements-dev.lock >/dev/null; \
	then echo "lock files are up to date"; rm -rf $$tmp; \
	else echo "requirements*.txt changed since the lock files were made: run make lock"; rm -rf $$tmp; exit 1; fi

audit: install-dev
	$(PY) .ci/audit_dependencies.py

fmt: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench-import: install-dev
	$(PY) bench/import_bench.py

bench-api: install-dev
	$(PY) bench/api_bench.py

bench-export: install-dev
	$(PY) bench/export_bench.py $(BENCH_ARGS)

bench-orders: install-dev
	$(PY) bench/orders_bench.py $(BENCH_ARGS)

bench-slow-clients: install-dev
	$(PY) bench/slow_clients_bench.py $(BENCH_ARGS)

bench-hostile: install-dev
	$(PY) bench/hostile_files_bench.py $(BENCH_ARGS)

# The catalogue at 950,000 offers on PostgreSQL (issue 12): listing, search, facets, admin, a 200k import.
bench-scale: install-dev
	$(PY) bench/scale_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
