# Lantern: `make run` to try it, `make test` to test it, `make lint` to check its style, `make bench` to measure it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export LANTERN_DEMO ?= 1
export LANTERN_DEMO_PASSWORD ?= riverton-demo-2026

.PHONY: run test lint bench fuzz install assets lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements/lock.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lantern/static/lantern/lantern.css: node_modules/.installed $(shell find frontend -type f 2>/dev/null)
	node frontend/build.mjs

install: $(VENV)/.installed
assets: lantern/static/lantern/lantern.css

# The demo's field key, made once: narratives are encrypted with it, so it is never replaced (docs/decisions/0018).
run: install assets
	$(BIN)/lantern field_key --create
	$(BIN)/lantern migrate --no-input
	$(BIN)/lantern demo --if-empty
	$(BIN)/lantern serve

test: install assets
	$(BIN)/pytest -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Schemathesis over the whole API for every role, with every check and phase and its own default number of examples
# (the suite runs a bounded sweep for two roles). Set DATABASE_URL to fuzz PostgreSQL; each role's output is kept
# in var/fuzz/.
fuzz: install
	LANTERN_FUZZ=full LANTERN_FUZZ_OUT=var/fuzz $(BIN)/pytest -n 0 -p no:logging lantern/core/tests/test_api_contract.py

bench: install assets
	$(BIN)/lantern field_key --create
	$(BIN)/python bench/run_all.py

lock: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.in
	(echo '# Pinned versions of everything in requirements/dev.in (which includes base.in). Regenerate with `make lock`.'; \
	 $(BIN)/pip freeze --exclude-editable) > requirements/lock.txt

clean:
	rm -rf $(VENV) node_modules lantern/static/lantern var
