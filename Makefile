# StoreChat: `make demo` runs it with a demo store; `make test` runs the tests.
# Both create .venv and install what they need on first use; `make lint` runs ruff and mypy (as CI does).
# `make wp-plugin` builds the WordPress plugin zip (Plugins → Add New → Upload Plugin).

# The first Python 3.11+ that really runs (pyenv shims may exist for versions that are not active).
PYTHON ?= $(shell for p in python3 python3.12 python3.11; do $$p -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
WP_PLUGIN_ZIP ?= dist/storechat-wordpress.zip

STAMP := $(VENV)/.installed

.PHONY: demo serve test lint install clean wp-plugin

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "StoreChat needs Python 3.11 or newer (3.11 and 3.12 have wheels for the embedded Redis)"; exit 1; }
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

# Settings in pyproject.toml ([tool.ruff], [tool.mypy]); .ci/run runs this before the tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check core connectors
	$(VENV)/bin/ruff format --check core connectors
	$(VENV)/bin/mypy core connectors

wp-plugin:
	@test -n "$(PYTHON)" || { echo "building the plugin zip needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) theme_snippets/wordpress/build_zip.py $(WP_PLUGIN_ZIP)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
