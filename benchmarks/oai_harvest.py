"""Parse and upsert a 1,000-record OAI-PMH (arXivRaw) page set; print records/s.

    python benchmarks/oai_harvest.py [--records 1000] [--page-size 250] [--rounds 3]

The page set is written in arXiv's arXivRaw format from real metadata (the first records of
../shared/data/arxiv-daily; live responses cannot be recorded on this machine, which has no
network). Three measurements, each on a fresh SQLite database:
- parse: lxml parsing of the pages into records;
- parse + upsert: what a harvest does per page, without the network;
- end to end: the `oaipmh` source through a local HTTP server (127.0.0.1), pacing off.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def arxiv_raw_pages(records: list[dict], page_size: int) -> list[bytes]:
    pages = []
    for n, start in enumerate(range(0, len(records), page_size)):
        chunk = records[start : start + page_size]
        body = []
        for r in chunk:
            body.append(
                f"<record><header><identifier>oai:arXiv.org:{r['id']}</identifier>"
                f"<datestamp>{r['listed_date']}</datestamp><setSpec>cs:cs:LG</setSpec></header>"
                '<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
                f"<id>{r['id']}</id><submitter>{escape(r['authors'][0] if r['authors'] else '')}"
                '</submitter><version version="v1"><date>Mon, 2 Jun 2025 17:59:58 GMT</date>'
                f"<size>1204kb</size></version><title>{escape(r['title'])}</title>"
                f"<authors>{escape(', '.join(r['authors']))}</authors>"
                f"<categories>{' '.join(r['categories'])}</categories>"
                f"<comments>{escape(r.get('comment') or '')}</comments>"
                f"<abstract>{escape(r['abstract'])}</abstract></arXivRaw></metadata></record>"
            )
        last = start + page_size >= len(records)
        token = (
            f'<resumptionToken cursor="{start}" completeListSize="{len(records)}"/>'
            if last
            else f'<resumptionToken cursor="{start}" completeListSize="{len(records)}">'
            f"bench|{n + 1}</resumptionToken>"
        )
        pages.append(
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
                "<responseDate>2026-06-03T06:00:00Z</responseDate>"
                '<request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>'
                f"<ListRecords>{''.join(body)}{token}</ListRecords></OAI-PMH>"
            ).encode()
        )
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared/data/arxiv-daily"))
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--page-size", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    records = []
    for shard in sorted(Path(args.data).glob("papers-25*.jsonl.gz")):
        with gzip.open(shard, "rt") as lines:
            records += [
                json.loads(line) for _, line in zip(range(args.records), lines, strict=False)
            ]
        if len(records) >= args.records:
            break
    records = records[: args.records]
    pages = arxiv_raw_pages(records, args.page_size)
    print(f"{len(records)} records in {len(pages)} pages, {sum(map(len, pages)) / 1e6:.1f} MB")

    os.environ["DAILYPAPERS_DATA_DIR"] = tempfile.mkdtemp(prefix="dailypapers-oai-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from tests.replay_server import ReplayServer, Reply

    from dailypapers.core.http import make_client
    from dailypapers.ingest.harvest import run_source
    from dailypapers.ingest.parse import parse_oai
    from dailypapers.papers import store
    from dailypapers.papers.models import Paper

    call_command("migrate", verbosity=0)

    def fresh() -> None:
        call_command("flush", interactive=False, verbosity=0)

    def best(label: str, work: Callable[[], object]) -> None:
        rates = []
        for _ in range(args.rounds):
            fresh()
            started = time.perf_counter()
            work()
            rates.append(len(records) / (time.perf_counter() - started))
        assert Paper.objects.count() in (0, len(records))
        print(f"  {label:<34} {max(rates):8,.0f} records/s (best of {args.rounds})")

    best("parse", lambda: [parse_oai(page) for page in pages])
    best("parse + upsert", lambda: [store.upsert(parse_oai(page).records) for page in pages])

    with ReplayServer(time.monotonic) as server:
        server.route("/oai", Reply(200, pages[0]), metadataPrefix="arXivRaw")
        for n, page in enumerate(pages[1:], start=1):
            server.route("/oai", Reply(200, page), resumptionToken=f"bench|{n}")
        settings.ARXIV_OAI_URL = f"{server.url}/oai"

        def harvest() -> None:
            from dailypapers.ingest.models import IngestState

            IngestState.objects.all().delete()
            with make_client(delay=0.0) as client:
                run_source("oaipmh", "cs.LG", client=client)

        best("end to end via 127.0.0.1 HTTP", harvest)
    connection.close()
    shutil.rmtree(os.environ["DAILYPAPERS_DATA_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
