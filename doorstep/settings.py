"""Doorstep settings. Everything configurable comes from the environment; see .env.example."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from doorstep.core.env import env, envbool, envint, envlist, secret_key_file

BASE_DIR = Path(__file__).resolve().parent
WORK_DIR = Path(env("DOORSTEP_HOME", str(Path.cwd())))

DEBUG = envbool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY", "") or secret_key_file(WORK_DIR / ".doorstep-secret-key")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "doorstep.core",
    "doorstep.org",
    "doorstep.orders",
    "doorstep.standards",
    "doorstep.notifications",
    "doorstep.field",
    "doorstep.dispatch",
    "doorstep.customers",
    "doorstep.api",
    "doorstep.web",
    "doorstep.ui",
    "doorstep.kpis",
    "doorstep.dashboards",
    "doorstep.incidents",
    "doorstep.quality",
    "doorstep.care",
    "doorstep.ratings",
    "doorstep.exports",
    "doorstep.evaluation",
    "doorstep.inspections",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every error under /api/ answers in the API's error shape, even the ones no view produced.
    "doorstep.api.errors.JsonErrorsUnderApi",
    # A lost database answers 503 (error shape under /api/, the Chinese 503 page elsewhere).
    "doorstep.api.errors.DatabaseUnavailable",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "doorstep.urls"
WSGI_APPLICATION = "doorstep.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-level templates: the 403/404/500 pages.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "doorstep.web.context.nav",
            ],
        },
    }
]

_default_db = f"sqlite:///{WORK_DIR / 'doorstep.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", _default_db), conn_max_age=envint("DB_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue instead of failing with "database is locked" mid-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env("DOORSTEP_TEST_SQLITE", "") or None}
else:
    # After a database outage a kept connection is dead: check it before each request reuses it,
    # and give up connecting after a few seconds so a request answers 503 instead of hanging.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if envbool("DOORSTEP_FAST_HASHER", False):
    # Tests and benchmarks only: hashing cost is not what they measure.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = env("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the favicon
STATIC_ROOT = Path(env("STATIC_ROOT", str(WORK_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(WORK_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("DOORSTEP_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", DEBUG)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DOORSTEP_MAX_UPLOAD_BYTES = envint("DOORSTEP_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Security: on by default; a plain-HTTP local demo turns the HTTPS-only parts off.
SECURE_HTTPS = envbool("DOORSTEP_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# API
DOORSTEP_TOKEN_TTL_HOURS = envint("DOORSTEP_TOKEN_TTL_HOURS", 24 * 30)
DOORSTEP_TOKEN_CACHE_SECONDS = envint("DOORSTEP_TOKEN_CACHE_SECONDS", 10)
DOORSTEP_CLOCK_SKEW_SECONDS = envint("DOORSTEP_CLOCK_SKEW_SECONDS", 120)
# How technicians introduce the company to customers (scripts, SMS).
DOORSTEP_COMPANY = env("DOORSTEP_COMPANY", "中国电信")
# Which pre-departure kit checklist crews confirm (R24): a code from field/data/kit_checklists.json.
DOORSTEP_KIT_CHECKLIST = env("DOORSTEP_KIT_CHECKLIST", "")
DOORSTEP_BENCH_ENDPOINTS = envbool("DOORSTEP_BENCH_ENDPOINTS", False)
# Failed password attempts from one client address per minute before 429 (all processes).
DOORSTEP_LOGIN_ATTEMPTS_PER_MINUTE = envint("DOORSTEP_LOGIN_ATTEMPTS_PER_MINUTE", 10)
# Excel exports up to this many rows answer at once; larger ones are built by the worker.
DOORSTEP_EXPORT_INLINE_ROWS = envint("DOORSTEP_EXPORT_INLINE_ROWS", 5000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
