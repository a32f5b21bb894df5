"""Django settings, all derived from the environment table in `dailypapers.core.conf`.

Each declaration there makes its own setting (DAILYPAPERS_FEED_PAGE_SIZE -> FEED_PAGE_SIZE, ...),
taken in one line below; this file computes by hand only what is derived from several variables
or checked across them (databases, caches, the job queue, storages, mail, DKIM, the secret key)
and Django's own fixed configuration.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

from dailypapers.core import conf
from dailypapers.core.mail import mail_settings, parse_email_url

ENV = conf.load()
globals().update(conf.django_settings(ENV))
# Made by the line above; declared for type checkers and `from dailypapers.settings import`.
DATA_DIR: Path

BASE_DIR = Path(__file__).resolve().parent
_DATA_DIR: Path = ENV["DAILYPAPERS_DATA_DIR"]
BACKUP_DIR: Path = ENV["DAILYPAPERS_BACKUP_DIR"] or _DATA_DIR / "backups"


def _secret_key() -> str:
    """The configured key, or one generated on first use and kept in the data directory.

    A configured key must be long and varied (Django's own test: at least 50 characters, 5 of
    them different): a weak key lets anyone forge sessions and confirmation links.
    """
    key = ENV["DAILYPAPERS_SECRET_KEY"]
    if key:
        if len(key) < 50 or len(set(key)) < 5:
            raise conf.ConfigError(
                "DAILYPAPERS_SECRET_KEY is too weak: use at least 50 characters, 5 of them "
                'different (python -c "import secrets; print(secrets.token_urlsafe(50))"), '
                "or leave it unset to have one generated in the data directory"
            )
        return key
    path = _DATA_DIR / "secret_key"
    if not path.exists():
        _DATA_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


def _database() -> dj_database_url.DBConfig:
    url = ENV["DATABASE_URL"]
    if not url:
        _DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{_DATA_DIR / 'dailypapers.sqlite3'}"
    try:
        db = dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    except ValueError as exc:
        raise conf.ConfigError(f"DATABASE_URL={url!r} is not valid: {exc}") from None
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = {
            # One writer at a time, taken up front; readers never block it (WAL).
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
                "PRAGMA mmap_size=268435456;"
                "PRAGMA temp_store=MEMORY;"
            ),
        }
    elif db["ENGINE"] == "django.db.backends.postgresql":
        db["CONN_HEALTH_CHECKS"] = True
        # Index probes cost about what sequential reads cost on SSDs; the default (4.0, for
        # spinning disks) made the feed's category facet scan every category row (26 ms vs 4 ms).
        db["OPTIONS"] = {"options": "-c random_page_cost=1.1"}
    else:
        raise conf.ConfigError(
            f"DATABASE_URL={url!r}: only sqlite:// and postgresql:// databases are supported"
        )
    return db


SECRET_KEY = _secret_key()
DATABASES = {"default": _database()}


def _replicas() -> dict[str, dj_database_url.DBConfig]:
    replicas = {}
    for number, url in enumerate(ENV["DATABASE_REPLICA_URLS"]):
        if not url.startswith(("postgres://", "postgresql://")):
            raise conf.ConfigError(f"DATABASE_REPLICA_URLS: {url!r} is not a postgresql:// URL")
        replica = dj_database_url.parse(url, conn_max_age=60)
        replica["CONN_HEALTH_CHECKS"] = True
        replica["OPTIONS"] = DATABASES["default"].get("OPTIONS", {})
        replica["TEST"] = {"MIRROR": "default"}  # tests read their own writes
        replicas[f"replica_{number}"] = replica
    if replicas and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise conf.ConfigError("DATABASE_REPLICA_URLS needs DATABASE_URL to be PostgreSQL")
    return replicas


DATABASES.update(_replicas())
# Reads go to a replica, except in a request that writes and just after a visitor's write.
DATABASE_ROUTERS = ["dailypapers.core.replicas.ReplicaRouter"] if len(DATABASES) > 1 else []


def _caches() -> dict:
    url = ENV["DAILYPAPERS_CACHE_URL"]
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise conf.ConfigError(f"DAILYPAPERS_CACHE_URL={url!r}: expected empty or redis://...")
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "dailypapers",
        }
    }


CACHES = _caches()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "huey.contrib.djhuey",
    "django_htmx",
    "ninja",
    "csp",
    # Single sign-on (docs/sso.md): allauth's social accounts; its own account pages are not
    # served (dailypapers.web.urls.sso exposes only the providers' start and callback).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.orcid",
    "allauth.socialaccount.providers.openid_connect",
    # Bottom layer first (docs/architecture.md): each app imports only apps above it here.
    "dailypapers.core",
    "dailypapers.papers",
    "dailypapers.feed",
    "dailypapers.ingest",
    "dailypapers.content",
    "dailypapers.authors",
    "dailypapers.search",
    "dailypapers.community",
    "dailypapers.notifications",
    "dailypapers.library",
    "dailypapers.digests",
    "dailypapers.chat",
    "dailypapers.api",
    "dailypapers.mcp",
    "dailypapers.ops",
    "dailypapers.web",
]

MIDDLEWARE = [
    # Outermost: requests and latency by route for /metrics, whatever answers below.
    "dailypapers.web.middleware.RequestMetrics",
    # First: the client's address and scheme, from the trusted proxies' headers only.
    "dailypapers.web.middleware.ClientAddress",
    "django.middleware.security.SecurityMiddleware",
    # Compresses pages and static files alike (WhiteNoise serves files without a collectstatic
    # step, so nothing is precompressed); adds random bytes against BREACH (Django >= 4.2).
    "django.middleware.gzip.GZipMiddleware",
    # Outermost of ours: every error under /api/, even one made below, is answered in JSON.
    "dailypapers.web.middleware.ApiErrorsAsJson",
    # Before the session, CSRF and rate-limit code reads the request: NUL bytes, lone
    # surrogates and oversized bodies never reach the database.
    "dailypapers.web.middleware.RefuseUnstorableInput",
    # Outside the session and CSRF middleware, so that it sees the cookies they set.
    "dailypapers.web.middleware.SecureCookiesOverHttps",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Once the session's user is known: with DAILYPAPERS_PRIVATE, nothing for strangers.
    "dailypapers.web.middleware.PrivateInstance",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]
if DATABASE_ROUTERS:
    MIDDLEWARE.insert(2, "dailypapers.core.replicas.ReadYourWrites")

ROOT_URLCONF = "dailypapers.urls"
WSGI_APPLICATION = "dailypapers.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "dailypapers.web.jinja2env.environment"},
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' own: our version of django-ninja's API docs page.
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

LANGUAGE_CODE = "en-us"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# Project-wide static files (vendored htmx); each app's own live in its static/ directory.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files are served straight from the package by WhiteNoise: no collectstatic step.
WHITENOISE_USE_FINDERS = True
# Pages link static files with their content's hash (jinja2env.static), so a day of browser
# caching never serves an old style sheet after an upgrade.
WHITENOISE_MAX_AGE = 86400
WHITENOISE_AUTOREFRESH: bool = ENV["DAILYPAPERS_DEBUG"]

# Accounts: Django's auth, passwords hashed with argon2id.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "community:login"
LOGIN_REDIRECT_URL = "papers:home"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Signs in the people single sign-on vouched for (allauth's own login goes through it).
    "allauth.account.auth_backends.AuthenticationBackend",
]


def sso_providers(ENV: Mapping[str, Any]) -> dict[str, dict]:
    """allauth's SOCIALACCOUNT_PROVIDERS from the DAILYPAPERS_SSO_* variables (`conf.load()`'s
    values): a provider whose client id and secret are not both set is left out. (The argument
    is named as the module's ENV: tests/core/test_conf.py finds each variable read here.)"""

    def app(prefix: str, client_id: str, secret: str) -> dict | None:
        client_id, secret = client_id.strip(), secret.strip()
        if bool(client_id) != bool(secret):
            raise conf.ConfigError(
                f"DAILYPAPERS_SSO_{prefix}_CLIENT_ID and DAILYPAPERS_SSO_{prefix}_SECRET go "
                "together: set both, or neither"
            )
        return {"client_id": client_id, "secret": secret} if client_id else None

    providers: dict[str, dict] = {}
    github = app(
        "GITHUB", ENV["DAILYPAPERS_SSO_GITHUB_CLIENT_ID"], ENV["DAILYPAPERS_SSO_GITHUB_SECRET"]
    )
    if github:
        providers["github"] = {"APPS": [github], "SCOPE": ["read:user", "user:email"]}
    google = app(
        "GOOGLE", ENV["DAILYPAPERS_SSO_GOOGLE_CLIENT_ID"], ENV["DAILYPAPERS_SSO_GOOGLE_SECRET"]
    )
    if google:
        providers["google"] = {
            "APPS": [google],
            "SCOPE": ["openid", "profile", "email"],
            "OAUTH_PKCE_ENABLED": True,
        }
    orcid = app(
        "ORCID", ENV["DAILYPAPERS_SSO_ORCID_CLIENT_ID"], ENV["DAILYPAPERS_SSO_ORCID_SECRET"]
    )
    if orcid:
        domain = ENV["DAILYPAPERS_SSO_ORCID_DOMAIN"].strip() or "orcid.org"
        providers["orcid"] = {"APPS": [orcid], "BASE_DOMAIN": domain, "MEMBER_API": False}
    oidc = app("OIDC", ENV["DAILYPAPERS_SSO_OIDC_CLIENT_ID"], ENV["DAILYPAPERS_SSO_OIDC_SECRET"])
    if oidc:
        server_url = ENV["DAILYPAPERS_SSO_OIDC_SERVER_URL"].strip()
        if not server_url.startswith(("https://", "http://")):
            raise conf.ConfigError(
                "DAILYPAPERS_SSO_OIDC_SERVER_URL: the OpenID Connect provider's https:// URL is "
                "needed with its client id and secret"
            )
        oidc |= {
            "provider_id": ENV["DAILYPAPERS_SSO_OIDC_ID"],
            "name": ENV["DAILYPAPERS_SSO_OIDC_NAME"].strip() or "Single sign-on",
            "settings": {"server_url": server_url, "oauth_pkce_enabled": True},
        }
        providers["openid_connect"] = {"APPS": [oidc], "SCOPE": ["openid", "profile", "email"]}
    return providers


SOCIALACCOUNT_PROVIDERS = sso_providers(ENV)
SOCIALACCOUNT_ADAPTER = "dailypapers.community.sso.SocialAccountAdapter"
ACCOUNT_ADAPTER = "dailypapers.community.sso.AccountAdapter"
# Accounts are made here only from an address the provider vouched for (the adapter refuses
# the rest): allauth sends no mail and shows no form of its own.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in buttons POST (CSRF); a GET is refused
SOCIALACCOUNT_STORE_TOKENS = False  # the providers' tokens are not needed after sign-in
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_TEMPLATE_EXTENSION = "html"

# Mail.
globals().update(mail_settings(*parse_email_url(ENV["EMAIL_URL"])))
SERVER_EMAIL: str = ENV["DAILYPAPERS_FROM_EMAIL"]  # DEFAULT_FROM_EMAIL's value

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Served over HTTPS for good: cookies are Secure outright (otherwise they are made Secure per
# request when it came over HTTPS) and plain HTTP is redirected; HSTS once the operator says so.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = ENV["DAILYPAPERS_HTTPS"]
# Content-Security-Policy (django-csp): nothing runs or loads but this site's own files; no
# inline script or style anywhere in the pages (htmx's own indicator style is turned off in
# base.html), no frames, forms post here only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Honoured only when a trusted proxy sent it: ClientAddress drops it from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "[%(asctime)s] %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Configured here, huey's consumer adds no handler of its own (each line was printed
        # twice: once by its handler, once by the root's).
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "dailypapers": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}


def _dkim() -> tuple[str, str, bytes]:
    domain, selector = ENV["DAILYPAPERS_DKIM_DOMAIN"], ENV["DAILYPAPERS_DKIM_SELECTOR"]
    key_file = ENV["DAILYPAPERS_DKIM_KEY_FILE"]
    if not (domain or selector or key_file):
        return "", "", b""
    if not (domain and selector and key_file):
        raise conf.ConfigError(
            "DKIM needs all of DAILYPAPERS_DKIM_DOMAIN, DAILYPAPERS_DKIM_SELECTOR and "
            "DAILYPAPERS_DKIM_KEY_FILE"
        )
    try:
        return domain, selector, Path(key_file).read_bytes()
    except OSError as exc:
        raise conf.ConfigError(f"DAILYPAPERS_DKIM_KEY_FILE={key_file!r}: {exc}") from None


DKIM_DOMAIN, DKIM_SELECTOR, DKIM_KEY = _dkim()


def content_storage(bucket_url: str, endpoint: str) -> dict:
    """Where thumbnails and kept PDFs live: the data directory, or an S3-compatible bucket
    (django-storages) when several web nodes serve the site."""
    bucket, _, prefix = bucket_url.strip().strip("/").partition("/")
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(_DATA_DIR / "content"), "base_url": "/content/"},
        }
    options = {"bucket_name": bucket, "location": prefix, "file_overwrite": True}
    if endpoint:
        options["endpoint_url"] = endpoint
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "content": content_storage(
        ENV["DAILYPAPERS_CONTENT_S3_BUCKET"], ENV["DAILYPAPERS_CONTENT_S3_ENDPOINT"]
    ),
}


def _huey() -> dict:
    """huey, the job queue: a SQLite file by default (no server), Redis for many machines.

    Chosen over django-q2 and django-tasks: it has periodic tasks, a consumer command, and both a
    file-backed and a Redis backend, and it holds no Django database connection while idle.
    """
    consumer = {
        # Two threads: embedding a backlog (up to 40 s a minute) does not hold up the others.
        "workers": 2,
        "worker_type": "thread",
        # Our tasks run under leases that expire (dailypapers/leases.py), not huey's locks;
        # flushing huey's own at start costs nothing and covers any task that would use one.
        "flush_locks": True,
    }
    url = ENV["DAILYPAPERS_QUEUE_URL"]
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "huey_class": "huey.RedisHuey",
            "name": "dailypapers",
            "url": url,
            "consumer": consumer,
        }
    if url:
        raise conf.ConfigError(f"DAILYPAPERS_QUEUE_URL={url!r}: expected empty or redis://...")
    _DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "huey_class": "huey.SqliteHuey",
        "name": "dailypapers",
        "filename": str(_DATA_DIR / "queue.sqlite3"),
        "consumer": consumer,
    }


HUEY = _huey()
