"""Settings for Astana CMS.

Everything that differs between a laptop and production comes from the environment (see the
README). With nothing set, the site runs in development mode on a SQLite file that git ignores.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# An optional .env file beside manage.py, for operators who prefer one to exported variables.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# A development key is only acceptable while DEBUG is on; production must bring its own.
_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "django_filters",
    "import_export",
    "simple_history",
    "csp",
    "axes",
    "astana_cms.editorial",
    "rounds",
    "statements",
    "public",
    "astana_cms.jobs",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app server, compressed and with hashed names.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A stored public page leaves here, as every header below gave it when it was made.
    "astana_cms.editorial.cache.PublicPageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "astana_cms.routers.ReplicaForPublicPagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The admin in Arabic unless the person chose English (after LocaleMiddleware, to override it).
    "astana_cms.middleware.NewsroomLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records which user made each content change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Login throttling: must come last, to see the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

# History is for reading and diffing; restoring an old version would bypass the workflow.
SIMPLE_HISTORY_REVERT_DISABLED = True

ROOT_URLCONF = "astana_cms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "public.context_processors.public_site",
            ],
        },
    },
]

WSGI_APPLICATION = "astana_cms.wsgi.application"
ASGI_APPLICATION = "astana_cms.asgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# An optional read replica: public pages read from it, writes and the admin stay on the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["astana_cms.routers.PrimaryReplicaRouter"]
for _database in DATABASES.values():
    _database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    _database["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses logins from a username and address after too many failures (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Behind a load balancer every request comes from the balancer's address: the lockout must key
# on the client's address, which the trusted proxy appends to X-Forwarded-For (its right-most
# entry: whatever a client forged stands to its left), or anyone could lock any named account
# out for everyone (django-axes' documented ipware settings).
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "right-most"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Arabic first: readers get Arabic unless they choose English.
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
# Dates as the newsroom writes them in each language (astana_cms/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["astana_cms.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # In production, collectstatic writes hashed, compressed files that WhiteNoise serves with
    # far-future caching; in development, files are served as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Spreadsheets between the admin's preview and its confirmation. Every app server must see
    # the same files (a shared volume, or an object store's backend), so that a confirmation
    # answered by another server finds the file it confirms.
    # Files that background jobs leave for their users (exports), shared likewise.
    "jobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.path("JOB_FILES_DIR", default=BASE_DIR / "var" / "jobs"),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "imports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.path("IMPORT_UPLOADS_DIR", default=BASE_DIR / "var" / "imports"),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}

# The admin's address can be moved away from the well-known /admin/.
ADMIN_PATH = env.str("DJANGO_ADMIN_PATH", default="admin/").strip("/") + "/"

# Django's protections, on whenever the site is not in development mode.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# A strict Content Security Policy: scripts and styles from this site only, no inline code,
# no framing. The public pages and the admin work under it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a TLS-terminating load balancer that sets X-Forwarded-Proto.
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to stdout: plain lines in development, one JSON object a line in production.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": env.str("DJANGO_LOG_FORMAT", default="plain" if DEBUG else "json"),
        },
    },
    "root": {"handlers": ["stdout"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # Replaces Django's own console handler, which would print every line twice.
    "loggers": {
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}

# Caches: Redis when CACHE_URL or REDIS_URL names one. Without one, production shares a cache
# table in the database between all its workers and servers (`manage.py createcachetable`,
# run by `make serve`): a per-process cache would let one worker serve a page another has
# withdrawn. Development alone uses the memory of its one process.
_CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
if _CACHE_URL:
    CACHES = {"default": env.cache_url_config(_CACHE_URL)}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        CACHES["default"]["BACKEND"] = "astana_cms.redis_cache.RedisCache"  # one client kept
elif DEBUG:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "astana_cache",
        }
    }
# How long a public page may be served from the cache at most; publishing, correcting or
# withdrawing anything clears it at once (astana_cms/editorial/cache.py).
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=600)

# The alias registry that searches expand through (public search and the admin's).
SEARCH_ALIASES = "rounds.aliases.alias_table"

# Readers' error reports: how many one address may send in an hour, and one excerpt receive
# in a day, before further reports are refused for a while.
READER_REPORTS_PER_HOUR = env.int("READER_REPORTS_PER_HOUR", default=5)
READER_REPORTS_PER_EXCERPT_PER_DAY = env.int("READER_REPORTS_PER_EXCERPT_PER_DAY", default=30)

# The open-data downloads' licence: its short name and where to read it. The data page says
# in the reader's language what it covers (the compilation, not the speakers' words).
OPEN_DATA_LICENSE = env.str("OPEN_DATA_LICENSE", default="CC BY 4.0")
OPEN_DATA_LICENSE_URL = env.str(
    "OPEN_DATA_LICENSE_URL", default="https://creativecommons.org/licenses/by/4.0/"
)

# Spreadsheet imports: the largest file and the most rows accepted at once.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
# What a workbook may unpack to, how wide a sheet and how long a cell may be: checked before a
# file is read, so that a small hostile file cannot make the reader use gigabytes.
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=500 * 1024 * 1024)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=100)
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=2_000_000)
# How long an uploaded file waits for its confirmation before it is refused and removed.
IMPORT_UPLOAD_MAX_AGE = env.int("IMPORT_UPLOAD_MAX_AGE", default=60 * 60)
# Bigger imports and exports than these run in the background (`manage.py db_worker`), so that
# nothing waits on a request that an app server would cut off.
IMPORT_IN_REQUEST_MAX_ROWS = env.int("IMPORT_IN_REQUEST_MAX_ROWS", default=2_000)
IMPORT_PREVIEW_IN_REQUEST_MAX_BYTES = env.int(
    "IMPORT_PREVIEW_IN_REQUEST_MAX_BYTES", default=2 * 1024 * 1024
)
EXPORT_IN_REQUEST_MAX_ROWS = env.int("EXPORT_IN_REQUEST_MAX_ROWS", default=2_000)

# Work longer than a request: Django's tasks framework (the django-tasks backport) on its
# database backend, run by `manage.py db_worker` (`make worker`; `make serve` starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Mail (notification digests): the console in development, SMTP in production, all from the
# environment as one address, e.g. EMAIL_URL=smtp+tls://user:password@mail.example.org:587.
vars().update(
    env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Astana CMS <newsroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the newsroom reaches the admin, for the links in emails.
NEWSROOM_URL = env.str("NEWSROOM_URL", default="http://127.0.0.1:8000")

# Capturing a source from its address (statements/fetch.py, statements/capture_url.py): the
# longest a fetch may take in all, the part of it an admin request waits before the task worker
# takes over, the largest page, the most redirects followed, and the most addresses a batch
# spreadsheet may list. Private, loopback and link-local addresses are refused unless allowed
# here, which only development mode can do (tests against a local server).
CAPTURE_TIMEOUT = env.float("CAPTURE_TIMEOUT", default=30.0)
CAPTURE_IN_REQUEST_TIMEOUT = env.float("CAPTURE_IN_REQUEST_TIMEOUT", default=8.0)
CAPTURE_MAX_BYTES = env.int("CAPTURE_MAX_BYTES", default=5 * 1024 * 1024)
CAPTURE_MAX_REDIRECTS = env.int("CAPTURE_MAX_REDIRECTS", default=5)
CAPTURE_MAX_URLS = env.int("CAPTURE_MAX_URLS", default=500)
CAPTURE_USER_AGENT = env.str("CAPTURE_USER_AGENT", default="AstanaCMS/0.1 (newsroom capture)")
CAPTURE_ALLOW_PRIVATE_ADDRESSES = DEBUG and env.bool(
    "CAPTURE_ALLOW_PRIVATE_ADDRESSES", default=False
)
