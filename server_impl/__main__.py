"""Command line: ``python -m server_impl serve [--host H] [--port P] [--database-url URL]``."""

import argparse
from typing import Any

import uvicorn

from .app import create_app
from .config import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server_impl")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API over HTTP")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8283)")
    serve.add_argument(
        "--database-url", help="where to store data (default sqlite:///var/conversations.db)"
    )
    return parser


def _overrides(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        settings = Settings(**_overrides(args, "host", "port", "database_url"))
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            loop="uvloop",
            http="httptools",
        )


if __name__ == "__main__":
    main()
