"""Every environment variable dailypapers reads, declared once and parsed strictly.

A bad value stops start-up with a message naming the variable; nothing is silently coerced.
Each declaration also names the Django setting it makes (`settings.py` takes them all in one
line and computes by hand only the derived ones: databases, caches, mail, DKIM...), and the
configuration reference, `docs/configuration.md`, is written from them by
`dailypapers config reference`; `tests/test_conf.py` fails when that file is stale.

A parser's docstring says what it accepts: the reference quotes it.
"""

from __future__ import annotations

import inspect
import ipaddress
import os
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import crontab

from dailypapers.core.parsing import parse_bool


class ConfigError(Exception):
    """An environment variable holds a value dailypapers cannot use."""


def parse_int(minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value.strip())
        if not minimum <= number <= maximum:
            raise ValueError(f"expected an integer from {minimum} to {maximum}")
        return number

    parse.__doc__ = f"An integer from {minimum} to {maximum}."
    return parse


def parse_float(minimum: float, maximum: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        number = float(value.strip())
        if not minimum <= number <= maximum:
            raise ValueError(f"expected a number from {minimum} to {maximum}")
        return number

    parse.__doc__ = f"A number from {minimum} to {maximum}."
    return parse


def parse_list(value: str) -> list[str]:
    """Comma-separated values."""
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_path(value: str) -> Path:
    """A directory path (`~` is expanded)."""
    if not value.strip():
        raise ValueError("expected a directory path")
    return Path(value).expanduser()


def parse_text(value: str) -> str:
    """Any text."""
    return value


def parse_url(value: str) -> str:
    """An `http://` or `https://` URL."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _code(words: tuple[str, ...]) -> str:
    return ", ".join(f"`{word}`" for word in words)


def parse_weights(names: tuple[str, ...]) -> Callable[[str], dict[str, float]]:
    def parse(value: str) -> dict[str, float]:
        weights: dict[str, float] = {}
        for item in parse_list(value):
            name, sep, number = item.partition("=")
            if not sep or name.strip() not in names:
                raise ValueError(f"expected name=weight with a name among {', '.join(names)}")
            weight = float(number)
            if not 0 <= weight <= 100:
                raise ValueError("a weight must be from 0 to 100")
            weights[name.strip()] = weight
        return {name: weights.get(name, 1.0) for name in names}

    parse.__doc__ = (
        f"Comma-separated `name=weight`, the name one of {_code(names)} and the weight from "
        "0 to 100; a name left out weighs 1."
    )
    return parse


def parse_choices(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(value: str) -> list[str]:
        items = parse_list(value)
        unknown = [item for item in items if item not in allowed]
        if unknown:
            raise ValueError(f"unknown {', '.join(unknown)}; expected some of {', '.join(allowed)}")
        return items

    parse.__doc__ = f"Comma-separated, any of {_code(allowed)}."
    return parse


def parse_choices_one(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.strip() not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return value.strip()

    parse.__doc__ = f"One of {_code(allowed)}."
    return parse


def parse_slug(value: str) -> str:
    """Lower-case letters, digits and `-` (a part of an address)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", value.strip()):
        raise ValueError("expected lower-case letters, digits and -")
    return value.strip()


def parse_email(value: str) -> str:
    """An `smtp://`, `smtps://`, `console://` or `locmem://` (tests) URL."""
    from dailypapers.core.mail import parse_email_url

    parse_email_url(value)
    return value


RATE_SCOPES = (
    "login",
    "signup",
    "vote",
    "comment",
    "submit",
    "password-reset",
    "subscribe",
    "mail-to",
    "reaction",
    "collection",
    "collection-import",
    "claim",
    "follow",
    "token",
    "settings",
    "digest",
    "unsubscribe",
    "moderate",
    "mcp",
    "chat",
)
DEFAULT_RATE_LIMITS = (
    "login=10/300,signup=5/3600,vote=120/60,comment=10/60,submit=10/3600,"
    "password-reset=5/3600,subscribe=5/3600,mail-to=3/3600,reaction=60/60,collection=120/60,"
    "collection-import=10/3600,claim=20/3600,follow=60/3600,token=10/3600,settings=30/3600,"
    "digest=30/3600,unsubscribe=300/60,moderate=300/3600,mcp=120/60,chat=20/3600"
)


def parse_rate_limits(value: str) -> dict[str, tuple[int, int]]:
    limits: dict[str, tuple[int, int]] = {}
    for item in parse_list(value):
        match = re.fullmatch(r"([a-z-]+)=([0-9]+)/([0-9]+)", item)
        if not match or match[1] not in RATE_SCOPES or int(match[3]) == 0:
            raise ValueError(
                f"{item!r}: expected scope=count/seconds, the scope one of "
                + ", ".join(RATE_SCOPES)
            )
        limits[match[1]] = (int(match[2]), int(match[3]))
    defaults = {} if value == DEFAULT_RATE_LIMITS else parse_rate_limits(DEFAULT_RATE_LIMITS)
    return defaults | limits  # a scope left out keeps its default


parse_rate_limits.__doc__ = (
    f"Comma-separated `scope=count/seconds`, the scope one of {_code(RATE_SCOPES)}."
)


def parse_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated IP addresses or CIDR blocks."""
    networks = []
    for item in parse_list(value):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR block") from None
    return networks


DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")


def domain_name(text: str) -> str:
    """A domain name in its ASCII form, lower case, without a trailing dot; ValueError else."""
    try:
        name = text.strip().rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{text!r} is not a domain name") from None
    if not DOMAIN.fullmatch(name):
        raise ValueError(f"{text!r} is not a domain name such as example.edu")
    return name


def parse_domains(value: str) -> list[str]:
    """Comma-separated domain names (`example.edu`), each matched exactly (no wildcards)."""
    return [domain_name(item) for item in parse_list(value)]


def parse_addresses(value: str) -> list[str]:
    """Comma-separated email addresses."""
    addresses = []
    for item in parse_list(value):
        local, at, domain = item.rpartition("@")
        if not at or not local or any(c.isspace() for c in local):
            raise ValueError(f"{item!r} is not an email address")
        addresses.append(f"{local.lower()}@{domain_name(domain)}")
    return addresses


def parse_urls(value: str) -> list[str]:
    """Comma-separated URLs."""
    return [parse_text(item) for item in parse_list(value)]


def parse_upstreams(value: str) -> list[str]:
    """Comma-separated base URLs of other instances, each once, without a trailing slash."""
    urls: list[str] = []
    for item in parse_list(value):
        url = parse_url(item).rstrip("/")
        if "?" in url or "#" in url or len(url) > 190:
            raise ValueError(f"{item!r}: expected a site's base URL, such as https://example.org")
        if url not in urls:
            urls.append(url)
    return urls


def parse_categories(value: str) -> list[str]:
    """Comma-separated arXiv categories (`cs.LG`, `hep-th`)."""
    items = parse_list(value)
    for item in items:
        if not re.fullmatch(r"[a-z-]+(\.[A-Za-z-]+)?", item):
            raise ValueError(f"{item!r} is not an arXiv category such as cs.LG or hep-th")
    return items


def parse_time_zone(value: str) -> str:
    """An IANA time zone (`UTC`, `America/New_York`)."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as UTC or America/New_York") from None
    return value


