"""Models, datasets and Spaces of the Hugging Face Hub citing feed papers, against a local server
replaying the Hub's list answers (`GET /api/models?filter=arxiv:<id>`...; see
tests/fixtures/hub/README.md for what is recorded and what is made in the recorded shape): a
paper with links, one without, a 429 then success, a 500, no network, ETag and 304."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from dailypapers.feed.models import DailyEntry
from dailypapers.ingest import hub, tasks
from dailypapers.ingest.models import HubLinks
from dailypapers.papers.models import Paper
from tests.replay_server import Reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "hub"
LINKED = "2112.10752"
ETAG = 'W/"e21-MXShfRGRyOneN66PubYqdWkGPSU"'  # the Hub's weak ETags, as recorded
HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "X-Powered-By": "huggingface-moon",
    "Vary": "Origin",
}


def body(kind: str) -> bytes:
    return (FIXTURES / f"{kind}_{LINKED}.json").read_bytes()


def feed_paper(arxiv_id: str, days_ago: int = 0) -> Paper:
    paper = Paper.objects.create(arxiv_id=arxiv_id, title=f"Paper {arxiv_id}")
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    DailyEntry.objects.create(
        paper=paper,
        day=day,
        submitted_at=dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC),
    )
    return paper


def closed_port() -> int:
    """A port nothing listens on: a connection is refused, as without network."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def polite(clock, tmp_path):
    """The Hub's client as the worker makes it, on the fake clock (waits are recorded)."""
    client = hub.make_client(sleep=clock.sleep, clock=clock.time, lock_path=tmp_path / "lock")
    yield client
    client.close()


@pytest.fixture
def printed(caplog):
    """The lines the product's logging prints: the `dailypapers` loggers at INFO (they do not
    propagate to the root, where caplog listens)."""
    logger = logging.getLogger("dailypapers")
    caplog.handler.setLevel(logging.INFO)
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


@pytest.fixture
def api(arxiv, settings):
    settings.HUB_URL = arxiv.url
    return arxiv


def route_linked(api, *extra: Reply, kinds: tuple[str, ...] = hub.KINDS) -> None:
    for number, kind in enumerate(kinds):
        headers = {**HEADERS, "ETag": f'{ETAG[:-2]}{number}"'}
        if kind == "spaces":  # a fuller list than one page: the Hub says so in a Link header
            headers["Link"] = f'<{api.url}/api/spaces?filter=arxiv%3A{LINKED}&cursor=x>; rel="next"'
        api.route(f"/api/{kind}", Reply(200, body(kind), headers), *extra, filter=f"arxiv:{LINKED}")


def route_empty(api, arxiv_id: str) -> None:
    for kind in hub.KINDS:
        api.route(
            f"/api/{kind}",
            Reply(200, b"[]", {**HEADERS, "ETag": 'W/"2-l9Fw4VUO7kr8CvBlt4zaMCqXZ0w"'}),
            filter=f"arxiv:{arxiv_id}",
        )


