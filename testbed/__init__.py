"""What the tests and the benchmark both need to stand a system up: free ports, and throwaway
PostgreSQL clusters. Not part of the service."""

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
