"""Instructions the server executes per request, counted by callgrind: repeatable on a noisy
machine where timings are not, so small changes can be compared.

    python -m bench.instructions [--engine sqlite|postgresql] [--requests 500]
                                 [--log-level warning] [--serve-option=--no-metrics ...]
                                 [--keep FOLDER]
                                 [CHECKOUT ...]

Serves one database with this checkout's server (or each CHECKOUT's, in turn: a worktree of
another commit, run with this checkout's .venv) under valgrind with instrumentation off, then
counts only the requests: after a warm-up, GET and PATCH of one conversation, then a list page
of 50 (of 60 conversations), one at a time. Needs valgrind (apt-get install valgrind).
"""

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from server_impl.domain import keys
from server_impl.domain.conversations import Conversations
from server_impl.domain.model_settings import ConversationCreateAsGiven
from server_impl.storage import migrate, store_for
from testbed import ROOT, free_port
from testbed.postgres import PostgresCluster

LISTED = 60
"""Conversations in the database: a full list page of 50, and a next one."""


async def _prepare(url: str) -> tuple[str, str]:
    store = store_for(url)
    await store.open()
    try:
        minted = await keys.mint(store, organization="bench", user="bench")
        actor = await keys.actor_for(store, minted.key)
        assert actor is not None
        agent = f"agent-{uuid.uuid4()}"
        conversations = Conversations(store)
        for n in range(LISTED - 1):
            await conversations.create(actor, agent, ConversationCreateAsGiven(summary=f"s{n}"))
        created = await conversations.create(actor, agent, ConversationCreateAsGiven(summary="s"))
        return minted.key, created.conversation.id
    finally:
        await store.close()


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], capture_output=True, check=True)


def count(
    checkout: Path,
    url: str,
    key: str,
    conversation: str,
    requests: int,
    log_level: str,
    serve_options: list[str],
    keep: Path | None = None,
) -> dict[str, float]:
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         sys.executable, "-m", "server_impl", "serve", "--port", str(port := free_port()),
         "--database-url", url, *serve_options],
        cwd=checkout, env={**os.environ, "CONVERSATIONS_LOG_LEVEL": log_level},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    item = f"/conversations/{conversation}"
    calls: dict[str, Callable[[httpx.Client, int], httpx.Response]] = {
        "GET": lambda client, n: client.get(item),
        "PATCH": lambda client, n: client.patch(item, json={"summary": f"s{n}"}),
        "list": lambda client, n: client.get("/conversations/", params={"limit": 50}),
    }
    counts: dict[str, float] = {}
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}/v1",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client:
            while True:
                try:
                    client.get(item)
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        raise RuntimeError(f"the server of {checkout} exited") from None
                    time.sleep(1)
            for operation, call in calls.items():
                for n in range(50):  # warm-up: caches, prepared statements
                    call(client, n)
                _control(server.pid, "--zero")
                _control(server.pid, "--instr=on")
                for n in range(requests):
                    assert call(client, n).status_code == 200
                _control(server.pid, "--instr=off")
                _control(server.pid, "--dump")
                dumps = sorted(out.parent.glob(out.name + ".*"), key=os.path.getmtime)
                totals = re.search(r"^totals:\s+(\d+)", dumps[-1].read_text(), re.M)
                assert totals is not None
                counts[operation] = int(totals[1]) / requests
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(dumps[-1], keep / f"callgrind.{operation}")
    finally:
        server.terminate()
        server.wait()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument(
        "--log-level", default="warning", help="info writes an access line per request"
    )
    parser.add_argument(
        "--serve-option",
        action="append",
        default=[],
        dest="serve_options",
        help="an option of serve, such as --serve-option=--no-access-log (repeatable)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="a folder to keep each operation's callgrind profile in (callgrind.GET, ...), for"
        " callgrind_annotate; one checkout only",
    )
    parser.add_argument("checkouts", nargs="*", type=Path, default=[ROOT])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cluster = PostgresCluster() if args.engine == "postgresql" else None
        try:
            url = cluster.new_database() if cluster else f"sqlite:///{folder}/bench.db"
            migrate.upgrade(url)
            key, conversation = asyncio.run(_prepare(url))
            for checkout in args.checkouts:
                counts = count(
                    checkout,
                    url,
                    key,
                    conversation,
                    args.requests,
                    args.log_level,
                    args.serve_options,
                    args.keep,
                )
                figures = ", ".join(f"{op} {n / 1000:,.1f}k" for op, n in counts.items())
                print(f"{args.engine} {checkout}: instructions per request: {figures}", flush=True)
        finally:
            if cluster:
                cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