def default_data_dir() -> str:
    """`$XDG_DATA_HOME/dailypapers`, or `~/.local/share/dailypapers`"""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "dailypapers")


def without_trailing_slash(url: str) -> str:
    return url.rstrip("/")


def megabytes_to_bytes(megabytes: int) -> int:
    return megabytes * 1024 * 1024


@dataclass(frozen=True)
class Setting:
    """One environment variable: how it is read, what it means, and the Django setting it makes.

    By default `DAILYPAPERS_X` makes the setting `X`, holding the parsed value. `setting` names
    it otherwise, `convert` turns the parsed value into the setting's, and `feeds` says that the
    variable makes no setting of its own but feeds derived ones that `settings.py` computes.
    `accepts` says what the variable takes when its parser's docstring says too little.
    """

    name: str
    default: str | Callable[[], str] | None
    parse: Callable[[str], Any]
    doc: str
    setting: str = ""
    convert: Callable[[Any], Any] | None = None
    feeds: tuple[str, ...] = ()
    accepts: str = ""

    def read(self, environ: Mapping[str, str]) -> Any:
        raw = environ.get(self.name)
        if raw is None:
            if self.default is None:
                return None
            raw = self.default() if callable(self.default) else self.default
        try:
            return self.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{self.name}={raw!r} is not valid: {exc}") from None

    @property
    def django_name(self) -> str | None:
        """The Django setting this variable makes; None when it only feeds derived ones."""
        if self.feeds:
            return None
        return self.setting or self.name.removeprefix("DAILYPAPERS_")

    @property
    def accepted(self) -> str:
        return self.accepts or inspect.getdoc(self.parse) or ""

    @property
    def shown_default(self) -> str:
        if self.default is None:
            return "(unset)"
        if callable(self.default):
            return inspect.getdoc(self.default) or "(computed)"
        return f"`{self.default}`" if self.default else "(empty)"


@dataclass(frozen=True)
class Group:
    """Settings shown together in the reference, under one heading."""

    title: str
    intro: str
    settings: tuple[Setting, ...]


def group(title: str, intro: str, *settings: Setting) -> Group:
    return Group(title, intro, settings)


SITE = group(
    "Site",
    "Where the site keeps its files, the address people reach it at, and the day it lives in.",
    Setting(
        "DAILYPAPERS_DATA_DIR",
        default_data_dir,
        parse_path,
        "Directory for the SQLite database, the generated secret key and derived indexes.",
    ),
    Setting(
        "DAILYPAPERS_SITE_URL",
        "http://127.0.0.1:8000",
        parse_url,
        "The site's public address, for links in mail, feeds and the API when there is no request.",
        convert=without_trailing_slash,
    ),
    Setting(
        "DAILYPAPERS_TIME_ZONE",
        "UTC",
        parse_time_zone,
        "Time zone that decides which day is 'today' for the feed.",
    ),
    Setting(
        "DAILYPAPERS_DEBUG", "false", parse_bool, "Django debug mode. Never on a public server."
    ),
    Setting(
        "DAILYPAPERS_AUTO_DEMO",
        "true",
        parse_bool,
        "Load the demo papers on the first `dailypapers serve` when the database has no papers.",
    ),
)

