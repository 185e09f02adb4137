"""Every setting of Casebook in one typed object, read from the environment and `.env`
by pydantic-settings.

Secrets have no usable default: production refuses to start without real ones, and
refuses the ones published in `.env.example` and docs.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.settings_env import SettingsError, read_settings


class Environment(str, Enum):
    PRODUCTION = "production"
    DEVELOPMENT = "development"
    TEST = "test"


# Secrets that ship in `.env.example` or docs. Production refuses them.
KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "change-me", "dev-only-secret-change-me-in-production-0123456789"}
)
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
KEY_FILE_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "EdDSA")
DEFAULT_SQLITE_URL = "sqlite://./casebook.sqlite3"
# Request headers a browser app may send cross-origin: Apollo Client's clientAwareness
# headers too, so its preflight passes.
DEFAULT_CORS_ALLOW_HEADERS = ("authorization", "content-type", "accept", "x-request-id",
                              "apollographql-client-name", "apollographql-client-version")


class Settings(BaseSettings):
    """Each field is read from the environment variable of its name in capitals (or the
    one settings_env.ENV_NAMES gives); `load_settings` reads them, `Settings(...)` takes
    only what it is given, and `replace` returns a changed copy (tests)."""
    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True, enable_decoding=False)

    env: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_SQLITE_URL
    database_pool_size: int = 10
    # "transaction" when DATABASE_URL points at a transaction-pooling PgBouncer: no
    # prepared statement or session state outlives a transaction (infra/db.py).
    database_pooler: str = ""
    # A direct connection for `casebook migrate` (not through a transaction pooler);
    # empty: DATABASE_URL.
    database_migration_url: str = ""
    mail_url: str = "file://./mail"
    mail_from: str = "Casebook <no-reply@casebook.invalid>"
    public_app_url: str = "http://127.0.0.1:8000"
    jwt_algorithm: str = "HS256"
    jwt_secret: str = ""
    # Older HMAC secrets that still verify, as "kid:secret" pairs.
    jwt_previous_secrets: tuple[str, ...] = ()
    jwt_private_key_file: str = ""
    jwt_public_key_files: tuple[str, ...] = ()
    jwt_key_id: str = "k1"
    jwt_issuer: str = "casebook"
    jwt_audience: str = "casebook-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # O6: a refresh token used again within this many seconds of its first use (two tabs,
    # parallel requests) still answers a working pair; later, reuse revokes the chain (T1).
    refresh_grace_seconds: int = 10
    invitation_ttl_seconds: int = 7 * 24 * 3600
    cors_origins: tuple[str, ...] = ()
    cors_allow_headers: tuple[str, ...] = DEFAULT_CORS_ALLOW_HEADERS
    catalog_path: str = ""
    redis_url: str = ""
    max_request_bytes: int = 256 * 1024
    log_level: str = "INFO"
    # Abuse limits (api/abuse_limits.py, auth/rate_limit.py): query-cost budget per request;
    # attempts per window at logIn (per email) and at logIn/refreshSession/acceptInvitation
    # (per client address).
    query_cost_limit: int = 5000
    # Query-cost budget that refills over time (api/budget.py); 0 points: no budget.
    cost_budget_points: int = 20000
    cost_budget_restore_per_second: int = 100
    cost_budget_anonymous_points: int = 10000
    cost_budget_anonymous_restore_per_second: int = 50
    rate_limit_window_seconds: int = 60
    rate_limit_per_email: int = 50
    rate_limit_per_client: int = 30
    # Observability: "json" (one object per line) or "text"; a bearer token for /metrics.
    log_format: str = "json"
    metrics_token: str = ""
    # Where each server process leaves its metrics for /metrics to add up (several workers).
    metrics_dir: str = ""
    # O3: a GraphQL execution still running after this many seconds is stopped (api/deadline.py).
    execution_timeout_seconds: float = 5.0
    # "compiled" (default): the compiled completion of schema/compiled.py; "standard":
    # graphql-core's completion alone (the benchmark's comparison, and a way back).
    graphql_executor: str = "compiled"
    # The outbox worker (O1, O2): whether `casebook serve` runs it in-process ("auto": on
    # the embedded SQLite only), how often it looks for work and for due renewals.
    worker_in_process: str = "auto"
    worker_poll_seconds: float = 1.0
    # How long a worker holds a claimed message before another may take it over.
    worker_lease_seconds: float = 120.0
    renewal_check_seconds: float = 60.0
    # Identity (SPEC I1–I7; docs/identity.md gives the reasons for every number).
    # Lifetimes of mailed tokens: proving an address, resetting a password (at most an
    # hour, I2), confirming a new address.
    email_verification_ttl_seconds: int = 48 * 3600
    password_reset_ttl_seconds: int = 30 * 60
    email_change_ttl_seconds: int = 24 * 3600
    # requestPasswordReset and requestEmailChange answer no sooner than this, whatever
    # the address, so their timing tells nothing (I2).
    identity_response_floor_seconds: float = 0.25
    # 32 random bytes, base64: encrypts TOTP secrets at rest (I5). Required in production;
    # elsewhere derived from JWT_SECRET when unset.
    two_factor_encryption_key: str = ""
    # Throttling (I7). Failures per (address, client) and per address across clients
    # (the looser ceiling) per window; the window and per-client limit above still apply.
    rate_limit_per_email_client: int = 5
    two_factor_window_seconds: int = 900
    two_factor_per_email_client: int = 5
    two_factor_per_email: int = 10
    mail_window_seconds: int = 3600
    mail_per_email_client: int = 3
    mail_per_email: int = 5
    # Redis: a bounded pool per process that waits for a free connection, then fails
    # closed (never counts somewhere else).
    redis_pool_size: int = 20
    redis_pool_timeout_seconds: float = 5.0
    # Webhooks (T5): the key that encrypts endpoints' signing secrets at rest (required in
    # production; outside it a fixed development key stands in), older keys that still
    # decrypt, the most one delivery attempt may take, and attempts in flight per process.
    webhook_secret_key: str = ""
    webhook_previous_secret_keys: tuple[str, ...] = ()
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = 8
    # "only": run registered documents alone (api/documents.py); "" runs any document.
    trusted_documents: str = ""
    # Automatic persisted queries one client may register an hour (api/documents.py).
    persisted_queries_per_client: int = 100
    # `casebook create-operator`: the new operator's password (else one is generated).
    operator_password: str = ""
    # Proxies whose X-Forwarded-For uvicorn trusts (`casebook serve`); "" = uvicorn's default.
    forwarded_allow_ips: str = ""
    # Exports (D8): where the files live, how long a download stays possible, how often
    # expired files are deleted, how long one build may take.
    export_dir: str = "./exports"
    export_ttl_seconds: int = 24 * 3600
    export_sweep_seconds: float = 300.0
    export_build_timeout_seconds: float = 3600.0
    # Rolling deploys (api/drain.py): after SIGTERM, /readyz answers 503 this long while
    # requests are still served, so the load balancer stops sending any; then in-flight
    # requests get this long to finish before they are cancelled.
    shutdown_drain_seconds: float = 5.0
    shutdown_timeout_seconds: float = 20.0
    # How long `casebook serve` keeps an idle HTTP connection open. Whoever closes an idle
    # connection first races the other side's next request on it, which then fails with a
    # reset: the server waits longer than a load balancer's idle timeout (AWS ALB: 60 s)
    # and common client pools (httpx, Node: 5 s), so they always close first.
    http_keep_alive_seconds: float = 65.0
    # Tracing (api/tracing.py): the OpenTelemetry collector's OTLP/HTTP base address;
    # empty: no tracing at all. The service name the spans carry.
    otel_exporter_otlp_endpoint: str = ""
    otel_service_name: str = "casebook"
    # Live updates (T7, api/live): the broker ("" = redis with REDIS_URL, else postgres on
    # PostgreSQL, else memory), a direct PostgreSQL URL for LISTEN (not a transaction
    # pooler; "" = DATABASE_MIGRATION_URL, else DATABASE_URL), and the bounds of streams.
    live_broker: str = ""
    live_listen_url: str = ""
    live_connections_per_principal: int = 8
    live_connections_per_address: int = 64
    live_subscriptions_per_connection: int = 16
    live_max_message_bytes: int = 16384
    live_connection_init_seconds: float = 10.0
    live_ping_seconds: float = 30.0
    live_idle_timeout_seconds: float = 90.0
    live_queue_size: int = 64
    live_recheck_seconds: float = 60.0
    # Invoices (B6): the seller as every invoice names it; production refuses the example
    # VAT number. Address lines are separated by "|"; the time zone decides the calendar
    # year an invoice number belongs to (B3).
    invoice_seller_name: str = "Casebook B.V."
    invoice_seller_address: tuple[str, ...] = ("Keizersgracht 100",)
    invoice_seller_postal_code: str = "1015 AA"
    invoice_seller_city: str = "Amsterdam"
    invoice_seller_country: str = "NL"
    invoice_seller_email: str = "billing@casebook.example"
    invoice_seller_vat_number: str = "NL123456782B01"
    invoice_seller_registration: str = "KvK 12345678"
    invoice_seller_time_zone: str = "Europe/Amsterdam"
    extra: dict[str, str] = {}

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def honours_test_clock(self) -> bool:
        return self.env is not Environment.PRODUCTION

    @property
    def runs_worker_in_process(self) -> bool:
        return self.worker_in_process == "on" or (self.worker_in_process == "auto" and not self.is_postgres)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))

    @property
    def migration_url(self) -> str:
        """Where `casebook migrate` connects: never through a transaction pooler when a
        direct URL is given."""
        return self.database_migration_url or self.database_url

    @property
    def transaction_pooled(self) -> bool:
        return self.database_pooler == "transaction"

    def for_migrations(self) -> "Settings":
        """These settings as `casebook migrate` uses them: on DATABASE_MIGRATION_URL when
        set, a direct connection, so no pooler applies."""
        if not self.database_migration_url:
            return self
        return self.replace(database_url=self.database_migration_url, database_pooler="")

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some settings changed, normalised like the originals and, like
        them, not checked: `check` is `load_settings`'s."""
        return type(self)(**{**{name: getattr(self, name) for name in type(self).model_fields}, **changes})

    def __init__(self, **values: Any) -> None:
        """`Settings(...)` takes only its arguments, validated; the environment and `.env`
        are read by `load_settings`, which can be given another environment. (Skipping
        pydantic-settings' own sources here makes building one a hundred times cheaper:
        the tests build one per test.)"""
        BaseModel.__init__(self, **values)

    @field_validator("env", mode="before")
    @classmethod
    def _environment(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return Environment(value.strip().lower())
            except ValueError:
                raise ValueError("CASEBOOK_ENV must be production, development or test") from None
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> Any:
        return database_url(value)

    @field_validator("database_migration_url", "live_listen_url", mode="before")
    @classmethod
    def _database_migration_url(cls, value: Any) -> Any:
        return _migration_url(value)

    @field_validator("invoice_seller_address", mode="before")
    @classmethod
    def _address_lines(cls, value: Any) -> Any:
        """Address lines are written `line 1|line 2` in the environment."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split("|") if part.strip())
        return value

    @field_validator("invoice_seller_country", mode="before")
    @classmethod
    def _country_code(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("public_app_url", mode="before")
    @classmethod
    def _without_trailing_slash(cls, value: Any) -> Any:
        return value.rstrip("/") if isinstance(value, str) else value

    @field_validator("database_pooler", "log_format", "graphql_executor", "worker_in_process", "trusted_documents",
                     "live_broker", mode="before")
    @classmethod
    def _keyword(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("jwt_previous_secrets", "jwt_public_key_files", "cors_origins", "cors_allow_headers",
                     "webhook_previous_secret_keys", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        """Lists are written `a,b` (or `a;b`) in the environment."""
        return _split(value) if isinstance(value, str) else value

    def check(self) -> None:
        """Refuse settings that would run insecurely or not at all, naming every problem
        at once, so an operator fixes them in one round."""
        problems: list[str] = []
        self._check_security(problems)
        self._check_deployment(problems)
        self._check_identity(problems)
        self._check_transport(problems)
        if problems:
            raise SettingsError("\n".join(problems))

    def _check_security(self, problems: list[str]) -> None:
        if self.jwt_algorithm in HMAC_ALGORITHMS:
            if self.is_production and (
                self.jwt_secret in KNOWN_DEFAULT_SECRETS or len(self.jwt_secret) < 32
            ):
                problems.append(
                    "JWT_SECRET must be set to a random value of at least 32 characters "
                    "in production (it is missing, too short or a published default)"
                )
            elif not self.jwt_secret:
                problems.append("JWT_SECRET is required for " + self.jwt_algorithm)
            for pair in self.jwt_previous_secrets:
                kid, _, secret = pair.partition(":")
                if not kid or kid == self.jwt_key_id or len(secret) < 32:
                    problems.append(
                        "JWT_PREVIOUS_SECRETS takes kid:secret pairs, each with a kid other than "
                        "JWT_KEY_ID and a secret of at least 32 characters")
                    break
        elif self.jwt_algorithm in KEY_FILE_ALGORITHMS:
            if not self.jwt_private_key_file or not Path(self.jwt_private_key_file).is_file():
                problems.append("JWT_PRIVATE_KEY_FILE must name a readable key file")
        else:
            problems.append(f"JWT_ALGORITHM {self.jwt_algorithm!r} is not supported")
        if self.access_token_ttl_seconds <= 0 or self.refresh_token_ttl_seconds <= 0:
            problems.append("token lifetimes must be positive")
        if not 0 <= self.refresh_grace_seconds <= 300:
            problems.append("REFRESH_GRACE_SECONDS must be between 0 and 300")
        if self.database_pool_size < 1:
            problems.append("DATABASE_POOL_SIZE must be at least 1")
        if min(self.query_cost_limit, self.rate_limit_window_seconds, self.rate_limit_per_email,
               self.rate_limit_per_client) < 1:
            problems.append("QUERY_COST_LIMIT, RATE_LIMIT_WINDOW_SECONDS, RATE_LIMIT_PER_EMAIL and "
                                "RATE_LIMIT_PER_CLIENT must be at least 1")
        if self.graphql_executor not in ("compiled", "standard"):
            problems.append("GRAPHQL_EXECUTOR must be compiled or standard")
        if not 0 < self.execution_timeout_seconds <= 600:
            problems.append("EXECUTION_TIMEOUT_SECONDS must be a number of seconds above 0, at most 600")
        if self.worker_in_process not in ("auto", "on", "off"):
            problems.append("WORKER_IN_PROCESS must be auto, on or off")
        if min(self.worker_poll_seconds, self.renewal_check_seconds, self.worker_lease_seconds) <= 0:
            problems.append("WORKER_POLL_SECONDS, WORKER_LEASE_SECONDS and RENEWAL_CHECK_SECONDS must be positive")
        if self.is_production and (self.webhook_secret_key in KNOWN_DEFAULT_SECRETS
                                   or len(self.webhook_secret_key) < 32):
            problems.append("WEBHOOK_SECRET_KEY must be set to a random value of at least 32 characters "
                                "in production (it encrypts webhook signing secrets at rest)")
        if any(len(key) < 32 for key in self.webhook_previous_secret_keys):
            problems.append("WEBHOOK_PREVIOUS_SECRET_KEYS takes keys of at least 32 characters")
        if not 1 <= self.webhook_timeout_seconds <= 60 or self.webhook_concurrency < 1:
            problems.append("WEBHOOK_TIMEOUT_SECONDS must be between 1 and 60, WEBHOOK_CONCURRENCY at least 1")
        if self.export_ttl_seconds < 60 or min(self.export_sweep_seconds, self.export_build_timeout_seconds) <= 0:
            problems.append("EXPORT_TTL_SECONDS must be at least 60; EXPORT_SWEEP_SECONDS and "
                                "EXPORT_BUILD_TIMEOUT_SECONDS must be positive")
        if self.log_format not in ("json", "text"):
            problems.append("LOG_FORMAT must be json or text")
        if not self.mail_url.startswith(("smtp://", "file://")):
            problems.append("MAIL_URL must be smtp://host:port or file:///dir")

    def _check_deployment(self, problems: list[str]) -> None:
        if self.database_pooler not in ("", "transaction"):
            problems.append(f"DATABASE_POOLER must be 'transaction' (DATABASE_URL points at a "
                                f"transaction-pooling PgBouncer) or empty, not {self.database_pooler!r}")
        if self.transaction_pooled and not self.is_postgres:
            problems.append("DATABASE_POOLER=transaction needs DATABASE_URL to be PostgreSQL (through "
                                "PgBouncer); SQLite has no pooler")
        migration_postgres = self.migration_url.startswith(("postgres://", "postgresql://", "asyncpg://"))
        if migration_postgres != self.is_postgres:
            problems.append("DATABASE_MIGRATION_URL must name the same kind of database as DATABASE_URL "
                                "(PostgreSQL, reached directly rather than through PgBouncer)")
        if not 0 <= self.shutdown_drain_seconds <= 300 or not 0 < self.shutdown_timeout_seconds <= 600:
            problems.append("SHUTDOWN_DRAIN_SECONDS must be 0-300 and SHUTDOWN_TIMEOUT_SECONDS above 0, "
                                "at most 600")
        if not 1 <= self.http_keep_alive_seconds <= 3600:
            problems.append("HTTP_KEEP_ALIVE_SECONDS must be 1-3600 (longer than the load balancer's idle "
                                "timeout)")

    def _check_transport(self, problems: list[str]) -> None:
        """Settings the command line and the HTTP transport depend on: each refusal names
        the setting and what it takes, in one line, so a typo is fixed without reading code."""
        if self.log_level.upper() not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")
        if min(self.cost_budget_points, self.cost_budget_anonymous_points) < 0 or min(
                self.cost_budget_restore_per_second, self.cost_budget_anonymous_restore_per_second) < 1:
            problems.append("COST_BUDGET_*_POINTS must be 0 (no budget) or more, COST_BUDGET_*RESTORE_PER_SECOND "
                            "at least 1")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            problems.append("REDIS_URL must be redis://host:6379/0 (or rediss://, unix://), or empty")
        if not self.public_app_url.startswith(("http://", "https://")):
            problems.append("PUBLIC_APP_URL must be an http:// or https:// address")
        if self.live_broker not in ("", "memory", "postgres", "redis"):
            problems.append(f"LIVE_BROKER must be memory, postgres, redis or empty, not {self.live_broker!r}")
        if self.live_broker == "redis" and not self.redis_url:
            problems.append("LIVE_BROKER=redis needs REDIS_URL")
        if self.live_broker == "postgres" and not self.is_postgres:
            problems.append("LIVE_BROKER=postgres needs DATABASE_URL to be PostgreSQL")
        if min(self.live_connections_per_principal, self.live_connections_per_address,
               self.live_subscriptions_per_connection, self.live_max_message_bytes, self.live_queue_size) < 1 or min(
                self.live_connection_init_seconds, self.live_ping_seconds, self.live_idle_timeout_seconds,
                self.live_recheck_seconds) <= 0:
            problems.append("the LIVE_* limits and intervals must be positive")
        if self.trusted_documents not in ("", "only"):
            problems.append(f"CASEBOOK_TRUSTED_DOCUMENTS must be 'only' or empty, not {self.trusted_documents!r}")
        if self.otel_exporter_otlp_endpoint and not self.otel_exporter_otlp_endpoint.startswith(("http://", "https://")):
            problems.append("OTEL_EXPORTER_OTLP_ENDPOINT must be the collector's http:// or https:// address, or empty")
        if self.max_request_bytes < 1024:
            problems.append("MAX_REQUEST_BYTES must be at least 1024")
        if self.is_production and self.metrics_token and len(self.metrics_token) < 16:
            problems.append("METRICS_TOKEN must be at least 16 random characters in production")

    def _check_identity(self, problems: list[str]) -> None:
        if self.is_production and not self.two_factor_encryption_key:
            problems.append("TWO_FACTOR_ENCRYPTION_KEY must be set in production (32 random bytes, "
                                "base64): it encrypts two-factor secrets at rest")
        if self.two_factor_encryption_key:
            import base64
            import binascii

            try:
                raw = base64.urlsafe_b64decode(self.two_factor_encryption_key.encode() + b"==")
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                problems.append("TWO_FACTOR_ENCRYPTION_KEY must be 32 bytes in base64 "
                                    "(python -c 'import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())')")
        if not 0 < self.password_reset_ttl_seconds <= 3600:
            problems.append("PASSWORD_RESET_TTL_SECONDS must be between 1 and 3600 (I2: within an hour)")
        if min(self.email_verification_ttl_seconds, self.email_change_ttl_seconds, self.rate_limit_per_email_client,
               self.two_factor_window_seconds, self.two_factor_per_email_client, self.two_factor_per_email,
               self.mail_window_seconds, self.mail_per_email_client, self.mail_per_email,
               self.redis_pool_size) < 1 or self.redis_pool_timeout_seconds <= 0 \
                or self.identity_response_floor_seconds < 0:
            problems.append("identity lifetimes, rate limits and the Redis pool must be positive")


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
DATABASE_URL_FORMS = ("postgres://user:password@host:5432/casebook, or an SQLite file: ./casebook.sqlite3, "
                      "sqlite:///absolute/path.sqlite3 or sqlite://:memory:")


def database_url(raw: str | None) -> str:
    """DATABASE_URL checked and normalised. A bare path (`./other.sqlite3`, as README
    shows the default) is an SQLite file. The message never repeats a password."""
    value = (raw or "").strip()
    if not value:
        return DEFAULT_SQLITE_URL
    scheme, separator, rest = value.partition("://")
    if not separator:
        if value.lower().startswith(("postgres:", "postgresql:", "sqlite:")):
            raise SettingsError(f"DATABASE_URL must look like {DATABASE_URL_FORMS}")
        return "sqlite://" + value
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest:
            raise SettingsError(f"DATABASE_URL names no SQLite file; it must look like {DATABASE_URL_FORMS}")
        return value
    if scheme in ("postgres", "postgresql", "asyncpg"):
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
        except ValueError:
            raise SettingsError("DATABASE_URL has a port that is not a number from 1 to 65535") from None
        if not parts.hostname or not parts.path.strip("/"):
            raise SettingsError(f"DATABASE_URL needs a host and a database name, like {DATABASE_URL_FORMS}")
        return value
    raise SettingsError(f"DATABASE_URL scheme {scheme + '://'!r} is not supported; use {DATABASE_URL_FORMS}")


def _migration_url(raw: str | None) -> str:
    if not (raw or "").strip():
        return ""
    try:
        return database_url(raw)
    except SettingsError as error:
        raise SettingsError(str(error).replace("DATABASE_URL", "DATABASE_MIGRATION_URL")) from None


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    """The settings from `environ` (default: the process environment) over `.env` over the
    defaults, checked; every problem named at once (infra/settings_env.py)."""
    return read_settings(Settings, environ, env_file)
