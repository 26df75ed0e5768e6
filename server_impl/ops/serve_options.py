"""`serve`'s options, each with its help: where it listens, the limits on what clients can hold,
and how it is operated (logs, proxies, metrics). Each is also a CONVERSATIONS_* variable and is
validated as a setting (server_impl/settings.py); the help states both and the default."""

import argparse
from typing import Any

SERVE_LIMITS: dict[str, tuple[type, str]] = {
    "max_head_bytes": (
        int,
        "The largest request head (request line and headers) in bytes; a larger one is answered"
        " 431. From 1024 to 1048576. Defaults to CONVERSATIONS_MAX_HEAD_BYTES, else 65536.",
    ),
    "max_header_fields": (
        int,
        "The most header fields in one request; more are answered 431. From 10 to 1000."
        " Defaults to CONVERSATIONS_MAX_HEADER_FIELDS, else 100.",
    ),
    "head_timeout_s": (
        float,
        "Seconds a connection has to deliver a whole request head before it is closed. Defaults"
        " to CONVERSATIONS_HEAD_TIMEOUT_S, else 10. Above 0, at most 3600.",
    ),
    "body_timeout_s": (
        float,
        "Seconds a request's body has to arrive after its head before the connection is closed"
        " and the request fails, changing nothing. Above 0, at most 3600. Defaults to"
        " CONVERSATIONS_BODY_TIMEOUT_S, else 30.",
    ),
    "keep_alive_s": (
        float,
        "Seconds an idle keep-alive connection stays open: longer than clients' and proxies'"
        " pools keep theirs, so that none reuses one as it closes. Above 0, at most 3600."
        " Defaults to CONVERSATIONS_KEEP_ALIVE_S, else 75.",
    ),
    "shutdown_grace_s": (
        float,
        "Seconds that requests in flight have to finish after SIGTERM before the server exits"
        " anyway. From 0 to 3600. Defaults to CONVERSATIONS_SHUTDOWN_GRACE_S, else 10.",
    ),
    "max_connections": (
        int,
        "The most open connections per process; past it the longest idle one is closed, and"
        " when none is idle a request is answered 503 with Retry-After. From 1 to 65536."
        " Defaults to CONVERSATIONS_MAX_CONNECTIONS, else 1024 or what the open-file limit"
        " leaves room for.",
    ),
    "idempotency_key_ttl_s": (
        float,
        "Seconds an Idempotency-Key is remembered after its first request: a retry within them"
        " gets the stored answer, and later the key is forgotten. Above 0, at most 315360000"
        " (10 years). Defaults to CONVERSATIONS_IDEMPOTENCY_KEY_TTL_S, else 86400 (24 h).",
    ),
    "idempotency_lease_s": (
        float,
        "Seconds a create's claim on its Idempotency-Key holds while it runs: retries get 409"
        " meanwhile, and a process that dies mid-create blocks the key this long. Above 0, at"
        " most 3600. Defaults to CONVERSATIONS_IDEMPOTENCY_LEASE_S, else 30.",
    ),
    "statement_budget_s": (
        float,
        "Seconds a database statement may run before it is ended and its request answered 503"
        " with Retry-After, changing nothing: on SQLite each read, on PostgreSQL every"
        " statement (its statement_timeout). From 0.001 to 600. Defaults to"
        " CONVERSATIONS_STATEMENT_BUDGET_S, else 5.",
    ),
    "sqlite_readers": (
        int,
        "Connections (each on a thread of its own) that read a SQLite database beside its one"
        " writer, off the event loop. From 2 to 64. Defaults to CONVERSATIONS_SQLITE_READERS,"
        " else 4.",
    ),
    "lists_per_organization": (
        int,
        "The most list pages of one organization read at once per process; more wait their"
        " turn, so one organization's slow lists leave connections to the others. From 1 to"
        " 63, below --sqlite-readers and --postgres-pool-size. Defaults to"
        " CONVERSATIONS_LISTS_PER_ORGANIZATION, else 2.",
    ),
    "scans_per_organization": (
        int,
        "Of those, the most scans of one organization at once per process: searches for a term"
        " shorter than three characters, which no text index answers, so each reads every"
        " conversation of the organization and holds a core while it does; more wait their"
        " turn, leaving the other cores to every other request. From 1 to 63, at most"
        " --lists-per-organization. Defaults to CONVERSATIONS_SCANS_PER_ORGANIZATION, else 1.",
    ),
    "sqlite_busy_timeout_s": (
        float,
        "Seconds a write to a SQLite database waits for another process's lock (another worker's"
        " write) before its request is answered 503 with Retry-After, changing nothing. From 0"
        " to 3600. Defaults to CONVERSATIONS_SQLITE_BUSY_TIMEOUT_S, else 5.",
    ),
    "postgres_pool_size": (
        int,
        "The most connections each process holds to PostgreSQL (opened as needed). From 2 to"
        " 1000; the database must accept this many per process and replica. Defaults to"
        " CONVERSATIONS_POSTGRES_POOL_SIZE, else 10.",
    ),
    "postgres_acquire_timeout_s": (
        float,
        "Seconds a request waits for a free PostgreSQL connection of the pool before it is"
        " answered 503 with Retry-After, changing nothing. Above 0, at most 3600. Defaults to"
        " CONVERSATIONS_POSTGRES_ACQUIRE_TIMEOUT_S, else 2.",
    ),
    "postgres_connect_timeout_s": (
        float,
        "Seconds opening a connection to PostgreSQL may take before the request that needs it"
        " is answered 503 with Retry-After. Above 0, at most 3600. Defaults to"
        " CONVERSATIONS_POSTGRES_CONNECT_TIMEOUT_S, else 2.",
    ),
    "in_flight_per_organization": (
        str,  # a number or off, checked by Settings
        "The most requests of one organization served at once per process; one more is"
        " answered 429 with Retry-After, changing nothing, while other organizations are served."
        " From 1 to 65536, or off for no cap. Defaults to"
        " CONVERSATIONS_IN_FLIGHT_PER_ORGANIZATION, else 100.",
    ),
    "failed_authentications_per_minute": (
        str,  # a number or off, checked by Settings
        "Requests answered 401 (no key, or a bad one) per client address per process: a burst"
        " of N, then one every 60/N seconds; past that the address's requests (but the health"
        " probes) are answered 429 with Retry-After before any key is read. From 1 to 1000000,"
        " or off for no limit. Defaults to CONVERSATIONS_FAILED_AUTHENTICATIONS_PER_MINUTE,"
        " else 6000.",
    ),
    "key_rate": (
        str,
        "Each API key's sustained rate of requests unless the key has its own (keys create"
        " --rate, keys limit): N/s or N/min, above 0 and at most 100000/s, shared by every"
        " worker and replica on the database; past it a request is answered 429 with"
        " Retry-After. off sets no default. Defaults to CONVERSATIONS_KEY_RATE, else 10000/s.",
    ),
    "key_burst": (
        int,
        "How many requests each API key may send at once, on top of its rate, unless it has its"
        " own. From 1 to 1000000. Defaults to CONVERSATIONS_KEY_BURST, else 20000.",
    ),
}
"""The options of `serve` that bound what clients can hold, connections and requests and the
keys they leave behind: setting name → (type, help)."""

