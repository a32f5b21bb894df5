from django.urls import path

from dailypapers.content import views

app_name = "content"

urlpatterns = [path("content/<path:name>", views.file, name="file")]
