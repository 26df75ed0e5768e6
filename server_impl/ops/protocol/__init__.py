"""Each HTTP/1.1 connection: uvicorn's httptools protocol, with the limits uvicorn lacks.

uvicorn's httptools protocol bounds neither a request head (its size, its fields, its trailers)
nor how long a socket that sends nothing, or one byte at a time, is held, nor how many are open.
``LimitedHttpToolsProtocol`` adds those limits, in three layers, each a subclass of the one
below it:

- ``refusals``: a refused request answered as a problem through the app, after every request
  pipelined before it, then the connection closed;
- ``connections``: at most ``max_connections`` per process, the head and body timeouts, and no
  request left waiting for its body at shutdown;
- ``parsing``: each request head and its trailers held to ``max_head_bytes`` and
  ``max_header_fields`` as the parser reads them, with uvicorn's callbacks copied in.

This adapts uvicorn's private protocol class: each of those modules has its own ``UPSTREAM``,
fingerprinting the source of each method it overrides or copies as the release named there had
it, and ``RELIED_ON``, what else it uses; tests/ops/test_protocol_fence.py fails when a release
changes either, and tests/ops/test_connection_limits.py pins each behaviour on a real server.
"""

from . import connections, parsing, refusals
from .connections import Limits
from .parsing import LimitedHttpToolsProtocol

FENCED = (refusals, connections, parsing)
"""The modules adapting uvicorn's protocol, each with its UPSTREAM and RELIED_ON."""

__all__ = ["FENCED", "LimitedHttpToolsProtocol", "Limits"]