SERVE_OPERATIONS: dict[str, dict[str, Any]] = {
    "log_level": {
        "choices": ["critical", "error", "warning", "info", "debug"],
        "help": "The least severe lines logged; at info and below, one access line per request."
        " Defaults to CONVERSATIONS_LOG_LEVEL, else info.",
    },
    "log_format": {
        "choices": ["text", "json"],
        "help": "Every line as readable text, or as one JSON object. Defaults to"
        " CONVERSATIONS_LOG_FORMAT, else text.",
    },
    "access_log": {
        "action": argparse.BooleanOptionalAction,
        # Unset unless given, so that CONVERSATIONS_ACCESS_LOG applies.
        "default": argparse.SUPPRESS,
        "help": "Writes one access line per request at level info; --no-access-log writes none"
        " and keeps every other line, for a server whose requests a proxy in front already"
        " logs. Defaults to CONVERSATIONS_ACCESS_LOG, else on.",
    },
    "trusted_proxies": {
        "metavar": "ADDRESSES",
        "help": "Comma-separated addresses or networks (or *) of the proxies in front of the"
        " server, whose X-Forwarded-For names the client in the access log; from any other peer"
        " it is ignored. Defaults to CONVERSATIONS_TRUSTED_PROXIES, else none.",
    },
    "metrics": {
        "action": argparse.BooleanOptionalAction,
        # Unset unless given, so that CONVERSATIONS_METRICS applies.
        "default": argparse.SUPPRESS,
        "help": "Counts requests and serves them at /metrics (Prometheus); --no-metrics does"
        " neither, for a server nobody scrapes. Defaults to CONVERSATIONS_METRICS, else on.",
    },
    "metrics_port": {
        "type": int,
        "metavar": "PORT",
        "help": "Serves /metrics (Prometheus) on a listener of its own at this port (1 to 65535),"
        " on the same host, and no longer on the API's port. Defaults to"
        " CONVERSATIONS_METRICS_PORT, else unset.",
    },
}
"""The options of `serve` for operating it: logs, proxies, metrics (argparse keywords)."""


def add_options(serve: argparse.ArgumentParser) -> None:
    """Adds every option of `serve` to its parser."""
    serve.add_argument(
        "--host", help="The address to listen on. Defaults to CONVERSATIONS_HOST, else 127.0.0.1."
    )
    serve.add_argument(
        "--port",
        type=int,
        help="The port to listen on, from 0 (any free one) to 65535. Defaults to"
        " CONVERSATIONS_PORT, else 8283.",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="How many server processes share the port, from 1 to 256. Defaults to"
        " CONVERSATIONS_WORKERS, else 1; above 1, --port must not be 0.",
    )
    for name, (kind, text) in SERVE_LIMITS.items():
        metavar = "RATE" if name == "key_rate" else "N"
        serve.add_argument(f"--{name.replace('_', '-')}", type=kind, metavar=metavar, help=text)
    for name, options in SERVE_OPERATIONS.items():
        serve.add_argument(f"--{name.replace('_', '-')}", **options)
