# Logic lives in the code; these are one-line entry points.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-2

.PHONY: demo test bench lint check

# compat editable mode: a plain path entry, no import hook (the hook costs ~14 ms per start)
$(STAMP): pyproject.toml
	python3 -m venv $(VENV) && $(PY) -m pip install -q -e '.[test]' --config-settings editable_mode=compat && touch $(STAMP)

# Independent oracles for tests and peers for the bench, never package dependencies: the CPU
# build of PyTorch only where its wheel is on local disk (a "+cpu" version, which no index
# serves, so elsewhere this fails fast and the torch tests skip), and micrograd.
ORACLES := $(VENV)/.oracles-1
$(ORACLES): $(STAMP)
	-$(PY) -m pip install -q 'torch==2.13.0+cpu' >/dev/null 2>&1
	-$(PY) -m pip install -q micrograd >/dev/null 2>&1
	touch $(ORACLES)

demo: $(STAMP)
	$(VENV)/bin/bptutor solve ex2

# KaTeX for the formula test (tests/test_export.py), in a local, git-ignored node_modules
KATEX := .katex/node_modules/katex/package.json
$(KATEX):
	-npm install --silent --no-audit --no-fund --prefix .katex katex@0.16 >/dev/null

test: $(ORACLES) $(KATEX)
	$(PY) -m pytest

bench: $(ORACLES)
	$(PY) scripts/bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff format --check tutor tests scripts && $(VENV)/bin/ruff check tutor tests scripts \
		&& $(VENV)/bin/lint-imports --no-cache

check: lint test
