# The two commands a new user needs are `make run` and `make test`; both set up .venv first,
# needing nothing but Python 3.11 or newer. `make lint` also needs Node.js (and npm) for its
# spec linter.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv installs the locks. It is the one thing pip installs, into .venv itself, so that a new
# machine needs nothing but Python; its version is in the stamp's name so that a change reinstalls.
UV_VERSION := 0.13.8
UV := $(BIN)/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
# Bytecode: for `make run`, compiled as uv installs, so that a server's first start compiles
# nothing. For the development tools and the newest SDK, written by each process as it first
# imports a module: compiling every one of a set's 6,000 modules took 9 of the 10 s its install
# took here, and the tests import a fraction of them. Written even where PYTHONDONTWRITEBYTECODE is
# set (this machine sets it), into __pycache__/ folders, which git ignores: otherwise every
# process compiles what it imports on every start, and every pytest worker rewrites the
# assertions of every test module (its collection took 8.5 s instead of 3.9 s).
UV_INSTALL = $(UV) pip install --quiet --python
UV_INSTALL_COMPILED = $(UV) pip install --quiet --compile-bytecode --python
unexport PYTHONDONTWRITEBYTECODE
# Serving only: requirements-runtime.lock and the project, for `make run`.
RUNTIME := $(VENV)/.runtime
# Development: requirements.lock (the runtime set, tools, generators, SDK) and the project...
DEPS := $(VENV)/.deps
# ...then the generated client, for `make test` and the other development commands.
INSTALLED := $(VENV)/.installed
# The newest official SDK release gets a virtualenv of its own for the compatibility suite.
SDK_VENV := .venv-sdk-latest
SDK_INSTALLED := $(SDK_VENV)/.installed
pinned = $(shell sed -n 's/^letta-client==//p' $(1))
comma := ,
# The engines that CONVERSATIONS_TEST_ENGINES (tests/support.py) leaves out of a quick local run.
skipped_engines = $(if $(CONVERSATIONS_TEST_ENGINES),\
	$(filter-out $(subst $(comma), ,$(CONVERSATIONS_TEST_ENGINES)),sqlite postgresql))
GENERATED := generated/client/setup.py
# The spec linter, Redocly CLI, pinned in package.json and package-lock.json; `npm ci` installs
# exactly the lock into node_modules, as uv does the Python locks into .venv.
NODE_DEPS := node_modules/.installed
REDOCLY := node_modules/.bin/redocly
need_npm = @command -v npm >/dev/null && command -v node >/dev/null \
	|| { echo "make lint needs Node.js 20.19 or newer, with npm, for its spec linter (Redocly CLI)"; exit 1; }
HOST ?= 127.0.0.1
PORT ?= 8283

.PHONY: install browser run test check lint fuzz bench bench-costs generate check-generated dist \
	lock upgrade-check clean

install: $(INSTALLED)

