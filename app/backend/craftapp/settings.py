"""Settings for the craftctl demo application.

Everything comes from the environment, so the same image runs on a laptop,
in the tests and on the instance. Debug is off unless DJANGO_DEBUG says
otherwise, and then a secret key is mandatory. Runs on Django 3.2 (Debian 12,
used by the tests) and Django 5.2 (the container image).
"""
import os
from pathlib import Path

import django
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_WORDS = {"1", "true", "yes", "on"}


def env(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default=False):
    value = env(name)
    if not value:
        return default
    return value.lower() in TRUE_WORDS


def env_list(name):
    return [item.strip() for item in env(name).split(",") if item.strip()]


def env_int(name, default):
    value = env(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}")


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG-on"

# The container's own healthcheck talks to localhost, so those two names are
# always accepted besides the configured ones.
# PUBLIC_HOST is the address craftctl deployed to (it sets it for every
# release): the health check and the first visitors arrive with that Host
# before anyone has a DNS name to put in DJANGO_ALLOWED_HOSTS.
PUBLIC_HOST = env("PUBLIC_HOST")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") + ["localhost", "127.0.0.1"]
if PUBLIC_HOST:
    ALLOWED_HOSTS.append(PUBLIC_HOST)

_origins = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
if PUBLIC_HOST:
    _origins += ["http://" + PUBLIC_HOST, "https://" + PUBLIC_HOST]
if django.VERSION < (4, 0):
    # Django 3.2 compares bare host names; 4.0+ requires the scheme.
    _origins = [o.split("://", 1)[-1] for o in _origins]
CSRF_TRUSTED_ORIGINS = _origins

RELEASE_ID = env("RELEASE_ID", "dev")
RELEASED_AT = env("RELEASED_AT")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "craftapp.urls"
WSGI_APPLICATION = "craftapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": env("POSTGRES_HOST", "localhost"),
        "PORT": env("POSTGRES_PORT", "5432"),
        "NAME": env("POSTGRES_DB", "app"),
        "USER": env("POSTGRES_USER", "app"),
        "PASSWORD": env("POSTGRES_PASSWORD"),
        "CONN_MAX_AGE": env_int("POSTGRES_CONN_MAX_AGE", 60),
        # A database that does not answer must make /api/health say so within
        # seconds, not hang a worker until gunicorn kills it.
        "OPTIONS": {"connect_timeout": env_int("POSTGRES_CONNECT_TIMEOUT", 3)},
    }
}

AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# API bearer tokens: lifetime in seconds (default 12 hours).
API_TOKEN_TTL = env_int("DJANGO_TOKEN_TTL_SECONDS", 12 * 3600)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("DJANGO_STATIC_ROOT") or str(BASE_DIR / "staticfiles")

# Security. nginx in front always sets X-Forwarded-Proto from its own $scheme,
# so trusting it here cannot be spoofed by a client.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SAMESITE = "Lax"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# TLS is decided where it terminates. With DJANGO_HTTPS on (the site is only
# reachable over https), cookies are secure, http redirects and HSTS is sent.
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading is a commitment for the whole domain: only on request.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("DJANGO_HSTS_PRELOAD", False)
# The container healthcheck calls http://localhost:8000 directly.
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
}
