import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from dailypapers.api.models import ApiToken
from dailypapers.authors import index
from dailypapers.community.models import Profile
from dailypapers.digests.models import Subscription
from dailypapers.feed.models import DailyEntry
from dailypapers.library import collections
from dailypapers.papers.models import Paper, PaperCategory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def site():
    """A paper in the feed, a confirmed person with a token, a subscription, a collection."""
    paper = Paper.objects.create(
        arxiv_id="2605.00001",
        title="A paper",
        abstract="Abstract.",
        categories=["cs.LG"],
        authors=["Ada Lovelace"],
        organization="University of Oxford",
    )
    PaperCategory.objects.create(paper=paper, category="cs.LG")
    index.catch_up()  # the author index, as the worker builds it
    DailyEntry.objects.create(paper=paper, day=dt.date(2026, 5, 25), submitted_at=timezone.now())
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    Profile.objects.create(user=ada, email_confirmed_at=timezone.now())
    _, secret = ApiToken.create_for(ada, "script")
    sub = Subscription.objects.create(email="s@example.org", confirmed_at=timezone.now())
    shelf = collections.create(ada, "Shelf", public=True)
    collections.add(shelf, paper)
    return {"paper": paper, "ada": ada, "token": secret, "sub": sub, "collection": shelf}


def signed_in(user, **extra) -> Client:
    client = Client(**extra)
    client.force_login(user)
    return client
