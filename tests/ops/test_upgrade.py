"""Upgrading a database written by release 0.1 loses nothing.

`fixtures/upgrade/` holds a SQLite database and a PostgreSQL dump written by the release's own
code, with rows in every table (`fixtures/upgrade/make.py` says how they were made), and
`release-0.1.rows.json`: each table's row count and a checksum of its rows. Each test migrates a
copy with the current code, in a process of its own, as an operator's `dailypapers migrate`
would, then checks from the database's catalogue that:

- every table of the release is still there with the same rows (new migrations may add tables
  and columns, never lose them; the checksum covers the release's columns);
- every migration is applied, and none is missing (`makemigrations --check`);
- every model of the current code has its content type, and a model that moved to another app
  kept its content type (renamed, not duplicated) and its permissions, ids and all, so that
  what users, groups and the admin's log refer to still means the same.

The tests use no pytest-django test database: they make their own and drop them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upgrade"
_spec = importlib.util.spec_from_file_location("upgrade_fixture_make", FIXTURES / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

EXPECTED = json.loads((FIXTURES / make.ROWS_NAME).read_text())["databases"]
# Django's bookkeeping, which migrating changes by design: new migrations are recorded, new
# models get content types and permissions, a moved model's content type changes app. Checked
# below by what they must keep rather than by checksum.
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}
MODELS_SCRIPT = """
import json
import django
django.setup()
from django.apps import apps
print(json.dumps({
    f"{m._meta.app_label}.{m._meta.model_name}": m._meta.db_table for m in apps.get_models()
}))
"""


def environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment of an operator's `dailypapers` command: this checkout's code (the same
    PYTHONPATH), a data directory of its own, the database given, nothing of the test run's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DAILYPAPERS_", "DATABASE_", "DJANGO_")) and k != "EMAIL_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
        DAILYPAPERS_DATA_DIR=str(tmp_path / "data"),
        DAILYPAPERS_MODEL_DIR=str(tmp_path / "data" / "models"),
        DAILYPAPERS_SECRET_KEY=make.SECRET_KEY,
        DAILYPAPERS_AUTO_DEMO="false",
        DATABASE_URL=database_url,
    )
    return env


def run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited with {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result.stdout


def migrate_and_inspect(env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Migrate with the current code; its plan afterwards, and its models' tables by content
    type. Fails if a migration is missing."""
    run(env, "-m", "dailypapers", "migrate", "--noinput")
    plan = run(env, "-m", "dailypapers", "showmigrations", "--plan")
    run(env, "-m", "dailypapers", "makemigrations", "--check", "--dry-run")
    models = json.loads(run(env, "-c", MODELS_SCRIPT).strip().splitlines()[-1])
    return plan, models


def columns_of(expected: dict) -> dict[str, list[str]]:
    return {name: table["columns"] for name, table in expected["tables"].items()}


def problems_with_tables(expected: dict, migrated: dict) -> list[str]:
    problems = []
    for name, before in sorted(expected["tables"].items()):
        after = migrated["tables"].get(name)
        if after is None:
            problems.append(f"{name}: the table is gone ({before['rows']} rows)")
        elif name in BOOKKEEPING:
            if after["rows"] < before["rows"]:
                problems.append(f"{name}: {before['rows']} rows before, {after['rows']} after")
        elif after["rows"] != before["rows"]:
            problems.append(f"{name}: {before['rows']} rows before, {after['rows']} after")
        elif after["checksum"] is None:
            problems.append(f"{name}: columns are gone (had {', '.join(before['columns'])})")
        elif after["checksum"] != before["checksum"]:
            problems.append(f"{name}: same {after['rows']} rows, but their content changed")
    missing = {tuple(m) for m in expected["migrations"]} - {
        tuple(m) for m in migrated["migrations"]
    }
    if missing:
        problems.append(f"django_migrations: applied migrations forgotten: {sorted(missing)}")
    return problems


