"""`dailypapers doctor`: a healthy install exits 0; each kind of problem is named with its fix
and a non-zero exit."""

import datetime as dt
import io
import ipaddress
import json

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey import crontab
from huey.contrib.djhuey import HUEY

from dailypapers.core import runs
from dailypapers.core.mail import mail_settings
from dailypapers.core.models import TaskRun
from dailypapers.ops import doctor
from dailypapers.papers.models import Paper, PaperChange
from dailypapers.search import fulltext

pytestmark = pytest.mark.django_db


def every_task_ran(now=None):
    autodiscover_modules("tasks")
    for task in HUEY._registry.periodic_tasks:
        runs.write(runs.task_name(task), "running", now=now)
        runs.write(runs.task_name(task), "ok", now=now)


@pytest.fixture
def healthy(settings):
    settings.DEBUG = False
    settings.SITE_URL = "https://papers.example.org"
    settings.ALLOWED_HOSTS = ["papers.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    for name, value in mail_settings("django.core.mail.backends.smtp.EmailBackend", {}).items():
        setattr(settings, name, value)
    fulltext.ensure()
    every_task_ran()


def run_doctor(*args):
    out = io.StringIO()
    try:
        call_command("doctor", "--json", "--disk-warn", "0", "--disk-fail", "0", *args, stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    report = json.loads(out.getvalue())
    problems = {c["check"]: c for c in report["checks"] if c["status"] != "ok"}
    return code, problems


def test_a_healthy_install_exits_0(healthy):
    code, problems = run_doctor("--strict")
    assert (code, problems) == (0, {})


def test_the_text_report_says_ok_per_check(healthy):
    out = io.StringIO()
    call_command("doctor", "--disk-warn", "0", "--disk-fail", "0", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("ok    config")
    assert any(line.startswith("ok    task sync_vectors: ok") for line in lines)
    assert lines[-1].endswith(" 0 warnings, 0 failures")


def test_a_task_that_stopped_running_fails_with_the_worker_fix(healthy):
    TaskRun.objects.filter(name="dailypapers.search.tasks.sync_vectors").update(
        finished_at=timezone.now() - dt.timedelta(minutes=5)
    )
    code, problems = run_doctor()
    assert code == 1
    stale = problems["task sync_vectors"]
    assert stale["status"] == "FAIL"
    assert "last ran 5 min ago" in stale["detail"]
    assert "`dailypapers worker`" in stale["fix"]
    assert list(problems) == ["task sync_vectors"]  # the others ran just now


def test_a_task_that_never_ran_is_not_due_until_twice_its_period(healthy):
    TaskRun.objects.filter(name="dailypapers.papers.tasks.prune_changes").delete()
    assert run_doctor() == (0, {})  # daily: the worker started a moment ago
    TaskRun.objects.update(started_at=timezone.now() - dt.timedelta(days=3))
    every_task_ran()  # the others keep running; their first run was 3 days ago
    TaskRun.objects.update(started_at=timezone.now() - dt.timedelta(days=3))
    TaskRun.objects.filter(name="dailypapers.papers.tasks.prune_changes").delete()
    code, problems = run_doctor()
    assert code == 1
    assert problems["task prune_changes"]["detail"] == "has never run (every 24 h)"


def test_a_task_that_fails_is_reported_with_its_error(healthy):
    name = "dailypapers.digests.tasks.send_digests"
    runs.write(name, "error", "SMTPAuthenticationError: 535 bad credentials")
    code, problems = run_doctor("--strict")
    assert code == 1  # it succeeded a moment ago: a warning, failing only with --strict
    assert problems["task send_digests"]["status"] == "warn"
    assert "535 bad credentials" in problems["task send_digests"]["detail"]
    assert run_doctor()[0] == 0


def test_index_lag_fails_with_the_follower_fix(healthy):
    Paper.objects.create(arxiv_id="2605.00001", title="Lagging behind", abstract="")
    PaperChange.objects.update(at=timezone.now() - dt.timedelta(hours=1))
    code, problems = run_doctor()
    assert code == 1
    lag = problems["search index"]
    assert lag["status"] == "FAIL"
    assert "1 changes pending" in lag["detail"]
    assert "dailypapers index follow" in lag["fix"]


def test_low_disk_warns_then_fails_by_the_thresholds(healthy):
    free = doctor.disk(0, 0).detail.split()[0]  # GiB free now
    warn_at, fail_at = str(float(free) + 100), str(float(free) + 50)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "doctor", "--json", "--disk-warn", warn_at, "--disk-fail", "0", "--strict", stdout=out
        )
    disk = next(c for c in json.loads(out.getvalue())["checks"] if c["check"] == "disk")
    assert disk["status"] == "warn"
    code, problems = run_doctor("--disk-warn", warn_at, "--disk-fail", fail_at)
    assert code == 1
    assert problems["disk"]["status"] == "FAIL"
    assert "DAILYPAPERS_DATA_DIR" in problems["disk"]["fix"]


@pytest.mark.parametrize(
    ("change", "message_id", "fix"),
    [
        ({"SITE_URL": "https://localhost:8000"}, "dailypapers.W002", "DAILYPAPERS_SITE_URL="),
        ({"ALLOWED_HOSTS": ["other.org"]}, "dailypapers.E003", "DAILYPAPERS_ALLOWED_HOSTS"),
        ({"SECURE_SSL_REDIRECT": False}, "dailypapers.W004", "DAILYPAPERS_HTTPS=true"),
        ({"SITE_URL": "http://papers.example.org"}, "dailypapers.E005", "https://"),
        (
            mail_settings("django.core.mail.backends.console.EmailBackend", {}),
            "dailypapers.W006",
            "EMAIL_URL=",
        ),
        ({"TRUSTED_PROXIES": [ipaddress.ip_network("0.0.0.0/0")]}, "dailypapers.E008", "proxies"),
        ({"DEBUG": True}, "dailypapers.E001", "DAILYPAPERS_DEBUG"),
    ],
)
def test_bad_configuration_is_reported_with_its_fix(healthy, settings, change, message_id, fix):
    for name, value in change.items():
        setattr(settings, name, value)
    code, problems = run_doctor("--strict")
    assert code == 1
    assert list(problems) == [f"config {message_id}"]
    assert fix in problems[f"config {message_id}"]["fix"]


def test_the_configuration_checks_run_in_check_deploy(settings):
    settings.DEBUG = True
    with pytest.raises(SystemCheckError, match=r"dailypapers\.E001"):
        call_command("check", "--deploy", "--tag", "dailypapers")


def test_a_periodic_tasks_period_is_the_longest_gap_in_its_schedule():
    def task(schedule):
        return type("T", (), {"validate_datetime": staticmethod(schedule)})()

    assert doctor.period(task(crontab(minute="*/15"))) == dt.timedelta(minutes=15)
    assert doctor.period(task(crontab(minute="17", hour="3"))) == dt.timedelta(days=1)
    assert doctor.period(task(crontab(minute="41"))) == dt.timedelta(hours=1)


def test_the_worker_records_each_run_through_hueys_signals():
    class Task:
        name = "sync_vectors"

    Task.__module__ = "dailypapers.search.tasks"
    runs.record("executing", Task())
    assert TaskRun.objects.get().outcome == "running"
    runs.record("error", Task(), ValueError("boom"))
    row = TaskRun.objects.get()
    assert (row.name, row.outcome, row.error) == (
        "dailypapers.search.tasks.sync_vectors",
        "error",
        "ValueError: boom",
    )
    assert row.succeeded_at is None
    runs.record("complete", Task())
    assert TaskRun.objects.get().succeeded_at is not None