SECURITY = group(
    "Security",
    "The secret key, the names and origins the site answers to, HTTPS, the proxies it trusts, "
    "and the rate limits.",
    Setting(
        "DAILYPAPERS_SECRET_KEY",
        None,
        parse_text,
        "Django secret key. Default: a random key generated once and kept in "
        "`secret_key` in the data directory (mode 0600).",
        feeds=("SECRET_KEY",),
        accepts="At least 50 characters, 5 of them different.",
    ),
    Setting(
        "DAILYPAPERS_ALLOWED_HOSTS",
        "127.0.0.1,localhost,[::1]",
        parse_list,
        "Comma-separated host names the site answers to.",
    ),
    Setting(
        "DAILYPAPERS_CSRF_TRUSTED_ORIGINS",
        "",
        parse_list,
        "Comma-separated origins (`https://papers.example.org`) trusted for form posts "
        "when served behind a proxy.",
    ),
    Setting(
        "DAILYPAPERS_HTTPS",
        "false",
        parse_bool,
        "The site is served over HTTPS only (by itself or a proxy that sends "
        "`X-Forwarded-Proto: https`): cookies are always Secure and plain HTTP is redirected.",
    ),
    Setting(
        "DAILYPAPERS_HSTS_SECONDS",
        "0",
        parse_int(0, 63_072_000),
        "`Strict-Transport-Security` max-age sent over HTTPS (0: none). Browsers then refuse "
        "plain HTTP for that long: set it once HTTPS works for good (a year: 31536000).",
        setting="SECURE_HSTS_SECONDS",
    ),
    Setting(
        "DAILYPAPERS_TRUSTED_PROXIES",
        "127.0.0.1,::1",
        parse_networks,
        "Addresses or CIDR blocks of the reverse proxies in front of the site. A request from "
        "one of them has its client address taken from `X-Forwarded-For` (the rightmost hop that "
        "is not a trusted proxy) and its scheme from `X-Forwarded-Proto`; from anyone else both "
        "headers are ignored. Rate limits count per client address.",
    ),
    Setting(
        "DAILYPAPERS_RATE_LIMITS",
        DEFAULT_RATE_LIMITS,
        parse_rate_limits,
        "Rate limits as `scope=count/seconds`, each counted per address and per signed-in user "
        "(sign-in: per address, and per address and user name); past them the answer is 429. "
        "Every write of the site and the API counts against one scope (the table of scopes and "
        "what each counts is in [Community](community.md#rate-limits)). "
        "`mail-to` limits the mails one address receives (confirmations, password resets), "
        "whoever asks. A scope left out keeps its default.",
    ),
    Setting(
        "DAILYPAPERS_SILENCED_CHECKS",
        "",
        parse_list,
        "Django system checks to silence (e.g. `security.W008` when a proxy redirects to HTTPS).",
        setting="SILENCED_SYSTEM_CHECKS",
    ),
    Setting(
        "DAILYPAPERS_PRIVATE",
        "false",
        parse_bool,
        "A private instance: every page, API route, feed, sitemap, thumbnail and Markdown file "
        "needs a signed-in account (feeds, the API and Markdown files also take a personal API "
        "token), sign-up is open only to `DAILYPAPERS_SIGNUP_INVITED` and "
        "`DAILYPAPERS_SIGNUP_DOMAINS`, and robots.txt turns every robot away. "
        "See [Private instance](private.md).",
    ),
    Setting(
        "DAILYPAPERS_SIGNUP_DOMAINS",
        "",
        parse_domains,
        "Sign-up is open to addresses at these domains (the part after `@`, exactly: "
        "`example.edu` admits `ada@example.edu`, not `ada@cs.example.edu` nor "
        "`ada@example.edu.evil.org`). When this or `DAILYPAPERS_SIGNUP_INVITED` is set, or the "
        "instance is private, no one else can sign up; an administrator can still make accounts.",
    ),
    Setting(
        "DAILYPAPERS_SIGNUP_INVITED",
        "",
        parse_addresses,
        "Addresses invited to sign up whatever their domain (case does not matter).",
    ),
)


def _sso(provider: str, name: str, button: str) -> tuple[Setting, ...]:
    """A provider's client id and secret: both set, or the provider is not offered."""
    return (
        Setting(
            f"DAILYPAPERS_SSO_{provider}_CLIENT_ID",
            "",
            parse_text,
            f"The client id of this site's OAuth application at {name}; with "
            f"`DAILYPAPERS_SSO_{provider}_SECRET`, the sign-in page offers "
            f"“Continue with {button}”. See [Single sign-on](sso.md).",
            feeds=("SOCIALACCOUNT_PROVIDERS",),
        ),
        Setting(
            f"DAILYPAPERS_SSO_{provider}_SECRET",
            "",
            parse_text,
            f"The client secret of that application at {name}.",
            feeds=("SOCIALACCOUNT_PROVIDERS",),
        ),
    )


SSO = group(
    "Single sign-on",
    "Sign-in with GitHub, Google, ORCID or an OpenID Connect provider (Keycloak, Authentik, Okta, "
    "Google Workspace...), beside the site's own accounts: a provider is offered when its "
    "client id and secret are set, and absent otherwise. Accounts are linked by verified email "
    "address; sign-up through a provider follows the same rules as sign-up with a password "
    "(`DAILYPAPERS_SIGNUP_DOMAINS`, `DAILYPAPERS_SIGNUP_INVITED`). See [Single sign-on](sso.md).",
    *_sso("GITHUB", "GitHub", "GitHub"),
    *_sso("GOOGLE", "Google", "Google"),
    *_sso("ORCID", "ORCID", "ORCID"),
    Setting(
        "DAILYPAPERS_SSO_ORCID_DOMAIN",
        "orcid.org",
        parse_text,
        "ORCID's domain: `orcid.org`, or `sandbox.orcid.org` to try ORCID's sandbox.",
        feeds=("SOCIALACCOUNT_PROVIDERS",),
    ),
    *_sso("OIDC", "the OpenID Connect provider", "<DAILYPAPERS_SSO_OIDC_NAME>"),
    Setting(
        "DAILYPAPERS_SSO_OIDC_SERVER_URL",
        "",
        parse_text,
        "The OpenID Connect provider's issuer URL (its discovery document is read from "
        "`<url>/.well-known/openid-configuration`), e.g. "
        "`https://keycloak.example.org/realms/lab`. Needed with its client id and secret.",
        feeds=("SOCIALACCOUNT_PROVIDERS",),
    ),
    Setting(
        "DAILYPAPERS_SSO_OIDC_NAME",
        "Single sign-on",
        parse_text,
        "The OpenID Connect provider's name on the sign-in button (“Continue with <name>”).",
        feeds=("SOCIALACCOUNT_PROVIDERS",),
    ),
    Setting(
        "DAILYPAPERS_SSO_OIDC_ID",
        "sso",
        parse_slug,
        "The OpenID Connect provider's id in this site's addresses: its callback is "
        "`<site>/accounts/sso/oidc/<id>/callback`.",
        feeds=("SOCIALACCOUNT_PROVIDERS",),
    ),
)

