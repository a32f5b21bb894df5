"""The MCP server at /mcp, seen by the SDK's own client over streamable HTTP against a live
server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest
from django.contrib.auth.models import User
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from dailypapers.api.models import ApiToken
from dailypapers.community.models import Vote
from dailypapers.content.models import PaperContent
from dailypapers.feed.models import DailyEntry
from dailypapers.library import collections
from dailypapers.papers.models import Paper, PaperCategory
from dailypapers.search import semantic

DAY = dt.date(2026, 5, 28)
UTC = dt.UTC
TOOLS = {
    "daily_papers", "search", "get_paper", "read_paper", "similar_papers",
    "for_you", "collections", "collection",
}  # fmt: skip
TOPICS = [
    ("Protein structure prediction with transformers", "Amino acid sequences to 3D folds."),
    ("Lidar perception for autonomous driving in fog", "Self-driving vehicles in bad weather."),
    ("Stock price forecasting with recurrent networks", "Financial time series."),
    ("Cryo-EM maps of folded proteins", "How proteins fold into complexes, seen by cryo-EM."),
    ("Sentiment analysis of movie reviews", "Text classification of opinions."),
    ("Graph neural networks for road traffic", "Message passing over road networks."),
]
pytestmark = pytest.mark.django_db(transaction=True)


def add(n: int, title: str, abstract: str, day: dt.date, *, votes: int = 0, feed: bool = True):
    paper = Paper.objects.create(
        arxiv_id=f"2605.{n:05d}",
        title=title,
        abstract=abstract,
        authors=["Ada Lovelace", f"Writer {n}"],
        categories=["cs.LG"],
        primary_category="cs.LG",
        published_at=dt.datetime.combine(day, dt.time(9), UTC),
        listed_on=day,
        upvotes_imported=votes,
    )
    PaperCategory.objects.create(paper=paper, category="cs.LG")
    if feed:
        DailyEntry.objects.create(
            paper=paper, day=day, submitted_at=dt.datetime.combine(day, dt.time(10), UTC)
        )
    return paper


@pytest.fixture
def papers(today):
    today(DAY)
    made = [
        add(100 + i, title, abstract, DAY - dt.timedelta(days=i % 3), votes=10 * i)
        for i, (title, abstract) in enumerate(TOPICS)
    ]
    made.append(add(1, "Folding proteins by hand", "Old protein folding.", dt.date(2026, 1, 5)))
    semantic.sync()
    return made


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", "ada@example.org", "correct horse battery")


def token_of(user: User) -> str:
    return ApiToken.create_for(user, "mcp")[1]


def session(url: str, work: Callable[[ClientSession], Awaitable[Any]], token: str = "") -> Any:
    """Open a session with the SDK's client, as an assistant does, and run `work` in it."""

    async def main() -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            return await work(client)

    return asyncio.run(main())


def call(url: str, tool: str, token: str = "", **arguments: Any) -> tuple[bool, Any]:
    """One tool call: whether it failed, and its answer (JSON decoded when it is JSON)."""

    async def work(client: ClientSession) -> Any:
        return await client.call_tool(tool, arguments)

    result = session(url, work, token)
    text = result.content[0].text
    try:
        return result.is_error, json.loads(text)
    except ValueError:
        return result.is_error, text


def test_the_server_lists_its_tools_with_their_parameters(live_server):
    async def work(client: ClientSession) -> Any:
        return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in session(live_server.url, work)}
    assert set(tools) == TOOLS
    assert set(tools["daily_papers"].input_schema["properties"]) == {
        "date", "week", "month", "limit", "page",
    }  # fmt: skip
    assert tools["search"].input_schema["required"] == ["query"]
    assert all(tool.annotations.read_only_hint for tool in tools.values())


def test_daily_papers_by_day_week_and_month(live_server, papers):
    failed, day = call(live_server.url, "daily_papers", date="2026-05-28")
    assert not failed and day["period"] == "2026-05-28"
    # Most upvoted first, in the paper shape of /api/papers/{id}.
    assert [p["id"] for p in day["papers"]] == ["2605.00103", "2605.00100"]
    assert day["papers"][0]["upvotes"] == 30 and day["papers"][0]["authors"][0]["name"]
    _, latest = call(live_server.url, "daily_papers")  # no period: the latest day
    assert latest["period"] == "2026-05-28"
    _, week = call(live_server.url, "daily_papers", week="2026-W22", limit=4)
    assert week["total"] == 6 and len(week["papers"]) == 4 and week["hasMore"]
    _, month = call(live_server.url, "daily_papers", month="2026-01")
    assert [p["id"] for p in month["papers"]] == ["2605.00001"]
    failed, message = call(live_server.url, "daily_papers", date="2026-13-40")
    assert failed and "2026-13-40" in message
    failed, message = call(live_server.url, "daily_papers", date="2026-05-28", week="2026-W22")
    assert failed and "only one of" in message


