import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from dailypapers.feed.models import DailyEntry
from dailypapers.ingest.demo import DEMO_FILE, load_demo
from dailypapers.papers.models import Paper

ORIGINAL_PAGE_TITLES = [
    "Diffusion Models Learn Low-Dimensional Distributions via Subspace Clustering",
    "Barlow Twins: Self-Supervised Learning via Redundancy Reduction",
    "EQ-Net: Elastic Quantization Neural Networks",
]


DEMO_PAPERS = 869
# The two most upvoted papers of the demo's latest day (42 and 39 votes on Hugging Face).
TOP_OF_MAY_28 = "From Pixels to Words -- Towards Native One-Vision Models at"
SECOND_OF_MAY_28 = "Agent Explorative Policy Optimization for Multimodal Agentic"


@pytest.mark.django_db
def test_the_demo_holds_a_curated_feed_the_original_page_and_a_catalogue():
    result = load_demo()
    assert result.problems == []
    assert Paper.objects.count() == DEMO_PAPERS
    # The original Daily Papers page: in the catalogue (searchable, with pages), not the feed.
    originals = Paper.objects.filter(arxiv_id__isnull=True)
    assert originals.count() == 18
    assert set(ORIGINAL_PAGE_TITLES) <= set(originals.values_list("title", flat=True))
    eq_net = originals.get(title="EQ-Net: Elastic Quantization Neural Networks")
    assert eq_net.code_url == "https://github.com/xuke225/EQ-Net"
    assert not DailyEntry.objects.filter(paper__arxiv_id__isnull=True).exists()
    # The Daily feed: four real days of Hugging Face's daily papers, with their votes.
    days = sorted({d.isoformat() for d in DailyEntry.objects.values_list("day", flat=True)})
    assert days == ["2026-05-25", "2026-05-26", "2026-05-27", "2026-05-28"]
    assert set(DailyEntry.objects.values_list("source", flat=True)) == {"hf"}
    assert DailyEntry.objects.filter(paper__upvotes__gt=0).count() > 100
    # New on arXiv: two announcement days of the shared arXiv corpus.
    listed = Paper.objects.filter(listed_on__in=["2026-05-27", "2026-05-28"]).count()
    assert listed >= 741


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing():
    load_demo()
    again = load_demo()
    assert again.counts.new == 0 and again.counts.updated == 0
    assert Paper.objects.count() == DEMO_PAPERS


def test_the_demo_ships_inside_the_package():
    import dailypapers

    assert DEMO_FILE.is_file()
    assert DEMO_FILE.is_relative_to(os.path.dirname(dailypapers.__file__))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_on_an_empty_database_migrates_loads_the_demo_and_serves_it(tmp_path):
    """What a new user gets from the quick start: a real server on a fresh data directory."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAILYPAPERS_", "DATABASE_"))}
    env["DAILYPAPERS_DATA_DIR"] = str(tmp_path / "data")
    cli = [sys.executable, "-m", "dailypapers"]
    server = subprocess.Popen(
        [*cli, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        html = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    html = response.read().decode()
                break
            except OSError:
                time.sleep(0.3)
        assert html is not None, server.stdout.read().decode() if server.poll() is not None else ""
        # A real day of the curated feed, most upvoted first, with authors and links.
        assert "May 28, 2026" in html
        assert "Sign in to upvote" in html and "arXiv</a>" in html
        assert html.index(TOP_OF_MAY_28) < html.index(SECOND_OF_MAY_28)
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/dailypapers/style.css")
        assert b"prefers-color-scheme" in css.read()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert f"loaded {DEMO_PAPERS} demo papers" in output


def test_the_installed_package_carries_its_templates_static_files_and_demo(tmp_path):
    """A non-editable install (what `scripts/serve` makes) must hold every non-Python file."""
    root = Path(__file__).resolve().parents[2]
    # Build from a clean copy: a build/ directory left by an earlier build could hide a gap.
    checkout = tmp_path / "checkout"
    shutil.copytree(root / "src", checkout / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, checkout / name)
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*build, "-w", str(tmp_path), str(checkout)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("dailypapers-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    source = root / "src"
    wanted = {
        str(path.relative_to(source))
        for path in (source / "dailypapers").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert wanted, "no data files found"
    assert wanted <= names, sorted(wanted - names)


def test_every_static_file_is_served(client):
    """Each static file in the package is found by Django's finders (and so by WhiteNoise)."""
    from django.contrib.staticfiles import finders

    root = Path(__file__).resolve().parents[2] / "src" / "dailypapers"
    for path in root.rglob("static/**/*"):
        if path.is_file():
            relative = str(path.relative_to(next(p for p in path.parents if p.name == "static")))
            assert finders.find(relative), relative
