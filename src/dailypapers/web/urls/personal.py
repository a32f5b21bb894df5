from django.urls import path

from dailypapers.web import collection_feeds as feeds
from dailypapers.web.views import library as views

app_name = "personal"

urlpatterns = [
    path("for-you", views.for_you, name="for-you"),
    path("collections", views.index, name="collections"),
    path("collections/new", views.create, name="create"),
    path("collections/<int:pk>.bib", views.export, {"kind": "bib"}, name="bibtex"),
    path("collections/<int:pk>.ris", views.export, {"kind": "ris"}, name="ris"),
    path("collections/<int:pk>.rss", feeds.CollectionFeed(), name="rss"),
    path("collections/<int:pk>.atom", feeds.atom_collection()(), name="atom"),
    path("collections/<int:pk>/edit", views.edit, name="edit"),
    path("collections/<int:pk>/item", views.item, name="item"),
    path("collections/<int:pk>/import", views.import_library, name="import"),
    path("collections/<int:pk>", views.collection, name="collection-short"),
    path("collections/<int:pk>/<str:slug>", views.collection, name="collection"),
    path("papers/<path:key>/save", views.save, name="save"),
]
