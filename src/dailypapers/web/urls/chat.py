from django.urls import path

from dailypapers.web.views import chat as views

app_name = "chat"

urlpatterns = [
    path("settings/chat", views.settings_page, name="settings"),
    path("settings/chat/<id:pk>/remove", views.remove, name="remove"),
    path("settings/chat/<id:pk>/test", views.test, name="test"),
]
