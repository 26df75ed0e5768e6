# The two commands a new user needs are `make run` and `make test`; both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEPS := $(VENV)/.deps
INSTALLED := $(VENV)/.installed
# The newest official SDK release gets a virtualenv of its own for the compatibility suite.
SDK_VENV := .venv-sdk-latest
SDK_INSTALLED := $(SDK_VENV)/.installed
pinned = $(shell sed -n 's/^letta-client==//p' $(1))
GENERATED := generated/client/setup.py
HOST ?= 127.0.0.1
PORT ?= 8283

.PHONY: install run test lint fuzz bench generate check-generated lock clean

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

$(SDK_INSTALLED): requirements.lock tests/compat/latest-sdk.txt $(GENERATED)
	test -x $(SDK_VENV)/bin/python || $(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install --quiet -r requirements.lock
	$(SDK_VENV)/bin/python -m pip install --quiet -r tests/compat/latest-sdk.txt
	$(SDK_VENV)/bin/python -m pip install --quiet --no-deps -e . -e generated/client
	touch $@

# Regenerates every time: it takes seconds, the output is byte-identical for the same spec, and
# so any part of generated/ that went missing comes back.
generate: | $(DEPS)
	codegen/generate.sh generated

# Only when it is missing: the client must exist before it is installed.
$(GENERATED): | $(DEPS)
	codegen/generate.sh generated

check-generated: | $(DEPS)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && codegen/generate.sh "$$tmp" \
		&& diff -r -x '*.egg-info' -x __pycache__ generated "$$tmp" \
		&& echo "generated/ matches openapi.yaml"

run: $(INSTALLED)
	$(BIN)/python -m server_impl migrate
	$(BIN)/python -m server_impl serve --host $(HOST) --port $(PORT)

test: $(INSTALLED) $(SDK_INSTALLED)
	LETTA_CLIENT_EXPECTED=$(call pinned,requirements.lock) $(BIN)/python -m pytest
	LETTA_CLIENT_EXPECTED=$(call pinned,tests/compat/latest-sdk.txt) \
		$(SDK_VENV)/bin/python -m pytest tests/compat

# Long contract fuzzing; SEED=N replays a run, FUZZ_EXAMPLES=N changes the budget.
fuzz: $(INSTALLED)
	$(BIN)/python -m tests.contract.fuzz --max-examples $(or $(FUZZ_EXAMPLES),1200) \
		$(if $(SEED),--seed $(SEED))

# This server beside its FastAPI peer and the bare-Starlette floor; BENCH_ARGS=--big adds 10^6 rows.
bench: $(INSTALLED)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check server_impl tests bench
	$(BIN)/ruff format --check server_impl tests bench
	$(BIN)/python -m mypy server_impl

# Re-resolve every dependency from pyproject.toml and pin the whole tree.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude letta-conversations-server > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(SDK_VENV) var
