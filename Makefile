# Logic lives in the code; these are one-line entry points.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-0

.PHONY: demo test bench lint check

$(STAMP): pyproject.toml
	python3 -m venv $(VENV) && $(PY) -m pip install -q -e '.[test]' && touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/bptutor solve ex2

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) scripts/bench.py

lint: $(STAMP)
	$(PY) -m compileall -q tutor tests scripts

check: lint test