@pytest.mark.django_db
def test_links_are_stored_shown_and_asked_again_conditionally(api, polite, clock, client):
    linked = feed_paper(LINKED)  # new: looked at again after a day
    bare = feed_paper("2605.00002", days_ago=100)  # old: after a month
    feed_paper("2605.00003").entry.delete()  # not in the feed: never asked
    route_linked(api, Reply(304, b"", {"ETag": ETAG}))
    route_empty(api, "2605.00002")

    result = hub.refresh(polite)
    assert (result.papers, result.requests, result.changed, result.errors) == (2, 6, 1, 0)
    first = api.hits[0]
    assert first.path == "/api/models"
    assert first.query["filter"] == f"arxiv:{LINKED}"
    assert first.query["sort"] == "likes" and first.query["limit"] == "100"
    assert first.headers["User-Agent"].startswith("dailypapers/")
    assert "If-None-Match" not in first.headers
    assert {hit.query["filter"] for hit in api.hits} == {f"arxiv:{LINKED}", "arxiv:2605.00002"}
    assert all(wait >= 1 for wait in clock.sleeps)  # paced by the polite client

    row = HubLinks.objects.get(paper=linked)
    assert (row.num_models, row.num_datasets, row.num_spaces) == (7, 2, 6)
    assert row.capped == ["spaces"]  # a next page: "6+"
    # The five most liked, each in the Hub's shape (without `_id`), most liked first.
    assert [m["id"] for m in row.linked_models] == [
        "CompVis/stable-diffusion-v1-4",
        "stabilityai/stable-diffusion-2-1",
        "stabilityai/stable-diffusion-2",
        "stabilityai/stable-diffusion-x4-upscaler",
        "stabilityai/stable-diffusion-2-inpainting",
    ]
    assert row.linked_models[1] == {
        "id": "stabilityai/stable-diffusion-2-1",
        "author": "stabilityai",
        "likes": 3928,
        "downloads": 1015720,
        "pipeline_tag": "text-to-image",
        "lastModified": "2023-07-05T16:19:17.000Z",
    }
    assert row.linked_spaces[0]["sdk"] == "gradio" and "downloads" not in row.linked_spaces[0]
    empty = HubLinks.objects.get(paper=bare)
    assert (empty.total, empty.status) == (0, HubLinks.OK)

    # Not again the same day; two days on, only the new paper, conditionally: 304 keeps it all.
    assert hub.due_papers() == []
    later = timezone.now() + dt.timedelta(days=2)
    assert hub.due_papers(now=later) == [linked]
    assert hub.due_papers(now=timezone.now() + dt.timedelta(days=31)) == [linked, bare]
    api.hits.clear()
    result = hub.refresh(polite, hub.due_papers(now=later))
    assert (result.unchanged, result.changed) == (1, 0)
    assert [hit.headers["If-None-Match"] for hit in api.hits] == [
        f'{ETAG[:-2]}{n}"' for n in range(3)
    ]
    row.refresh_from_db()
    assert row.num_models == 7 and len(row.linked_models) == 5

    # /api/papers/{id} in Hugging Face's shape, as the real client parses it.
    from huggingface_hub.hf_api import PaperInfo

    detail = client.get(f"/api/papers/{LINKED}").json()
    assert detail["numTotalModels"] == 7 and detail["numTotalDatasets"] == 2
    assert detail["numTotalSpaces"] == 6
    assert detail["linkedModels"] == row.linked_models
    info = PaperInfo(**detail)
    assert info.linked_models[1].id == "stabilityai/stable-diffusion-2-1"
    assert info.linked_models[1].downloads == 1015720
    assert info.linked_models[1].pipeline_tag == "text-to-image"
    assert info.linked_models[1].last_modified == dt.datetime(2023, 7, 5, 16, 19, 17, tzinfo=dt.UTC)
    assert info.num_total_models == 7
    assert [s.sdk for s in info.linked_spaces][:1] == ["gradio"]
    assert info.linked_datasets[0].id == "another/sd-prompts"
    none = client.get("/api/papers/2605.00002").json()
    assert (none["linkedModels"], none["numTotalModels"]) == ([], 0)
    repos = client.get(f"/api/arxiv/{LINKED}/repos").json()
    assert [m["id"] for m in repos["models"]] == [m["id"] for m in row.linked_models]
    assert len(repos["spaces"]) == 5 and repos["code"] == []

    # The paper page: a compact block linking to the Hub, only where there is something.
    page = client.get(f"/papers/{LINKED}").content.decode()
    assert "Models · Datasets · Spaces citing this paper" in page
    assert f'href="{api.url}/models?other=arxiv:{LINKED}"' in page and ">7 models</a>" in page
    assert f'href="{api.url}/datasets?other=arxiv:{LINKED}"' in page
    assert ">2 datasets</a>" in page and ">6+ Spaces</a>" in page
    assert f'href="{api.url}/stabilityai/stable-diffusion-2-1">' in page
    assert f'href="{api.url}/spaces/microsoft/HuggingGPT">' in page
    assert f'href="{api.url}/datasets/another/sd-prompts">' in page
    assert "text-to-image" in page and "&#9829;&thinsp;6,790" in page
    assert "citing this paper" not in client.get("/papers/2605.00002").content.decode()


@pytest.mark.django_db
def test_a_429_is_waited_out_as_the_hub_says(api, polite, clock):
    paper = feed_paper(LINKED)
    limited = {
        "RateLimit": '"api";r=0;t=55',
        "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
    }
    api.route(
        "/api/models",
        Reply(429, b'{"error":"Too Many Requests"}', {**HEADERS, **limited}),
        Reply(200, body("models"), HEADERS),
        filter=f"arxiv:{LINKED}",
    )
    route_linked(api, kinds=("datasets", "spaces"))
    result = hub.refresh(polite)
    assert (result.papers, result.errors, result.requests) == (1, 0, 3)
    assert 55.0 in clock.sleeps  # the quota's reset, from the RateLimit header
    assert len(api.hits) == 4
    assert HubLinks.objects.get(paper=paper).num_models == 7


@pytest.mark.django_db
def test_a_500_stops_the_run_quietly_and_the_paper_is_asked_again_later(
    api, polite, printed, client
):
    broken = feed_paper(LINKED)
    other = feed_paper("2605.00002", days_ago=1)
    api.route("/api/models", Reply(500, b"Internal Error", HEADERS), filter=f"arxiv:{LINKED}")
    route_empty(api, "2605.00002")
    result = hub.refresh(polite)
    assert result.errors == 1 and result.stopped.startswith("the Hub did not answer")
    assert len(api.hits) == 3  # retried twice, then the run stops: the other paper waits
    assert {hit.query["filter"] for hit in api.hits} == {f"arxiv:{LINKED}"}
    row = HubLinks.objects.get(paper=broken)
    assert row.status == HubLinks.ERROR and "500" in row.message
    assert [r.name for r in printed.records] == ["dailypapers.ingest.hub"]  # one line
    # The next run begins with the paper never asked; the failed one comes back after hours.
    assert hub.due_papers() == [other]
    assert hub.due_papers(now=timezone.now() + dt.timedelta(hours=7)) == [other, broken]
    assert "citing this paper" not in client.get(f"/papers/{LINKED}").content.decode()
    assert client.get(f"/api/papers/{LINKED}").json()["linkedModels"] == []


