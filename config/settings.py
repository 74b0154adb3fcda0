"""The one settings module: every value comes from the environment (or `.env`), with dev defaults."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from config.env import (
    database_from_env,
    dev_secret_key,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
    load_dotenv,
    s3_storage_settings,
)

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

# --- Core ---------------------------------------------------------------------------------------
# A secret key or host names in the environment mean a deployment: DEBUG is then off (and with it every
# protection below on) unless DEBUG_FLAG turns it on. With neither, this is a developer's machine.
IS_DEPLOYMENT = bool(env_str("SECRET_KEY") or env_str("ALLOWED_HOSTS"))
DEBUG = env_bool("DEBUG_FLAG", env_bool("DEBUG", not IS_DEPLOYMENT))
SECRET_KEY = env_str("SECRET_KEY") or dev_secret_key(BASE_DIR / ".dev-secret-key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Who the client is (config.api.client_address): REMOTE_ADDR, unless the request came through proxies we
# trust, whose X-Forwarded-For is then read from the right. NUM_PROXIES: how many proxies stand in front
# (0: trust no forwarded header); TRUSTED_PROXIES: their addresses or networks.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ValueError(f"NUM_PROXIES must be 0 or more, got {NUM_PROXIES}")
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

INSTALLED_APPS = [
    # unfold's basic config leaves the default admin site to config.apps.AdminConfig (the search fix).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    # The project's own infrastructure tables (the shared cache).
    "config.apps.ProjectConfig",
    "accounts",
    "catalog",
    "partners",
    "orders",
]

MIDDLEWARE = [
    # Health probes are answered before host checks, HTTPS redirects and request logging.
    "config.health.HealthCheckMiddleware",
    "config.middleware.RequestLogMiddleware",
    "config.middleware.DatabaseBusyMiddleware",
    "config.middleware.HttpsRedirectLoopMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": database_from_env(BASE_DIR)}
# Behind PgBouncer in transaction pooling mode, server-side cursors (`.iterator()`) cannot span
# transactions: turn them off there (docs/deployment.md).
if env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Web requests stop waiting for a row lock after DB_WEB_LOCK_TIMEOUT_MS and abandon a statement after
# DB_WEB_STATEMENT_TIMEOUT_MS (PostgreSQL; 0 turns one off), so one slow writer cannot hold every web
# process: the request answers 503 "busy, try again" instead. Only web processes (`config.wsgi`, which
# sets PROCUREMENT_ROLE=web) get them: workers, imports and migrations may legitimately run long.
DB_WEB_LOCK_TIMEOUT_MS = env_int("DB_WEB_LOCK_TIMEOUT_MS", 3000)
DB_WEB_STATEMENT_TIMEOUT_MS = env_int("DB_WEB_STATEMENT_TIMEOUT_MS", 30000)
DB_WEB_TIMEOUTS = env_str("PROCUREMENT_ROLE") == "web" and DATABASES["default"]["ENGINE"].endswith(
    "postgresql"
)
if DB_WEB_TIMEOUTS:
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        part
        for part in (
            _options.get("options", ""),
            f"-c lock_timeout={DB_WEB_LOCK_TIMEOUT_MS}",
            f"-c statement_timeout={DB_WEB_STATEMENT_TIMEOUT_MS}",
            # Requests are short and many run at once: parallel workers and JIT compilation add tens of
            # milliseconds to a query and take cores other requests need (issue 12's measurements).
            "-c max_parallel_workers_per_gather=0",
            "-c jit=off",
        )
        if part
    )
# The catalog's search finds a name that resembles a misspelt word at this trigram word similarity
# (`catalog.search`): 0.5 lets one wrong letter of an eight-letter word through, pg_trgm's default 0.6
# does not. A connection setting, so a search costs no statement to set it.
CATALOG_SEARCH_WORD_SIMILARITY = env_str("CATALOG_SEARCH_WORD_SIMILARITY", "0.5")
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        part
        for part in (
            _options.get("options", ""),
            f"-c pg_trgm.word_similarity_threshold={float(CATALOG_SEARCH_WORD_SIMILARITY)}",
        )
        if part
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Passwords are checked by ModelBackend behind the sign-in limits of accounts.login_limits.
AUTHENTICATION_BACKENDS = ["accounts.backends.LoginLimitBackend"]
# A username that fails this many times from one client address is refused there for the lockout time;
# a username that fails LOGIN_ACCOUNT_FAILURE_LIMIT times within that time, from any addresses, is refused
# from every address it has not signed in from in the last LOGIN_KNOWN_ADDRESS_DAYS days.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 20)
LOGIN_KNOWN_ADDRESS_DAYS = env_int("LOGIN_KNOWN_ADDRESS_DAYS", 30)
# The admin is the only place people sign in with a password; the API uses tokens.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ---------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Every file the service keeps (uploaded price lists and previews, admin exports) goes through the
# default storage and nothing else: the local file system under MEDIA_ROOT (one machine), or with
# MEDIA_STORAGE=s3 an S3-compatible bucket (AWS S3, MinIO, Ceph, Yandex Object Storage...) that every
# web and worker machine reaches, configured by django-storages' AWS_* variables. Files are never
# served from a URL: the admin streams them to the users allowed to see them.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "filesystem").strip().lower() or "filesystem"
if MEDIA_STORAGE not in ("filesystem", "s3"):
    raise ValueError(f"MEDIA_STORAGE must be filesystem or s3, got {MEDIA_STORAGE!r}")
if MEDIA_STORAGE == "s3":
    # AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME, AWS_ACCESS_KEY_ID,
    # AWS_SECRET_ACCESS_KEY and a few more (config.env.s3_storage_settings says which and why).
    globals().update(s3_storage_settings())
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage"
        if MEDIA_STORAGE == "s3"
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Price lists are uploaded whole; the import engine enforces its own (larger) limit.
# 160 MiB fits a 200,000-goods price list (about 120 MB); parsing streams, so memory does not grow with it.
PRICE_LIST_MAX_BYTES = env_int("PRICE_LIST_MAX_BYTES", 160 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# With a broker, admin uploads larger than this are previewed and applied by a worker; the default 0
# queues every upload, like the API. Raise it to preview small files within the request.
PRICE_LIST_BACKGROUND_BYTES = env_int("PRICE_LIST_BACKGROUND_BYTES", 0)
# An import still "running" after this long is taken as abandoned by a dead worker and run again;
# keep it above CELERY_TASK_TIME_LIMIT and below CELERY_VISIBILITY_TIMEOUT.
PRICE_LIST_IMPORT_STALE_SECONDS = env_int("PRICE_LIST_IMPORT_STALE_SECONDS", 2400)
PRICE_LIST_URL_TIMEOUT = env_int("PRICE_LIST_URL_TIMEOUT", 20)
# Hosts that URL imports may reach even though they resolve to private addresses.
PRICE_LIST_URL_ALLOWED_HOSTS = env_list("PRICE_LIST_URL_ALLOWED_HOSTS")

# Admin exports (CSV, XLSX) of more rows than this are built by a worker, with a progress page and a
# download link; smaller ones are written in the request.
ADMIN_EXPORT_BACKGROUND_ROWS = env_int("ADMIN_EXPORT_BACKGROUND_ROWS", 5000)
# Kept files are deleted by beat after this long (0: kept for ever): price lists and previews after
# MEDIA_RETENTION_DAYS (their import records stay, marked), admin exports, which may hold customers'
# addresses and phones, after ADMIN_EXPORT_RETENTION_HOURS.
MEDIA_RETENTION_DAYS = env_int("MEDIA_RETENTION_DAYS", 90)
ADMIN_EXPORT_RETENTION_HOURS = env_int("ADMIN_EXPORT_RETENTION_HOURS", 24)

# --- Email ---------------------------------------------------------------------------------------
# In development every e-mail is a readable UTF-8 file in EMAIL_FILE_PATH (var/mail/), not base64 on the
# console (accounts.mail_files); in production SMTP.
EMAIL_BACKEND_PATH = env_str(
    "EMAIL_BACKEND",
    "accounts.mail_files.ReadableFileBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
MAIL_FILES_DIR = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    EMAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": env_int("EMAIL_TIMEOUT", 20),
    }
elif EMAIL_BACKEND_PATH.endswith(("filebased.EmailBackend", "mail_files.ReadableFileBackend")):
    EMAIL_OPTIONS = {"file_path": MAIL_FILES_DIR}
else:
    EMAIL_OPTIONS = {}
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Procurement <noreply@procurement.local>")
# An email that failed this many times is given up (status "failed", logged at ERROR, retried from
# the admin); attempts are spaced 30 s, 1 min, 2 min… up to an hour apart.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 10)
# Who receives the fulfilment invoice of every new order; empty means every active staff user.
ORDER_NOTIFY_EMAILS = env_list("ORDER_NOTIFY_EMAILS")

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
# Without a broker every task runs in-process, so a newcomer needs nothing installed.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A queue per kind of work, so a 30-minute import never delays a password-reset e-mail: `imports` for
# long work (price-list imports, admin exports), `emails` for the outbox, `default` for the rest (short
# periodic housekeeping). A worker started without `-Q` consumes all three (development); production
# runs one worker per kind (docs/deployment.md). The names are part of the deployment: keep them.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("imports"), Queue("emails"), Queue("default")]
CELERY_TASK_ROUTES = {
    "partners.tasks.import_price_list_task": {"queue": "imports"},
    "config.exports.build_admin_export": {"queue": "imports"},
    "accounts.tasks.send_outbox_email": {"queue": "emails"},
    "accounts.tasks.sweep_outbox_emails": {"queue": "emails"},
    "accounts.tasks.send_email": {"queue": "emails"},
}
# A task that never reports back within this many seconds is redelivered (Redis visibility timeout);
# it must exceed the longest import.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Processes per worker machine; unset means one per CPU core.
CELERY_WORKER_CONCURRENCY = env_int("CELERY_CONCURRENCY", 0) or None
# Periodic work, run by one `celery -A config beat` process.
CELERY_BEAT_SCHEDULE = {
    "clean-expired-tokens": {
        "task": "accounts.tasks.clean_expired_tokens",
        "schedule": env_int("TOKEN_CLEANUP_INTERVAL", 3600),
    },
    "clean-login-records": {
        "task": "accounts.tasks.clean_login_records",
        "schedule": 3600,
    },
    "resume-stale-imports": {
        "task": "partners.tasks.resume_stale_imports",
        "schedule": env_int("IMPORT_RESUME_INTERVAL", 600),
    },
    # Sends what the outbox still holds: emails whose hand-off to the broker failed, whose retry is
    # due, or whose worker died while sending.
    "delete-expired-files": {
        "task": "config.tasks.delete_expired_files",
        "schedule": env_int("MEDIA_RETENTION_INTERVAL", 3600),
    },
    "sweep-outbox-emails": {
        "task": "accounts.tasks.sweep_outbox_emails",
        "schedule": env_int("EMAIL_SWEEP_INTERVAL", 60),
    },
}

# --- REST API ------------------------------------------------------------------------------------
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 0)
# `load_demo` keeps the demo credentials here for `manage.py devserver` (`make run`) to show at start-up.
DEMO_CREDENTIALS_FILE = BASE_DIR / "var" / "demo-credentials.txt"
# How long the token of an email-confirmation message stays valid.
EMAIL_CONFIRMATION_MAX_AGE = env_int("EMAIL_CONFIRMATION_MAX_AGE_HOURS", 72) * 3600
# What an unconfirmed e-mail address stops (accounts.email_confirmation): `mandatory` — API sign-in until
# the account has confirmed an address, and placing orders until the current one is confirmed;
# `optional` — placing orders only; `off` — nothing (the original service's behaviour).
EMAIL_CONFIRMATION = env_str("EMAIL_CONFIRMATION", "mandatory").strip().lower()
if EMAIL_CONFIRMATION not in ("mandatory", "optional", "off"):
    raise ValueError(f"EMAIL_CONFIRMATION must be mandatory, optional or off, got {EMAIL_CONFIRMATION!r}")
# The product listing's total needs a scan of every listed offer; it is cached this long (0: never).
CATALOG_LISTING_COUNT_CACHE_SECONDS = env_int("CATALOG_LISTING_COUNT_CACHE_SECONDS", 30)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": [
        "config.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.AnonThrottle",
        "config.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "120/min"),
        "user": env_str("THROTTLE_USER", "600/min"),
        "login": env_str("THROTTLE_LOGIN", "10/min"),
        "register": env_str("THROTTLE_REGISTER", "10/hour"),
        "password_reset": env_str("THROTTLE_PASSWORD_RESET", "5/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS) if API_TOKEN_TTL_HOURS else None,
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
API_DESCRIPTION = """Customers order from many partner shops; partners publish price lists.

