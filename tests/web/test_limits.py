"""Every write is rate-limited, per account and per client address, atomically: a walk of every
route of the site and every operation of the API that changes something (the URL resolver and
the OpenAPI document, so a route added later is walked too), on SQLite and PostgreSQL."""

import json
import threading
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from dailypapers.api.models import ApiToken
from dailypapers.community.models import Comment, RateLimit
from dailypapers.community.ratelimit import SCOPE_WORDS
from dailypapers.core.conf import RATE_SCOPES
from tests.web.conftest import PASSWORD, signed_in
from tests.web.routes import (
    PER_ADDRESS_ONLY,
    READS,
    UNLIMITED,
    api_operations,
    example_body,
    web_routes,
)

pytestmark = pytest.mark.django_db
WINDOW = 10**9  # a window that never rolls over during a test


def plain_part(converter: str, param: str) -> str:
    return {"path": "2605.00001", "id": "1"}.get(converter, "x")


@pytest.fixture
def tight(settings):
    """Every limit at 2 requests, in a window that never rolls over during the test."""
    settings.RATE_LIMITS = {scope: (2, WINDOW) for scope in RATE_SCOPES}
    # A valid id would be fetched from arXiv: from a closed port, at once.
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"


def test_every_route_is_known_as_a_read_or_a_write():
    names = {route.name for route in web_routes()}
    assert names >= READS, READS - names  # no stale entries
    assert set(UNLIMITED) <= names - READS


def test_every_scope_has_words_for_its_message():
    assert set(RATE_SCOPES) - {"mail-to"} <= set(SCOPE_WORDS)
    assert set(django_settings.RATE_LIMITS) == set(RATE_SCOPES)


def test_the_third_write_of_every_route_is_refused_per_account_and_per_address(site, tight):
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    root2 = User.objects.create_superuser("root2", "root2@example.org", PASSWORD)
    writes = [r for r in web_routes() if r.name not in READS and r.name not in UNLIMITED]
    assert len(writes) >= 29
    failures = []
    for route in writes:
        RateLimit.objects.all().delete()
        url = route.url(plain_part)
        client = signed_in(root, REMOTE_ADDR="10.1.1.1")
        answers = [client.post(url, {"body": "x"}).status_code for _ in range(3)]
        if answers[2] != 429 or 429 in answers[:2] or max(answers[:2]) >= 500:
            failures.append((route.name, url, answers))
            continue
        # The same address with another account: refused (counted per address).
        other = signed_in(root2, REMOTE_ADDR="10.1.1.1")
        if other.post(url, {"body": "x"}).status_code != 429:
            failures.append((route.name, url, "not counted per address"))
        # The same account from another address: refused (counted per account).
        moved = signed_in(root, REMOTE_ADDR="10.2.2.2")
        if route.name not in PER_ADDRESS_ONLY and moved.post(url).status_code != 429:
            failures.append((route.name, url, "not counted per account"))
    assert failures == []


def test_the_third_write_of_every_api_operation_is_refused(site, tight):
    writes = [op for op in api_operations() if op.method != "get"]
    assert {op.method for op in writes} == {"post", "delete"}
    shelf = site["collection"].pk
    values = {"arxiv_id": "2605.00001", "collection_id": str(shelf)}
    failures = []
    for op in writes:
        RateLimit.objects.all().delete()
        url = op.url(lambda name: values.get(name, "1"))
        body = example_body(op.body)
        token = f"Bearer {site['token']}"
        client = Client(HTTP_AUTHORIZATION=token, REMOTE_ADDR="10.1.1.1")
        data = json.dumps(body) if op.body is not None else ""
        answers = [
            client.generic(op.method.upper(), url, data, "application/json").status_code
            for _ in range(3)
        ]
        if answers[2] != 429 or 429 in answers[:2] or max(answers[:2]) >= 500:
            failures.append((op.method, url, answers))
    assert failures == []


def test_an_api_token_s_writes_count_per_address_too(site, tight):
    url = f"/api/collections/{site['collection'].pk}/papers"
    ada = site["ada"]
    secrets = [ApiToken.create_for(ada, f"t{i}")[1] for i in range(2)]
    bob = User.objects.create_user("bob", "bob@example.org", PASSWORD)
    _, bobs = ApiToken.create_for(bob, "b")
    for secret in secrets:  # two requests of Ada's, by two tokens
        api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        api.post(url, {"paper_id": "2605.00001"}, "application/json")
    same_account = Client(HTTP_AUTHORIZATION=f"Bearer {site['token']}", REMOTE_ADDR="10.3.3.3")
    assert same_account.post(url, {"paper_id": "2605.00001"}, "application/json").status_code == 429
    same_address = Client(HTTP_AUTHORIZATION=f"Bearer {bobs}")
    answer = same_address.delete(f"{url}/2605.00001")
    assert answer.status_code == 429 and "Too many changes to collections" in answer.json()["error"]
    assert int(answer["Retry-After"]) >= 1


# --- under concurrency ----------------------------------------------------------------------


def in_parallel(requests: list) -> list[int]:
    """Run each request (a function returning a status) in its own thread, with its own
    database connection, all released at once; their statuses."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(request):
        try:
            barrier.wait()
            statuses.append(request())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return statuses


@pytest.mark.django_db(transaction=True)
def test_parallel_writes_cannot_pass_a_limit(site, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "collection": (5, WINDOW)}
    ada = site["ada"]
    token = site["token"]
    url = f"/api/collections/{site['collection'].pk}/papers"

    def api_add(address: str):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address)
        return lambda: client.post(url, {"paper_id": "2605.00001"}, "application/json").status_code

    # One account from 16 addresses: its own count holds.
    statuses = in_parallel([api_add(f"10.4.0.{i}") for i in range(16)])
    assert Counter(statuses) == {200: 5, 429: 11}

    # 16 accounts from one address: the address's count holds.
    RateLimit.objects.all().delete()
    people = [User.objects.create_user(f"p{i}", f"p{i}@example.org", PASSWORD) for i in range(16)]
    clients = [signed_in(person, REMOTE_ADDR="10.5.0.1") for person in people]
    comment = Comment.objects.create(
        paper=site["paper"], author=ada, body="hi", body_html="<p>hi</p>"
    )
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reaction": (5, WINDOW)}
    statuses = in_parallel(
        [
            (lambda c=c: c.post(f"/comments/{comment.pk}/react", {"emoji": "👍"}).status_code)
            for c in clients
        ]
    )
    assert Counter(statuses) == {302: 5, 429: 11}
