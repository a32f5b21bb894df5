from django.urls import path

from dailypapers.web import collection_feeds as feeds
from dailypapers.web.views import library as views

app_name = "personal"

urlpatterns = [
    path("for-you", views.for_you, name="for-you"),
    path("for-you/feedback", views.feedback, name="foryou-feedback"),
    path("for-you/settings", views.for_you_settings, name="foryou-settings"),
    path("collections", views.index, name="collections"),
    path("collections/new", views.create, name="create"),
    path("collections/<id:pk>.bib", views.export, {"kind": "bib"}, name="bibtex"),
    path("collections/<id:pk>.ris", views.export, {"kind": "ris"}, name="ris"),
    path("collections/<id:pk>.rss", feeds.CollectionFeed(), name="rss"),
    path("collections/<id:pk>.atom", feeds.atom_collection()(), name="atom"),
    path("collections/<id:pk>.json", feeds.json_collection()(), name="json"),
    path("collections/<id:pk>/edit", views.edit, name="edit"),
    path("collections/<id:pk>/item", views.item, name="item"),
    path("collections/<id:pk>/import", views.import_library, name="import"),
    path("collections/<id:pk>", views.collection, name="collection-short"),
    path("collections/<id:pk>/<str:slug>", views.collection, name="collection"),
    path("papers/<path:key>/save", views.save, name="save"),
]
