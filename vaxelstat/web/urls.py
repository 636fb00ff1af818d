from django.contrib.auth import views as auth_views
from django.urls import path

from vaxelstat import control
from vaxelstat.web import views

urlpatterns = [
    path("", views.start, name="start"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("operator/imports/", views.imports, name="imports"),
    path("_control/run", control.run_view, name="control-run"),
]
