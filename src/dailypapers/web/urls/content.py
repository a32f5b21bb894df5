from django.urls import path

from dailypapers.web.views import content as views

app_name = "content"

urlpatterns = [path("content/<path:name>", views.file, name="file")]
