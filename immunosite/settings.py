"""Settings for immunosite, driven by environment variables and safe by default.

Debug is off unless DJANGO_DEBUG=1; with debug off the site refuses to start without
DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS. The README lists every variable.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
import jinja2
from django.core.exceptions import ImproperlyConfigured

from immunosite.clients import parse_rate, trusted_proxies

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_float(name, default):
    value = os.environ.get(name, default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {value!r}.") from None


def env_rate(name, default):
    """A rate such as "120/minute", checked when the settings load."""
    value = os.environ.get(name, default)
    parse_rate(value, name)
    return value


DEBUG = env_bool("DJANGO_DEBUG")

if not DEBUG:
    missing = [n for n in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS") if not os.environ.get(n)]
    if missing:
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} must be set when DJANGO_DEBUG is off (production)."
        )
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "insecure-development-key-for-debug-only"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "immunosite.apps.ImmunositeAdminConfig",  # django.contrib.admin, with the project's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "corsheaders",
    "csp",
    "django_filters",
    "rest_framework",
    "knox",
    "simple_history",
    "import_export",  # the admin's bulk import and export (catalog/transfer/)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "catalog",
    "accounts",
]
# The benchmark's idiomatic baseline (bench/baseline/, docs/performance.md): its app and its
# pages at /_bench/baseline/ only when BENCH_BASELINE=1, which only bench/run.py sets.
BENCH_BASELINE = env_bool("BENCH_BASELINE")
if BENCH_BASELINE:
    INSTALLED_APPS.append("bench.baseline")
# django-rest-knox's own token model is swapped for accounts.APIToken, so knox needs no table:
# its migrations (which would create an unused one) are left out.
MIGRATION_MODULES = {"knox": None}

MIDDLEWARE = [
    # First: a request for a host not in ALLOWED_HOSTS is a 400 everywhere, static files too.
    "immunosite.middleware.validate_host",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Brotli / gzip for dynamic responses, never for those holding a CSRF token or another
    # secret (BREACH); above the page cache, which hands it pages compressed once, when stored.
    "immunosite.compression.CompressionMiddleware",
    # `request.catalog_version`: when the catalog last changed, read once per request if asked
    # (catalog/caching.py); the page cache, the pages and the API read it.
    "catalog.caching.CatalogVersionMiddleware",
    # Anonymous visitors' public pages: 304s and the "pages" cache, keyed by the catalog's
    # version (catalog/pagecache.py). Outside the session, CSRF, auth, CSP and frame-options
    # middleware: a page is stored with the headers they gave it (CSP, X-Frame-Options …) and
    # a hit skips them. PAGE_CACHE=0 leaves it out (the benchmark measures pages uncached).
    *(["catalog.pagecache.PageCacheMiddleware"] if env_bool("PAGE_CACHE", True) else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag (from the body, where the view set none) and 304s on every GET and HEAD.
    "immunosite.middleware.ConditionalGetMiddleware",
    # Per-client limits on search, the type-ahead and admin logins (immunosite/ratelimit.py),
    # before CSRF, so refused login attempts are counted too. Page-cache hits never get here.
    "immunosite.ratelimit.RateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns lockouts into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "immunosite.urls"
WSGI_APPLICATION = "immunosite.wsgi.application"

TEMPLATES = [
    # The public pages (catalog/jinja2/, catalog/templating.py); first, so that the error pages
    # are found there.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "catalog" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "catalog.templating.environment",
            "undefined": jinja2.ChainableUndefined,
        },
    },
    # The admin's (templates/ and the apps').
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections, checked before reuse so a restarted server is picked up (for
        # a request that starts with the catalog's version, that read is the check:
        # catalog/models/version.py version_row()).
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when the database is down: pages answer 503 within seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DJANGO_DB_CONNECT_TIMEOUT", 3
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: every transaction takes the write lock when it begins (IMMEDIATE),
    # so two saves that read and then write queue for it instead of deadlocking ("database is
    # locked"), each waiting up to `timeout` seconds (below gunicorn's 30 s worker timeout). A
    # save that still times out is a retryable refusal, not an outage (catalog/locking.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=float(os.environ.get("DJANGO_SQLITE_TIMEOUT", 20))
    )

REDIS_URL = os.environ.get("REDIS_URL", "")
# "pages": anonymous visitors' rendered pages (catalog/pagecache.py). Keys carry the catalog's
# version, so an edit makes every entry unreachable at once; the timeout only frees the space.
page_cache_timeout = 600
if REDIS_URL:
    redis_timeout = env_float("REDIS_TIMEOUT", "0.1")
    redis_cache = {
        # Django's Redis backend, made to degrade to "no cache" while Redis is down: each call
        # waits at most REDIS_TIMEOUT, and after a failure Redis is skipped for
        # REDIS_RETRY_INTERVAL seconds (immunosite/cache.py).
        "BACKEND": "immunosite.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            "socket_connect_timeout": redis_timeout,
            "socket_timeout": redis_timeout,
            "retry_interval": env_float("REDIS_RETRY_INTERVAL", "5"),
        },
    }
    CACHES = {
        "default": redis_cache,
        "pages": {**redis_cache, "KEY_PREFIX": "pages", "TIMEOUT": page_cache_timeout},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Per process: at most 300 pages of at most 512 KiB (pagecache.MAX_BODY_BYTES) each.
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pages",
            "TIMEOUT": page_cache_timeout,
            "OPTIONS": {"MAX_ENTRIES": 300},
        },
    }

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# After logging in without a usable `next` (none, or one refused as off-site): the admin index.
LOGIN_REDIRECT_URL = "admin:index"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names served with far-future cache headers by WhiteNoise.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security. Production defaults; each can be relaxed by its variable. HSTS is only sent on
# HTTPS requests.
#
# DJANGO_LOCAL_HTTP=1 (`make serve-local`): the production settings served over plain HTTP on
# your own machine. It turns off the redirect to HTTPS and the Secure flag on cookies, and
# silences exactly the deployment checks those raise (security.W008, W012, W016); it refuses
# any host but the loopback names, so it cannot serve a real site.
LOCAL_HTTP = env_bool("DJANGO_LOCAL_HTTP")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
if LOCAL_HTTP:
    if set(ALLOWED_HOSTS) - LOCAL_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_LOCAL_HTTP serves plain HTTP on this machine only: DJANGO_ALLOWED_HOSTS may "
            f"list only {', '.join(sorted(LOCAL_HOSTS))}. Leave it out in production."
        )
    SILENCED_SYSTEM_CHECKS = ["security.W008", "security.W012", "security.W016"]
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG and not LOCAL_HTTP)
# How many reverse proxies in front of the app are believed (DJANGO_TRUSTED_PROXIES; the older
# DJANGO_BEHIND_TLS_PROXY=1 means 1). It decides every client address (immunosite/clients.py:
# throttles, page limits, login lockouts) and whether X-Forwarded-Proto is read, here and in
# gunicorn.conf.py. 0: forwarded headers are ignored everywhere.
TRUSTED_PROXIES = trusted_proxies()
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool(
    "DJANGO_SECURE_COOKIES", not DEBUG and not LOCAL_HTTP
)
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Content-Security-Policy (django-csp): only our own scripts, styles and images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Admin login throttling (django-axes): a username is locked out from one IP address after
# AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_TIME; other users on that network are not.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_CLIENT_IP_CALLABLE = "immunosite.clients.client_ip"

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so a request without valid credentials is a 401 with `WWW-Authenticate: Token`.
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # REST framework's JSON, written by orjson (catalog/api/renderers.py), and its browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "catalog.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "catalog.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "catalog.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "catalog.api.problems.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "catalog.api.throttling.AnonRateThrottle",
        "catalog.api.throttling.ExportRateThrottle",
        "catalog.api.throttling.WriteRateThrottle",
    ],
}
# API tokens (django-rest-knox, accounts/): `Authorization: Token <key>`; keys stored as SHA-512
# digests; each expires after DJANGO_API_TOKEN_DAYS and ends when its owner's password changes.
KNOX_TOKEN_MODEL = "accounts.APIToken"
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env_int("DJANGO_API_TOKEN_DAYS", 30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# CORS (django-cors-headers): the read-only API may be read from any origin; nothing else.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After", "Content-Disposition"]

# Rate limits per client ("N/second|minute|hour|day"; immunosite/ratelimit.py, README).
API_ANON_RATE = env_rate("DJANGO_API_ANON_RATE", "120/minute")  # anonymous API requests
EXPORT_RATE = env_rate("DJANGO_EXPORT_RATE", "10/minute")  # anonymous CSV / JSON Lines exports
API_WRITE_RATE = env_rate("DJANGO_API_WRITE_RATE", "120/minute")  # API writes per account
SEARCH_RATE = env_rate("DJANGO_SEARCH_RATE", "60/minute")  # anonymous /search/ (uncached)
SUGGEST_RATE = env_rate("DJANGO_SUGGEST_RATE", "300/minute")  # the type-ahead
LOGIN_RATE = env_rate("DJANGO_LOGIN_RATE", "20/minute")  # admin login attempts, any username
# django-ratelimit counts in the "default" cache; when it cannot, it reports that to
# immunosite.ratelimit, which fails open for reads and closed for logins and writes.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_CACHE_PREFIX = "ratelimit:"
RATELIMIT_FAIL_OPEN = True

SPECTACULAR_SETTINGS = {
    "TITLE": "immunosite API",
    "DESCRIPTION": (
        "immunosite's catalog of immunotherapy: therapy classes, therapies, the conditions "
        "they are used for (indications), and the sources behind them. Not medical advice.\n\n"
        "**Reading** is open to anyone, without credentials, and shows published records. "
        "Lists answer an envelope (`count`, `next`, `previous`, `results`, `meta`) by page "
        "(`page`, `page_size` up to 100) or by cursor (`cursor` empty to start, then follow "
        "`next`), take filters, `ordering` and `fields`, and export every match with "
        "`format=csv` or `format=jsonl`. Every read carries `ETag` and `Last-Modified` and "
        "answers `If-None-Match` / `If-Modified-Since` with 304. Anonymous clients are "
        "rate-limited (429 with `Retry-After`).\n\n"
        "**Writing** therapies, therapy classes and conditions is for editors, by their model "
        "permissions: send `Authorization: Token <key>` (or use a logged-in session with its "
        "CSRF token). New records are drafts; publishing needs the publish permission. "
        "Changing or deleting needs `If-Match` with the `ETag` of your last GET of the record "
        "(428 without it, 412 when it changed since). Create answers 201 with the record, "
        "change 200, delete 204 without a body.\n\n"
        "**Errors** are `application/problem+json` (RFC 9457): `type`, `title`, `status`, "
        "`detail`, and `invalid_params` naming each bad parameter or field. Each operation "
        "lists the statuses it can answer."
    ),
    "TAGS": [
        {"name": "therapies", "description": "Individual agents."},
        {"name": "therapy-classes", "description": "Classes of therapy."},
        {"name": "conditions", "description": "What therapies are used for."},
        {"name": "indications", "description": "Which therapy or class is used for what."},
        {"name": "sources", "description": "The citations behind every record."},
        {"name": "modifier-roles", "description": "What biological response modifiers do."},
        {"name": "glossary", "description": "Terms the site uses, defined."},
        {"name": "version", "description": "The API version and when the data last changed."},
        {"name": "me", "description": "Who the API takes you for, and your token's expiry."},
        {"name": "changes", "description": "What changed since a token: keep a copy in sync."},
    ],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies documented as JSON only: a generated client offered the same body as JSON,
    # form data and multipart sends all three at once. (The browsable API's HTML forms still
    # post form data.)
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Swagger UI served from our own static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # immunosite/logfilters.py: a client error (4xx) is one line without a traceback; the same
    # server error is logged once per DJANGO_LOG_REPEAT_SECONDS, with a count of the rest.
    "filters": {
        "client_errors_on_one_line": {"()": "immunosite.logfilters.ClientErrorsOnOneLine"},
        "repeats_once_per_window": {
            "()": "immunosite.logfilters.RepeatsOncePerWindow",
            "seconds": env_int("DJANGO_LOG_REPEAT_SECONDS", 60),
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
            "filters": ["client_errors_on_one_line", "repeats_once_per_window"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
