"""What the HTTP/1.1 protocol (server_impl/ops/protocol/) costs per request, against another
revision of it: `.venv/bin/python -m bench.protocol_cost [REVISION]` (default: main).

Both protocols parse the same requests, in process, with no socket and an app that answers at
once, so that the figure is the protocol's own CPU time per request, free of the network, the
database and the app; compare it with the server's CPU time per request that `make bench`
reports. Each figure is the fastest of 15 runs, alternating the two protocols, since other work
on a shared machine only ever adds time.
"""

import asyncio
import subprocess
import sys
import tempfile
import time
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

import server_impl.ops.protocol as current
from server_impl.ops.protocol import Limits

ROOT = Path(__file__).resolve().parents[1]
KEY = b"Authorization: Bearer lck_0123456789abcdef_" + b"x" * 43 + b"\r\n"
TARGET = b" /v1/conversations/conv-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9 HTTP/1.1\r\n"
HEAD = b"Host: 127.0.0.1:8283\r\n" + KEY + b"Accept: application/json\r\n"
REQUESTS = {
    "GET": b"GET" + TARGET + HEAD + b"\r\n",
    "PATCH": b"PATCH"
    + TARGET
    + HEAD
    + b'Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{"summary": "hello"}',
}
LIMITS = Limits(65536, 100, 10.0, 30.0, 1024)
RUNS = 15
PER_RUN = 10_000


async def answer(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    await send(start)
    await send({"type": "http.response.body", "body": b"{}"})


class Transport:
    """As much of an asyncio transport as the protocol uses; it discards what is written."""

    def __init__(self) -> None:
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8283), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def microseconds_per_request(module: ModuleType, request: bytes) -> float:
    loop = asyncio.new_event_loop()
    config = Config(app=answer, lifespan="off", access_log=False, log_config=None)
    config.load()
    protocol_class = module.LimitedHttpToolsProtocol.with_limits(LIMITS)
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    protocol.connection_made(Transport())

    async def serve() -> None:
        for _ in range(PER_RUN):
            protocol.data_received(request)
            while protocol.cycle is None or not protocol.cycle.response_complete:
                await asyncio.sleep(0)

    started = time.process_time()
    loop.run_until_complete(serve())
    took = time.process_time() - started
    if protocol_class._sweep is not None:
        protocol_class._sweep.cancel()
    loop.close()
    return took / PER_RUN * 1e6


def protocol_at(revision: str, folder: Path) -> ModuleType:
    """The protocol as revision had it: one module, or (since it was split) a package, loaded
    under a name of its own beside the working tree's."""
    files = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision, "server_impl/ops/protocol"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if not files:
        files = ["server_impl/ops/protocol.py"]
    package = folder / "protocol_at_revision"
    package.mkdir()
    for name in files:
        source = subprocess.run(
            ["git", "show", f"{revision}:{name}"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        (package / Path(name).name).write_bytes(source)
    if files == ["server_impl/ops/protocol.py"]:
        (package / "protocol.py").rename(package / "__init__.py")
    spec = spec_from_file_location("protocol_at_revision", package / "__init__.py")
    assert spec is not None and spec.loader is not None
    module = module_from_spec(spec)
    sys.modules[spec.name] = module  # for the package's relative imports
    spec.loader.exec_module(module)
    return module


def main() -> None:
    revision = sys.argv[1] if len(sys.argv) > 1 else "main"
    with tempfile.TemporaryDirectory() as folder:
        other = protocol_at(revision, Path(folder))
        for name, request in REQUESTS.items():
            figures: dict[str, list[float]] = {"other": [], "current": []}
            for _ in range(RUNS):
                figures["other"].append(microseconds_per_request(other, request))
                figures["current"].append(microseconds_per_request(current, request))
            before, after = min(figures["other"]), min(figures["current"])
            print(
                f"{name}: {revision} {before:.2f} µs/request, working tree {after:.2f}"
                f" µs/request ({after - before:+.2f})"
            )


if __name__ == "__main__":
    main()
