# The two commands a new user needs are `make run` and `make test`; both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEPS := $(VENV)/.deps
INSTALLED := $(VENV)/.installed
GENERATED := generated/models/__init__.py
HOST ?= 127.0.0.1
PORT ?= 8283

.PHONY: install run test lint generate check-generated lock clean

install: $(INSTALLED)

# Tools and libraries first; the generated client is installed once it exists.
$(DEPS): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(INSTALLED): $(DEPS) $(GENERATED)
	$(BIN)/python -m pip install --quiet --no-deps -e generated/client
	touch $@

generate: $(GENERATED)

$(GENERATED): openapi.yaml codegen/generate.sh codegen/client.yaml | $(DEPS)
	codegen/generate.sh generated

check-generated: | $(DEPS)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && codegen/generate.sh "$$tmp" \
		&& diff -r -x '*.egg-info' -x __pycache__ generated "$$tmp" \
		&& echo "generated/ matches openapi.yaml"

run: $(INSTALLED)
	$(BIN)/python -m server_impl serve --host $(HOST) --port $(PORT)

test: $(INSTALLED)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check server_impl tests
	$(BIN)/ruff format --check server_impl tests
	$(BIN)/python -m mypy server_impl

# Re-resolve every dependency from pyproject.toml and pin the whole tree.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude letta-conversations-server > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var
