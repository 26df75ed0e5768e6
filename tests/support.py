"""Helpers for every kind of test: real server processes, the operator CLI, keys, the
in-process app. Test modules and conftest.py files import from here only."""

import asyncio
import contextvars
import fcntl
import functools
import inspect
import io
import json
import logging
import os
import pkgutil
import re
import resource
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import asyncpg
import httpx
import pytest
import uvicorn
from connexion import ConnexionMiddleware
from connexion.spec import Specification
from starlette.testclient import TestClient

from server_impl.api.app import SPEC_PATH, create_app, new_metrics
from server_impl.domain import keys
from server_impl.domain.ports import KeyLimit, Store
from server_impl.observability import logs
from server_impl.observability.lines import LogFormat
from server_impl.ops import serving
from server_impl.ops.cli import main
from server_impl.ops.metrics_listener import MetricsListener
from server_impl.settings import Settings
from server_impl.storage import migrate as migrations
from server_impl.storage import store_for
from server_impl.storage.urls import DatabaseUrl

# Re-exported: the tests reach the testbed through this module.
from testbed import ROOT as ROOT
from testbed import children as children
from testbed import free_port as free_port
from testbed.postgres import PostgresCluster as PostgresCluster

T = TypeVar("T")
# The engines every database test runs on; CONVERSATIONS_TEST_ENGINES=sqlite for a quick loop.
ENGINES = os.environ.get("CONVERSATIONS_TEST_ENGINES", "sqlite,postgresql").split(",")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Runs the operator CLI, ``python -m server_impl ARGS --database-url URL``, in this process
    through ``main``: what it prints and returns, as a process would. ``serve``, which runs
    until stopped, is run for its refusals only: on a thread given SERVE_REFUSES_WITHIN_S to
    return (one that starts serving instead fails the test). The tests of the process itself
    use cli_process."""
    argv = [*args, "--database-url", database_url]
    out, err = io.StringIO(), io.StringIO()
    codes: list[int] = []
    raised: list[BaseException] = []

    def run() -> None:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                codes.append(main(argv, prog="python -m server_impl"))
            except SystemExit as refusal:  # argparse's refusals
                codes.append(refusal.code if isinstance(refusal.code, int) else 1)
            except BaseException as error:  # raised again in the caller's thread
                raised.append(error)

    if args[:1] == ("serve",):
        # A daemon thread: a serve that does not refuse is left serving, not waited for.
        thread = threading.Thread(target=run, name="serve-refusal", daemon=True)
        thread.start()
        thread.join(SERVE_REFUSES_WITHIN_S)
        assert not thread.is_alive(), f"serve did not refuse within {SERVE_REFUSES_WITHIN_S} s"
    else:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            run()
        else:  # main runs its own event loop, which cannot be inside a running one
            with ThreadPoolExecutor(1) as pool:
                pool.submit(run).result()
    if raised:
        raise raised[0]
    return subprocess.CompletedProcess(
        ["python", "-m", "server_impl", *argv], codes[0], out.getvalue(), err.getvalue()
    )


SERVE_REFUSES_WITHIN_S = 60
"""As long as cli_process gives a command: a refusal takes well under a second in process."""


def cli_process(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m server_impl ARGS --database-url URL`` in a process of its own, for the
    tests of the process itself: its exit status, what it prints as it starts, signals."""
    return subprocess.run(
        [sys.executable, "-m", "server_impl", *args, "--database-url", database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


COVERAGE_CHILDREN = "COVERAGE_PROCESS_CONFIG"
"""The variable by which a coverage run starts measuring in each Python child it starts."""


def tool_environment(**overrides: str) -> dict[str, str]:
    """This process's environment, with overrides, for a child that runs none of server_impl: the
    generators, mypy, make, uv, schemathesis' command line, the previous release's client. It
    leaves out COVERAGE_PROCESS_CONFIG, through which a coverage run (patch = ["subprocess"] in
    pyproject.toml) starts measuring in every Python process it starts, each then running 1.5 to
    2 times slower for nothing."""
    environment = {**os.environ, **overrides}
    environment.pop(COVERAGE_CHILDREN, None)
    return environment


def migrate(database_url: str) -> None:
    result = cli("migrate", database_url=database_url)
    assert result.returncode == 0, result.stderr


def mint_key(database_url: str, organization: str, user: str) -> str:
    result = cli(
        "keys", "create", "--organization", organization, "--user", user, database_url=database_url
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# What a migration draws at random for each database (0008_cursor_key.py): a copy of a
# migrated database draws its own, so that it is what migrating it would have made.
_DRAWN = "UPDATE server_secrets SET value = {} WHERE name = 'list_cursor_key'"


def copy_sqlite_database(template_url: str, folder: Path) -> str:
    """A copy of the (closed) migrated SQLite database at template_url in folder; its URL. Made
    in milliseconds, where migrating a new file takes a second."""
    url = f"sqlite:///{folder / 'conversations.db'}"
    path = DatabaseUrl.parse(url).sqlite_path
    shutil.copyfile(DatabaseUrl.parse(template_url).sqlite_path, path)
    with closing(sqlite3.connect(path)) as db:
        db.execute(_DRAWN.format("?"), (secrets.token_hex(32),))
        db.commit()
    return url


def copy_postgres_database(cluster: PostgresCluster, template: str) -> str:
    """A copy of the migrated database template of cluster (CREATE DATABASE ... TEMPLATE); its
    URL."""
    url = cluster.new_database(template=template)

    async def draw() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(_DRAWN.format("$1"), secrets.token_hex(32))
        finally:
            await connection.close()

    run_async(draw())
    return url


# The folder a run's processes (the pytest-xdist workers) share, named in the environment.
RUN_FOLDER = "CONVERSATIONS_TEST_RUN"
# The database of the run's PostgreSQL cluster that new databases are copies of.
POSTGRES_TEMPLATE = "conversations_template"


def shared_postgres(folder: Path, *, start: bool = True) -> PostgresCluster | None:
    """The PostgreSQL cluster of the run whose folder this is, with POSTGRES_TEMPLATE migrated:
    started by the first process to ask, found by the others; None when none has been started
    and start is false."""
    state = folder / "postgres.json"
    with (folder / "postgres.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if state.exists():
            saved = json.loads(state.read_text())
            return PostgresCluster.attach(Path(saved["folder"]), int(saved["port"]))
        if not start:
            return None
        cluster = PostgresCluster()
        try:

            async def create() -> None:
                connection = await asyncpg.connect(cluster.url())
                try:
                    await connection.execute(f'CREATE DATABASE "{POSTGRES_TEMPLATE}"')
                finally:
                    await connection.close()

            run_async(create())
            migrations.upgrade(cluster.url(POSTGRES_TEMPLATE))
        except BaseException:
            cluster.destroy()
            raise
        state.write_text(json.dumps({"folder": str(cluster.folder), "port": cluster.port}))
        return cluster


# Every HTTP client the tests make is handed this one SSL context: their servers speak plain
# HTTP, yet httpx loads the CA bundle into a new context for each client (25 ms of CPU).
TLS = httpx.create_ssl_context()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class Keys:
    """Keys of three users: alice and bob share an organization, carol is in another."""

    alice: str
    bob: str
    carol: str


@dataclass
class Served:
    """A server the tests talk to, a process (RunningServer) or a thread (ServedInThread)."""

    base_url: str
    log_path: Path
    database_url: str

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"

    def stop(self) -> None:
        raise NotImplementedError


@dataclass
class RunningServer(Served):
    """A `serve` process."""

    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or clean up."""
        self.process.kill()
        self.process.wait()


def start_server(
    database_url: str,
    log_path: Path,
    *,
    port: int | None = None,
    open_files: int | None = None,
    **env: str,
) -> RunningServer:
    """Starts ``python -m server_impl serve`` and waits until it answers.

    ``open_files`` lowers the process' limit of file descriptors (RLIMIT_NOFILE).
    """
    port = port or free_port()
    environment = {
        **os.environ,
        "CONVERSATIONS_VALIDATE_RESPONSES": "true",
        "CONVERSATIONS_LOG_LEVEL": "warning",
        **env,
    }
    log = log_path.open("ab")
    command = [sys.executable, "-m", "server_impl", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--database-url", database_url],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=None if open_files is None else lambda: _limit_open_files(open_files),
    )
    server = RunningServer(f"http://127.0.0.1:{port}", log_path, database_url, process)
    # Generous: a start takes about 2 s of CPU, but on this shared 2-core machine, with the
    # tests' two workers and other work beside them, a start was seen to take 30 s.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            httpx.get(f"{server.api_url}/health", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server did not start:\n{log_path.read_text()}")


@dataclass
class ServedInThread(Served):
    """A server in a thread of this process: uvicorn's Server with the app and protocol that
    `serve` runs, for the tests to which the process itself does not matter. The lines it logs
    are written to log_path, as a process's would be."""

    _server: uvicorn.Server
    _thread: threading.Thread
    _handler: logging.Handler
    _metrics_listener: MetricsListener | None = None

    def stop(self) -> None:
        """Stops it as SIGTERM stops `serve`: requests in flight finish within the grace period
        (shutdown_grace_s), then the access lines still waiting are written."""
        if self._metrics_listener is not None:
            self._metrics_listener.stop()
            self._metrics_listener = None
        self._server.should_exit = True
        self._thread.join(timeout=60)
        logging.getLogger().removeHandler(self._handler)
        self._handler.close()
        _ACCESS_LINES.stop(id(self._server))
        assert not self._thread.is_alive(), "the server's thread did not end"


_serving: contextvars.ContextVar[int | None] = contextvars.ContextVar("serving", default=None)
"""Which server in a thread (ServedInThread) the code running is part of, if any."""


def serve_in_thread(
    database_url: str,
    log_path: Path,
    *,
    port: int = 0,
    access_log: LogFormat | None = None,
    **settings: Any,
) -> ServedInThread:
    """Serves database_url as `serve` would (responses validated against the spec, logging at
    warning), in a thread of this process, on port (0: a free one); settings are Settings'
    fields. Waits until it answers. Lines below warning, which this process's loggers drop, are
    for a server process (start_server); the access line, in the format access_log names, is
    written to log_path as `serve --log-level info` writes it. With metrics_port, the metrics
    are served on a listener of their own there, as `serve --metrics-port` serves them."""
    chosen = Settings(
        database_url=database_url,
        validate_responses=True,
        log_level="warning",
        **settings,
    )
    assert logging.getLevelName(chosen.log_level.upper()) >= logging.WARNING, chosen.log_level
    spec = _loaded_spec()
    metrics = new_metrics(spec) if chosen.metrics else None
    app = create_app(chosen, metrics=metrics, spec=spec)
    metrics_listener = None
    if chosen.metrics_port is not None:
        assert metrics is not None and metrics.registry is not None
        metrics_socket = serving.claim_port(chosen.host, chosen.metrics_port, "metrics")
        metrics_listener = MetricsListener(chosen, metrics.registry, metrics_socket)
    listener = serving.claim_port("127.0.0.1", port)
    server = uvicorn.Server(uvicorn.Config(app, **serving.uvicorn_options(chosen)))

    def run() -> None:
        # Every task of the server, and the worker threads it hands work to (anyio's copy the
        # context), log under this mark; the test's own lines and other servers' do not.
        _serving.set(id(server))
        server.run(sockets=[listener])

    thread = threading.Thread(target=run, name="server", daemon=True)
    handler = _thread_log(log_path, chosen.log_level)
    # The metrics listener's thread starts with a context of its own, without the mark.
    listening: set[threading.Thread] = set()
    handler.addFilter(
        lambda _record: _serving.get() == id(server) or threading.current_thread() in listening
    )
    logging.getLogger().addHandler(handler)
    if access_log is not None:
        _ACCESS_LINES.start(id(server), access_log, log_path)
    thread.start()
    running = ServedInThread(
        f"http://127.0.0.1:{listener.getsockname()[1]}",
        log_path,
        database_url,
        server,
        thread,
        handler,
    )
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            running.stop()
            raise RuntimeError(f"server did not start:\n{log_path.read_text()}")
        time.sleep(0.005)
    if metrics_listener is not None:
        before = set(threading.enumerate())
        metrics_listener.start()
        running._metrics_listener = metrics_listener
        listening.update(set(threading.enumerate()) - before)
    return running


class _AccessLinesByServer(logs.AccessLog):
    """logs.access (the one access log of a process) while servers in threads write access
    lines: each line goes to the log of the server whose task writes it, none to the others'."""

    def __init__(self) -> None:
        self._logs: dict[int, tuple[logs.AccessLog, BinaryIO]] = {}
        self._before: logs.AccessLog | None = None

    def start(self, server: int, log_format: LogFormat, path: Path) -> None:
        if not self._logs:
            self._before, logs.access = logs.access, self
        file = path.open("ab")
        self._logs[server] = logs.AccessLog(log_format, file), file

    def stop(self, server: int) -> None:
        if (written := self._logs.pop(server, None)) is not None:
            log, file = written
            log.flush()
            file.close()
        if not self._logs and logs.access is self:
            logs.access = self._before

    def flush(self) -> None:
        # Called by a server's lifespan as it ends, in its own context: its own lines.
        if (written := self._logs.get(_serving.get() or 0)) is not None:
            written[0].flush()

    def __call__(
        self,
        method: str,
        route: str,
        operation: str,
        status: int,
        duration_us: int,
        key_id: str | None,
        organization_id: str | None,
        client: str | None,
    ) -> None:
        if (written := self._logs.get(_serving.get() or 0)) is not None:
            written[0](
                method, route, operation, status, duration_us, key_id, organization_id, client
            )


_ACCESS_LINES = _AccessLinesByServer()


def _thread_log(log_path: Path, level: str) -> logging.Handler:
    """A handler writing lines as `serve` does (logs.config: format, filters, each logger's
    level) to log_path."""
    handler = logging.FileHandler(log_path)
    handler.setLevel(level.upper())
    handler.setFormatter(logs.TextFormatter())
    handler.addFilter(logs.RequestIdFilter())
    levels = {
        name: logging.getLevelName(options["level"])
        for name, options in logs.config("text", level)["loggers"].items()
        if "level" in options
    }
    handler.addFilter(lambda record: record.levelno >= levels.get(record.name, 0))
    return handler


def _limit_open_files(count: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


def fresh_key(database_url: str) -> dict[str, str]:
    return bearer(mint_key(database_url, "acme", "alice"))


async def create_conversation(client: httpx.AsyncClient, summary: str = "") -> str:
    created = await client.post(
        "/conversations/", params={"agent_id": AGENT}, json={"summary": summary}
    )
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def new_sqlite_database(folder: Path) -> str:
    """A migrated SQLite database in folder, made in this process; its URL: a copy of one
    migrated once per process."""
    return copy_sqlite_database(_sqlite_template(), folder)


@functools.cache
def _sqlite_template() -> str:
    folder = Path(tempfile.mkdtemp(prefix="template-", dir=os.environ.get(RUN_FOLDER)))
    return migrated_sqlite_database(folder)


def migrated_sqlite_database(folder: Path) -> str:
    """A SQLite database in folder, migrated from nothing in this process; its URL."""
    url = f"sqlite:///{folder / 'conversations.db'}"
    migrations.upgrade(url)
    return url


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Makes a file or folder read-only for this process while inside: by its mode, or for root,
    whom modes do not stop, as immutable (chattr +i); skips the test where neither can."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & 0o555)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make {path} immutable: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def mint_key_in_process(
    database_url: str,
    organization: str = "acme",
    user: str = "alice",
    limit: KeyLimit | None = None,
) -> str:
    async def mint() -> str:
        store = store_for(database_url)
        await store.open()
        try:
            minted = await keys.mint(store, organization=organization, user=user, limit=limit)
            return minted.key
        finally:
            await store.close()

    return run_async(mint())


def refuse_summary(database_url: str, summary: str) -> None:
    """Makes the database itself refuse to store summary, by insert or update: a write that
    fails in the database after the server's checks passed, as U+0000 did on PostgreSQL."""
    url = DatabaseUrl.parse(database_url)
    quoted = "'" + summary.replace("'", "''") + "'"
    if url.engine == "sqlite":
        with closing(sqlite3.connect(url.sqlite_path)) as db:
            for event in ("INSERT", "UPDATE"):
                db.execute(
                    f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON conversations"
                    f" WHEN NEW.summary = {quoted} BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            db.commit()
        return

    async def install() -> None:
        connection = await asyncpg.connect(url.url)
        try:
            await connection.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" IF NEW.summary = {quoted} THEN RAISE EXCEPTION 'refused'; END IF;"
                " RETURN NEW; END $$;"
                " CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON conversations"
                " FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        finally:
            await connection.close()

    run_async(install())


def slow_down_inserts(database_url: str, summary: str, seconds: float) -> None:
    """Makes PostgreSQL take that many seconds to insert a conversation with summary, in the
    transaction of the insert: a create that stays in flight, and holds its row, that long."""
    url = DatabaseUrl.parse(database_url)
    assert url.engine == "postgresql", "SQLite has no sleep to call from a trigger"
    quoted = "'" + summary.replace("'", "''") + "'"

    async def install() -> None:
        connection = await asyncpg.connect(url.url)
        try:
            await connection.execute(
                "CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" IF NEW.summary = {quoted} THEN PERFORM pg_sleep({float(seconds)}); END IF;"
                " RETURN NEW; END $$;"
                " CREATE TRIGGER slow_down BEFORE INSERT ON conversations"
                " FOR EACH ROW EXECUTE FUNCTION slow_down()"
            )
        finally:
            await connection.close()

    run_async(install())


@contextmanager
def in_process(
    store: Store, *, peer: tuple[str, int] = ("testclient", 50000), **settings: Any
) -> Iterator[TestClient]:
    """The app around store (not yet opened), served in this process through an ASGI
    transport, with its lifespan, to requests from peer; responses are validated against the
    spec."""
    # The spec loaded once, which an app only reads (tests/api/test_app.py): loading it took
    # most of what making an app cost.
    app = create_app(Settings(validate_responses=True, **settings), store, spec=_loaded_spec())
    with TestClient(
        app, base_url="http://testserver/v1", raise_server_exceptions=False, client=peer
    ) as client:
        yield client


@functools.cache
def _loaded_spec() -> Specification:
    return Specification.load(SPEC_PATH)


def assigned_in_init(cls: type, name: str) -> bool:
    """Whether the __init__ of cls, or of one of its bases, assigns ``self.<name>``."""
    # self.name = …, self.name: T = …, or among the targets of self.a, self.name, self.b = …
    assignment = re.compile(rf"\bself\.{re.escape(name)}\s*(:[^=\n]*)?(,\s*self\.\w+\s*)*=(?!=)")
    for klass in inspect.getmro(cls):
        init = vars(klass).get("__init__")
        if inspect.isfunction(init) and assignment.search(inspect.getsource(init)):
            return True
    return False


def missing_internal(dotted: str, attribute: str) -> str | None:
    """Why (dotted, attribute) is not in the installed library; None if it is.

    ``attribute`` names a method or class attribute, or ``self.<name>`` for an instance attribute
    that the class's __init__ (or a base's) assigns. For the fences around adaptations of a
    library's internals.
    """
    try:
        owner = pkgutil.resolve_name(dotted)
    except (ImportError, AttributeError) as error:
        return f"{dotted} cannot be imported: {error}"
    if attribute.startswith("self."):
        name = attribute.removeprefix("self.")
        if not inspect.isclass(owner):
            return f"{dotted} is not a class, so it has no __init__ to assign self.{name}"
        if not assigned_in_init(owner, name):
            return f"no __init__ in the MRO of {dotted} assigns self.{name}"
        return None
    if not hasattr(owner, attribute):
        return f"{dotted} has no attribute {attribute}"
    return None


def connexion_of(app: Any) -> ConnexionMiddleware:
    """The connexion app inside the wrappers create_app puts around it (each keeps it as .app)."""
    while not isinstance(app, ConnexionMiddleware):
        app = app.app
    return app


_RESPONSE_FORMAT: dict[str, object] = {
    "type": "json_schema",
    "json_schema": {"name": "answer", "strict": True},
}
_COMMON: dict[str, object] = {
    "max_output_tokens": 2048,
    "parallel_tool_calls": True,
    "temperature": 0.7,
}
_OPENAI_LIKE = {**_COMMON, "response_format": _RESPONSE_FORMAT}
_ANTHROPIC_LIKE = {
    **_OPENAI_LIKE, "effort": "max", "strict": False, "verbosity": "low",
    "thinking": {"type": "enabled", "budget_tokens": 1024},
}  # fmt: skip
_GOOGLE = {
    **_COMMON, "response_schema": {"type": "json_object"},
    "thinking_config": {"include_thoughts": True, "thinking_budget": -1},
}  # fmt: skip
MODEL_SETTINGS: dict[str, dict[str, object]] = {
    provider: {"provider_type": provider, **fields}
    for provider, fields in dict[str, dict[str, object]]({
        "openai": {**_OPENAI_LIKE, "strict": True, "reasoning": {"reasoning_effort": "minimal"}},
        "sglang": {
            **_OPENAI_LIKE, "strict": True, "reasoning": {"reasoning_effort": "high"},
            "tool_call_parser": "hermes",
        },
        "anthropic": _ANTHROPIC_LIKE,
        "google_ai": _GOOGLE,
        "google_vertex": _GOOGLE,
        "azure": _OPENAI_LIKE,
        "xai": _OPENAI_LIKE,
        "moonshot": {**_OPENAI_LIKE, "strict": True},
        "zai": {**_OPENAI_LIKE, "thinking": {"type": "disabled", "clear_thinking": False}},
        "moonshot_coding": _ANTHROPIC_LIKE,
        "groq": _OPENAI_LIKE,
        "deepseek": _OPENAI_LIKE,
        "together": _OPENAI_LIKE,
        "bedrock": {**_OPENAI_LIKE, "response_format": {"type": "text"}},
        "baseten": _COMMON,
        "openrouter": {**_OPENAI_LIKE, "response_format": None},
        "chatgpt_oauth": {**_COMMON, "reasoning": {"reasoning_effort": "xhigh"}},
    }).items()
}  # fmt: skip
"""model_settings of every provider of letta-client 1.12.1, every field it has set."""


class AccessLines:
    """The access lines the app in this process writes, as `serve --log-format json` does."""

    def __init__(self) -> None:
        self.file = io.BytesIO()
        self.log = logs.AccessLog("json", self.file)

    def __call__(self) -> list[dict[str, Any]]:
        """Each line written since the last clear, as its JSON object (also those of the
        batch still waiting to be written)."""
        self.log.flush()
        return [json.loads(line) for line in self.file.getvalue().splitlines()]

    def clear(self) -> None:
        self.file.seek(0)
        self.file.truncate()
