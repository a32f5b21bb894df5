from django.core.management.base import BaseCommand

from dailypapers.ingest.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo papers: the original Daily Papers page and a few days of HF daily papers."

    def handle(self, *args: object, **options: object) -> None:
        result = load_demo()
        c = result.counts
        self.stdout.write(
            f"Demo data: {result.records} papers ({c.new} new, {c.updated} updated, "
            f"{c.unchanged} unchanged)."
        )