def test_search_get_read_and_similar(live_server, papers):
    PaperContent.objects.create(
        paper=papers[0], text="# Protein structure\n\nThe full text of the paper."
    )
    failed, found = call(live_server.url, "search", query="protein folding", limit=5)
    assert not failed and found["papers"]
    assert {p["id"] for p in found["papers"]} & {"2605.00100", "2605.00103", "2605.00001"}
    _, paper = call(live_server.url, "get_paper", id="2605.00100")
    assert paper["title"] == TOPICS[0][0] and paper["summary"] == TOPICS[0][1]
    _, text = call(live_server.url, "read_paper", id="arXiv:2605.00100v2")
    assert text.startswith(f"# {TOPICS[0][0]}") and "The full text of the paper." in text
    failed, similar = call(live_server.url, "similar_papers", id="2605.00100", limit=3)
    assert not failed and similar["id"] == "2605.00100" and len(similar["papers"]) == 3
    assert "2605.00100" not in [p["id"] for p in similar["papers"]]


def test_a_bad_id_is_an_error_not_a_crash(live_server, papers):
    for tool in ("get_paper", "read_paper", "similar_papers"):
        failed, message = call(live_server.url, tool, id="2605.99999")
        assert failed and "No paper" in message
    failed, message = call(live_server.url, "get_paper", id="x" * 500)
    assert failed and "id" in message  # too long: refused by the parameter's schema
    failed, message = call(live_server.url, "search", query="")
    assert failed


def test_personal_tools_need_a_token(live_server, papers):
    for tool, arguments in (("for_you", {}), ("collections", {}), ("collection", {"id": 1})):
        failed, message = call(live_server.url, tool, **arguments)
        assert failed and "Authorization: Bearer" in message


def test_a_bad_token_is_refused(live_server):
    with pytest.raises(Exception) as refused:
        call(live_server.url, "search", token="dp_not-a-token", query="x")
    assert "This API token is not valid" in str(refused.getrepr())


def test_for_you_and_collections_with_a_token(live_server, papers, ada):
    Vote.objects.create(user=ada, paper=papers[-1])  # an old protein paper
    token = token_of(ada)
    failed, picks = call(live_server.url, "for_you", token, days=7, limit=3)
    assert not failed and len(picks) == 3
    assert picks[0]["paper"]["id"] in ("2605.00100", "2605.00103")  # the proteins of this week
    assert picks[0]["reason"] == "voted" and picks[0]["because"] == "2605.00001"
    mine = collections.create(ada, "Proteins", "", public=False, first=papers[0], note="read")
    collections.add(mine, papers[3])
    _, listed = call(live_server.url, "collections", token)
    assert [(c["id"], c["name"], c["public"], c["total"]) for c in listed] == [
        (mine.pk, "Proteins", False, 2)
    ]
    _, one = call(live_server.url, "collection", token, id=mine.pk)
    assert [p["id"] for p in one["papers"]] == ["2605.00100", "2605.00103"]
    assert one["papers"][0]["note"] == "read" and not one["hasMore"]


def test_a_private_collection_of_someone_else_is_not_shown(live_server, papers, ada):
    grace = User.objects.create_user("grace", "grace@example.org", "correct horse battery")
    hidden = collections.create(grace, "Secret", "", public=False, first=papers[0])
    shown = collections.create(grace, "Open", "", public=True, first=papers[1])
    token = token_of(ada)
    failed, message = call(live_server.url, "collection", token, id=hidden.pk)
    assert failed and "No collection" in message and "Secret" not in message
    _, listed = call(live_server.url, "collections", token)
    assert listed == []  # only the reader's own
    failed, public = call(live_server.url, "collection", token, id=shown.pk)
    assert not failed and public["name"] == "Open" and public["owner"] == "grace"
    failed, _ = call(live_server.url, "collection", token, id=2**70)
    assert failed


def test_tool_calls_are_rate_limited(live_server, papers, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "mcp": (2, 60)}

    async def work(client: ClientSession) -> list[Any]:
        return [await client.call_tool("get_paper", {"id": "2605.00100"}) for _ in range(3)]

    results = session(live_server.url, work)
    assert [r.is_error for r in results] == [False, False, True]
    assert "Too many MCP tool calls" in results[2].content[0].text


def test_the_sessions_cookie_gives_no_access(live_server, papers, ada, client):
    client.force_login(ada)
    answer = client.post(
        "/mcp",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
         "params": {"name": "collections", "arguments": {}}},
        content_type="application/json",
        HTTP_ACCEPT="application/json, text/event-stream",
        HTTP_MCP_PROTOCOL_VERSION="2025-06-18",
    )  # fmt: skip
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert result["isError"] and "Authorization: Bearer" in result["content"][0]["text"]


def test_what_is_not_json_rpc_is_refused_not_a_crash(client):
    form = client.post("/mcp", {"body": "x"})
    assert form.status_code == 415 and form.json()["error"]["code"] == -32700
    junk = client.post(
        "/mcp", "{not json", content_type="application/json",
        HTTP_ACCEPT="application/json, text/event-stream",
    )  # fmt: skip
    assert 400 <= junk.status_code < 500
    assert client.get("/mcp").status_code in (400, 405, 406)


def test_only_posts_reach_the_server_a_get_is_not_held_open(client):
    """Stateless: a GET would open the server's event stream and hold a web worker for ever."""
    for method in (client.get, client.delete, client.put):
        assert method("/mcp").status_code == 405