SERVING = group(
    "Serving",
    "The web server `dailypapers serve` runs, its page cache and its readiness check.",
    Setting(
        "DAILYPAPERS_SERVER",
        "granian",
        parse_choices_one(("granian", "gunicorn")),
        "HTTP server `dailypapers serve` runs: granian (reads requests in Rust, so slow clients "
        "hold no Python thread) or gunicorn (gthread).",
    ),
    Setting(
        "DAILYPAPERS_WEB_WORKERS",
        "2",
        parse_int(1, 64),
        "Web worker processes started by `dailypapers serve`.",
    ),
    Setting(
        "DAILYPAPERS_ACCESS_LOG",
        "true",
        parse_bool,
        "Write one line per request to standard output (`dailypapers serve`).",
    ),
    Setting(
        "DAILYPAPERS_PAGE_CACHE_SECONDS",
        "10",
        parse_int(0, 3600),
        "How long a feed page (day, week, month, trending) is kept as signed-out visitors see "
        "it: in each web process, or shared by every node when `DAILYPAPERS_CACHE_URL` names a "
        "Redis server; proxies and CDNs may keep it as long (`Cache-Control: public, max-age`). "
        "Signed-in users always get a fresh page. 0 turns the cache off.",
    ),
    Setting(
        "DAILYPAPERS_READY_MAX_LAG",
        "60",
        parse_int(1, 86400),
        "`/readyz` answers 503 when this machine's search index is more than this many seconds "
        "behind the database's change log.",
    ),
    Setting(
        "DAILYPAPERS_METRICS_TOKEN",
        "",
        parse_text,
        "Bearer token a Prometheus scraper sends to read `/metrics` "
        "(`Authorization: Bearer <token>`). Empty: `/metrics` answers only requests from this "
        "machine or a trusted proxy's own address (`DAILYPAPERS_TRUSTED_PROXIES`), never a client "
        "forwarded by one; anyone else gets 404.",
    ),
)

STORES = group(
    "Database, queue and cache",
    "One machine needs none of these (SQLite files in the data directory, a cache in each "
    "process); several machines share PostgreSQL and Redis.",
    Setting(
        "DATABASE_URL",
        None,
        parse_text,
        "Database to use, e.g. `postgresql://user@host:5432/db` (PostgreSQL 14 or newer, with "
        "the `postgres` extra). Default: SQLite file `dailypapers.sqlite3` in the data directory "
        "(WAL mode).",
        feeds=("DATABASES",),
        accepts="A `sqlite:///` or `postgresql://` URL.",
    ),
    Setting(
        "DATABASE_REPLICA_URLS",
        "",
        parse_urls,
        "Comma-separated PostgreSQL read replicas. Reads go to one of them, except in a request "
        "that writes and for 10 s after a visitor's write (read-your-writes, by a short cookie), "
        "which go to `DATABASE_URL`.",
        feeds=("DATABASES", "DATABASE_ROUTERS", "MIDDLEWARE"),
        accepts="Comma-separated `postgresql://` URLs, with a PostgreSQL `DATABASE_URL`.",
    ),
    Setting(
        "DAILYPAPERS_QUEUE_URL",
        "",
        parse_text,
        "Job queue (huey) storage: empty for a SQLite file `queue.sqlite3` in the data directory, "
        "or `redis://host:6379/0` for several machines.",
        feeds=("HUEY",),
        accepts="Empty, or a `redis://`, `rediss://` or `unix://` URL.",
    ),
    Setting(
        "DAILYPAPERS_CACHE_URL",
        "",
        parse_text,
        "Shared cache for every web node (`redis://host:6379/1`, with the `redis` extra): the "
        "signed-out page cache and related papers. Empty: each process keeps its own in memory.",
        feeds=("CACHES",),
        accepts="Empty, or a `redis://`, `rediss://` or `unix://` URL.",
    ),
)

FEED = group(
    "Daily feed and community",
    "The feed's pages, trending, submissions, comments, and the rules that promote catalogue "
    "papers into the feed.",
    Setting(
        "DAILYPAPERS_FEED_PAGE_SIZE",
        "50",
        parse_int(1, 500),
        "Papers per page on the daily, weekly, monthly and trending pages.",
    ),
    Setting(
        "DAILYPAPERS_TRENDING_GRAVITY",
        "1.8",
        parse_float(0.0, 10.0),
        "Exponent of the age decay in the trending score.",
    ),
    Setting(
        "DAILYPAPERS_TRENDING_WINDOW_DAYS",
        "7",
        parse_int(1, 3650),
        "Days of feed entries, up to the latest day with papers, considered by the trending page.",
    ),
    Setting(
        "DAILYPAPERS_SUBMIT_WINDOW_DAYS",
        "7",
        parse_int(0, 36500),
        "A paper can be submitted to the Daily feed while its first arXiv version is at most "
        "this many days old (as on Hugging Face); curators can add older ones.",
    ),
    Setting(
        "DAILYPAPERS_SUBMISSIONS_PER_DAY",
        "5",
        parse_int(0, 1000),
        "Papers one person may submit in 24 hours.",
    ),
    Setting(
        "DAILYPAPERS_COMMENT_EDIT_MINUTES",
        "15",
        parse_int(0, 10080),
        "Minutes during which the author of a comment may edit it.",
    ),
    Setting(
        "DAILYPAPERS_PROMOTE_VOTES",
        "3",
        parse_int(0, 1_000_000),
        "Promotion rule: a catalogue paper enters today's feed once it has this many upvotes "
        "cast here while its first version is at most `DAILYPAPERS_PROMOTE_WITHIN_DAYS` old "
        "(0: never).",
    ),
    Setting(
        "DAILYPAPERS_PROMOTE_WITHIN_DAYS",
        "7",
        parse_int(0, 36500),
        "Age limit, in days since the first version, of the papers the promotion rules consider.",
    ),
    Setting(
        "DAILYPAPERS_PROMOTE_CATEGORIES",
        "",
        parse_categories,
        "Promotion rule for a lab's instance: new papers in these arXiv categories enter the "
        "feed when they arrive (with `DAILYPAPERS_PROMOTE_KEYWORDS`, only those matching a "
        "keyword too). Empty: off.",
    ),
    Setting(
        "DAILYPAPERS_PROMOTE_KEYWORDS",
        "",
        parse_list,
        "Promotion rule: new papers whose title or abstract holds one of these comma-separated "
        "words or phrases enter the feed when they arrive (within "
        "`DAILYPAPERS_PROMOTE_CATEGORIES` when set). Empty: off.",
    ),
)