@pytest.mark.django_db
def test_without_network_the_site_works_and_says_one_line(settings, polite, printed, client):
    settings.HUB_URL = f"http://127.0.0.1:{closed_port()}"
    feed_paper(LINKED)
    feed_paper("2605.00002")
    result = hub.refresh(polite)
    assert result.stopped and result.requests == 1 and result.papers == 0
    assert [r.name for r in printed.records] == ["dailypapers.ingest.hub"]  # one line
    assert "did not answer" in printed.records[0].getMessage()
    page = client.get(f"/papers/{LINKED}")
    assert page.status_code == 200 and "citing this paper" not in page.content.decode()
    assert client.get(f"/api/papers/{LINKED}").json()["numTotalModels"] == 0


@pytest.mark.django_db
def test_odd_answers_and_refusals_are_errors_not_crashes(api, polite):
    odd = feed_paper(LINKED)
    refused = feed_paper("2605.00002", days_ago=1)
    api.route("/api/models", Reply(200, b"<html>not json</html>"), filter=f"arxiv:{LINKED}")
    api.route("/api/models", Reply(400, b'{"error":"Invalid filter"}'), filter="arxiv:2605.00002")
    result = hub.refresh(polite)
    assert (result.papers, result.errors, result.stopped) == (2, 2, "")
    assert "unexpected answer" in HubLinks.objects.get(paper=odd).message
    assert "400" in HubLinks.objects.get(paper=refused).message


@pytest.mark.django_db
def test_a_run_keeps_to_its_request_budget(api, polite):
    for n in range(4):
        feed_paper(f"2605.0000{n}", days_ago=n)
        route_empty(api, f"2605.0000{n}")
    result = hub.refresh(polite, max_requests=7)
    assert (result.papers, result.requests) == (2, 6)
    assert len(api.hits) == 6
    assert HubLinks.objects.count() == 2


@pytest.mark.django_db
def test_the_task_and_the_command(api, settings, capsys):
    settings.HUB_DELAY = 0
    feed_paper(LINKED)
    route_linked(api)
    settings.HUB_LINKS = False
    assert tasks.refresh_hub_links.call_local() == "off (DAILYPAPERS_HUB_LINKS=false)"
    call_command("hub", "refresh")
    assert api.hits == [] and "off" in capsys.readouterr().out
    settings.HUB_LINKS = True
    call_command("hub", "refresh", "--max-requests", "3")
    assert "1 looked up, 1 changed (3 requests)" in capsys.readouterr().out
    assert json.loads(body("models"))[0]["id"] in {
        m["id"] for m in HubLinks.objects.get().linked_models
    }


@pytest.mark.django_db(transaction=True)
def test_the_real_client_and_cli_read_the_links(api, polite, live_server, tmp_path):
    """huggingface_hub's `paper_info` and `hf papers info`, unchanged, over HTTP."""
    from huggingface_hub import HfApi

    feed_paper(LINKED)
    route_linked(api)
    hub.refresh(polite)
    info = HfApi(endpoint=live_server.url).paper_info(LINKED)
    assert [m.id for m in info.linked_models][:2] == [
        "CompVis/stable-diffusion-v1-4",
        "stabilityai/stable-diffusion-2-1",
    ]
    assert info.num_total_models == 7 and info.num_total_datasets == 2
    assert info.linked_spaces[0].id == "multimodalart/dreambooth-training"
    hf = Path(sys.executable).with_name("hf")
    done = subprocess.run(
        [str(hf), "papers", "info", LINKED],
        env={"HF_ENDPOINT": live_server.url, "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"id": "stabilityai/stable-diffusion-2-1"' in done.stdout
    assert '"num_total_models": 7' in done.stdout


@pytest.mark.django_db(transaction=True)  # huey's db task closes the connection after a run
def test_offline_the_task_succeeds_and_the_doctor_is_not_alarmed(settings, printed):
    from huey.contrib.djhuey import HUEY

    from dailypapers.core import runs
    from dailypapers.ops import doctor

    settings.HUB_URL = f"http://127.0.0.1:{closed_port()}"
    settings.HUB_DELAY = 0
    feed_paper(LINKED)
    runs.connect(HUEY)  # as `dailypapers worker` does: each run's outcome is recorded
    try:
        result = HUEY.execute(tasks.refresh_hub_links.s())
    finally:
        HUEY.disconnect_signal(runs.record)
    assert "stopped: the Hub did not answer (ConnectError" in result
    [finding] = [f for f in doctor.tasks() if f.check.endswith("refresh_hub_links")]
    assert finding.status == doctor.OK, finding
    # Of this site's lines, one (huey says, as for every task, that it ran it).
    ours = [r.name for r in printed.records if r.name.startswith("dailypapers")]
    assert ours == ["dailypapers.ingest.hub"]
