from django.urls import path

from dailypapers.web.views import search as views

app_name = "search"

urlpatterns = [
    path("search", views.search, name="search"),
    path("search.bib", views.export, {"fmt": "bib"}, name="export-bib"),
    path("search.ris", views.export, {"fmt": "ris"}, name="export-ris"),
]
