import ast
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import global_settings
from django.core.management import call_command

from dailypapers import settings as product
from dailypapers.core import conf

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "dailypapers"
SETTINGS_PY = SRC / "settings.py"
REFERENCE = ROOT / "docs" / "configuration.md"


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


def test_the_configuration_reference_is_written_from_the_declarations():
    assert REFERENCE.read_text() == conf.reference(), (
        f"docs/configuration.md is stale: run `{conf.REFERENCE_COMMAND}`"
    )


def test_the_command_prints_the_reference():
    out = io.StringIO()
    call_command("config", "reference", stdout=out)
    assert out.getvalue() == conf.reference()


def test_every_variable_is_documented_with_its_accepted_values():
    for setting in conf.SETTINGS:
        assert setting.doc and setting.accepted, setting.name
        assert f"`{setting.name}`" in conf.reference()
    assert len(conf.SETTINGS_BY_NAME) == len(conf.SETTINGS)  # no variable declared twice


def test_every_declaration_makes_a_setting_or_feeds_derived_ones():
    hand_written = SETTINGS_PY.read_text()
    made = [s.django_name for s in conf.SETTINGS if s.django_name]
    assert len(made) == len(set(made))  # no two variables make one setting
    for setting in conf.SETTINGS:
        if setting.feeds:
            assert f'ENV["{setting.name}"]' in hand_written, setting.name
            assert any(hasattr(product, name) for name in setting.feeds), setting.name
        else:
            assert setting.name.startswith("DAILYPAPERS_") or setting.setting, setting.name


def test_settings_py_takes_the_declared_settings_as_they_are_made():
    made = conf.django_settings(product.ENV)
    assert {name: getattr(product, name) for name in made} == made
    written = {
        target.id
        for node in ast.parse(SETTINGS_PY.read_text()).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and (isinstance(node, ast.Assign) or node.value)
    }
    assert written & set(made) == set()  # none is also written by hand


def test_every_setting_the_code_reads_is_made():
    read = {
        name
        for path in SRC.rglob("*.py")
        for name in re.findall(r"\bsettings\.([A-Z][A-Z0-9_]*)\b", path.read_text())
    }
    ours = read - set(dir(global_settings))
    assert ours, "the search found no setting"
    assert sorted(name for name in ours if not hasattr(product, name)) == []


def test_declarations_keep_the_setting_names_and_values_of_the_hand_mapping():
    made = conf.django_settings(
        conf.load(
            {
                "DAILYPAPERS_DATA_DIR": "/srv/dailypapers",
                "DAILYPAPERS_SITE_URL": "https://papers.example.org/",
                "DAILYPAPERS_PDF_URL": "https://pdf.example.org/pdf/",
                "DAILYPAPERS_LLM_URL": "http://127.0.0.1:8080/v1/",
                "DAILYPAPERS_GITHUB_API_URL": "https://gh.example.org/",
                "DAILYPAPERS_CONTENT_MAX_MB": "7",
                "DAILYPAPERS_HSTS_SECONDS": "60",
                "DAILYPAPERS_SILENCED_CHECKS": "security.W008",
                "DAILYPAPERS_FROM_EMAIL": "P <p@example.org>",
                "DAILYPAPERS_UNSUBSCRIBE_MAILTO": "u@example.org",
                "DAILYPAPERS_ARXIV_LISTING_URL": "https://rss.example.org/rss/",
            }
        )
    )
    assert made["SITE_URL"] == "https://papers.example.org"
    assert made["PDF_URL"] == "https://pdf.example.org/pdf"
    assert made["LLM_URL"] == "http://127.0.0.1:8080/v1"
    assert made["GITHUB_API_URL"] == "https://gh.example.org"
    assert made["ARXIV_LISTING_URL"] == "https://rss.example.org/rss/"  # the category follows
    assert made["CONTENT_MAX_BYTES"] == 7 * 1024 * 1024
    assert made["SECURE_HSTS_SECONDS"] == 60
    assert made["SILENCED_SYSTEM_CHECKS"] == ["security.W008"]
    assert made["DEFAULT_FROM_EMAIL"] == "P <p@example.org>"
    assert made["DIGEST_UNSUBSCRIBE_MAILTO"] == "u@example.org"
    assert made["DATA_DIR"] == Path("/srv/dailypapers")
    assert made["FEED_PAGE_SIZE"] == 50 and made["TIME_ZONE"] == "UTC"
    derived = {"DATABASES", "SECRET_KEY", "CACHES", "HUEY", "STORAGES", "DKIM_KEY"}
    assert derived & set(made) == set()


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
