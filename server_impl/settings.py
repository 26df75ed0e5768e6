"""Every setting of the server, in one place.

Each can be set by an environment variable (prefix ``CONVERSATIONS_``) or, for ``serve``, by
the command-line option of the same name, which wins.
"""

import os
import resource
from dataclasses import fields
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from server_impl.domain import idempotency, rate_limits
from server_impl.domain.ports import KeyLimit
from server_impl.storage.tuning import DEFAULTS, Tuning

DESCRIPTORS_KEPT = 54
"""File descriptors kept, beside PostgreSQL's pool, for what is not a client of the API: the
SQLite connections, logs, the listeners, and the --metrics-port listener's clients (at most 16,
ops/metrics_listener.py). A serving process holds 26 of them before any client, on SQLite."""

# Upper bounds of the numeric settings: every value up to them works (none overflows a timer,
# a date or an integer handed to C), and none above them is a sensible configuration.
MAX_BODY_BYTES = 1024 * 1024 * 1024
MAX_WORKERS = 256
MAX_HEAD_BYTES = 1024 * 1024
MAX_HEADER_FIELDS = 1000
MAX_TIMEOUT_S = 3600
"""Of the head, body, keep-alive and shutdown timeouts: an hour."""
MAX_CONNECTIONS = 65536
MAX_IDEMPOTENCY_KEY_TTL_S = 10 * 365 * 24 * 60 * 60
"""Ten years (of 365 days)."""
MAX_STATEMENT_BUDGET_S = 600
"""Ten minutes: PostgreSQL's statement_timeout is an int of milliseconds."""
MAX_SQLITE_READERS = 64
MAX_POSTGRES_POOL_SIZE = 1000
MAX_FAILED_AUTHENTICATIONS_PER_MINUTE = 1_000_000

_STORAGE = DEFAULTS
_STORAGE_FIELDS = [field.name for field in fields(Tuning)]

SWITCHED_OFF = {
    "in_flight_per_organization": MAX_CONNECTIONS,
    "failed_authentications_per_minute": MAX_FAILED_AUTHENTICATIONS_PER_MINUTE,
}
"""The limits that `off` turns off (stored as None): then they are not in the stack at all
(api/stack.py), so that they cost nothing. Each with its upper bound. --key-rate has its own
`off` (no default limit)."""

DEFAULT_KEY_RATE = "10000/s"
DEFAULT_KEY_BURST = 20000
"""Above what one key of `make bench`, `make fuzz` or any test sends, which no process here
serves faster than about 8,000 requests a second: the default bounds a runaway client of a
large deployment; the operator sets tighter limits per key (`keys create --rate`)."""

ProxyNetwork = IPv4Network | IPv6Network
EVERY_ADDRESS: tuple[ProxyNetwork, ...] = (ip_network("0.0.0.0/0"), ip_network("::/0"))


def proxy_networks(text: str) -> tuple[ProxyNetwork, ...]:
    """The networks that trusted_proxies names: comma-separated addresses (one host each) or
    networks, or * alone for every address. Raises ValueError naming an entry that is neither,
    rather than trusting nobody (or a name) without a word."""
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    if entries == ["*"]:
        return EVERY_ADDRESS
    networks = []
    for entry in entries:
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{entry!r} is neither an IP address nor a network (such as 10.0.0.1 or"
                " 10.0.0.0/8); * alone trusts every address"
            ) from None
    return tuple(networks)