INGESTION = group(
    "Ingestion",
    "The scheduled job that fills the catalogue from arXiv and the feed from Hugging Face, and "
    "the GitHub stars of papers' code and the Hugging Face models, datasets and Spaces citing "
    "them.",
    Setting(
        "DAILYPAPERS_INGEST_CATEGORIES",
        "",
        parse_categories,
        "Comma-separated arXiv categories the scheduled job ingests (e.g. `cs.LG,cs.CL`). "
        "Empty: no scheduled ingestion.",
    ),
    Setting(
        "DAILYPAPERS_INGEST_SOURCES",
        "listing",
        parse_choices(("listing", "oaipmh", "arxiv-api", "hf")),
        "Sources the scheduled job runs: `listing`, `oaipmh`, `arxiv-api` for each category of "
        "`DAILYPAPERS_INGEST_CATEGORIES` (into the catalogue), `hf` once (Hugging Face's daily "
        "papers, into the feed).",
    ),
    Setting(
        "DAILYPAPERS_INGEST_INTERVAL_HOURS",
        "6",
        parse_int(1, 168),
        "Hours between two successful runs of a source; failures retry sooner, backing off.",
    ),
    Setting(
        "DAILYPAPERS_INGEST_ANNOUNCE_TYPES",
        "new,cross",
        parse_choices(("new", "cross", "replace", "replace-cross")),
        'Announcement types of the daily listing that date a paper on "New on arXiv"; the others '
        "only refresh its metadata.",
    ),
    Setting(
        "DAILYPAPERS_INGEST_API_MAX",
        "500",
        parse_int(1, 30000),
        "Most papers one `arxiv-api` run fetches for a category.",
    ),
    Setting(
        "DAILYPAPERS_ARXIV_DELAY",
        "3",
        parse_float(0.0, 600.0),
        "Seconds between two requests to a source; never less than 3 against arxiv.org hosts.",
    ),
    Setting(
        "DAILYPAPERS_ARXIV_API_URL",
        "https://export.arxiv.org/api/query",
        parse_url,
        "arXiv's Atom query API.",
    ),
    Setting(
        "DAILYPAPERS_ARXIV_OAI_URL",
        "https://oaipmh.arxiv.org/oai",
        parse_url,
        "arXiv's OAI-PMH endpoint.",
    ),
    Setting(
        "DAILYPAPERS_ARXIV_LISTING_URL",
        "https://rss.arxiv.org/rss/",
        parse_url,
        "Base of arXiv's daily listing feeds; the category is appended.",
    ),
    Setting(
        "DAILYPAPERS_HF_URL",
        "https://huggingface.co",
        parse_url,
        "Hugging Face's address, for the `hf` source (`/api/daily_papers?date=...`).",
    ),
    Setting(
        "DAILYPAPERS_HF_REFRESH_DAYS",
        "7",
        parse_int(0, 365),
        "The `hf` source fetches the last this many days again on each run, to refresh their "
        "votes and comment counts; so does each of `DAILYPAPERS_UPSTREAMS`.",
    ),
    Setting(
        "DAILYPAPERS_UPSTREAMS",
        "",
        parse_upstreams,
        "Comma-separated base URLs of other dailypapers instances (or any server with Hugging "
        "Face's `/api/daily_papers`) whose Daily feed this one follows: the scheduled job pulls "
        "each every `DAILYPAPERS_INGEST_INTERVAL_HOURS`; their entries show where they came "
        "from and their votes are kept apart from local ones (docs/follow.md).",
    ),
    Setting(
        "DAILYPAPERS_UPSTREAM_ENTRIES",
        "all",
        parse_choices_one(("all", "rules")),
        "Which papers of the upstreams enter this Daily feed: `all` (their whole feed), or "
        "`rules`: only those this instance's topic rule picks (`DAILYPAPERS_PROMOTE_KEYWORDS`, "
        "`DAILYPAPERS_PROMOTE_CATEGORIES`); the others still reach the catalogue with their votes.",
    ),
    Setting(
        "DAILYPAPERS_GITHUB_TOKEN",
        "",
        parse_text,
        "A GitHub token for the stars of papers' code repositories (5,000 requests an hour "
        "instead of 60). Optional; it needs no scope.",
    ),
    Setting(
        "DAILYPAPERS_GITHUB_API_URL",
        "https://api.github.com",
        parse_url,
        "GitHub's REST API.",
        convert=without_trailing_slash,
    ),
    Setting(
        "DAILYPAPERS_GITHUB_DELAY",
        "1",
        parse_float(0.0, 600.0),
        "Seconds between two requests to GitHub.",
    ),
    Setting(
        "DAILYPAPERS_HUB_LINKS",
        "true",
        parse_bool,
        "Ask the Hugging Face Hub which models, datasets and Spaces cite each feed paper "
        "(`/api/models?filter=arxiv:<id>`...), and show them on its page and in the API. "
        "`false` sends nothing to the Hub.",
    ),
    Setting(
        "DAILYPAPERS_HUB_URL",
        "https://huggingface.co",
        parse_url,
        "The Hugging Face Hub asked for the models, datasets and Spaces citing a paper.",
        convert=without_trailing_slash,
    ),
    Setting(
        "DAILYPAPERS_HUB_DELAY",
        "2",
        parse_float(0.0, 600.0),
        "Seconds between two requests to the Hugging Face Hub.",
    ),
    Setting(
        "DAILYPAPERS_HUB_MAX_REQUESTS",
        "150",
        parse_int(3, 10000),
        "At most this many requests to the Hugging Face Hub per hourly run (three a paper); "
        "the next run goes on.",
    ),
)

