from django.urls import path

from dailypapers.web import author_feeds as feeds
from dailypapers.web.views import people as views

app_name = "people"

urlpatterns = [
    path("following", views.following, name="following"),
    path("following.opml", views.following_opml, name="following-opml"),
    path("notifications", views.notifications, name="notifications"),
    path("notifications/badge", views.notification_badge, name="notification-badge"),
    path("notifications/settings", views.notification_settings, name="notification-settings"),
    path(
        "notifications/unsubscribe/<str:token>",
        views.notification_unsubscribe,
        name="notification-unsubscribe",
    ),
    path("follow", views.follow, name="follow"),
    path("papers/<path:key>/claim", views.claim_paper, name="claim"),
    path("authors/<str:key>.rss", feeds.AuthorFeed(), name="author-rss"),
    path("authors/<str:key>.atom", feeds.atom_author(), name="author-atom"),
    path("authors/<str:key>.json", feeds.json_author(), name="author-json"),
    path("authors/<str:key>/merge", views.merge, name="merge"),
    path("authors/<str:key>", views.author, name="author"),
    path("orgs/<str:key>/join", views.join, name="join"),
    path("orgs/<str:key>", views.organization, name="organization"),
]