class Settings(BaseSettings):
    """Read from CONVERSATIONS_* environment variables; `serve` options override them."""

    model_config = SettingsConfigDict(env_prefix="CONVERSATIONS_", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8283, ge=0, le=65535)
    database_url: str = "sqlite:///var/conversations.db"
    max_body_bytes: int = Field(default=1024 * 1024, ge=1, le=MAX_BODY_BYTES)
    workers: int = Field(default=1, ge=1, le=MAX_WORKERS)
    validate_responses: bool = False
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    log_format: Literal["text", "json"] = "text"
    access_log: bool = True
    trusted_proxies: str = ""
    """Addresses (or networks, or *) of proxies whose X-Forwarded-For names the client."""
    metrics: bool = True
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    max_head_bytes: int = Field(default=64 * 1024, ge=1024, le=MAX_HEAD_BYTES)
    max_header_fields: int = Field(default=100, ge=10, le=MAX_HEADER_FIELDS)
    head_timeout_s: float = Field(default=10.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    body_timeout_s: float = Field(default=30.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    keep_alive_s: float = Field(default=75.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    """Longer than the pools that keep idle connections to the server, so that none sends a
    request on one just as the server closes it (the client sees a reset): httpx's, under the
    official SDK and the generated client, 5 s; nginx's and AWS load balancers', 60 s."""
    shutdown_grace_s: float = Field(default=10.0, ge=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    max_connections: int | None = Field(default=None, ge=1, le=MAX_CONNECTIONS)
    idempotency_key_ttl_s: float = Field(
        default=24 * 60 * 60, gt=0, le=MAX_IDEMPOTENCY_KEY_TTL_S, allow_inf_nan=False
    )
    idempotency_lease_s: float = Field(
        default=idempotency.LEASE.total_seconds(), gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False
    )
    """Seconds a create's claim on its Idempotency-Key holds: a process that dies mid-create
    blocks the key for this long."""
    # The storage's (storage/tuning.py), whose defaults are its own.
    statement_budget_s: float = Field(
        default=_STORAGE.statement_budget_s,
        ge=0.001,
        le=MAX_STATEMENT_BUDGET_S,
        allow_inf_nan=False,
    )
    """Seconds a read (SQLite) or any statement (PostgreSQL) may run before it is ended: 503."""
    sqlite_readers: int = Field(default=_STORAGE.sqlite_readers, ge=2, le=MAX_SQLITE_READERS)
    lists_per_organization: int = Field(
        default=_STORAGE.lists_per_organization, ge=1, le=MAX_SQLITE_READERS - 1
    )
    scans_per_organization: int = Field(
        default=_STORAGE.scans_per_organization, ge=1, le=MAX_SQLITE_READERS - 1
    )
    sqlite_busy_timeout_s: float = Field(
        default=_STORAGE.sqlite_busy_timeout_s, ge=0, le=MAX_TIMEOUT_S, allow_inf_nan=False
    )
    postgres_pool_size: int = Field(
        default=_STORAGE.postgres_pool_size, ge=2, le=MAX_POSTGRES_POOL_SIZE
    )
    postgres_acquire_timeout_s: float = Field(
        default=_STORAGE.postgres_acquire_timeout_s, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False
    )
    postgres_connect_timeout_s: float = Field(
        default=_STORAGE.postgres_connect_timeout_s, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False
    )
    in_flight_per_organization: int | None = Field(default=100, ge=1, le=MAX_CONNECTIONS)
    """Requests of one organization served at once per process; more are answered 429. None
    (given as off) for no cap."""
    failed_authentications_per_minute: int | None = Field(
        default=6000, ge=1, le=MAX_FAILED_AUTHENTICATIONS_PER_MINUTE
    )
    """Requests answered 401 per client address per process: a burst of this many, then one
    each 60/N seconds; past it the address's requests are answered 429 before any key is read.
    None (given as off) for no limit."""
    key_rate: str = DEFAULT_KEY_RATE
    """Each key's sustained rate unless it has its own: N/s or N/min, or off (no default)."""
    key_burst: int = Field(default=DEFAULT_KEY_BURST, ge=1, le=rate_limits.MAX_BURST)

    @field_validator(*SWITCHED_OFF, mode="wrap")
    @classmethod
    def _count_or_off(
        cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> object:
        if isinstance(value, str) and value.strip().lower() == "off":
            return None
        try:
            return handler(value)
        except ValidationError:
            # One sentence naming both forms, rather than pydantic's words for the number alone.
            bound = SWITCHED_OFF[info.field_name or ""]
            raise ValueError(f"must be a whole number from 1 to {bound}, or off") from None

    @property
    def storage(self) -> Tuning:
        return Tuning(**{name: getattr(self, name) for name in _STORAGE_FIELDS})

    @field_validator("key_rate")
    @classmethod
    def _key_rate_is_a_rate(cls, value: str) -> str:
        if value.strip().lower() != "off":
            try:
                rate_limits.parse_rate(value)
            except rate_limits.InvalidLimit as error:
                raise ValueError(f"{error}, or off") from None
        return value

    @property
    def default_key_limit(self) -> KeyLimit | None:
        """The limit of every key that has none of its own; None for none."""
        if self.key_rate.strip().lower() == "off":
            return None
        return KeyLimit(rate_per_s=rate_limits.parse_rate(self.key_rate), burst=self.key_burst)

    @property
    def connection_limit(self) -> int:
        """``max_connections``, else as many as the descriptor limit leaves room for, at most 1024.

        Past the descriptor limit a new client's socket is refused outright; a cap below it lets
        the server make room or answer 503 instead.
        """
        if self.max_connections is not None:
            return self.max_connections
        descriptors, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if descriptors == resource.RLIM_INFINITY:
            return 1024
        return max(1, min(1024, descriptors - DESCRIPTORS_KEPT - self.postgres_pool_size))

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        proxy_networks(value)
        return value

    @property
    def trusted_networks(self) -> tuple[ProxyNetwork, ...]:
        return proxy_networks(self.trusted_proxies)

    @field_validator("metrics_port")
    @classmethod
    def _metrics_port_not_the_api_port(cls, value: int | None, info: ValidationInfo) -> int | None:
        # On the API's port the metrics listener would answer every path, /v1/health included.
        port = info.data.get("port")
        if value is not None and value == port:
            raise PydanticCustomError(
                "metrics_port_taken", "must differ from the API's port ({port})", {"port": port}
            )
        return value

    @model_validator(mode="after")
    def _lists_leave_a_connection(self) -> "Settings":
        # Below the connections that read list pages on either engine, so that one
        # organization's lists never take them all.
        for option, connections, what in (
            ("sqlite_readers", self.sqlite_readers, "a reader"),
            ("postgres_pool_size", self.postgres_pool_size, "a connection"),
        ):
            if self.lists_per_organization >= connections:
                raise ValueError(
                    "--lists-per-organization (CONVERSATIONS_LISTS_PER_ORGANIZATION) must be"
                    f" below --{option.replace('_', '-')} (CONVERSATIONS_{option.upper()}), so"
                    f" that one organization's lists always leave {what} to the others"
                )
        if self.scans_per_organization > self.lists_per_organization:
            raise ValueError(
                "--scans-per-organization (CONVERSATIONS_SCANS_PER_ORGANIZATION) must be at most"
                " --lists-per-organization (CONVERSATIONS_LISTS_PER_ORGANIZATION): a scan is one"
                " of the organization's list pages"
            )
        return self

    @model_validator(mode="after")
    def _metrics_served_if_kept(self) -> "Settings":
        if self.metrics_port is not None and not self.metrics:
            raise ValueError(
                "--metrics-port (CONVERSATIONS_METRICS_PORT) serves metrics, which --no-metrics"
                " (CONVERSATIONS_METRICS=false) turns off"
            )
        return self


def export(settings: Settings) -> None:
    """Puts settings into the environment, where the worker processes of `serve` read them."""
    for name, value in settings.model_dump().items():
        if value is None and name in SWITCHED_OFF:
            value = "off"
        if value is not None:
            os.environ[f"CONVERSATIONS_{name.upper()}"] = str(value)
