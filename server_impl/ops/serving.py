"""How one server process runs: its listening socket and uvicorn's options, from the settings."""

import socket
from typing import Any

from server_impl.settings import Settings

from .protocol import LimitedHttpToolsProtocol, Limits


class PortUnavailable(RuntimeError):
    pass


def claim_port(host: str, port: int, what: str = "") -> socket.socket:
    """A socket bound to the address, or PortUnavailable saying why not (and what would have
    been served there, when it is not the API).

    Bound without SO_REUSEPORT, so it fails while any other server listens there, even one whose
    own sockets share the port among its workers.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        served = f" {what}" if what else ""
        raise PortUnavailable(
            f"Cannot serve{served} on {host}:{port}: {error.strerror}."
        ) from error
    return sock


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn configuration both a single process and each worker run with."""
    limits = Limits(
        max_head_bytes=settings.max_head_bytes,
        max_header_fields=settings.max_header_fields,
        head_timeout_s=settings.head_timeout_s,
        body_timeout_s=settings.body_timeout_s,
        max_connections=settings.connection_limit,
    )
    return {
        "loop": "uvloop",
        "http": LimitedHttpToolsProtocol.with_limits(limits),
        "ws": "none",
        "timeout_keep_alive": settings.keep_alive_s,
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
        # The access line is the app's own (server_impl/api/middleware/observed.py), and so is
        # the logging configuration (logs.py).
        "access_log": False,
        "log_config": None,
        # The app reads X-Forwarded-For itself, from the proxies the operator names, and takes
        # only an IP address from it (server_impl/api/middleware/forwarded.py).
        "proxy_headers": False,
    }
