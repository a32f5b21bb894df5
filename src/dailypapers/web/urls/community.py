from django.urls import path

from dailypapers.web.views import accounts as views
from dailypapers.web.views import tokens

app_name = "community"

urlpatterns = [
    path("accounts/signup", views.signup, name="signup"),
    path("accounts/confirm/resend", views.resend_confirmation, name="resend"),
    path("accounts/confirm/<str:uidb64>/<str:token>", views.confirm, name="confirm"),
    path("accounts/login", views.login_view, name="login"),
    path("accounts/logout", views.logout_view, name="logout"),
    path("accounts/password-reset", views.password_reset, name="password-reset"),
    path("accounts/password-reset/sent", views.password_reset_sent, name="password-reset-sent"),
    path(
        "accounts/password-reset/<str:uidb64>/<str:token>",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("accounts/password-reset/done", views.password_reset_done, name="password-reset-done"),
    path("users/<str:username>", views.profile, name="profile"),
    path("submit", views.submit, name="submit"),
    path("settings/tokens", tokens.create_token, name="create-token"),
    path("settings/tokens/<id:pk>/revoke", tokens.revoke_token, name="revoke-token"),
    path("vote/<path:key>", views.vote, name="vote"),
    path("comments/new/<path:key>", views.comment, name="comment"),
    path("comments/<id:pk>/edit", views.edit_comment, name="edit-comment"),
    path("comments/<id:pk>/hide", views.hide_comment, name="hide-comment"),
    path("comments/<id:pk>/react", views.react, name="react"),
]
