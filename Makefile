# StoreChat: `make demo` runs it with a demo store; `make test` runs the tests.
# Both create .venv and install what they need on first use.

PYTHON ?= $(shell for p in python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

STAMP := $(VENV)/.installed

.PHONY: demo serve test install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] else "StoreChat needs Python 3.11 or newer (3.11/3.12 have wheels for the embedded Redis)")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip "setuptools>=68" wheel
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/storechat demo --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(VENV)/bin/storechat serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
