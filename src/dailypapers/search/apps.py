from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        # In ready(): both modules import models, which load after the app configs.
        from dailypapers.papers.changes import papers_changed
        from dailypapers.search.indexer import on_papers_changed

        papers_changed.connect(on_papers_changed, dispatch_uid="search-catch-up")