**Signing in.** `POST /get_token/` with `username` (the username, or the e-mail address in any case) or
`email`, and `password`, answers `{"token": "..."}`; send it as `Authorization: Token <token>`. While
`EMAIL_CONFIRMATION` is `mandatory` (the default), an account that has never confirmed an e-mail address
gets 403 `email_not_confirmed`: the confirmation e-mail has a link, and `POST /register/confirm/resend/`
sends a new one.

**Errors.** Every error answers `{"detail": "...", "code": "...", "errors": {"field": ["..."]}}` with its
status: 400 invalid input (`errors` names every field, `items[2].quantity` for a line of a list), 401 no or
a wrong token, 403 not allowed, 404 not found or not yours, 409 a state that does not allow it, 413 too
large, 429 too many requests (see `Retry-After`).

**Listings** take `page` and `page_size` (at most 100) and only the query parameters they document; any
other name is a 400 that lists the allowed ones, so a typo never returns the unfiltered list. The
reference API's `shop_id` and `category_id` are accepted as aliases of `shop` and `category`.

**The basket** takes one line (`product_info`, `quantity`) or several (`items`: a list, or the same list
as a JSON string from a form), all or nothing.
"""
SPECTACULAR_SETTINGS = {
    "TITLE": "Retail procurement API",
    "DESCRIPTION": API_DESCRIPTION,
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags in the order a client author meets them; config.api.schema tags each view by its app.
    "TAGS": [
        {
            "name": "accounts",
            "description": "Registration, e-mail confirmation, API tokens (sign in with the username or the "
            "e-mail address), the profile, delivery contacts and password reset.",
        },
        {
            "name": "catalog",
            "description": "What can be ordered: products with their offers, shops and categories.",
        },
        {
            "name": "orders",
            "description": "The basket (one line or several at once, by shop with delivery costs), placing "
            "an order, the customer's orders and their shipments.",
        },
        {
            "name": "partners",
            "description": "For suppliers: price-list imports and their status, opening and closing shops, "
            "the price-list export, and the partner's shipments.",
        },
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.attach_examples",
    ],
    # Swagger UI and ReDoc from the project's own static files (drf-spectacular-sidecar): the docs work
    # with no internet access and load nothing from other sites.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Orders and their shipments both have a `state`, with different choices: each set gets its name.
    "ENUM_NAME_OVERRIDES": {
        "OrderStateEnum": "orders.models.Order.State",
        "ShipmentStateEnum": "orders.models.Shipment.State",
        "ShipmentMoveEnum": "orders.api.serializers.MOVES",
    },
}

# --- Cache ---------------------------------------------------------------------------------------
# Throttles count in the cache, so every web process must share it: Redis when CACHE_URL is set, else a
# table in the database (made by `migrate`). Only with DEBUG on (runserver: one process) is each
# process's own memory good enough.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # A cache that stops answering must fail requests fast, not hold every worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
elif DEBUG:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",  # config.models.CACHE_TABLE
            # Beyond this many entries expired ones are deleted, then a third of the rest; past a few
            # thousand clients a minute use Redis (CACHE_URL).
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# --- Security --------------------------------------------------------------------------------------
# With DEBUG off every protection is on unless its own variable turns it off, so `check --deploy` is
# clean with just SECRET_KEY and ALLOWED_HOSTS: HTTP is redirected to HTTPS, browsers are told to use
# HTTPS only for a year (HSTS; sent on HTTPS answers only), cookies travel over HTTPS only.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Opt-in: includeSubDomains binds every subdomain of the host to HTTPS, and preload asks browsers to
# hard-code that (undoing it takes months). That is a decision about the whole domain, for its owner;
# Django's reminders that they are off (W005, W021) are therefore silenced.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# Which requests came over HTTPS: behind the documented nginx, gunicorn takes the scheme from the
# proxy's X-Forwarded-Proto, and only from the addresses in FORWARDED_ALLOW_IPS (127.0.0.1), so Django
# needs no header of its own and a client cannot claim HTTPS. BEHIND_HTTPS_PROXY=True makes Django
# believe the header from anyone: only for a server that nothing but the proxy can reach and that does
# not do this itself (gunicorn does). A proxy that is not trusted makes the redirect loop; the first
# such request is logged with the fix (`config.middleware.HttpsRedirectLoopMiddleware`).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Metrics -------------------------------------------------------------------------------------
# `/metrics` (Prometheus) answers only when METRICS_ENABLED, and then only a request with
# `Authorization: Bearer <METRICS_TOKEN>` or from an address in METRICS_ALLOWED_ADDRESSES (addresses or
# networks, as config.api.client_address sees the client). Turned on with neither, it answers nobody
# (and `check` says so). gunicorn collects its processes' numbers with PROMETHEUS_MULTIPROC_DIR
# (gunicorn.conf.py).
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_ADDRESSES = env_networks("METRICS_ALLOWED_ADDRESSES")

# --- Logging -------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# `json`: one object per line on stdout (production); `plain`: readable lines (development).
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "config.logging.RequestContextFilter"},
        "redact_secrets": {"()": "config.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "plain": {"()": "config.logging.PlainFormatter"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_context", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replace Django's own handlers so every line goes through the same filters and format.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Admin (unfold) ------------------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": _("Procurement"),
    "SITE_HEADER": _("Procurement back office"),
    "SITE_SYMBOL": "storefront",
    "SHOW_LANGUAGES": True,
    # The admin sign-in form that says when an attempt is refused by the sign-in limits.
    "LOGIN": {"form": "accounts.forms.AdminLoginForm"},
    "ENVIRONMENT": "config.dashboard.environment_callback",
    "DASHBOARD_CALLBACK": "config.dashboard.dashboard_callback",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Overview"),
                "items": [
                    {"title": _("Dashboard"), "icon": "dashboard", "link": reverse_lazy("admin:index")},
                ],
            },
            {
                "title": _("Orders"),
                "collapsible": False,
                "items": [
                    {
                        "title": _("Orders"),
                        "icon": "shopping_cart",
                        "link": reverse_lazy("admin:orders_order_changelist"),
                        "badge": "config.dashboard.new_orders_badge",
                        "permission": "config.dashboard.can_view_orders",
                    },
                    {
                        "title": _("Shipments"),
                        "icon": "local_shipping",
                        "link": reverse_lazy("admin:orders_shipment_changelist"),
                        "badge": "config.dashboard.new_shipments_badge",
                        "permission": "config.dashboard.can_view_shipments",
                    },
                ],
            },
            {
                "title": _("Catalog"),
                "items": [
                    {
                        "title": _("Offers"),
                        "icon": "sell",
                        "link": reverse_lazy("admin:catalog_offer_changelist"),
                        "permission": "config.dashboard.can_view_offers",
                    },
                    {
                        "title": _("Products"),
                        "icon": "inventory_2",
                        "link": reverse_lazy("admin:catalog_product_changelist"),
                        "permission": "config.dashboard.can_view_products",
                    },
                    {
                        "title": _("Categories"),
                        "icon": "category",
                        "link": reverse_lazy("admin:catalog_category_changelist"),
                        "permission": "config.dashboard.can_view_categories",
                    },
                ],
            },
            {
                "title": _("Partners"),
                "items": [
                    {
                        "title": _("Shops"),
                        "icon": "storefront",
                        "link": reverse_lazy("admin:catalog_shop_changelist"),
                        "permission": "config.dashboard.can_view_shops",
                    },
                    {
                        "title": _("Price-list imports"),
                        "icon": "upload_file",
                        "link": reverse_lazy("admin:partners_pricelistimport_changelist"),
                        "permission": "config.dashboard.can_view_imports",
                    },
                ],
            },
            {
                "title": _("Users"),
                "items": [
                    {
                        "title": _("Users"),
                        "icon": "person",
                        "link": reverse_lazy("admin:accounts_user_changelist"),
                        "permission": "config.dashboard.can_manage_people",
                    },
                    {
                        "title": _("Contacts"),
                        "icon": "contact_mail",
                        "link": reverse_lazy("admin:accounts_contact_changelist"),
                        "permission": "config.dashboard.can_manage_people",
                    },
                    {
                        "title": _("Sign-in lockouts"),
                        "icon": "lock_clock",
                        "link": reverse_lazy("admin:accounts_loginfailure_changelist"),
                        "permission": "config.dashboard.can_manage_people",
                    },
                    {
                        "title": _("Groups"),
                        "icon": "group",
                        "link": reverse_lazy("admin:auth_group_changelist"),
                        "permission": "config.dashboard.can_manage_people",
                    },
                ],
            },
            {
                "title": _("System"),
                "items": [
                    {
                        "title": _("Outgoing emails"),
                        "icon": "outgoing_mail",
                        "link": reverse_lazy("admin:accounts_outboxemail_changelist"),
                        "badge": "config.dashboard.failed_emails_badge",
                        "permission": "config.dashboard.can_view_outbox",
                    },
                ],
            },
        ],
    },
}
# Offers with this many units or fewer show up as "low in stock" on the dashboard.
LOW_STOCK_THRESHOLD = env_int("LOW_STOCK_THRESHOLD", 5)