CONTENT = group(
    "Paper content",
    "PDFs fetched to make thumbnails, full text, keywords and one-line summaries, and where "
    "they are kept.",
    Setting(
        "DAILYPAPERS_CONTENT",
        "feed",
        parse_choices_one(("feed", "categories", "off")),
        "Which PDFs the worker fetches to make thumbnails, full text and keywords: `feed` (papers "
        "in the Daily feed), `categories` (also every catalogue paper of "
        "`DAILYPAPERS_INGEST_CATEGORIES`), or `off`.",
    ),
    Setting(
        "DAILYPAPERS_PDF_URL",
        "https://arxiv.org/pdf",
        parse_url,
        "Where PDFs are fetched from: `<url>/<arXiv id>v<version>`.",
        convert=without_trailing_slash,
    ),
    Setting(
        "DAILYPAPERS_CONTENT_KEEP_PDF",
        "false",
        parse_bool,
        "Keep each fetched PDF in the content storage (otherwise only its pictures and text).",
    ),
    Setting(
        "DAILYPAPERS_CONTENT_MAX_MB",
        "50",
        parse_int(1, 2000),
        "A PDF larger than this is not downloaded (status `too_large`).",
        setting="CONTENT_MAX_BYTES",
        convert=megabytes_to_bytes,
    ),
    Setting(
        "DAILYPAPERS_CONTENT_MAX_PAGES",
        "100",
        parse_int(1, 10000),
        "Text is extracted from at most this many pages of a PDF (status `partial` beyond).",
    ),
    Setting(
        "DAILYPAPERS_CONTENT_MEMORY_MB",
        "1024",
        parse_int(128, 65536),
        "Address-space limit of the process that renders PDFs; a PDF that needs more is marked "
        "`crashed` and the worker goes on.",
    ),
    Setting(
        "DAILYPAPERS_CONTENT_TIMEOUT",
        "60",
        parse_int(1, 3600),
        "Seconds a PDF may take to render and extract before it is marked `crashed`.",
    ),
    Setting(
        "DAILYPAPERS_CONTENT_S3_BUCKET",
        "",
        parse_text,
        "Keep thumbnails and PDFs in this S3-compatible bucket instead of `content/` in the data "
        "directory, so every web node serves the same files. Needs the `s3` extra; credentials "
        "come from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.",
        feeds=("STORAGES",),
        accepts="Empty, or `bucket` or `bucket/prefix`.",
    ),
    Setting(
        "DAILYPAPERS_CONTENT_S3_ENDPOINT",
        "",
        parse_text,
        "The bucket's endpoint for a server other than AWS (MinIO, Ceph, Garage: `https://...`).",
        feeds=("STORAGES",),
        accepts="Empty, or a URL.",
    ),
    Setting(
        "DAILYPAPERS_LLM_URL",
        "",
        parse_text,
        "An OpenAI-compatible server (llama.cpp, vLLM, Ollama: `http://127.0.0.1:8080/v1`) that "
        "writes the one-line summaries. Empty: a summary is the abstract's most central "
        "sentence, and nothing is sent anywhere.",
        convert=without_trailing_slash,
        accepts="Empty, or a URL.",
    ),
    Setting(
        "DAILYPAPERS_LLM_MODEL",
        "default",
        parse_text,
        "The model name sent to `DAILYPAPERS_LLM_URL`.",
    ),
)

SEARCH = group(
    "Search",
    "Full text and semantic search, fused by reciprocal rank, and the embedding of papers. The "
    "figures quoted are from the README's Search section and benchmarks.",
    Setting(
        "DAILYPAPERS_SEMANTIC",
        "true",
        parse_bool,
        "Use the semantic leg of search (and related papers by vector) when the `semantic` extra "
        "is installed; `false` keeps search to full text.",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_WEIGHTS",
        "fulltext=1.0,semantic=1.0",
        parse_weights(("fulltext", "semantic")),
        "Weights of the two legs in the reciprocal-rank fusion: "
        "score = sum of weight / (k + rank).",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_RRF_K",
        "5",
        parse_int(1, 1000),
        "The k of reciprocal-rank fusion: larger flattens the difference between ranks. Chosen "
        "on SciFact's train split: 5 and 1 tie within noise (0.721 and 0.724), the usual 60 is "
        "a point lower.",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_COVERED_WEIGHT",
        "1.5",
        parse_float(0.0, 100.0),
        "Factor on the full-text leg's weight when at least three papers have every word of the "
        "query (the words found what was asked; a misspelt word counts as its correction). "
        "Chosen on the arXiv development set; SciFact's claims are almost never covered, so it "
        "does not move SciFact.",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_QUESTION_WEIGHT",
        "2.0",
        parse_float(0.0, 100.0),
        "Factor on the semantic leg's weight when the query is a question in everyday words "
        "(three words or more, starting with how, what, why, can, does... or ending with `?`). "
        "Chosen on the arXiv development set.",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_SIMILARITY_FLOOR",
        "0.3",
        parse_float(0.0, 1.0),
        "Cosine similarity under which the semantic leg's neighbours are not results (0: all "
        "are). Gibberish and off-topic queries reach at most 0.29 on the demo papers, topics and "
        "plain-language questions 0.39 and more.",
    ),
    Setting(
        "DAILYPAPERS_MODEL_DIR",
        "",
        parse_text,
        "Where the int8 ONNX model built from the weights is cached. Default: `models` in the "
        "data directory.",
        accepts="Empty, or a directory path.",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_ANN_MIN",
        "50000",
        parse_int(1, 1_000_000_000),
        "From this many vectors on, the worker builds an HNSW index (faiss) of them; below, "
        "semantic search is exact (numpy).",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_ANN_EF",
        "128",
        parse_int(8, 4096),
        "HNSW search breadth (efSearch): higher finds the true nearest neighbours more often, "
        "and is slower.",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_EMBED_TOKENS",
        "256",
        parse_int(32, 256),
        "Word pieces of title + abstract embedded for a catalogue paper; a paper of the Daily "
        "feed always gets 256. 128 embeds about twice as fast, 64 four times, for some search "
        "quality. Changing it embeds the catalogue again.",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_THREADS",
        "0",
        parse_int(0, 256),
        "Threads onnxruntime uses to embed papers in bulk (the worker, `index sync`); 0 lets it "
        "use every core. A query always uses one.",
    ),
)

