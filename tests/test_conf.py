import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dailypapers.core import conf

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults_parse():
    values = conf.load({"HOME": "/home/someone"})
    assert values["DAILYPAPERS_DEBUG"] is False
    assert values["DAILYPAPERS_FEED_PAGE_SIZE"] == 50
    assert values["DAILYPAPERS_TRENDING_GRAVITY"] == 1.8
    assert values["DAILYPAPERS_ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DAILYPAPERS_DEBUG", "yes", "expected one of"),
        ("DAILYPAPERS_FEED_PAGE_SIZE", "abc", "invalid literal"),
        ("DAILYPAPERS_FEED_PAGE_SIZE", "0", "from 1 to 500"),
        ("DAILYPAPERS_TRENDING_GRAVITY", "-1", "from 0.0 to 10.0"),
        ("DAILYPAPERS_DATA_DIR", " ", "directory path"),
        ("DAILYPAPERS_TIME_ZONE", "Mars/Olympus", "IANA time zone"),
    ],
)
def test_a_bad_value_names_the_variable(name, value, message):
    with pytest.raises(
        conf.ConfigError, match=rf"{name}='{re.escape(value)}' is not valid: .*{message}"
    ):
        conf.load({name: value})


def test_every_setting_is_documented_in_the_readme():
    readme = README.read_text()
    missing = [s.name for s in conf.SETTINGS if f"`{s.name}`" not in readme]
    assert missing == []


def test_the_cli_stops_with_a_clear_message_on_bad_configuration(tmp_path):
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp_path), "DAILYPAPERS_FEED_PAGE_SIZE": "x"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "dailypapers", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "configuration error: DAILYPAPERS_FEED_PAGE_SIZE='x' is not valid" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unsupported_database_is_refused(tmp_path):
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql://x@y/z"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "dailypapers", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "only sqlite:// and postgresql://" in result.stderr


def test_a_secret_key_is_generated_once_and_kept_private(tmp_path):
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp_path)}
    env.pop("DAILYPAPERS_SECRET_KEY", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    keys = [
        subprocess.run(
            [sys.executable, "-m", "dailypapers", "shell", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert keys[0] == keys[1] and len(keys[0]) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_migrations_match_the_models():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_rate_limits_and_email_urls_parse_strictly():
    from dailypapers.core.mail import parse_email_url

    limits = conf.load(
        {"DAILYPAPERS_RATE_LIMITS": conf.SETTINGS_BY_NAME["DAILYPAPERS_RATE_LIMITS"].default}
    )
    assert limits["DAILYPAPERS_RATE_LIMITS"]["vote"] == (120, 60)
    for bad in ("vote=1/0", "vote=fast", "votes=1/60"):
        with pytest.raises(conf.ConfigError, match="DAILYPAPERS_RATE_LIMITS"):
            conf.load({"DAILYPAPERS_RATE_LIMITS": bad})
    # A scope left out keeps its default.
    some = conf.load({"DAILYPAPERS_RATE_LIMITS": "login=1/60"})["DAILYPAPERS_RATE_LIMITS"]
    assert (some["login"], some["vote"], some["mail-to"]) == ((1, 60), (120, 60), (3, 3600))
    backend, smtp = parse_email_url("smtps://me%40x.org:p%2Fw@mail.example.org")
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (smtp["host"], smtp["port"], smtp["use_ssl"]) == ("mail.example.org", 465, True)
    assert (smtp["username"], smtp["password"]) == ("me@x.org", "p/w")
    assert parse_email_url("smtp://relay:587?starttls=1")[1]["use_tls"] is True
    with pytest.raises(conf.ConfigError, match="EMAIL_URL='http://x' is not valid"):
        conf.load({"EMAIL_URL": "http://x"})
