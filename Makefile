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

.PHONY: run test lint typecheck pytest fedify-peer clean

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

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy federation storage actors inbox outbox content api web staffroom bench

pytest: $(VENV)/.installed-dev fedify-peer
	$(BIN)/pytest -q -n 4 --dist loadfile

test: lint typecheck pytest

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