$(UV_STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	touch $@

$(RUNTIME): pyproject.toml requirements-runtime.lock | $(UV_STAMP)
	$(UV_INSTALL_COMPILED) $(BIN)/python -r requirements-runtime.lock
	$(UV_INSTALL_COMPILED) $(BIN)/python --no-deps -e .
	touch $@

$(DEPS): pyproject.toml requirements.lock | $(UV_STAMP)
	$(UV_INSTALL) $(BIN)/python -r requirements.lock
	$(UV_INSTALL) $(BIN)/python --no-deps -e .
	touch $@

# In setuptools' compat mode the editable install puts generated/client on sys.path with a plain
# .pth line, which mypy follows (make lint, tests/codegen), rather than an import hook, which it
# cannot: with the hook mypy does not find the client, typed as it is (py.typed). The Makefile is a
# prerequisite so that a .venv installed the other way is reinstalled so.
$(INSTALLED): $(DEPS) $(GENERATED) Makefile
	$(UV_INSTALL) $(BIN)/python --no-deps -C editable_mode=compat -e generated/client
	touch $@

# The SDK release under test replaces the locked one; everything else stays as locked.
$(SDK_INSTALLED): pyproject.toml requirements.lock tests/compat/latest-sdk.txt $(GENERATED) \
		| $(UV_STAMP)
	test -x $(SDK_VENV)/bin/python || $(PYTHON) -m venv --without-pip $(SDK_VENV)
	$(UV_INSTALL) $(SDK_VENV)/bin/python -r requirements.lock \
		--overrides tests/compat/latest-sdk.txt
	$(UV_INSTALL) $(SDK_VENV)/bin/python --no-deps -e . -e generated/client
	touch $@

# The browser tests (tests/browser) drive Debian's chromium through its chromedriver, built from
# one source so that their versions match. As root (as CI runs) apt-get installs both when either
# is missing; anyone else is told how, and those tests fail saying the same.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium and chromium-driver for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -qq -y --no-install-recommends chromium chromium-driver; \
	else \
		echo "The browser tests need chromium and chromedriver: sudo apt-get install chromium chromium-driver" >&2; \
	fi

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

# A wheel and an sdist of the generated client, versioned as openapi.yaml's info.version, and of
# the server, versioned as pyproject.toml, into $(DIST). uv builds each in an isolated
# environment, from its sdist, so the tree stays as is.
DIST ?= dist
dist: $(GENERATED) | $(UV_STAMP)
	rm -rf $(DIST)
	$(UV) build --quiet generated/client --out-dir $(DIST)
	$(UV) build --quiet . --out-dir $(DIST)
	@ls $(DIST)

run: $(RUNTIME)
	$(BIN)/conversations-server migrate
	$(BIN)/conversations-server serve --host $(HOST) --port $(PORT)

# pytest-xdist spreads the tests over one process per core and one more (PYTEST_WORKERS=0: none),
# as a test waits for a quarter of its time (sleeps, the processes it starts, the network), a
# module to a worker (loadscope) so that a module's fixtures are made once, or one module's tests
# over all (load); the 25 slowest are listed at the end. PYTEST_ARGS adds options to every run
# (e.g. -p bench.test_cpu, each test's CPU, sleeps and processes).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST = -m pytest -n $(PYTEST_WORKERS) --no-loadscope-reorder --durations=25 $(PYTEST_ARGS) --dist

# Measures branch coverage of server_impl in both runs and in every process they start (see
# [tool.coverage.*] in pyproject.toml) and reports it; below its floor (fail_under) a run on
# every engine fails, a run that leaves an engine out only reports. The newest SDK release's
# suite runs beside the main run, whose cores it would otherwise leave idle for its start and
# its waits, on port blocks of its own (testbed.PORT_BLOCK); its output follows the main run's.
NEWEST_SDK_LOG := $(SDK_VENV)/test.log
test: $(INSTALLED) $(SDK_INSTALLED) browser
	$(BIN)/python -m coverage erase
	@LETTA_CLIENT_EXPECTED=$(call pinned,tests/compat/latest-sdk.txt) CONVERSATIONS_TEST_PORT_BLOCK=11 \
		$(SDK_VENV)/bin/python -m coverage run $(PYTEST) load tests/compat/test_official_sdk.py \
		>$(NEWEST_SDK_LOG) 2>&1 & newest=$$!; \
	echo "The newest SDK release's suite runs beside this run; its output follows."; \
	LETTA_CLIENT_EXPECTED=$(call pinned,requirements.lock) \
		$(BIN)/python -m coverage run $(PYTEST) loadscope; main=$$?; \
	wait $$newest; newest=$$?; cat $(NEWEST_SDK_LOG); \
	[ $$main = 0 ] && [ $$newest = 0 ]
	$(BIN)/python -m coverage combine --quiet
	$(BIN)/python -m coverage report $(if $(strip $(skipped_engines)),--fail-under=0)

# The inner loop, in a minute: the suites that run in the pytest process (domain, api, storage)
# on SQLite, and the code generation's checks but for the slow ones (make, the generators, mypy).
# No coverage floor: make test is the whole answer.
check: $(INSTALLED)
	CONVERSATIONS_TEST_ENGINES=sqlite $(BIN)/python $(PYTEST) loadscope -m "not slow" \
		tests/domain tests/api tests/storage tests/codegen tests/test_layout.py

# Long contract fuzzing; SEED=N replays a run, FUZZ_EXAMPLES=N changes the budget,
# ENGINE=postgresql fuzzes a server on a throwaway PostgreSQL cluster.
fuzz: $(INSTALLED)
	$(BIN)/python -m tests.contract.fuzz --max-examples $(or $(FUZZ_EXAMPLES),1200) \
		$(if $(SEED),--seed $(SEED)) $(if $(ENGINE),--engine $(ENGINE))

# This server beside its peers (lean Litestar and FastAPI, FastAPI over our service), the
# bare-Starlette floor and the connexion ceiling; BENCH_ARGS=--big adds 10^6 rows.
bench: $(INSTALLED)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Only the costs, judged on 9 paired rounds: the access line and metrics (issue 23) and the
# limits (issue 25), this server against itself without them, GET and PATCH, both engines;
# about 10 minutes. BENCH_ARGS adds options (a later --rounds or --engines wins).
bench-costs: $(INSTALLED)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.run --operations get,patch --rounds 9 --system "this server" \
		--system "this server, no access log or metrics" --system "this server, no limits" \
		$(BENCH_ARGS)

$(NODE_DEPS): package.json package-lock.json
	$(need_npm)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The spec first (its settings and declared exceptions are in redocly.yaml), then the code.
lint: $(NODE_DEPS) $(INSTALLED)
	$(need_npm)
	REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint --config redocly.yaml --lint-config error openapi.yaml
	$(BIN)/ruff check server_impl tests bench testbed
	$(BIN)/ruff format --check server_impl tests bench testbed
	$(BIN)/python -m mypy server_impl tests bench testbed

# Re-pins both locks from pyproject.toml, keeping every pin that still fits
# (LOCK_ARGS=--upgrade moves everything to the newest release). The runtime lock is constrained
# by the development one, so a package has the same version in both.
lock: | $(UV_STAMP)
	$(UV) pip compile --quiet --python-version 3.11 --custom-compile-command 'make lock' \
		$(LOCK_ARGS) --extra dev -o requirements.lock pyproject.toml
	$(UV) pip compile --quiet --python-version 3.11 --custom-compile-command 'make lock' \
		-c requirements.lock -o requirements-runtime.lock pyproject.toml

# What moving to the newest releases would break, in a minute or two: a scratch virtualenv with
# every runtime package (requirements-runtime.lock, transitive ones included) at its newest
# release and the development tools as locked; it lists what moved, then runs the fences of the
# adaptations and the in-process suites on SQLite. The locks are left as they are (`make lock`).
UPGRADE_VENV := .venv-upgrade
upgrade-check: $(INSTALLED)
	test -x $(UPGRADE_VENV)/bin/python || $(PYTHON) -m venv --without-pip $(UPGRADE_VENV)
	@tmp=$$(mktemp) && trap 'rm -f "$$tmp"' EXIT \
		&& $(BIN)/python -m testbed.newest overrides requirements-runtime.lock >"$$tmp" \
		&& $(UV_INSTALL) $(UPGRADE_VENV)/bin/python --upgrade -r requirements.lock \
			--overrides "$$tmp"
	$(UV_INSTALL) $(UPGRADE_VENV)/bin/python --no-deps -e . \
		-C editable_mode=compat -e generated/client
	$(UPGRADE_VENV)/bin/python -m testbed.newest moved requirements-runtime.lock
	CONVERSATIONS_TEST_ENGINES=sqlite $(UPGRADE_VENV)/bin/python $(PYTEST) loadscope \
		-p no:cacheprovider -m "not slow" tests/testbed tests/domain tests/api tests/storage \
		tests/observability tests/ops/test_protocol_fence.py \
		tests/ops/test_workers.py::test_the_uvicorn_worker_init_that_reads_config_kwargs_is_as_it_was_checked

clean:
	rm -rf $(VENV) $(SDK_VENV) $(UPGRADE_VENV) node_modules var dist .coverage .coverage.*
