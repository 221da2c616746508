# Logic lives in the code; these are one-line entry points.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-1

.PHONY: demo test bench lint check

# compat editable mode: a plain path entry, no import hook (the hook costs ~14 ms per start)
$(STAMP): pyproject.toml
	python3 -m venv $(VENV) && $(PY) -m pip install -q -e '.[test]' --config-settings editable_mode=compat && touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/bptutor solve ex2

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) scripts/bench.py

lint: $(STAMP)
	$(PY) -m compileall -q tutor tests scripts

check: lint test
