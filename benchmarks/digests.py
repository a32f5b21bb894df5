"""Render and deliver digests to a local SMTP server (aiosmtpd, in this process); print digests/s.

    python benchmarks/digests.py [--subscribers 10000]

Target (issue 6): at least 100 digests/s on this 2-core machine. A fresh SQLite database in a
temporary directory, the demo papers, N confirmed daily subscribers (a third with topics), no
throttle (DAILYPAPERS_DIGEST_RATE=0); one SMTP connection reused, as `digest send` does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller
    from tests.conftest import Inbox

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()

    data_dir = tempfile.mkdtemp(prefix="dailypapers-digest-bench-")
    os.environ.update(
        DAILYPAPERS_DATA_DIR=data_dir,
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        DAILYPAPERS_DIGEST_RATE="0",
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from dailypapers.digests import sending
    from dailypapers.digests.models import Subscription
    from dailypapers.ingest.demo import load_demo

    call_command("migrate", verbosity=0)
    load_demo()
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(
            email=f"reader{i}@example.org",
            confirmed_at=now,
            categories=["cs.CV"] if i % 3 == 0 else [],
            keywords=["reasoning"] if i % 3 == 1 else [],
        )
        for i in range(args.subscribers)
    )
    digest = sending.current_period("daily")
    started = time.perf_counter()
    planned = sending.plan(digest)
    plan_time = time.perf_counter() - started
    started = time.perf_counter()
    report = sending.send_due()
    elapsed = time.perf_counter() - started
    received = len(inbox.messages)
    print(f"planned {planned:,} deliveries of {digest.key} in {plan_time:.2f}s")
    print(
        f"sent {report.sent:,} digests in {elapsed:.1f}s = {report.sent / elapsed:,.0f} digests/s "
        f"(target >= 100/s); the SMTP server received {received:,}"
    )
    sizes = [len(m.raw) for _, _, m in inbox.messages[:100]]
    print(f"message size: {sum(sizes) / len(sizes) / 1024:.1f} KiB on average (HTML + text)")
    controller.stop()
    connection.close()
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