MAIL = group(
    "Mail",
    "Where the site's mail goes, who sends it, and its DKIM signature.",
    Setting(
        "EMAIL_URL",
        "console://",
        parse_email,
        "Where mail goes: `smtp://user:pass@host:587?starttls=1`, `smtps://user:pass@host:465`, "
        "or `console://` (printed; the default, for development).",
        feeds=("EMAIL_BACKEND", "MAILERS"),  # EMAIL_* before Django 6.1, MAILERS from it
    ),
    Setting(
        "DAILYPAPERS_FROM_EMAIL",
        "dailypapers <noreply@localhost>",
        parse_text,
        "Sender of the site's mail.",
        setting="DEFAULT_FROM_EMAIL",
        accepts="A mail address, alone or as `Name <address>`.",
    ),
    Setting(
        "DAILYPAPERS_UNSUBSCRIBE_MAILTO",
        "",
        parse_text,
        "Mailbox of the mailto: List-Unsubscribe link. Default: the sender's address.",
        setting="DIGEST_UNSUBSCRIBE_MAILTO",
        accepts="Empty, or a mail address.",
    ),
    Setting(
        "DAILYPAPERS_DKIM_DOMAIN",
        "",
        parse_text,
        "Domain (d=) of the DKIM signature; empty: no DKIM. The three DKIM variables are set "
        "together or not at all.",
        feeds=("DKIM_DOMAIN",),
    ),
    Setting(
        "DAILYPAPERS_DKIM_SELECTOR",
        "",
        parse_text,
        "Selector (s=) of the DKIM signature.",
        feeds=("DKIM_SELECTOR",),
    ),
    Setting(
        "DAILYPAPERS_DKIM_KEY_FILE",
        "",
        parse_text,
        "PEM file of the DKIM private key (RSA or Ed25519).",
        feeds=("DKIM_KEY",),
        accepts="Empty, or a file path.",
    ),
)

DIGESTS = group(
    "Digests and For you",
    "The mailed digests of the feed, the For you picks, and how digests are sent.",
    Setting("DAILYPAPERS_DIGEST_SIZE", "10", parse_int(1, 100), "Papers in one digest."),
    Setting(
        "DAILYPAPERS_DIGEST_FORYOU_SIZE",
        "5",
        parse_int(0, 50),
        'Most "For you" picks in the digest of a subscriber who asked for them (0: none).',
    ),
    Setting(
        "DAILYPAPERS_DIGEST_FORYOU_MIN_SCORE",
        "1.0",
        parse_float(-100.0, 100.0),
        'A "For you" pick enters a digest only at this score or above (the score adds '
        "standardised signals: 1 is about one standard deviation above an average paper).",
    ),
    Setting(
        "DAILYPAPERS_FORYOU_DAYS",
        "10",
        parse_int(1, 60),
        '"For you" ranks the papers of this many days, up to the newest day with papers.',
    ),
    Setting(
        "DAILYPAPERS_FORYOU_PICKS",
        "200",
        parse_int(10, 2000),
        "Picks stored per reader (the page shows a day's or the week's).",
    ),
    Setting(
        "DAILYPAPERS_DIGEST_RATE",
        "20",
        parse_float(0.0, 10000.0),
        "Most digests sent per second by one worker (0: no limit).",
    ),
    Setting(
        "DAILYPAPERS_DIGEST_MAX_ATTEMPTS",
        "8",
        parse_int(1, 100),
        "Attempts of one digest on SMTP 4xx or connection errors before it is given up.",
    ),
    Setting(
        "DAILYPAPERS_DIGEST_BOUNCE_AFTER",
        "3",
        parse_int(1, 100),
        "Consecutive SMTP 5xx refusals after which an address is marked bounced.",
    ),
    Setting(
        "DAILYPAPERS_DIGEST_LEASE_SECONDS",
        "600",
        parse_int(1, 86400),
        "How long a claimed digest is reserved for its worker; after it (a crash), it is sent "
        "again.",
    ),
)

CHAT_SCHEMES = "slack,discord,workflows,tgram,gchat,mmosts,matrixs,ntfys,rockets,jsons"


def parse_schemes(value: str) -> list[str]:
    """Comma-separated Apprise URL schemes (`slack`, `discord`, `jsons`...), lower-case."""
    items = [item.lower() for item in parse_list(value)]
    for item in items:
        if not re.fullmatch(r"[a-z][a-z0-9+.-]{0,31}", item):
            raise ValueError(f"{item!r} is not a URL scheme")
    return items


