"""Settings for the test suite: the product's settings, a throw-away data directory."""

import hashlib
import os
import tempfile
from pathlib import Path

os.environ.setdefault("DAILYPAPERS_DATA_DIR", tempfile.mkdtemp(prefix="dailypapers-test-"))
# The int8 model built from the weights is cached for the whole run (it takes a few seconds).
os.environ.setdefault("DAILYPAPERS_MODEL_DIR", tempfile.mkdtemp(prefix="dailypapers-models-"))
# Tests change the data between requests: feed pages are cached only where a test asks for it.
os.environ.setdefault("DAILYPAPERS_PAGE_CACHE_SECONDS", "0")
os.environ.setdefault(
    "DAILYPAPERS_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789-abcdefghij"
)

from dailypapers.settings import *  # noqa: F403
from dailypapers.settings import DATA_DIR, DATABASES

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A real file in WAL mode, as in production, rather than an in-memory database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    # One test database per checkout: a suite run from another checkout on the same server (CI's
    # fresh clone, a second working copy) never drops the database this run is using.
    _checkout = hashlib.sha1(str(Path(__file__).resolve().parents[1]).encode()).hexdigest()[:8]
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_checkout}"}
# Threads of the live test server close their connections after each request, so the test
# database can be dropped at the end (with persistent connections they would hold it open).
DATABASES["default"]["CONN_MAX_AGE"] = 0
