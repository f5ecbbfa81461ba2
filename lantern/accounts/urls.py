"""Sign-in, MFA, sign-out, the user's own account and API tokens, and user management."""

from django.urls import path

from lantern.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("mfa/", views.mfa_challenge, name="mfa_challenge"),
    path("", views.account, name="account"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:user_id>/", views.user_detail, name="user_detail"),
    path("users/<int:user_id>/edit/", views.user_edit, name="user_edit"),
    path(
        "users/<int:user_id>/deactivate/", views.user_action, {"action": "deactivate"}, name="user_deactivate"
    ),
    path(
        "users/<int:user_id>/reactivate/", views.user_action, {"action": "reactivate"}, name="user_reactivate"
    ),
    path("users/<int:user_id>/reset-mfa/", views.user_action, {"action": "reset_mfa"}, name="user_reset_mfa"),
]
