# Dossier: `make run` starts the app, `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python
UV := .venv/bin/uv

.PHONY: venv node run test bench lint format lock audit

.venv/.synced: requirements.lock
	test -x $(PY) || python3 -m venv .venv
	test -x $(UV) || .venv/bin/pip install -q uv==0.13.8
	$(UV) pip sync -q --python $(PY) requirements.lock
	touch $@

venv: .venv/.synced

# Front-end packages from npm, as package-lock.json pins them (axe-core checks
# the pages in the browser tests). Again whenever the lock changes.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm > /dev/null || { echo "npm is missing: apt-get install nodejs npm" >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

node: node_modules/.package-lock.json

lock:
	$(UV) pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 -q -o requirements.lock

# Both find or start PostgreSQL and Redis the same way (scripts/services.py).
run: venv node
	$(PY) scripts/run.py

# The layers first (import-linter, as `make lint`), then pytest.
# Redis database 1, so tests never share keys with `make run` (database 0).
# pytest's "no tests collected" (exit 5) counts as a failure.
# The test process runs the workers' code in process (imports, takedowns of
# 25,000 targets), so it takes the workers' statement timeout; the web timeout
# is proven on gunicorn (tests/core/test_slow_requests.py).
test: venv node
	.venv/bin/lint-imports --no-logo
	@DEBUG=1 DOSSIER_PROCESS=worker $(PY) scripts/services.py exec --redis-db 1 -- $(PY) -m pytest $(PYTEST_ARGS); \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

# The alerts API's accept rate against a bare COPY, on a database and a
# gunicorn of its own (BENCH_ARGS="--n 50000" to change).
# The accept figures, then end to end (POST to case, with the naive baseline),
# then the case page's server times at campaign size (PAGES_BENCH_ARGS="--scale 0.1"),
# then the audit export against COPY and its memory (EXPORT_BENCH_ARGS="--events 100000").
bench: venv
	$(PY) scripts/services.py exec -- $(PY) bench/ingest.py --accept-only $(BENCH_ARGS)
	$(PY) scripts/services.py exec -- $(PY) bench/ingest.py $(BENCH_ARGS) $(IMPORT_BENCH_ARGS)
	$(PY) scripts/services.py exec -- $(PY) bench/pages.py $(PAGES_BENCH_ARGS)
	$(PY) scripts/services.py exec -- $(PY) bench/export.py $(EXPORT_BENCH_ARGS)

# The locked Python and npm packages against the public advisory databases;
# says apart "no known vulnerability" and "could not be asked" (exit 2).
audit: venv node
	$(PY) scripts/audit_dependencies.py

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-logo

format: venv
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
