from django.urls import path

from dailypapers.web.views import digests as views

app_name = "digests"

urlpatterns = [
    path("digest/subscribe", views.subscribe, name="subscribe"),
    path("digest/confirm/<str:token>", views.confirm, name="confirm"),
    path("digest/manage/<str:token>", views.manage, name="manage"),
    path("digest/unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
