"""Settings, read from the environment, with defaults that run when nothing is set.

VAXELSTAT_DATA     data directory (default ./var): SQLite app database, call store, spool folders
DATABASE_URL       app database (default: SQLite file in the data directory)
CALLSTORE_URL      call store engine (default: duckdb:///<data>/calls.duckdb)
VAXELSTAT_SMTP_URL e-mail server (default: printed on the console); VAXELSTAT_MAIL_FROM
VAXELSTAT_SECRET_KEY, VAXELSTAT_DEBUG, VAXELSTAT_ALLOWED_HOSTS, VAXELSTAT_PRODUCTION
VAXELSTAT_TRUSTED_PROXIES  the reverse proxies' addresses (docs/production.md)
"""

import os
import re
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy

from vaxelstat.mail import mailer_from_url
from vaxelstat.proxy import networks

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("VAXELSTAT_DATA", "var")).resolve()


def _secret_key() -> str:
    """Return the secret key from the environment, or one kept in the data directory.

    The file keeps sessions valid across restarts of the embedded default without
    putting a secret in the repository.
    """
    if key := os.environ.get("VAXELSTAT_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


PRODUCTION = os.environ.get("VAXELSTAT_PRODUCTION", "") == "1"
SECRET_KEY = _secret_key()
# Django's debug pages show settings and every URL of the site: only when asked for.
DEBUG = os.environ.get("VAXELSTAT_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("VAXELSTAT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_email",
    "vaxelstat.accounts",
    "vaxelstat.orgs",
    "vaxelstat.ingest",
    "vaxelstat.calls",
    "vaxelstat.reports",
    "vaxelstat.exports",
    "vaxelstat.saved",
    "vaxelstat.api",
    "vaxelstat.demo",
    "vaxelstat.web",
]

MIDDLEWARE = [
    "vaxelstat.web.access.AccessLog",
    # (Before every other: the answer is compressed after they made it.)
    "vaxelstat.web.compress.CompressText",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vaxelstat.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vaxelstat.urls"
WSGI_APPLICATION = "vaxelstat.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'app.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web threads, the worker and the spool collector share one file: wait for locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    # Each web thread keeps its connection (a request opened and closed one: a fifth of a
    # page's time, measured) for a minute.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    # The process's memory: rate limits' counters and the call store's versions
    # (vaxelstat.calls.results), one an organization (the default of 300 entries would drop
    # them by the thousand).
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
else:
    # Rate limits count in the cache. With SQLite, one process serves (the process's
    # memory); otherwise several may (`serve --workers`, or several machines), so they count
    # in the app database (its table made by `vaxelstat migrate`).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "vaxelstat_cache",
            # A counter's increment writes it anew with this timeout (the cache's default,
            # not the counter's): longer than the longest limit's window (an hour), so that
            # no counter starts over within its window. (Two processes counting the same
            # request at once may count it once: a limit lets a few more through then.)
            "TIMEOUT": 7200,
            # Rate limits' counters and the call store's versions, one an organization.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

CALLSTORE_URL = os.environ.get("CALLSTORE_URL", f"duckdb:///{DATA_DIR / 'calls.duckdb'}")
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and CALLSTORE_URL.startswith("duckdb:"):
    # A session is read from the process's memory (the cache), written through to the
    # database: the embedded default is one process (DuckDB lets one open the store), so no
    # other holds a copy that a logout would leave behind.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Memory DuckDB's block allocator keeps once it has used it (taken as needed, never given
# back): an import then reuses pages instead of asking the kernel for fresh ones.
DUCKDB_BLOCK_MEMORY = os.environ.get("VAXELSTAT_DUCKDB_BLOCK_MEMORY", "1GB")


def _memory() -> int:
    """The memory this process may use, in bytes: the machine's, or its control group's where
    that is less (a container's)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    # (cgroup v2's file, then v1's: "max", or a number past the machine's, is no limit.)
    for name in ("memory.max", "memory/memory.limit_in_bytes"):
        try:
            limit = (Path("/sys/fs/cgroup") / name).read_text().strip()
        except OSError:
            continue
        if limit.isdigit():
            return min(total, int(limit))
    return total


# Below this an import's statements fail for want of memory instead of spilling (measured:
# 64 MB fails a file of 40,000 lines; 256 MB reads 3 million).
MIN_IMPORT_MEMORY_MB = 256


def _import_memory(value: str | None) -> str:
    """The most memory an import's workspace may hold, as DuckDB reads it ('1500MB', '2GB')."""
    if not value:
        # Four tenths of the machine's: a million-line Master.csv (about 1.4 GB) fits on a
        # machine of 4 GB; a larger file, or a smaller machine, spills to disk.
        return f"{max(MIN_IMPORT_MEMORY_MB, _memory() * 4 // 10 // 2**20)}MiB"
    size = re.fullmatch(r"\s*([0-9]+)\s*([MG])(B|iB)\s*", value, re.IGNORECASE)
    number, unit = (
        (int(size[1]), size[2].upper() + size[3][:-1].lower() + "B") if size else (0, "MB")
    )
    if number * (1024 if unit[0] == "G" else 1) < MIN_IMPORT_MEMORY_MB:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"VAXELSTAT_IMPORT_MEMORY={value!r}: give a size in MB or GB of at least "
            f"{MIN_IMPORT_MEMORY_MB}MB, such as 1500MB or 2GB"
        )
    return f"{number}{unit}"


# Beyond this an import's workspace writes what it holds to the data directory's tmp/ (the
# import goes on, slower); VAXELSTAT_IMPORT_MEMORY, e.g. 2GB.
IMPORT_MEMORY = _import_memory(os.environ.get("VAXELSTAT_IMPORT_MEMORY"))
SPOOL_DIR = DATA_DIR / "spool"
# How often the server's collector looks into the spool folders, in seconds.
SPOOL_SECONDS = float(os.environ.get("VAXELSTAT_SPOOL_SECONDS", "5"))
# A spooled file is taken once it has not changed for this long, in seconds: one still being
# written is left for a later round (writing NAME.tmp and renaming it is safe at once).
SPOOL_SETTLE_SECONDS = float(os.environ.get("VAXELSTAT_SPOOL_SETTLE_SECONDS", "10"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 for new passwords; the others still read hashes made before.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Activation and password reset links stop working after three days (and once used).
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# E-mail: an SMTP server from VAXELSTAT_SMTP_URL (smtp://USER:PASSWORD@HOST:PORT, or
# smtps:// for TLS from the start, smtp+starttls:// for STARTTLS); without one, outside
# production, messages are printed on the console (make demo shows activation links there).
DEFAULT_FROM_EMAIL = os.environ.get("VAXELSTAT_MAIL_FROM", "Växelstatistik <noreply@localhost>")
MAILERS = {"default": mailer_from_url(os.environ.get("VAXELSTAT_SMTP_URL", ""))}
OTP_EMAIL_SENDER = DEFAULT_FROM_EMAIL
OTP_EMAIL_SUBJECT = gettext_lazy("Din verifikationskod till Växelstatistik")
OTP_EMAIL_BODY_TEMPLATE_PATH = "accounts/email/code.txt"
OTP_EMAIL_TOKEN_VALIDITY = 10 * 60
# A new code may be asked for once a minute.
OTP_EMAIL_COOLDOWN_DURATION = 60

# Only the site's own scripts, styles and images; no framing, no plugins.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("VAXELSTAT_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # A load balancer asks for its health over plain HTTP, on the inside.
    # (And a command handed to the server by another process on this machine: control.py.)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^_control/run$"]
# The reverse proxies in front (addresses or networks): their X-Forwarded-For and
# X-Forwarded-Proto are believed (vaxelstat.proxy), no one else's.
TRUSTED_PROXIES = networks(os.environ.get("VAXELSTAT_TRUSTED_PROXIES", ""))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # vaxelstat.access: a line per request (vaxelstat.web.access).
    "loggers": {"vaxelstat": {"level": "INFO"}},
}
