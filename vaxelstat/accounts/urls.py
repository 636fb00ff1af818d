from django.urls import path

from vaxelstat.accounts import admin_views, views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/kod/", views.code_view, name="login-code"),
    path("login/kod/ny/", views.resend_code, name="login-code-resend"),
    path("logout/", views.logout_view, name="logout"),
    path("glomt-losenord/", views.reset_request, name="reset-request"),
    path(
        "konto/losenord/<str:purpose>/<str:uidb64>/<str:token>/",
        views.set_password,
        name="set-password",
    ),
    path("konto/", views.account, name="account"),
    path("logs/", views.logs, name="logs"),
    path("administration/", admin_views.administration, name="administration"),
    path("administration/anvandare/", admin_views.users, name="users"),
    path("administration/anvandare/ny/", admin_views.user_add, name="user-add"),
    path("administration/anvandare/<int:user_id>/", admin_views.user_edit, name="user-edit"),
    path(
        "administration/anvandare/<int:user_id>/inaktivera/",
        admin_views.user_deactivate,
        name="user-deactivate",
    ),
    path(
        "administration/anvandare/<int:user_id>/aktiveringsmejl/",
        admin_views.user_resend,
        name="user-resend",
    ),
]
