# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# A local node by default: plain http on loopback. Set STAFFROOM_DOMAIN (and
# leave ALLOW_HTTP unset) for a real deployment behind TLS.
run: export STAFFROOM_DOMAIN ?= $(HOST):$(PORT)
run: export STAFFROOM_ALLOW_HTTP ?= true

FEDIFY_SRC  := ../shared/fedify-peer
FEDIFY_COPY := build/fedify-peer

.PHONY: run test lint typecheck pytest fedify-peer clean messages chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/staffroom migrate
	$(BIN)/staffroom users ensure-admin
	$(BIN)/staffroom serve --host $(HOST) --port $(PORT)

# The independent Fedify peer runs from a writable, git-ignored copy (shared/ is
# read-only in CI); `npm ci` brings its own Node 24. Absent shared/ → the interop
# tests skip and say why.
fedify-peer:
	@if [ -d $(FEDIFY_SRC) ]; then \
	  if [ ! -f $(FEDIFY_COPY)/.installed ] || ! cmp -s $(FEDIFY_SRC)/package-lock.json $(FEDIFY_COPY)/package-lock.json; then \
	    rm -rf $(FEDIFY_COPY) && mkdir -p $(FEDIFY_COPY) && \
	    cp $(FEDIFY_SRC)/*.mjs $(FEDIFY_SRC)/*.py $(FEDIFY_SRC)/package.json $(FEDIFY_SRC)/package-lock.json $(FEDIFY_COPY)/ && \
	    (cd $(FEDIFY_COPY) && npm ci --no-audit --no-fund --loglevel=error) && touch $(FEDIFY_COPY)/.installed; \
	  else \
	    cp $(FEDIFY_SRC)/*.mjs $(FEDIFY_SRC)/*.py $(FEDIFY_COPY)/; \
	  fi; \
	else echo "no $(FEDIFY_SRC): Fedify interop tests will be skipped"; fi

# The pages' translations: extract every string, update the ru and en catalogs
# (translate the new entries in web/locale/*/LC_MESSAGES/messages.po), compile
# the .mo files. A node compiles a catalog in memory when no fresh .mo exists,
# so a clean checkout works without this step.
LOCALES := web/locale
messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location --sort-output -o $(LOCALES)/messages.pot .
	for lang in ru en; do \
	  if [ -f $(LOCALES)/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang; \
	  else \
	    $(BIN)/pybabel init -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang; \
	  fi; \
	done
	$(BIN)/python tools/fill_catalog.py
	$(BIN)/pybabel compile -d $(LOCALES)

# The browser tests drive Debian's chromium (Playwright's own download is not
# reachable): install it when missing. Needs root, as CI and the dev machines are.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy federation storage actors inbox outbox content api web staffroom bench

# Bytecode is written even where the environment says not to (CI's does): the
# suite starts a few hundred node processes, and compiling our modules afresh
# in each cost 0.7 of the 2.6 CPU-seconds a node's start takes here.
pytest: export PYTHONDONTWRITEBYTECODE =
pytest: $(VENV)/.installed-dev fedify-peer chromium
	$(BIN)/pytest -q -n 6 --dist loadfile

test: lint typecheck pytest

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
