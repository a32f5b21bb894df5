from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("dailypapers.community.urls")),
    path("", include("dailypapers.papers.urls")),
]
