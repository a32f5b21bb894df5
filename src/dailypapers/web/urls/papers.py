from django.urls import path

from dailypapers.web import syndication as s
from dailypapers.web.views import papers as views
from dailypapers.web.views.papers import paper_md

app_name = "papers"

urlpatterns = [
    path("", views.daily, name="home"),
    path("papers", views.daily),
    path("papers/date", views.jump, name="jump"),
    path("papers/date/<str:day>", views.daily, name="day"),
    path("papers/week", views.latest_period, {"kind": "week"}, name="latest-week"),
    path("papers/month", views.latest_period, {"kind": "month"}, name="latest-month"),
    path("papers/week/<str:week>", views.weekly, name="week"),
    path("papers/month/<str:month>", views.monthly, name="month"),
    path("papers/trending", views.trending, name="trending"),
    path("arxiv", views.arxiv, name="arxiv"),
    path("arxiv/<str:day>", views.arxiv, name="arxiv-day"),
    path("feeds/daily.rss", s.DailyFeed(), name="feed-daily"),
    path("feeds/daily.atom", s.atom(s.DailyFeed)(), name="feed-daily-atom"),
    path("feeds/daily.json", s.json_feed(s.DailyFeed)(), name="feed-daily-json"),
    path("feeds/trending.rss", s.TrendingFeed(), name="feed-trending"),
    path("feeds/trending.atom", s.atom(s.TrendingFeed)(), name="feed-trending-atom"),
    path("feeds/trending.json", s.json_feed(s.TrendingFeed)(), name="feed-trending-json"),
    path("feeds/category/<str:category>.rss", s.CategoryFeed(), name="feed-category"),
    path("feeds/category/<str:category>.atom", s.atom(s.CategoryFeed)(), name="feed-category-atom"),
    path(
        "feeds/category/<str:category>.json",
        s.json_feed(s.CategoryFeed)(),
        name="feed-category-json",
    ),
    path("feeds/arxiv/<str:category>.rss", s.ArxivFeed(), name="feed-arxiv"),
    path("feeds/arxiv/<str:category>.atom", s.atom(s.ArxivFeed)(), name="feed-arxiv-atom"),
    path("feeds/arxiv/<str:category>.json", s.json_feed(s.ArxivFeed)(), name="feed-arxiv-json"),
    path("feeds/search.rss", s.SearchFeed(), name="feed-search"),
    path("feeds/search.atom", s.atom(s.SearchFeed)(), name="feed-search-atom"),
    path("feeds/search.json", s.json_feed(s.SearchFeed)(), name="feed-search-json"),
    path("papers/<path:key>.md", paper_md, name="paper-md"),
    path("papers/<path:key>.bib", views.cite_file, {"fmt": "bib"}, name="paper-bib"),
    path("papers/<path:key>.ris", views.cite_file, {"fmt": "ris"}, name="paper-ris"),
    path("papers/<path:key>/thumbnail.svg", views.thumbnail, name="thumbnail"),
    path("papers/<path:key>/similar", views.similar, name="similar"),
    path("papers/<path:key>", views.paper, name="paper"),
]
