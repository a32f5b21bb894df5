from django.urls import path

from dailypapers.papers import views

app_name = "papers"

urlpatterns = [
    path("", views.daily, name="home"),
    path("papers", views.daily),
    path("papers/date/<str:day>", views.daily, name="day"),
    path("papers/week", views.latest_period, {"kind": "week"}, name="latest-week"),
    path("papers/month", views.latest_period, {"kind": "month"}, name="latest-month"),
    path("papers/week/<str:week>", views.weekly, name="week"),
    path("papers/month/<str:month>", views.monthly, name="month"),
    path("papers/trending", views.trending, name="trending"),
    path("papers/<path:key>", views.paper, name="paper"),
]
