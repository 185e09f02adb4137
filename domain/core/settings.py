"""Every setting of Casebook in one typed object, read from the environment and `.env`.

Secrets have no usable default: production refuses to start without real ones.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from dotenv import dotenv_values


class Environment(str, Enum):
    PRODUCTION = "production"
    DEVELOPMENT = "development"
    TEST = "test"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


# Secrets that ship in `.env.example` or docs. Production refuses them.
KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "change-me", "dev-only-secret-change-me-in-production-0123456789"}
)
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
KEY_FILE_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "EdDSA")
DEFAULT_SQLITE_URL = "sqlite://./casebook.sqlite3"


@dataclass(frozen=True)
class Settings:
    env: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_SQLITE_URL
    database_pool_size: int = 10
    # "transaction" when DATABASE_URL points at a transaction-pooling PgBouncer: no
    # prepared statement or session state outlives a transaction (domain/core/db.py).
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
    invitation_ttl_seconds: int = 7 * 24 * 3600
    cors_origins: tuple[str, ...] = ()
    catalog_path: str = ""
    redis_url: str = ""
    max_request_bytes: int = 256 * 1024
    log_level: str = "INFO"
    # Abuse limits (api/limits.py, api/rate_limits.py): query-cost budget per request;
    # attempts per window at logIn (per email) and at logIn/refreshSession/acceptInvitation
    # (per client address).
    query_cost_limit: int = 5000
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
    # "compiled" (default): the compiled completion of schema/executor.py; "standard":
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
    extra: dict[str, str] = field(default_factory=dict)

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
        from dataclasses import replace

        return replace(self, database_url=self.database_migration_url, database_pooler="")

    def check(self) -> None:
        """Refuse settings that would run insecurely or not at all."""
        if self.jwt_algorithm in HMAC_ALGORITHMS:
            if self.is_production and (
                self.jwt_secret in KNOWN_DEFAULT_SECRETS or len(self.jwt_secret) < 32
            ):
                raise SettingsError(
                    "JWT_SECRET must be set to a random value of at least 32 characters "
                    "in production (it is missing, too short or a published default)"
                )
            if not self.jwt_secret:
                raise SettingsError("JWT_SECRET is required for " + self.jwt_algorithm)
            for pair in self.jwt_previous_secrets:
                kid, _, secret = pair.partition(":")
                if not kid or kid == self.jwt_key_id or len(secret) < 32:
                    raise SettingsError(
                        "JWT_PREVIOUS_SECRETS takes kid:secret pairs, each with a kid other than "
                        "JWT_KEY_ID and a secret of at least 32 characters")
        elif self.jwt_algorithm in KEY_FILE_ALGORITHMS:
            if not self.jwt_private_key_file or not Path(self.jwt_private_key_file).is_file():
                raise SettingsError("JWT_PRIVATE_KEY_FILE must name a readable key file")
        else:
            raise SettingsError(f"JWT_ALGORITHM {self.jwt_algorithm!r} is not supported")
        if self.access_token_ttl_seconds <= 0 or self.refresh_token_ttl_seconds <= 0:
            raise SettingsError("token lifetimes must be positive")
        if self.database_pool_size < 1:
            raise SettingsError("DATABASE_POOL_SIZE must be at least 1")
        self._check_deployment()
        if min(self.query_cost_limit, self.rate_limit_window_seconds, self.rate_limit_per_email,
               self.rate_limit_per_client) < 1:
            raise SettingsError("QUERY_COST_LIMIT, RATE_LIMIT_WINDOW_SECONDS, RATE_LIMIT_PER_EMAIL and "
                                "RATE_LIMIT_PER_CLIENT must be at least 1")
        if self.graphql_executor not in ("compiled", "standard"):
            raise SettingsError("GRAPHQL_EXECUTOR must be compiled or standard")
        self._check_identity()
        if not 0 < self.execution_timeout_seconds <= 600:
            raise SettingsError("EXECUTION_TIMEOUT_SECONDS must be a number of seconds above 0, at most 600")
        if self.worker_in_process not in ("auto", "on", "off"):
            raise SettingsError("WORKER_IN_PROCESS must be auto, on or off")
        if min(self.worker_poll_seconds, self.renewal_check_seconds, self.worker_lease_seconds) <= 0:
            raise SettingsError("WORKER_POLL_SECONDS, WORKER_LEASE_SECONDS and RENEWAL_CHECK_SECONDS must be positive")
        if self.is_production and (self.webhook_secret_key in KNOWN_DEFAULT_SECRETS
                                   or len(self.webhook_secret_key) < 32):
            raise SettingsError("WEBHOOK_SECRET_KEY must be set to a random value of at least 32 characters "
                                "in production (it encrypts webhook signing secrets at rest)")
        if any(len(key) < 32 for key in self.webhook_previous_secret_keys):
            raise SettingsError("WEBHOOK_PREVIOUS_SECRET_KEYS takes keys of at least 32 characters")
        if not 1 <= self.webhook_timeout_seconds <= 60 or self.webhook_concurrency < 1:
            raise SettingsError("WEBHOOK_TIMEOUT_SECONDS must be between 1 and 60, WEBHOOK_CONCURRENCY at least 1")
        if self.export_ttl_seconds < 60 or min(self.export_sweep_seconds, self.export_build_timeout_seconds) <= 0:
            raise SettingsError("EXPORT_TTL_SECONDS must be at least 60; EXPORT_SWEEP_SECONDS and "
                                "EXPORT_BUILD_TIMEOUT_SECONDS must be positive")
        if self.log_format not in ("json", "text"):
            raise SettingsError("LOG_FORMAT must be json or text")
        if not self.mail_url.startswith(("smtp://", "file://")):
            raise SettingsError("MAIL_URL must be smtp://host:port or file:///dir")
        self._check_transport()

    def _check_deployment(self) -> None:
        if self.database_pooler not in ("", "transaction"):
            raise SettingsError(f"DATABASE_POOLER must be 'transaction' (DATABASE_URL points at a "
                                f"transaction-pooling PgBouncer) or empty, not {self.database_pooler!r}")
        if self.transaction_pooled and not self.is_postgres:
            raise SettingsError("DATABASE_POOLER=transaction needs DATABASE_URL to be PostgreSQL (through "
                                "PgBouncer); SQLite has no pooler")
        migration_postgres = self.migration_url.startswith(("postgres://", "postgresql://", "asyncpg://"))
        if migration_postgres != self.is_postgres:
            raise SettingsError("DATABASE_MIGRATION_URL must name the same kind of database as DATABASE_URL "
                                "(PostgreSQL, reached directly rather than through PgBouncer)")
        if not 0 <= self.shutdown_drain_seconds <= 300 or not 0 < self.shutdown_timeout_seconds <= 600:
            raise SettingsError("SHUTDOWN_DRAIN_SECONDS must be 0-300 and SHUTDOWN_TIMEOUT_SECONDS above 0, "
                                "at most 600")

    def _check_transport(self) -> None:
        """Settings the command line and the HTTP transport depend on (issue 15): each
        refusal names the setting and what it takes, in one line."""
        if self.log_level.upper() not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError("REDIS_URL must be redis://host:6379/0 (or rediss://, unix://), or empty")
        if not self.public_app_url.startswith(("http://", "https://")):
            raise SettingsError("PUBLIC_APP_URL must be an http:// or https:// address")
        if self.trusted_documents not in ("", "only"):
            raise SettingsError(f"CASEBOOK_TRUSTED_DOCUMENTS must be 'only' or empty, not {self.trusted_documents!r}")
        if self.max_request_bytes < 1024:
            raise SettingsError("MAX_REQUEST_BYTES must be at least 1024")
        if self.is_production and self.metrics_token and len(self.metrics_token) < 16:
            raise SettingsError("METRICS_TOKEN must be at least 16 random characters in production")

    def _check_identity(self) -> None:
        if self.is_production and not self.two_factor_encryption_key:
            raise SettingsError("TWO_FACTOR_ENCRYPTION_KEY must be set in production (32 random bytes, "
                                "base64): it encrypts two-factor secrets at rest")
        if self.two_factor_encryption_key:
            import base64
            import binascii

            try:
                raw = base64.urlsafe_b64decode(self.two_factor_encryption_key.encode() + b"==")
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise SettingsError("TWO_FACTOR_ENCRYPTION_KEY must be 32 bytes in base64 "
                                    "(python -c 'import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())')")
        if not 0 < self.password_reset_ttl_seconds <= 3600:
            raise SettingsError("PASSWORD_RESET_TTL_SECONDS must be between 1 and 3600 (I2: within an hour)")
        if min(self.email_verification_ttl_seconds, self.email_change_ttl_seconds, self.rate_limit_per_email_client,
               self.two_factor_window_seconds, self.two_factor_per_email_client, self.two_factor_per_email,
               self.mail_window_seconds, self.mail_per_email_client, self.mail_per_email,
               self.redis_pool_size) < 1 or self.redis_pool_timeout_seconds <= 0 \
                or self.identity_response_floor_seconds < 0:
            raise SettingsError("identity lifetimes, rate limits and the Redis pool must be positive")


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


def _lines(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split("|") if part.strip())


def _int(source: dict[str, str], key: str, default: int) -> int:
    raw = source.get(key)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise SettingsError(f"{key} must be a whole number, not {raw!r}") from error


def _float(source: dict[str, str], key: str, default: float) -> float:
    raw = source.get(key)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise SettingsError(f"{key} must be a number, not {raw!r}") from error


def load_settings(environ: dict[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    """Environment variables win over `.env`; `.env` wins over defaults."""
    source: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        source.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source.update(os.environ if environ is None else environ)
    try:
        env = Environment(source.get("CASEBOOK_ENV", "development").strip().lower())
    except ValueError as error:
        raise SettingsError("CASEBOOK_ENV must be production, development or test") from error
    settings = Settings(
        env=env,
        database_url=database_url(source.get("DATABASE_URL")),
        database_pool_size=_int(source, "DATABASE_POOL_SIZE", 10),
        database_pooler=(source.get("DATABASE_POOLER") or "").strip().lower(),
        database_migration_url=_migration_url(source.get("DATABASE_MIGRATION_URL")),
        mail_url=source.get("MAIL_URL") or "file://./mail",
        mail_from=source.get("MAIL_FROM") or Settings.mail_from,
        public_app_url=(source.get("PUBLIC_APP_URL") or Settings.public_app_url).rstrip("/"),
        jwt_algorithm=source.get("JWT_ALGORITHM") or "HS256",
        jwt_secret=source.get("JWT_SECRET", ""),
        jwt_previous_secrets=_split(source.get("JWT_PREVIOUS_SECRETS", "")),
        jwt_private_key_file=source.get("JWT_PRIVATE_KEY_FILE", ""),
        jwt_public_key_files=_split(source.get("JWT_PUBLIC_KEY_FILES", "")),
        jwt_key_id=source.get("JWT_KEY_ID") or "k1",
        jwt_issuer=source.get("JWT_ISSUER") or "casebook",
        jwt_audience=source.get("JWT_AUDIENCE") or "casebook-api",
        access_token_ttl_seconds=_int(source, "ACCESS_TOKEN_TTL_SECONDS", 900),
        refresh_token_ttl_seconds=_int(source, "REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600),
        invitation_ttl_seconds=_int(source, "INVITATION_TTL_SECONDS", 7 * 24 * 3600),
        cors_origins=_split(source.get("CORS_ORIGINS", "")),
        catalog_path=source.get("CATALOG_PATH", ""),
        redis_url=source.get("REDIS_URL", ""),
        max_request_bytes=_int(source, "MAX_REQUEST_BYTES", 256 * 1024),
        log_level=source.get("LOG_LEVEL") or "INFO",
        query_cost_limit=_int(source, "QUERY_COST_LIMIT", 5000),
        rate_limit_window_seconds=_int(source, "RATE_LIMIT_WINDOW_SECONDS", 60),
        rate_limit_per_email=_int(source, "RATE_LIMIT_PER_EMAIL", 50),
        rate_limit_per_client=_int(source, "RATE_LIMIT_PER_CLIENT", 30),
        log_format=(source.get("LOG_FORMAT") or "json").strip().lower(),
        metrics_token=source.get("METRICS_TOKEN", ""),
        metrics_dir=source.get("METRICS_DIR", ""),
        execution_timeout_seconds=_float(source, "EXECUTION_TIMEOUT_SECONDS", 5.0),
        graphql_executor=(source.get("GRAPHQL_EXECUTOR") or "compiled").strip().lower(),
        worker_in_process=(source.get("WORKER_IN_PROCESS") or "auto").strip().lower(),
        worker_poll_seconds=_float(source, "WORKER_POLL_SECONDS", 1.0),
        worker_lease_seconds=_float(source, "WORKER_LEASE_SECONDS", 120.0),
        renewal_check_seconds=_float(source, "RENEWAL_CHECK_SECONDS", 60.0),
        email_verification_ttl_seconds=_int(source, "EMAIL_VERIFICATION_TTL_SECONDS", 48 * 3600),
        password_reset_ttl_seconds=_int(source, "PASSWORD_RESET_TTL_SECONDS", 30 * 60),
        email_change_ttl_seconds=_int(source, "EMAIL_CHANGE_TTL_SECONDS", 24 * 3600),
        identity_response_floor_seconds=_float(source, "IDENTITY_RESPONSE_FLOOR_SECONDS", 0.25),
        two_factor_encryption_key=source.get("TWO_FACTOR_ENCRYPTION_KEY", ""),
        rate_limit_per_email_client=_int(source, "RATE_LIMIT_PER_EMAIL_CLIENT", 5),
        two_factor_window_seconds=_int(source, "RATE_LIMIT_TWO_FACTOR_WINDOW_SECONDS", 900),
        two_factor_per_email_client=_int(source, "RATE_LIMIT_TWO_FACTOR_PER_EMAIL_CLIENT", 5),
        two_factor_per_email=_int(source, "RATE_LIMIT_TWO_FACTOR_PER_EMAIL", 10),
        mail_window_seconds=_int(source, "RATE_LIMIT_MAIL_WINDOW_SECONDS", 3600),
        mail_per_email_client=_int(source, "RATE_LIMIT_MAIL_PER_EMAIL_CLIENT", 3),
        mail_per_email=_int(source, "RATE_LIMIT_MAIL_PER_EMAIL", 5),
        redis_pool_size=_int(source, "REDIS_POOL_SIZE", 20),
        redis_pool_timeout_seconds=_float(source, "REDIS_POOL_TIMEOUT_SECONDS", 5.0),
        webhook_secret_key=source.get("WEBHOOK_SECRET_KEY", ""),
        webhook_previous_secret_keys=_split(source.get("WEBHOOK_PREVIOUS_SECRET_KEYS", "")),
        webhook_timeout_seconds=_float(source, "WEBHOOK_TIMEOUT_SECONDS", 10.0),
        webhook_concurrency=_int(source, "WEBHOOK_CONCURRENCY", 8),
        trusted_documents=(source.get("CASEBOOK_TRUSTED_DOCUMENTS") or "").strip().lower(),
        operator_password=source.get("CASEBOOK_OPERATOR_PASSWORD", ""),
        forwarded_allow_ips=source.get("FORWARDED_ALLOW_IPS", ""),
        export_dir=source.get("EXPORT_DIR") or "./exports",
        export_ttl_seconds=_int(source, "EXPORT_TTL_SECONDS", 24 * 3600),
        export_sweep_seconds=_float(source, "EXPORT_SWEEP_SECONDS", 300.0),
        export_build_timeout_seconds=_float(source, "EXPORT_BUILD_TIMEOUT_SECONDS", 3600.0),
        shutdown_drain_seconds=_float(source, "SHUTDOWN_DRAIN_SECONDS", 5.0),
        shutdown_timeout_seconds=_float(source, "SHUTDOWN_TIMEOUT_SECONDS", 20.0),
        invoice_seller_name=source.get("INVOICE_SELLER_NAME") or Settings.invoice_seller_name,
        invoice_seller_address=_lines(source.get("INVOICE_SELLER_ADDRESS")) or Settings.invoice_seller_address,
        invoice_seller_postal_code=source.get("INVOICE_SELLER_POSTAL_CODE") or Settings.invoice_seller_postal_code,
        invoice_seller_city=source.get("INVOICE_SELLER_CITY") or Settings.invoice_seller_city,
        invoice_seller_country=(source.get("INVOICE_SELLER_COUNTRY") or Settings.invoice_seller_country).upper(),
        invoice_seller_email=source.get("INVOICE_SELLER_EMAIL") or Settings.invoice_seller_email,
        invoice_seller_vat_number=source.get("INVOICE_SELLER_VAT_NUMBER") or Settings.invoice_seller_vat_number,
        invoice_seller_registration=source.get("INVOICE_SELLER_REGISTRATION", Settings.invoice_seller_registration),
        invoice_seller_time_zone=source.get("INVOICE_SELLER_TIME_ZONE") or Settings.invoice_seller_time_zone,
    )
    settings.check()
    return settings