def problems_with_content_types(
    expected: dict, migrated: dict, current_models: dict[str, str]
) -> list[str]:
    """Every current model has a content type; a model of the release (found by its table and
    name, wherever it lives now) keeps its permissions, and a moved one leaves no stale
    content type behind under its old app."""
    problems = []
    release_models = {
        (info["table"], info["content_type"].split(".")[1]): info["content_type"]
        for info in expected["models"].values()
    }
    before_types, after_types = expected["content_types"], migrated["content_types"]
    for key, table in sorted(current_models.items()):
        after = after_types.get(key)
        if after is None:
            problems.append(f"{key}: no content type")
            continue
        old = release_models.get((table, key.split(".")[1]))
        if old is None:
            continue  # a model new since the release
        moved = f" (was {old})" if old != key else ""
        if after["permissions"] != before_types[old]["permissions"]:
            problems.append(
                f"{key}{moved}: permissions (id, codename) {after['permissions']}, "
                f"in the release {before_types[old]['permissions']}"
            )
        if moved and old in after_types:
            problems.append(
                f"{key}{moved}: the old content type {old} is still there (it should be renamed "
                "to the new app, keeping its id and permissions)"
            )
    kept = {tuple(p) for ct in after_types.values() for p in ct["permissions"]}
    lost = [
        (name, tuple(p))
        for name, ct in before_types.items()
        for p in ct["permissions"]
        if tuple(p) not in kept
    ]
    if lost:
        problems.append(f"auth_permission: permissions of the release gone: {lost}")
    return problems


def check_upgrade(expected: dict, migrated: dict, plan: str, models: dict[str, str]) -> None:
    unapplied = [line for line in plan.splitlines() if line.lstrip().startswith("[ ]")]
    assert not unapplied, f"migrations left unapplied:\n{plan}"
    problems = problems_with_tables(expected, migrated)
    problems += problems_with_content_types(expected, migrated, models)
    assert not problems, "upgrading from release 0.1 lost data:\n" + "\n".join(problems)


@pytest.mark.slow
def test_upgrade_sqlite_database_of_release_0_1(tmp_path):
    expected = EXPECTED["sqlite"]
    database = tmp_path / "dailypapers.sqlite3"
    shutil.copyfile(FIXTURES / make.SQLITE_NAME, database)
    assert make.snapshot_sqlite(database) == {
        k: expected[k] for k in ("tables", "migrations", "content_types")
    }, "the fixture does not match release-0.1.rows.json: run make.py again"

    plan, models = migrate_and_inspect(environment(tmp_path, f"sqlite:///{database}"))

    migrated = make.snapshot_sqlite(database, columns_of(expected))
    check_upgrade(expected, migrated, plan, models)


def postgres_server() -> str | None:
    """The suite's PostgreSQL server (its `postgres` database), or None if unreachable."""
    url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        import psycopg

        psycopg.connect(admin, connect_timeout=3).close()
    except Exception as exc:
        reason = f"PostgreSQL at {admin} is not reachable: {exc}"
    else:
        if shutil.which("psql"):
            return admin
        reason = "psql is not installed"
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


@pytest.mark.slow
def test_upgrade_postgresql_database_of_release_0_1(tmp_path):
    import psycopg

    expected = EXPECTED["postgresql"]
    admin = postgres_server()
    name = f"upgrade_test_{uuid.uuid4().hex[:12]}"
    url = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        dump = FIXTURES / make.POSTGRES_NAME
        loaded = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(dump)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert loaded.returncode == 0, f"the dump does not load:\n{loaded.stderr}"
        assert make.snapshot_postgres(url) == {
            k: expected[k] for k in ("tables", "migrations", "content_types")
        }, "the dump does not match release-0.1.rows.json: run make.py again"

        plan, models = migrate_and_inspect(environment(tmp_path, url))

        migrated = make.snapshot_postgres(url, columns_of(expected))
        check_upgrade(expected, migrated, plan, models)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