CHAT = group(
    "Team chat",
    "Channels in Slack, Discord, Mattermost, Microsoft Teams, Matrix, Telegram, ntfy or any "
    "JSON webhook that receive the day's picks, the weekly summary, new papers of followed "
    "authors and searches, and a collection's additions, through Apprise. See "
    "[Team chat](chat.md).",
    Setting(
        "DAILYPAPERS_CHAT_USER_SCHEMES",
        CHAT_SCHEMES,
        parse_schemes,
        "The Apprise schemes a user may choose for a personal channel (the operator's "
        "site-wide channels may use any). Empty: no personal channels.",
    ),
    Setting(
        "DAILYPAPERS_CHAT_USER_PRIVATE",
        "false",
        parse_bool,
        "Let a personal channel's URL name a private, loopback or link-local address (an "
        "intranet's Mattermost or webhook). Off, a user cannot make the server post to its own "
        "network.",
    ),
    Setting(
        "DAILYPAPERS_CHAT_MAX_CHANNELS",
        "5",
        parse_int(0, 100),
        "Personal channels per account.",
    ),
    Setting(
        "DAILYPAPERS_CHAT_SIZE",
        "10",
        parse_int(1, 50),
        "Papers in the daily picks and the weekly summary.",
    ),
    Setting(
        "DAILYPAPERS_CHAT_MAX_CHARS",
        "3500",
        parse_int(500, 40000),
        "Most characters in one message (a service's own smaller limit wins: Discord's 2,000); "
        "a longer list ends with a link to the rest.",
    ),
    Setting(
        "DAILYPAPERS_CHAT_MAX_ATTEMPTS",
        "8",
        parse_int(1, 100),
        "Attempts of one message before it is given up (retried with backoff: 1 minute, "
        "doubling, at most 6 hours apart).",
    ),
    Setting(
        "DAILYPAPERS_CHAT_LEASE_SECONDS",
        "300",
        parse_int(1, 86400),
        "How long a claimed message is reserved for its worker; after it (a crash), it is sent "
        "again.",
    ),
)

BACKUP_SCHEDULES = {"hourly": "0 * * * *", "daily": "0 3 * * *", "weekly": "0 3 * * 0"}


def parse_schedule(value: str) -> str:
    value = " ".join(value.split())
    if value == "off":
        return ""
    value = BACKUP_SCHEDULES.get(value, value)
    fields = value.split(" ")
    if len(fields) != 5:
        raise ValueError("expected off, hourly, daily, weekly or five crontab fields")
    try:
        crontab(*fields)
    except ValueError as exc:
        raise ValueError(f"not a crontab: {exc}") from None
    return value


parse_schedule.__doc__ = (
    "`off`, `hourly`, `daily` (03:00), `weekly` (Sunday 03:00), or five crontab fields "
    "(`minute hour day month weekday`, e.g. `30 2 * * *`), in `DAILYPAPERS_TIME_ZONE`."
)

BACKUPS = group(
    "Backups",
    "Backups the worker takes by itself: the database and the content files kept in the data "
    "directory, in one archive that `dailypapers restore` reads.",
    Setting(
        "DAILYPAPERS_BACKUP_SCHEDULE",
        "off",
        parse_schedule,
        "When the worker takes a backup. It checks every 5 minutes and takes one when a "
        "scheduled time has passed since the newest archive (so a worker that was down catches "
        "up once, not once per missed time); `dailypapers doctor` fails when two scheduled "
        "times have passed since the newest.",
    ),
    Setting(
        "DAILYPAPERS_BACKUP_DIR",
        None,
        parse_path,
        "Directory of the scheduled backups (`dailypapers-<UTC time>.tar`). Default: `backups` "
        "in the data directory; put it on another disk or a mounted remote volume to survive "
        "the loss of this one.",
        feeds=("BACKUP_DIR",),
    ),
    Setting(
        "DAILYPAPERS_BACKUP_KEEP",
        "7",
        parse_int(1, 10_000),
        "Scheduled backups kept: after each new one, the oldest beyond this number are deleted.",
    ),
)

GROUPS: tuple[Group, ...] = (
    SITE,
    SECURITY,
    SSO,
    SERVING,
    STORES,
    FEED,
    INGESTION,
    CONTENT,
    SEARCH,
    MAIL,
    DIGESTS,
    CHAT,
    BACKUPS,
)
SETTINGS: tuple[Setting, ...] = tuple(setting for g in GROUPS for setting in g.settings)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every declared setting; raise ConfigError naming each bad variable."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    errors: list[str] = []
    for setting in SETTINGS:
        try:
            values[setting.name] = setting.read(environ)
        except ConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise ConfigError("; ".join(errors))
    return values


def django_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The Django settings the declarations make from `load()`'s values, by name."""
    made = {}
    for setting in SETTINGS:
        if setting.django_name:
            value = values[setting.name]
            made[setting.django_name] = setting.convert(value) if setting.convert else value
    return made


REFERENCE_COMMAND = "dailypapers config reference > docs/configuration.md"


def reference() -> str:
    """The configuration reference in Markdown: a section per group, a table row per variable."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "# Configuration",
        "",
        f"<!-- Written by `{REFERENCE_COMMAND}` from the declarations in "
        "src/dailypapers/core/conf.py: change them, not this file. -->",
        "",
        "dailypapers reads its configuration from environment variables only. Each is parsed "
        "strictly: a bad value stops start-up with a message naming the variable, and nothing "
        "is silently coerced. A variable left unset takes its default.",
    ]
    for g in GROUPS:
        lines += ["", f"## {g.title}", "", g.intro, ""]
        lines += ["| Variable | Default | Accepted values | Meaning |", "|---|---|---|---|"]
        lines += [
            f"| `{s.name}` | {cell(s.shown_default)} | {cell(s.accepted)} | {cell(s.doc)} |"
            for s in g.settings
        ]
    return "\n".join(lines) + "\n"
